"""How many seats of a session are taken, and how long its waiting list is.

One query for many sessions; calendars, the API, the clash check and the staff
pages ask here. ``seats_taken``: people in confirmed registrations;
``waitlist_count``: people waiting (the seats they asked for); ``waitlist_households``:
the families waiting ("候补：2 户，共 5 个座位"). Seats left is :func:`seats_left`, the
one place that subtracts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select

from ..extensions import db
from .models import LIVE_STATUSES, Registration, RegistrationStatus


@dataclass(frozen=True)
class Occupancy:
    seats_taken: int = 0
    waitlist_count: int = 0
    waitlist_households: int = 0


def seats_left(capacity: int, seats_taken: int) -> int:
    """Free seats (never negative: a lowered capacity may leave a session over-full)."""
    return max(capacity - seats_taken, 0)


def occupancy(session_ids: Iterable[int]) -> dict[int, Occupancy]:
    """Seats taken and waiting-list length for each session id (zeros for none)."""
    ids = list(dict.fromkeys(session_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        select(
            Registration.session_id,
            Registration.status,
            func.sum(Registration.seats),
            func.count(Registration.id),
        )
        .where(Registration.session_id.in_(ids), Registration.status.in_(LIVE_STATUSES))
        .group_by(Registration.session_id, Registration.status)
    )
    taken: dict[int, int] = {}
    waiting: dict[int, int] = {}
    households: dict[int, int] = {}
    for session_id, status, seats, registrations in rows:
        if status is RegistrationStatus.CONFIRMED:
            taken[session_id] = int(seats or 0)
        else:
            waiting[session_id] = int(seats or 0)
            households[session_id] = int(registrations or 0)
    return {
        i: Occupancy(
            seats_taken=taken.get(i, 0),
            waitlist_count=waiting.get(i, 0),
            waitlist_households=households.get(i, 0),
        )
        for i in ids
    }
