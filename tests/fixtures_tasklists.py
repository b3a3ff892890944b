"""Fixtures and factories for the tasklists tests (a pytest plugin loaded by conftest.py)."""
