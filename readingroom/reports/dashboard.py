"""What the staff desk (the schedule's dashboard) shows from the figures: booked seats and
waiting households per coming session, and for the administrator this month's headline.

Handed to the templates by a context processor (:func:`template_helpers`), as
functions that the dashboard calls: other pages pay nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask_login import current_user
from sqlalchemy import func, select

from ..auth.permissions import community_ids_of
from ..extensions import db
from ..registrations.models import Registration, RegistrationStatus
from ..schedule.models import ReadingSession
from ..timeutil import beijing_today, utcnow
from .figures import Figures, Scope, cached_figures
from .forms import preset_range


@dataclass(frozen=True)
class SeatCounts:
    seats_taken: int = 0
    waiting_households: int = 0


def session_seats(sessions: Iterable[ReadingSession]) -> dict[int, SeatCounts]:
    """Booked seats and waiting households of each session (one statement)."""
    ids = [s.id for s in sessions]
    if not ids:
        return {}
    confirmed = Registration.status == RegistrationStatus.CONFIRMED
    waiting = Registration.status == RegistrationStatus.WAITLISTED
    rows = db.session.execute(
        select(
            Registration.session_id,
            func.coalesce(func.sum(Registration.seats).filter(confirmed), 0),
            func.count(Registration.id).filter(waiting),
        )
        .where(Registration.session_id.in_(ids))
        .group_by(Registration.session_id)
    )
    counts = {sid: SeatCounts(int(taken), int(n)) for sid, taken, n in rows}
    return {i: counts.get(i, SeatCounts()) for i in ids}


def this_months_figures() -> Figures:
    start, end = preset_range("month", beijing_today())
    ids = community_ids_of(current_user)
    return cached_figures(
        Scope(
            start=start,
            end=end,
            community_ids=None if ids is None else frozenset(ids),
            now=utcnow(),
        )
    )


def template_helpers() -> dict[str, Any]:
    return {"session_seats": session_seats, "dashboard_figures": this_months_figures}
