"""The household's private calendar feed: only its own sessions, waiting list marked."""

from __future__ import annotations

from flask import Response
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..families.models import Household
from ..links import public_base_url
from ..registrations.models import LIVE_STATUSES, Registration, RegistrationStatus
from ..schedule.models import ReadingSession
from ..timeutil import beijing_today
from .feeds import ics_response
from .ical import build_calendar, feed_window_start, modified_at, session_event


def household_calendar(household: Household) -> Response:
    since = feed_window_start(beijing_today())
    rows = db.session.execute(
        select(Registration, ReadingSession)
        .join(ReadingSession, ReadingSession.id == Registration.session_id)
        .where(Registration.household_id == household.id, ReadingSession.ends_at >= since)
        .order_by(ReadingSession.starts_at, Registration.id)
    ).all()
    base_url = public_base_url()
    events = []
    stamps = [household.created_at]
    for registration, reading_session in rows:
        stamps.append(registration.updated_at)
        if registration.status not in LIVE_STATUSES:
            continue
        stamps.append(modified_at(reading_session))
        waiting = registration.status is RegistrationStatus.WAITLISTED
        note = _("[Waiting list]") if waiting else None
        events.append(
            session_event(reading_session, base_url=base_url, note=note, tentative=waiting)
        )
    body = build_calendar(
        events,
        name=_("My reading sessions"),
        description=_("Sessions your family signed up for (Binhe Reading Rooms)."),
    )
    last_modified = max(s for s in stamps if s is not None).replace(microsecond=0)
    return ics_response(body, last_modified=last_modified, private=True)
