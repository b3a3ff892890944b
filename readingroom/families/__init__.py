"""Family accounts (家庭账户): households, members, consent, the family's own pages."""
