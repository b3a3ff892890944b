"""Attendance: check-in (签到) per person and no-shows (缺席) per family.

These change no seats, so they need no lock.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from ..extensions import db
from ..timeutil import utcnow
from .models import Attendee, Registration
from .operations import SignupError
from .queries import no_show_open
from .signals import member_checked_in


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
    registration.updated_at = utcnow()  # the figures' cache watches registrations
    db.session.flush()
    if attendee.member is not None:
        member_checked_in.send(
            attendee.member, reading_session=registration.session, household=registration.household
        )
    return True


def undo_check_in(attendee: Attendee) -> None:
    attendee.checked_in_at = None
    attendee.registration.updated_at = utcnow()
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
