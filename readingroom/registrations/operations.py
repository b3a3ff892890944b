"""Seats, waiting list, cancellation, capacity, walk-ins: the rules that count seats.

Every function here (sign-up, change of members, cancellation, capacity
change, walk-in, and the promotions they cause) first takes the
session's write lock with :func:`readingroom.database.lock_row` (``SELECT …
FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite) and only then
counts; everything it changes belongs to that one transaction. Functions
flush and never commit: the caller commits once. Because taking the lock
may start a fresh transaction, these functions take ids, not loaded objects, and
must be the first thing a request changes.

A sign-up holds the lock for as short as it can: the members being the household's own
is checked before it, from what the request loaded (``keep_reads``); under the lock
come one query that counts (the seats, the household's live registration, its recent
no-shows: only a household with enough of them is looked at closer for a block), the
session's rules, read from the locked row (the window, the audience: pure, no query),
the inserts (without the ORM's unit of work) and the caller's commit.

A lock timeout or serialization failure surfaces as a database "busy" error,
which :mod:`readingroom.errors` turns into 503 "busy, please try again" after
rolling everything back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..database import begin_write, lock_row
from ..domain import DomainError
from ..extensions import db
from ..families.models import Household, Member
from ..notices import operations as notices
from ..notices.models import NoticeKind
from ..schedule.models import ReadingSession, SessionStatus
from ..schedule.operations import set_capacity
from ..timeutil import format_moment, utcnow
from .eligibility import session_day
from .models import LIVE_STATUSES, Attendee, CancelledBy, Registration, RegistrationStatus
from .queries import (
    SignupState,
    blocked_message,
    cancel_open,
    eligibility_problems,
    household_blocked_until,
    seat_count,
    seats_taken,
    signup_state,
    waiting_list,
    window_of,
)
from .seats import first_that_fit, fits
from .writes import attendee_values, insert_registration

MAX_WALK_IN = 20


class SignupError(DomainError):
    """A rule of sign-up, seats or attendance refused the change."""


class CapacityBelowSeats(SignupError):
    """A capacity below the seats confirmed families already hold (nobody is dropped)."""

    def __init__(self, taken: int):
        super().__init__(capacity_problem(taken), field="capacity")
        self.taken = taken


def capacity_problem(taken: int) -> str:
    """The one sentence for a capacity below the seats taken (roster, schedule form, clashes)."""
    return _(
        "%(taken)d seats are already taken; the capacity cannot be lower. "
        "Cancel registrations on the roster first (each family is told).",
        taken=taken,
    )


@dataclass
class Outcome:
    """What a sign-up (or a change of members) did."""

    registration_id: int
    created: bool
    promoted: list[Registration] = field(default_factory=list)

    @property
    def registration(self) -> Registration:
        """The registration, loaded when asked (a new one is written without the ORM)."""
        return db.session.get(Registration, self.registration_id)


# --- under the session's lock ----------------------------------------------------------------


def lock_session(session_id: int, *, keep_reads: bool = False) -> ReadingSession:
    """Lock the session's row (and read it again, with its strand: the rules read both)."""
    reading_session = lock_row(
        ReadingSession,
        session_id,
        keep_reads=keep_reads,
        options=[joinedload(ReadingSession.program)],
    )
    if reading_session is None:
        raise LookupError(f"no session {session_id}")
    return reading_session


def promote_waiting(reading_session: ReadingSession, now: datetime) -> list[Registration]:
    """Confirm the first waiting registrations that fit the free seats.

    The caller holds the session's write lock: :func:`lock_session` here, or, in the
    schedule's receivers, the lock of the UPDATE that changed the capacity.
    """
    free = reading_session.capacity - seats_taken(reading_session.id)
    if free <= 0:
        return []
    waiting = waiting_list(reading_session.id)
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
                reading_session=reading_session,
                registration_id=registration.id,
            )
    db.session.flush()
    return promoted


def _household_members(household_id: int, member_ids: Iterable[int]) -> list[Member]:
    """The chosen members (by id), all of the household and not removed; from its ``members``,
    which the sign-up form's choices have loaded."""
    wanted = set(member_ids)
    if not wanted:
        raise SignupError(_("Choose at least one person."))
    household = db.session.get(Household, household_id)
    present = household.members if household is not None else []
    members = sorted((m for m in present if m.id in wanted), key=lambda m: m.id)
    if len(members) != len(wanted):
        raise SignupError(_("Choose only people of your own family."))
    return members


def _check_open(reading_session: ReadingSession, now: datetime, *, early_ok: bool = False) -> None:
    window = window_of(reading_session)
    state = signup_state(reading_session, now, window)
    if early_ok and state is SignupState.BEFORE:
        return
    if state is SignupState.CANCELLED:
        raise SignupError(_("This session is cancelled."))
    if state is SignupState.OVER:
        raise SignupError(_("This session has started or is over."))
    if state is SignupState.BEFORE:
        raise SignupError(_("Registration opens on %(when)s.", when=format_moment(window.opens_at)))
    if state is SignupState.CLOSED:
        raise SignupError(
            _("Registration closed on %(when)s.", when=format_moment(window.closes_at))
        )


def _set_attendees(
    registration: Registration, members: Sequence[Member], reading_session: ReadingSession
) -> None:
    """Make the registration's attendees exactly ``members`` (check-ins of those kept stay)."""
    day = session_day(reading_session.starts_at)
    keep = {a.member_id: a for a in registration.attendees if a.member_id is not None}
    wanted = {m.id for m in members}
    for attendee in list(registration.attendees):
        if attendee.member_id not in wanted:
            registration.attendees.remove(attendee)
    for member in members:
        if member.id in keep:
            continue
        registration.attendees.append(Attendee(**attendee_values(member, day)))
    registration.seats = len(members)


def _check_session(
    reading_session: ReadingSession, members: Sequence[Member], now: datetime, *, early_ok: bool
) -> None:
    """The rules of the session's row: open now, and the members its audience (no query)."""
    _check_open(reading_session, now, early_ok=early_ok)
    _check_audience(reading_session, members)


def _check_audience(reading_session: ReadingSession, members: Sequence[Member]) -> None:
    problems = eligibility_problems(reading_session, members)
    if problems:
        raise SignupError(*problems)


def _signup_members(household_id: int, member_ids: Iterable[int], now: datetime) -> list[Member]:
    """The household's side of a sign-up for several sessions, checked before any lock: not
    blocked after no-shows, and the chosen members its own."""
    _check_not_blocked(household_id, now)
    return _household_members(household_id, member_ids)


def _check_not_blocked(household_id: int, now: datetime) -> None:
    until = household_blocked_until(household_id, now)
    if until is not None:
        raise SignupError(blocked_message(until))


def sign_up(
    session_id: int,
    household_id: int,
    member_ids: Iterable[int],
    *,
    now: datetime | None = None,
    early_ok: bool = False,
) -> Outcome:
    """Sign members of a household up for a session, or change who attends.

    One registration per household and session: when one is live, this is an
    edit of its members. A new registration is confirmed when its seats fit,
    else it joins the end of the waiting list. ``early_ok``: a whole-course
    sign-up, which takes the later sessions before their own window opens.

    The members are checked before the session's lock, the no-show block and the
    session's rules under it (see the module's docstring). ``LookupError``: no such session.
    """
    now = now or utcnow()
    members = _household_members(household_id, member_ids)
    reading_session = lock_session(session_id, keep_reads=True)
    return _sign_up_locked(reading_session, household_id, members, now, early_ok=early_ok)


def _sign_up_locked(
    reading_session: ReadingSession,
    household_id: int,
    members: Sequence[Member],
    now: datetime,
    *,
    early_ok: bool = False,
    tell: bool = True,
) -> Outcome:
    """The sign-up itself; the caller holds the session's lock and has checked the members
    (:func:`_household_members`). ``tell=False``: the caller tells the household once for
    several sessions (a whole course). The checks of the session's row run again: a staff
    edit may have come before the lock."""
    count = seat_count(reading_session.id, household_id, now)
    if count.recent_no_shows >= current_app.config["NOSHOW_LIMIT"]:
        _check_not_blocked(household_id, now)
    _check_session(reading_session, members, now, early_ok=early_ok)
    if count.live_registration_id is not None:
        existing = db.session.get(Registration, count.live_registration_id, populate_existing=True)
        return _change_members(reading_session, existing, members, now, taken=count.taken)

    confirmed = fits(reading_session.capacity, count.taken, len(members))
    registration_id = insert_registration(
        reading_session,
        household_id,
        members,
        now,
        confirmed=confirmed,
        first=not count.registered_before,
    )
    if tell:
        notices.notify(
            household_id,
            NoticeKind.CONFIRMED if confirmed else NoticeKind.WAITLISTED,
            reading_session=reading_session,
            registration_id=registration_id,
        )
    return Outcome(registration_id, created=True)


def _change_members(
    reading_session: ReadingSession,
    registration: Registration,
    members: Sequence[Member],
    now: datetime,
    *,
    taken: int,
) -> Outcome:
    before = registration.seats
    if registration.is_confirmed and len(members) > before:
        free = reading_session.capacity - taken
        if len(members) - before > free:
            raise SignupError(
                _(
                    "Only %(free)d more seat(s) are free; your registration stays as it was.",
                    free=max(free, 0),
                )
            )
    _set_attendees(registration, members, reading_session)
    db.session.flush()
    promoted = promote_waiting(reading_session, now)
    return Outcome(registration.id, created=False, promoted=promoted)


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
    reading_session = lock_session(session_id)
    registration = db.session.get(Registration, registration_id, populate_existing=True)
    return _cancel_locked(reading_session, registration, by=by, reason=reason, now=now or utcnow())


def _cancel_locked(
    reading_session: ReadingSession,
    registration: Registration,
    *,
    by: CancelledBy,
    reason: str,
    now: datetime,
    tell: bool = True,
) -> tuple[Registration, list[Registration]]:
    """The cancellation itself; the caller holds the session's lock (``tell``: as in
    :func:`_sign_up_locked`; families promoted into the seat are told regardless)."""
    if not registration.is_live:
        raise SignupError(_("This registration is already cancelled."))
    if reading_session.status is not SessionStatus.SCHEDULED:
        raise SignupError(_("This session is cancelled."))
    if not cancel_open(reading_session, by, now):
        raise SignupError(_("The session has started; it can no longer be cancelled."))
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = now
    registration.cancelled_by = by
    registration.cancel_reason = reason.strip()
    db.session.flush()
    if tell and registration.household_id is not None:
        notices.notify(
            registration.household_id,
            NoticeKind.CANCELLED_BY_STAFF if by is CancelledBy.STAFF else NoticeKind.CANCELLED,
            reading_session=reading_session,
            registration_id=registration.id,
            detail=registration.cancel_reason,
        )
    return registration, promote_waiting(reading_session, now)


def _lock_sessions(
    session_ids: Iterable[int], *, keep_reads: bool = False
) -> dict[int, ReadingSession]:
    """Begin a write transaction and lock several sessions, in id order (no deadlocks);
    ``keep_reads`` as in :func:`readingroom.database.begin_write`."""
    begin_write(keep_reads=keep_reads)
    stmt = (
        select(ReadingSession)
        .where(ReadingSession.id.in_(set(session_ids)))
        .order_by(ReadingSession.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {s.id: s for s in db.session.scalars(stmt)}


def sign_up_many(
    session_ids: Sequence[int],
    household_id: int,
    member_ids: Iterable[int],
    *,
    now: datetime | None = None,
    early_ok: bool = False,
    tell: bool = True,
) -> list[Outcome | SignupError]:
    """One household signs up for several sessions in one transaction (a whole course).

    All the sessions are locked first; then each is signed up for as :func:`sign_up`
    would, and a refusal of one (closed, not eligible that day…) leaves the others
    alone. Returns, in the order given, each session's outcome or refusal.
    """
    now = now or utcnow()
    try:
        members = _signup_members(household_id, member_ids, now)
    except SignupError as refused:  # the household's own refusal holds for every session
        return [refused for _session_id in session_ids]
    sessions = _lock_sessions(session_ids, keep_reads=True)
    results: list[Outcome | SignupError] = []
    for session_id in session_ids:
        try:
            results.append(
                _sign_up_locked(
                    sessions[session_id],
                    household_id,
                    members,
                    now,
                    early_ok=early_ok,
                    tell=tell,
                )
            )
        except SignupError as refused:
            results.append(refused)
    return results


def cancel_many(
    registration_ids: Sequence[int],
    *,
    by: CancelledBy,
    now: datetime | None = None,
    tell: bool = True,
) -> list[Registration]:
    """Cancel several live registrations in one transaction (a whole course); those that
    can no longer be cancelled (started, already cancelled) are left as they are."""
    session_ids = db.session.scalars(
        select(Registration.session_id).where(Registration.id.in_(registration_ids))
    ).all()
    sessions = _lock_sessions(session_ids)
    now = now or utcnow()
    cancelled = []
    for registration_id in registration_ids:
        registration = db.session.get(Registration, registration_id, populate_existing=True)
        reading_session = sessions[registration.session_id]
        if not registration.is_live or not cancel_open(reading_session, by, now):
            continue
        _cancel_locked(reading_session, registration, by=by, reason="", now=now, tell=tell)
        cancelled.append(registration)
    return cancelled


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


def settle_capacity(reading_session: ReadingSession, now: datetime) -> list[Registration]:
    """The one capacity rule, after any change of a session's capacity (the schedule's edit
    and the roster's both end here, through ``session_changed``): refuse a capacity below
    the seats taken, else promote once from the waiting list into what is free.

    The caller holds the session's row lock: the roster takes it first
    (:func:`change_capacity`), the schedule's edit through the UPDATE that wrote the
    capacity; sign-ups take the same lock before they count.
    """
    taken = seats_taken(reading_session.id)
    if reading_session.capacity < taken:
        raise CapacityBelowSeats(taken)
    return promote_waiting(reading_session, now)


def change_capacity(session_id: int, capacity: int) -> list[Registration]:
    """Set the number of seats from the roster; returns the registrations promoted.

    The room's seats bound it (a schedule rule); the seats taken are checked, and
    the waiting list promoted, by :func:`settle_capacity` when the schedule says the
    capacity changed.
    """
    reading_session = lock_session(session_id)
    if capacity < 1:
        raise SignupError(_("A session needs at least one seat."), field="capacity")
    if capacity > reading_session.room.seats:
        raise SignupError(
            _(
                "%(room)s has %(seats)d seats; the capacity cannot be higher.",
                room=reading_session.room.name,
                seats=reading_session.room.seats,
            ),
            field="capacity",
        )
    waiting = waiting_list(reading_session.id)
    set_capacity(reading_session, capacity)
    return [r for r in waiting if r.is_confirmed]
