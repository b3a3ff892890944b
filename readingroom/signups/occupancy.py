"""Seat counts for :mod:`readingroom.schedule.occupancy` (one query for many sessions).

``seats_taken``: people in confirmed registrations; ``waitlist_count``: people
waiting.
"""

from __future__ import annotations

from sqlalchemy import func, select

from ..extensions import db
from ..schedule.occupancy import Occupancy
from .models import LIVE_STATUSES, Registration, RegistrationStatus


def seat_counts(session_ids: list[int]) -> dict[int, Occupancy]:
    rows = db.session.execute(
        select(Registration.session_id, Registration.status, func.sum(Registration.seats))
        .where(
            Registration.session_id.in_(session_ids),
            Registration.status.in_(LIVE_STATUSES),
        )
        .group_by(Registration.session_id, Registration.status)
    )
    taken: dict[int, int] = {}
    waiting: dict[int, int] = {}
    for session_id, status, seats in rows:
        target = taken if status is RegistrationStatus.CONFIRMED else waiting
        target[session_id] = int(seats or 0)
    return {
        i: Occupancy(seats_taken=taken.get(i, 0), waitlist_count=waiting.get(i, 0))
        for i in session_ids
    }
