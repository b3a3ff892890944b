"""Attendance: walk-ins (people without an account, who take seats under the session's
lock), check-in (签到) per person and no-shows (缺席) per family (these change no seats
and need no lock).
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from ..extensions import db
from ..families.models import MemberKind
from ..schedule.models import SessionStatus
from ..timeutil import utcnow
from .models import Attendee, Registration, RegistrationStatus
from .operations import MAX_WALK_IN, SignupError, lock_session
from .queries import no_show_open, seats_taken
from .signals import member_checked_in


def add_walk_in(
    session_id: int,
    *,
    name: str,
    adults: int,
    children: int,
    now: datetime | None = None,
) -> Registration:
    """People who came without an account: confirmed and checked in, if seats are free."""
    reading_session = lock_session(session_id)
    now = now or utcnow()
    total = adults + children
    if adults < 0 or children < 0 or total < 1:
        raise SignupError(_("Add at least one person."))
    if total > MAX_WALK_IN:
        raise SignupError(_("At most %(max)d people at once.", max=MAX_WALK_IN))
    if reading_session.status is not SessionStatus.SCHEDULED:
        raise SignupError(_("This session is cancelled."))
    free = reading_session.capacity - seats_taken(reading_session.id)
    if total > free:
        raise SignupError(
            _(
                "Only %(free)d seat(s) are free. Raise the capacity first if the room allows.",
                free=max(free, 0),
            )
        )
    registration = Registration(
        session_id=reading_session.id,
        household_id=None,
        status=RegistrationStatus.CONFIRMED,
        seats=total,
        walk_in_name=name.strip(),
        confirmed_at=now,
    )
    for kind, count in ((MemberKind.ADULT, adults), (MemberKind.CHILD, children)):
        for _i in range(count):
            registration.attendees.append(Attendee(kind=kind, checked_in_at=now))
    db.session.add(registration)
    db.session.flush()
    return registration


def check_in(attendee: Attendee, *, now: datetime | None = None) -> bool:
    """Mark one person present (签到); returns False when already checked in."""
    registration = attendee.registration
    if not registration.is_confirmed:
        raise SignupError(_("Only confirmed people can be checked in."))
    if registration.session.is_cancelled:
        raise SignupError(_("This session is cancelled."))
    if attendee.checked_in_at is not None:
        return False
    attendee.checked_in_at = now or utcnow()
    registration.no_show_at = None
    db.session.flush()
    if attendee.member is not None:
        member_checked_in.send(
            attendee.member, reading_session=registration.session, household=registration.household
        )
    return True


def undo_check_in(attendee: Attendee) -> None:
    attendee.checked_in_at = None
    db.session.flush()


def mark_no_show(registration: Registration, *, now: datetime | None = None) -> None:
    """A confirmed family that did not come (counts towards the no-show block)."""
    now = now or utcnow()
    if registration.household_id is None or not registration.is_confirmed:
        raise SignupError(_("Only confirmed families can be marked as no-show."))
    if registration.session.is_cancelled:
        raise SignupError(_("This session is cancelled."))
    if not no_show_open(registration.session, now):
        raise SignupError(_("A no-show can be marked once the session has started."))
    if any(a.checked_in_at is not None for a in registration.attendees):
        raise SignupError(_("Someone of this family was checked in."))
    registration.no_show_at = now
    db.session.flush()


def clear_no_show(registration: Registration) -> None:
    registration.no_show_at = None
    db.session.flush()
