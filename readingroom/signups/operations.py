"""Seats, waiting list, cancellation, walk-ins, check-in: the rules, as functions.

Every function that counts seats (sign-up, change of members, cancellation,
capacity change, walk-in, and the promotions they cause) first takes the
session's write lock with :func:`readingroom.database.lock_row` (``SELECT …
FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite) and only then
counts; everything it changes belongs to that one transaction. Functions
flush and never commit: the caller commits once. Because taking the lock
starts a fresh transaction, these functions take ids, not loaded objects, and
must be the first thing a request changes.

A lock timeout or serialization failure surfaces as a database "busy" error,
which :mod:`readingroom.errors` turns into 503 "busy, please try again" after
rolling everything back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..database import lock_row
from ..extensions import db
from ..i18n import localized
from ..schedule.models import ReadingSession, SessionStatus
from ..schedule.signals import session_changed
from ..timeutil import format_moment, utcnow
from . import notices, tokens
from .eligibility import (
    Audience,
    Person,
    Window,
    audience_problems,
    blocked_until,
    registration_window,
    session_day,
)
from .models import (
    LIVE_STATUSES,
    Attendee,
    CancelledBy,
    Household,
    Member,
    MemberKind,
    NoticeKind,
    Registration,
    RegistrationStatus,
)
from .seats import first_that_fit, fits
from .signals import member_checked_in

MAX_WALK_IN = 20


class SignupError(Exception):
    """A rule refused the change; ``messages`` are translated, for the person."""

    def __init__(self, *messages: str):
        super().__init__(" ".join(messages))
        self.messages = list(messages)


@dataclass
class Outcome:
    """What a sign-up (or a change of members) did."""

    registration: Registration
    created: bool
    promoted: list[Registration] = field(default_factory=list)


# --- reading (no lock needed) ----------------------------------------------------------------


def seats_taken(session_id: int) -> int:
    stmt = select(func.coalesce(func.sum(Registration.seats), 0)).where(
        Registration.session_id == session_id,
        Registration.status == RegistrationStatus.CONFIRMED,
    )
    return int(db.session.scalar(stmt) or 0)


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


def window_of(session: ReadingSession) -> Window:
    series = session.series
    config = current_app.config
    return registration_window(
        session.starts_at,
        opens_at=session.signup_opens_at,
        closes_at=session.signup_closes_at,
        opens_days=series.signup_opens_days if series is not None else None,
        closes_hours=series.signup_closes_hours if series is not None else None,
        default_opens_days=config["SIGNUP_OPENS_DAYS_BEFORE"],
        default_closes_hours=config["SIGNUP_CLOSES_HOURS_BEFORE"],
    )


def signup_state(session: ReadingSession, now: datetime, window: Window | None = None) -> str:
    """Whether the session takes sign-ups and changes of members now: "open"; or why not:
    "cancelled", "over" (it has started), "before" or "closed" (its registration window)."""
    if session.status is not SessionStatus.SCHEDULED:
        return "cancelled"
    if now >= session.starts_at:
        return "over"
    return (window or window_of(session)).state(now)


def cancel_open(session: ReadingSession, by: CancelledBy, now: datetime) -> bool:
    """Whether registrations of the session can still be cancelled: by the family (logged
    in or by link) until the session starts, by the staff until it ends."""
    deadline = session.ends_at if by is CancelledBy.STAFF else session.starts_at
    return session.status is SessionStatus.SCHEDULED and now < deadline


def no_show_open(session: ReadingSession, now: datetime) -> bool:
    """Whether absent families can be marked: once the session has started, unless cancelled."""
    return session.status is SessionStatus.SCHEDULED and now >= session.starts_at


def no_show_times(household_id: int, since: datetime) -> list[datetime]:
    """Start times of the sessions the household was marked absent from since ``since``."""
    stmt = (
        select(ReadingSession.starts_at)
        .join(Registration, Registration.session_id == ReadingSession.id)
        .where(
            Registration.household_id == household_id,
            Registration.no_show_at.is_not(None),
            ReadingSession.starts_at >= since,
        )
    )
    return list(db.session.scalars(stmt))


def household_blocked_until(household_id: int, now: datetime | None = None) -> datetime | None:
    now = now or utcnow()
    config = current_app.config
    window, block = config["NOSHOW_WINDOW_DAYS"], config["NOSHOW_BLOCK_DAYS"]
    since = now - timedelta(days=window + block)
    return blocked_until(
        no_show_times(household_id, since),
        now,
        limit=config["NOSHOW_LIMIT"],
        window_days=window,
        block_days=block,
    )


def person_of(member: Member) -> Person:
    return Person(
        name=member.given_name,
        is_child=member.is_child,
        birth_year=member.birth_year,
        birth_month=member.birth_month,
    )


def audience_of(session: ReadingSession) -> Audience:
    """The session's strand rule, named in the served language."""
    return Audience.of(session.program, name=localized(session.program))


def eligibility_problems(session: ReadingSession, members: Sequence[Member]) -> list[str]:
    people = [person_of(m) for m in members]
    return audience_problems(audience_of(session), people, session_day(session.starts_at))


# --- under the session's lock ----------------------------------------------------------------


def _lock(session_id: int) -> ReadingSession:
    session = lock_row(ReadingSession, session_id)
    if session is None:
        raise LookupError(f"no session {session_id}")
    return session


def promote_waiting(session: ReadingSession, now: datetime) -> list[Registration]:
    """Confirm the first waiting registrations that fit the free seats.

    The caller holds the session's write lock: :func:`_lock` here, or, in the
    schedule's receivers, the lock of the UPDATE that changed the capacity.
    """
    free = session.capacity - seats_taken(session.id)
    if free <= 0:
        return []
    waiting = waiting_list(session.id)
    chosen = set(first_that_fit(free, [(r.id, r.seats) for r in waiting]))
    promoted = [r for r in waiting if r.id in chosen]
    for registration in promoted:
        registration.status = RegistrationStatus.CONFIRMED
        registration.confirmed_at = now
        registration.promoted_at = now
        if registration.household_id is not None:
            notices.notify(
                registration.household_id,
                NoticeKind.PROMOTED,
                session=session,
                registration=registration,
            )
    db.session.flush()
    return promoted


def _household_members(household_id: int, member_ids: Iterable[int]) -> list[Member]:
    wanted = set(member_ids)
    if not wanted:
        raise SignupError(_("Choose at least one person."))
    members = list(
        db.session.scalars(
            select(Member)
            .where(
                Member.id.in_(wanted),
                Member.household_id == household_id,
                Member.removed_at.is_(None),
            )
            .order_by(Member.id)
        )
    )
    if len(members) != len(wanted):
        raise SignupError(_("Choose only people of your own family."))
    return members


def _check_open(session: ReadingSession, now: datetime) -> None:
    window = window_of(session)
    state = signup_state(session, now, window)
    if state == "cancelled":
        raise SignupError(_("This session is cancelled."))
    if state == "over":
        raise SignupError(_("This session has started or is over."))
    if state == "before":
        raise SignupError(_("Registration opens on %(when)s.", when=format_moment(window.opens_at)))
    if state == "closed":
        raise SignupError(
            _("Registration closed on %(when)s.", when=format_moment(window.closes_at))
        )


def _set_attendees(
    registration: Registration, members: Sequence[Member], session: ReadingSession
) -> None:
    """Make the registration's attendees exactly ``members`` (check-ins of those kept stay)."""
    day = session_day(session.starts_at)
    keep = {a.member_id: a for a in registration.attendees if a.member_id is not None}
    wanted = {m.id for m in members}
    for attendee in list(registration.attendees):
        if attendee.member_id not in wanted:
            registration.attendees.remove(attendee)
    for member in members:
        if member.id in keep:
            continue
        registration.attendees.append(
            Attendee(
                member=member,
                kind=member.kind,
                age=person_of(member).age_on(day),
            )
        )
    registration.seats = len(members)


def sign_up(
    session_id: int,
    household_id: int,
    member_ids: Iterable[int],
    *,
    now: datetime | None = None,
) -> Outcome:
    """Sign members of a household up for a session, or change who attends.

    One registration per household and session: when one is live, this is an
    edit of its members. A new registration is confirmed when its seats fit,
    else it joins the end of the waiting list.
    """
    member_ids = list(member_ids)
    session = _lock(session_id)
    now = now or utcnow()
    _check_open(session, now)
    until = household_blocked_until(household_id, now)
    if until is not None:
        raise SignupError(
            _(
                "After several no-shows your family can sign up for new sessions again "
                "from %(when)s. Please talk to the staff if this is wrong.",
                when=format_moment(until),
            )
        )
    members = _household_members(household_id, member_ids)
    problems = eligibility_problems(session, members)
    if problems:
        raise SignupError(*problems)

    existing = live_registration(session.id, household_id)
    if existing is not None:
        return _change_members(session, existing, members, now)

    taken = seats_taken(session.id)
    confirmed = fits(session.capacity, taken, len(members))
    nonce, digest = tokens.issue(tokens.CANCEL)
    registration = Registration(
        session_id=session.id,
        household_id=household_id,
        status=RegistrationStatus.CONFIRMED if confirmed else RegistrationStatus.WAITLISTED,
        seats=len(members),
        confirmed_at=now if confirmed else None,
        cancel_nonce=nonce,
        cancel_token_digest=digest,
    )
    _set_attendees(registration, members, session)
    db.session.add(registration)
    db.session.flush()
    notices.notify(
        household_id,
        NoticeKind.CONFIRMED if confirmed else NoticeKind.WAITLISTED,
        session=session,
        registration=registration,
    )
    return Outcome(registration, created=True)


def _change_members(
    session: ReadingSession, registration: Registration, members: Sequence[Member], now: datetime
) -> Outcome:
    before = registration.seats
    if registration.is_confirmed and len(members) > before:
        free = session.capacity - seats_taken(session.id)
        if len(members) - before > free:
            raise SignupError(
                _(
                    "Only %(free)d more seat(s) are free; your registration stays as it was.",
                    free=max(free, 0),
                )
            )
    _set_attendees(registration, members, session)
    db.session.flush()
    promoted = promote_waiting(session, now)
    return Outcome(registration, created=False, promoted=promoted)


def cancel_registration(
    registration_id: int,
    *,
    by: CancelledBy,
    reason: str = "",
    now: datetime | None = None,
) -> tuple[Registration, list[Registration]]:
    """Cancel a live registration and promote from the waiting list at once.

    Families cancel until the session starts; staff until it ends.
    Returns the registration and the registrations promoted into the freed seats.
    """
    session_id = db.session.scalar(
        select(Registration.session_id).where(Registration.id == registration_id)
    )
    if session_id is None:
        raise LookupError(f"no registration {registration_id}")
    session = _lock(session_id)
    registration = db.session.get(Registration, registration_id, populate_existing=True)
    return _cancel_locked(session, registration, by=by, reason=reason, now=now or utcnow())


def _cancel_locked(
    session: ReadingSession,
    registration: Registration,
    *,
    by: CancelledBy,
    reason: str,
    now: datetime,
) -> tuple[Registration, list[Registration]]:
    """The cancellation itself; the caller holds the session's lock."""
    if not registration.is_live:
        raise SignupError(_("This registration is already cancelled."))
    if session.status is not SessionStatus.SCHEDULED:
        raise SignupError(_("This session is cancelled."))
    if not cancel_open(session, by, now):
        raise SignupError(_("The session has started; it can no longer be cancelled."))
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = now
    registration.cancelled_by = by
    registration.cancel_reason = reason.strip()
    db.session.flush()
    if registration.household_id is not None:
        notices.notify(
            registration.household_id,
            NoticeKind.CANCELLED_BY_STAFF if by is CancelledBy.STAFF else NoticeKind.CANCELLED,
            session=session,
            registration=registration,
            detail=registration.cancel_reason,
        )
    return registration, promote_waiting(session, now)


def cancel_upcoming_of_household(
    household_id: int, *, now: datetime | None = None
) -> tuple[list[Registration], list[Registration]]:
    """Cancel every live registration of a household for sessions that have not started
    (it is deleting its account), promoting from each waiting list at once.

    One transaction: it locks the household's row first (a sign-up of the same
    family, which must reference that row, waits or fails), then the sessions
    concerned in id order, then cancels as the family would. Registrations of
    sessions under way, over or cancelled are left as they are. Returns the
    cancelled registrations and the ones promoted into the freed seats.
    """
    if lock_row(Household, household_id) is None:
        raise LookupError(f"no household {household_id}")
    now = now or utcnow()
    upcoming = (
        select(Registration.id, Registration.session_id)
        .join(ReadingSession, ReadingSession.id == Registration.session_id)
        .where(
            Registration.household_id == household_id,
            Registration.status.in_(LIVE_STATUSES),
            ReadingSession.status == SessionStatus.SCHEDULED,
            ReadingSession.starts_at > now,
        )
        .order_by(Registration.session_id, Registration.id)
    )
    rows = db.session.execute(upcoming).all()
    if not rows:
        return [], []
    locked = select(ReadingSession).where(ReadingSession.id.in_({r.session_id for r in rows}))
    sessions = {
        s.id: s
        for s in db.session.scalars(
            locked.order_by(ReadingSession.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    cancelled: list[Registration] = []
    promoted: list[Registration] = []
    for registration_id, session_id in rows:
        registration = db.session.get(Registration, registration_id, populate_existing=True)
        if not registration.is_live:  # staff cancelled it before we held the lock
            continue
        done, moved_up = _cancel_locked(
            sessions[session_id], registration, by=CancelledBy.HOUSEHOLD, reason="", now=now
        )
        cancelled.append(done)
        promoted.extend(moved_up)
    return cancelled, promoted


def change_capacity(
    session_id: int, capacity: int, *, now: datetime | None = None
) -> list[Registration]:
    """Set the number of seats; raising it promotes from the waiting list.

    Lowering below the seats already taken is refused: nobody confirmed is
    dropped silently.
    """
    session = _lock(session_id)
    now = now or utcnow()
    if capacity < 1:
        raise SignupError(_("A session needs at least one seat."))
    if capacity > session.room.seats:
        raise SignupError(
            _(
                "%(room)s has %(seats)d seats; the capacity cannot be higher.",
                room=session.room.name,
                seats=session.room.seats,
            )
        )
    taken = seats_taken(session.id)
    if capacity < taken:
        raise SignupError(
            _(
                "%(taken)d seats are taken by confirmed people. Cancel registrations first "
                "(each family is told), or choose at least %(taken)d.",
                taken=taken,
            )
        )
    if capacity == session.capacity:
        return []
    session.capacity = capacity
    session.sequence += 1  # capacity is shown in calendars
    session.updated_at = now
    db.session.flush()
    promoted = promote_waiting(session, now)
    session_changed.send(session, changes={"capacity"})
    return promoted


def add_walk_in(
    session_id: int,
    *,
    name: str,
    adults: int,
    children: int,
    now: datetime | None = None,
) -> Registration:
    """People who came without an account: confirmed and checked in, if seats are free."""
    session = _lock(session_id)
    now = now or utcnow()
    total = adults + children
    if adults < 0 or children < 0 or total < 1:
        raise SignupError(_("Add at least one person."))
    if total > MAX_WALK_IN:
        raise SignupError(_("At most %(max)d people at once.", max=MAX_WALK_IN))
    if session.status is not SessionStatus.SCHEDULED:
        raise SignupError(_("This session is cancelled."))
    free = session.capacity - seats_taken(session.id)
    if total > free:
        raise SignupError(
            _(
                "Only %(free)d seat(s) are free. Raise the capacity first if the room allows.",
                free=max(free, 0),
            )
        )
    registration = Registration(
        session_id=session.id,
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


# --- attendance (changes no seats, needs no lock) --------------------------------------------


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
            attendee.member, session=registration.session, household=registration.household
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
