"""Reading registrations: seats taken, the waiting list, who may sign up when.

Nothing here changes anything or takes a lock; the counting that decides a
seat is repeated under the session's lock in :mod:`.operations`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from .. import tokens
from ..extensions import db
from ..families.models import Member
from ..i18n import localized
from ..links import external_url
from ..schedule.models import ReadingSession, SessionStatus
from ..security import token_digest, token_matches
from ..timeutil import format_moment, utcnow
from .eligibility import (
    Audience,
    Person,
    SignupState,
    Window,
    audience_problems,
    blocked_until,
    registration_window,
    session_day,
)
from .models import LIVE_STATUSES, Attendee, CancelledBy, Registration, RegistrationStatus


def seats_taken(session_id: int) -> int:
    stmt = select(func.coalesce(func.sum(Registration.seats), 0)).where(
        Registration.session_id == session_id,
        Registration.status == RegistrationStatus.CONFIRMED,
    )
    return int(db.session.scalar(stmt) or 0)


@dataclass(frozen=True)
class SeatCount:
    """What a sign-up counts under the session's lock."""

    taken: int  # seats of confirmed registrations
    live_registration_id: int | None  # the household's registration of the session, if live
    registered_before: bool  # the household registered before (any session, any status)
    recent_no_shows: int  # the household's no-shows that a block could come from now


def seat_count(session_id: int, household_id: int, now: datetime) -> SeatCount:
    """:func:`seats_taken`, the household's live registration, whether it ever registered
    and how many of its no-shows could block it now, in one query (a sign-up asks under
    the session's lock; only a household with enough no-shows is looked at closer, by
    :func:`household_blocked_until`)."""
    of_session = Registration.session_id == session_id
    taken = select(func.coalesce(func.sum(Registration.seats), 0)).where(
        of_session, Registration.status == RegistrationStatus.CONFIRMED
    )
    live = select(Registration.id).where(
        of_session,
        Registration.household_id == household_id,
        Registration.status.in_(LIVE_STATUSES),
    )
    before = select(Registration.id).where(Registration.household_id == household_id)
    no_shows = select(func.count()).select_from(_no_shows(household_id, no_shows_since(now)))
    row = db.session.execute(
        select(
            taken.scalar_subquery(),
            live.limit(1).scalar_subquery(),
            before.exists(),
            no_shows.scalar_subquery(),
        )
    ).one()
    return SeatCount(
        int(row[0] or 0),
        live_registration_id=row[1],
        registered_before=bool(row[2]),
        recent_no_shows=int(row[3] or 0),
    )


def session_for_signup(session_id: int) -> ReadingSession | None:
    """The session with its strand and book room, which its sign-up reads (one query)."""
    return db.session.get(
        ReadingSession,
        session_id,
        options=[joinedload(ReadingSession.program), joinedload(ReadingSession.room)],
    )


def waiting_list(session_id: int) -> list[Registration]:
    """Waiting registrations in their order (the order they joined)."""
    stmt = (
        select(Registration)
        .where(
            Registration.session_id == session_id,
            Registration.status == RegistrationStatus.WAITLISTED,
        )
        .order_by(Registration.id)
    )
    return list(db.session.scalars(stmt))


def waitlist_position(registration: Registration) -> int | None:
    """1 for the head of the waiting list; ``None`` when not waiting."""
    if not registration.is_waitlisted:
        return None
    ahead = db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.session_id == registration.session_id,
            Registration.status == RegistrationStatus.WAITLISTED,
            Registration.id < registration.id,
        )
    )
    return int(ahead or 0) + 1


def live_registration(session_id: int, household_id: int) -> Registration | None:
    stmt = select(Registration).where(
        Registration.session_id == session_id,
        Registration.household_id == household_id,
        Registration.status.in_(LIVE_STATUSES),
    )
    return db.session.scalars(stmt).first()


def window_of(reading_session: ReadingSession) -> Window:
    series = reading_session.series
    config = current_app.config
    return registration_window(
        reading_session.starts_at,
        opens_at=reading_session.signup_opens_at,
        closes_at=reading_session.signup_closes_at,
        opens_days=series.signup_opens_days if series is not None else None,
        closes_hours=series.signup_closes_hours if series is not None else None,
        default_opens_days=config["SIGNUP_OPENS_DAYS_BEFORE"],
        default_closes_hours=config["SIGNUP_CLOSES_HOURS_BEFORE"],
    )


def signup_state(
    reading_session: ReadingSession, now: datetime, window: Window | None = None
) -> SignupState:
    """Whether the session takes sign-ups and changes of members now, or why not."""
    if reading_session.status is not SessionStatus.SCHEDULED:
        return SignupState.CANCELLED
    if now >= reading_session.starts_at:
        return SignupState.OVER
    return (window or window_of(reading_session)).state(now)


def cancel_open(reading_session: ReadingSession, by: CancelledBy, now: datetime) -> bool:
    """Whether registrations of the session can still be cancelled: by the family (logged
    in or by link) until the session starts, by the staff until it ends."""
    deadline = reading_session.ends_at if by is CancelledBy.STAFF else reading_session.starts_at
    return reading_session.status is SessionStatus.SCHEDULED and now < deadline


def no_show_open(reading_session: ReadingSession, now: datetime) -> bool:
    """Whether absent families can be marked: once the session has started, unless cancelled."""
    return reading_session.status is SessionStatus.SCHEDULED and now >= reading_session.starts_at


def _no_shows(household_id: int, since: datetime):
    """The household's no-shows at sessions that started since ``since`` (a subquery)."""
    return (
        select(ReadingSession.starts_at)
        .join(Registration, Registration.session_id == ReadingSession.id)
        .where(
            Registration.household_id == household_id,
            Registration.no_show_at.is_not(None),
            ReadingSession.starts_at >= since,
        )
        .subquery()
    )


def no_show_times(household_id: int, since: datetime) -> list[datetime]:
    """Start times of the sessions the household was marked absent from since ``since``."""
    return list(db.session.scalars(select(_no_shows(household_id, since).c.starts_at)))


def no_shows_since(now: datetime) -> datetime:
    """The earliest no-show that can still block a household now."""
    config = current_app.config
    return now - timedelta(days=config["NOSHOW_WINDOW_DAYS"] + config["NOSHOW_BLOCK_DAYS"])


def household_blocked_until(household_id: int, now: datetime | None = None) -> datetime | None:
    now = now or utcnow()
    config = current_app.config
    return blocked_until(
        no_show_times(household_id, no_shows_since(now)),
        now,
        limit=config["NOSHOW_LIMIT"],
        window_days=config["NOSHOW_WINDOW_DAYS"],
        block_days=config["NOSHOW_BLOCK_DAYS"],
    )


def person_of(member: Member) -> Person:
    return Person(
        name=member.given_name,
        is_child=member.is_child,
        birth_year=member.birth_year,
        birth_month=member.birth_month,
    )


def audience_of(reading_session: ReadingSession) -> Audience:
    """The session's strand rule, named in the served language."""
    return Audience.of(reading_session.program, name=localized(reading_session.program))


def eligibility_problems(reading_session: ReadingSession, members: Sequence[Member]) -> list[str]:
    people = [person_of(m) for m in members]
    return audience_problems(
        audience_of(reading_session), people, session_day(reading_session.starts_at)
    )


def upcoming_registrations_of(member: Member, now: datetime) -> list[Registration]:
    """Live registrations of sessions not yet over that include this member."""
    stmt = (
        select(Registration)
        .join(Attendee, Attendee.registration_id == Registration.id)
        .join(ReadingSession, ReadingSession.id == Registration.session_id)
        .where(
            Attendee.member_id == member.id,
            Registration.status.in_(LIVE_STATUSES),
            ReadingSession.ends_at > now,
        )
    )
    return list(db.session.scalars(stmt).unique())


def registration_by_cancel_token(token: str) -> Registration | None:
    if not tokens.looks_like_token(token):
        return None
    registration = db.session.scalars(
        select(Registration).where(Registration.cancel_token_digest == token_digest(token))
    ).first()
    if registration is None or not token_matches(token, registration.cancel_token_digest or ""):
        return None
    return registration


@dataclass
class Roster:
    """A session's registrations as the roster shows them, with its counts and what may be
    done now."""

    confirmed: list[Registration]
    waiting: list[Registration]
    cancelled: list[Registration]
    taken: int  # seats of confirmed registrations
    checked_in: int  # people checked in
    may_cancel: bool
    may_mark_no_show: bool
    printed_at: datetime


def roster_of(reading_session: ReadingSession, now: datetime) -> Roster:
    """Every registration of the session (members and households loaded in two queries)."""
    registrations = db.session.scalars(
        select(Registration)
        .where(Registration.session_id == reading_session.id)
        .options(
            selectinload(Registration.attendees).selectinload(Attendee.member),
            selectinload(Registration.household),
        )
        .order_by(Registration.id)
    ).all()
    by_status = {status: [] for status in RegistrationStatus}
    for registration in registrations:
        by_status[registration.status].append(registration)
    confirmed = by_status[RegistrationStatus.CONFIRMED]
    return Roster(
        confirmed=confirmed,
        waiting=by_status[RegistrationStatus.WAITLISTED],
        cancelled=by_status[RegistrationStatus.CANCELLED],
        taken=sum(r.seats for r in confirmed),
        checked_in=sum(1 for r in confirmed for a in r.attendees if a.checked_in_at),
        may_cancel=cancel_open(reading_session, CancelledBy.STAFF, now),
        may_mark_no_show=no_show_open(reading_session, now),
        printed_at=now,
    )


def blocked_message(until: datetime) -> str:
    """The one sentence for a family blocked after no-shows (sign-up refusal and panel)."""
    return _(
        "After several no-shows your family can sign up for new sessions again "
        "from %(when)s. Please talk to the staff if this is wrong.",
        when=format_moment(until),
    )


def cancel_token(registration: Registration) -> str | None:
    """The token of a registration's cancellation link (``None`` until one was issued)."""
    if registration.cancel_nonce is None:
        return None
    return tokens.derive(tokens.CANCEL, registration.cancel_nonce)


def cancel_url(registration: Registration) -> str | None:
    """The link that cancels a live registration without logging in (``None`` when there is
    nothing to cancel); for the registration page and, through notices' signal, notices."""
    token = cancel_token(registration)
    if token is None or not registration.is_live:
        return None
    return external_url("registrations.cancel_by_link", token=token)
