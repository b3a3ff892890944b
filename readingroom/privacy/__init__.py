"""Privacy: a family's data download and deletion, the purge of old personal data, the
staff's access to families' numbers (logged)."""
