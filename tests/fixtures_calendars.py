"""Fixtures and factories for the calendars tests (a pytest plugin loaded by conftest.py)."""
