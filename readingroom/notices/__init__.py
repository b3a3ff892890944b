"""Notices to families and the outbox that sends them (with retries), and its command."""
