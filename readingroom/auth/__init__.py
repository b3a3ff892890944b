"""Staff accounts, login and access rules."""
