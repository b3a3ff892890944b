"""Strands (programmes), sessions and weekly series."""
