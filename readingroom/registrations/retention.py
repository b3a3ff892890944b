"""How long registrations keep their personal data (``RETENTION_MONTHS``): the purge of
the privacy domain applies it, the figures say where it cuts a range."""

from __future__ import annotations

from datetime import datetime, timedelta

from ..timeutil import utcnow


def retention_cutoff(months: int, now: datetime | None = None) -> datetime:
    """The instant before which personal data is purged, ``months`` (of 30.44 days) ago."""
    return (now or utcnow()) - timedelta(days=round(months * 30.44))
