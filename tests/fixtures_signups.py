"""Fixtures and factories for the signups tests (a pytest plugin loaded by conftest.py)."""
