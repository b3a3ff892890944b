"""When check-in (签到) is possible: from ``CHECK_IN_OPENS_MINUTES_BEFORE`` (60) minutes
before the start until the end of the session's day in Beijing (``CHECK_IN_CLOSES_DAYS_AFTER``
more days, 0 by default). Earlier or later the roster says why and nothing is ticked: a tap
on the wrong session's roster the week before must not tick a child's "visit" task."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _

from ..schedule.models import ReadingSession
from ..timeutil import beijing_day_bounds, format_day, format_moment, to_beijing


def check_in_window(reading_session: ReadingSession) -> tuple[datetime, datetime]:
    """The instants (UTC) between which people of the session can be checked in."""
    config = current_app.config
    before = timedelta(minutes=int(config.get("CHECK_IN_OPENS_MINUTES_BEFORE", 60)))
    days_after = int(config.get("CHECK_IN_CLOSES_DAYS_AFTER", 0))
    last_day = to_beijing(reading_session.ends_at).date() + timedelta(days=days_after)
    _start, end_of_day = beijing_day_bounds(last_day)
    return reading_session.starts_at - before, end_of_day


def check_in_refusal(reading_session: ReadingSession, now: datetime) -> str | None:
    """Why nobody can be checked in now (``None``: check-in is open)."""
    opens, closes = check_in_window(reading_session)
    if now < opens:
        minutes = int((reading_session.starts_at - opens).total_seconds() // 60)
        return _(
            "Check-in opens %(when)s, %(minutes)d minutes before the start.",
            when=format_moment(opens),
            minutes=minutes,
        )
    if now >= closes:
        return _(
            "Check-in closed at the end of %(day)s.", day=format_day(closes - timedelta(seconds=1))
        )
    return None
