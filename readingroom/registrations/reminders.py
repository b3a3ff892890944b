"""The day-before reminder: every confirmed household of tomorrow's sessions is told once.

A job for the worker (``readingroom.ops``), not a request: :func:`send_reminders` queues a
``REMINDER`` notice (and its outbox row) for each confirmed registration of a session that
starts tomorrow (Beijing date) and has none yet. Having one already is what makes it run
safely as often as the worker likes, and again after a crash. It lives here, not in
``notices``, because it reads registrations, which sit above the notices in the layering.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from ..extensions import db
from ..notices.models import Notice, NoticeKind
from ..notices.operations import notify
from ..schedule.models import ReadingSession, SessionStatus
from ..timeutil import beijing_day_bounds, to_beijing, utcnow
from .models import Registration, RegistrationStatus


def due_reminders(now: datetime) -> list[Registration]:
    """Confirmed registrations of tomorrow's sessions that have not been reminded."""
    tomorrow = to_beijing(now).date() + timedelta(days=1)
    starts, ends = beijing_day_bounds(tomorrow)
    reminded = select(Notice.registration_id).where(
        Notice.kind == NoticeKind.REMINDER, Notice.registration_id.is_not(None)
    )
    return list(
        db.session.scalars(
            select(Registration)
            .join(ReadingSession, Registration.session_id == ReadingSession.id)
            .where(
                ReadingSession.starts_at >= starts,
                ReadingSession.starts_at < ends,
                ReadingSession.status == SessionStatus.SCHEDULED,
                Registration.status == RegistrationStatus.CONFIRMED,
                Registration.household_id.is_not(None),
                Registration.id.not_in(reminded),
            )
            .order_by(Registration.id)
        )
    )


def send_reminders(*, now: datetime | None = None, from_hour: int = 10) -> int:
    """Queue the day-before reminders once the Beijing clock has reached ``from_hour``
    (nobody is woken at midnight); returns how many. Flushes, never commits."""
    now = now or utcnow()
    if to_beijing(now).time() < time(from_hour):
        return 0
    due = due_reminders(now)
    for registration in due:
        assert registration.household_id is not None
        notify(
            registration.household_id,
            NoticeKind.REMINDER,
            reading_session=registration.session,
            registration_id=registration.id,
        )
    return len(due)
