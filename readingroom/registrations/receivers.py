"""How registrations follow what the lower domains do (receivers only flush).

* ``session_changed`` with a new time or room: every registered and waiting
  household gets a notice. With a new capacity: :func:`.operations.settle_capacity`
  (refused below the seats taken; else the waiting list moves up once).
* ``session_cancelled``: every registered and waiting household gets a notice;
  the registrations stay as they were (history).
* ``checking_clashes``: a capacity below the seats already taken blocks saving,
  listed with the schedule's own clashes before anything is saved.
* ``member_removing``: a member signed up for a coming session cannot be removed.

:func:`connect` is called once by the application factory.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..families.models import Member
from ..families.operations import AccountError
from ..families.signals import member_removing
from ..notices import operations as notices
from ..notices.models import Notice, NoticeKind
from ..notices.signals import cancel_link_wanted
from ..schedule.clashes import Candidate, Clash, ClashKind, Severity
from ..schedule.models import ReadingSession
from ..schedule.signals import checking_clashes, session_cancelled, session_changed
from ..timeutil import utcnow
from .models import LIVE_STATUSES, Registration
from .occupancy import occupancy
from .operations import capacity_problem, settle_capacity
from .queries import cancel_url, upcoming_registrations_of

MOVE_FIELDS = {"starts_at", "ends_at", "room_id"}


def _live(rs: ReadingSession) -> list[Registration]:
    return list(
        db.session.scalars(
            select(Registration)
            .where(
                Registration.session_id == rs.id,
                Registration.status.in_(LIVE_STATUSES),
                Registration.household_id.is_not(None),
            )
            .order_by(Registration.id)
        )
    )


def on_session_changed(rs: ReadingSession, changes: set[str] | None = None, **kwargs: Any) -> None:
    changes = set(changes or ())
    if changes & MOVE_FIELDS:
        for registration in _live(rs):
            notices.notify(
                registration.household_id,
                NoticeKind.SESSION_MOVED,
                reading_session=rs,
                registration_id=registration.id,
            )
    if "capacity" in changes and not rs.is_cancelled:
        settle_capacity(rs, utcnow())


def on_session_cancelled(rs: ReadingSession, reason: str = "", **kwargs: Any) -> None:
    for registration in _live(rs):
        notices.notify(
            registration.household_id,
            NoticeKind.SESSION_CANCELLED,
            reading_session=rs,
            registration_id=registration.id,
            detail=reason,
        )


def seat_clashes(candidates: Sequence[Candidate]) -> list[Clash]:
    """A capacity below the seats families already hold blocks saving (nobody is dropped)."""
    taken = occupancy(c.session_id for c in candidates if c.session_id is not None)
    return [
        Clash(
            ClashKind.CAPACITY,
            Severity.BLOCK,
            c,
            capacity_problem(taken[c.session_id].seats_taken),
        )
        for c in candidates
        if c.session_id is not None and c.capacity < taken[c.session_id].seats_taken
    ]


def on_member_removing(member: Member, *, now: Any, **kwargs: Any) -> None:
    if upcoming_registrations_of(member, now):
        raise AccountError(
            _(
                "%(name)s is signed up for a coming session. Change or cancel that sign-up first.",
                name=member.given_name,
            )
        )


def cancel_link_of_notice(notice: Notice, **kwargs: Any) -> str | None:
    """The cancellation link a notice about a registration carries (notices ask)."""
    registration = db.session.get(Registration, notice.registration_id)
    return cancel_url(registration) if registration is not None else None


def connect() -> None:
    """Listen to the lower domains' signals (idempotent: blinker keeps one connection)."""
    session_changed.connect(on_session_changed)
    session_cancelled.connect(on_session_cancelled)
    checking_clashes.connect(seat_clashes)
    member_removing.connect(on_member_removing)
    cancel_link_wanted.connect(cancel_link_of_notice)
