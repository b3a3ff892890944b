"""How sign-ups follow changes the staff make in the schedule.

* ``session_changed`` with a new time or room: every registered and waiting
  household gets a notice. With a new capacity: raising it promotes from the
  waiting list; lowering it below the seats already taken is refused (the
  schedule's clash check says so before saving; this is the last guard, under
  the row lock that the UPDATE of the session row already holds).
* ``session_cancelled``: every registered and waiting household gets a notice;
  the registrations stay as they were (history).

Receivers run inside the schedule's transaction and only flush.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from werkzeug.exceptions import ServiceUnavailable

from ..extensions import db
from ..schedule.models import ReadingSession
from ..schedule.signals import session_cancelled, session_changed
from ..timeutil import utcnow
from . import notices
from .models import LIVE_STATUSES, NoticeKind, Registration
from .operations import promote_waiting, seats_taken

MOVE_FIELDS = {"starts_at", "ends_at", "room_id"}


def _live(session: ReadingSession) -> list[Registration]:
    return list(
        db.session.scalars(
            select(Registration)
            .where(
                Registration.session_id == session.id,
                Registration.status.in_(LIVE_STATUSES),
                Registration.household_id.is_not(None),
            )
            .order_by(Registration.id)
        )
    )


@session_changed.connect
def on_session_changed(session: ReadingSession, changes: set[str] | None = None, **_: Any) -> None:
    changes = set(changes or ())
    if changes & MOVE_FIELDS:
        for registration in _live(session):
            notices.notify(
                registration.household_id,
                NoticeKind.SESSION_MOVED,
                session=session,
                registration=registration,
            )
    if "capacity" in changes and not session.is_cancelled:
        if seats_taken(session.id) > session.capacity:
            # Seats were taken between the clash check and the save: nothing is saved.
            raise ServiceUnavailable()
        promote_waiting(session, utcnow())


@session_cancelled.connect
def on_session_cancelled(session: ReadingSession, reason: str = "", **_: Any) -> None:
    for registration in _live(session):
        notices.notify(
            registration.household_id,
            NoticeKind.SESSION_CANCELLED,
            session=session,
            registration=registration,
            detail=reason,
        )
