"""Signing up for a whole course in one community (报名整个课程), and the course figures.

A course's run in one book room is a series of ordinary sessions; signing up
for the course is signing up for each of its coming sessions with the same
members, each under its own lock, with its own seats and waiting list: where a
session is full the household waits for that one and is confirmed for the rest.
The members are chosen once; eligibility is checked at each session's date.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..extensions import db
from ..notices import operations as notices
from ..notices.models import NoticeKind
from ..schedule.courses import Course
from ..schedule.models import ReadingSession, Series, SessionStatus
from ..timeutil import utcnow
from .models import LIVE_STATUSES, Attendee, CancelledBy, Registration
from .occupancy import Occupancy, occupancy
from .operations import SignupError, cancel_many, sign_up_many
from .queries import SignupState, signup_state


@dataclass
class SessionOutcome:
    """What a course sign-up did for one session."""

    session: ReadingSession
    registration: Registration | None = None
    problem: str = ""

    @property
    def state(self) -> str:
        """ "confirmed", "waitlisted" or "refused"."""
        if self.registration is None:
            return "refused"
        return "confirmed" if self.registration.is_confirmed else "waitlisted"


def coming_sessions(run: Series, now: datetime) -> list[ReadingSession]:
    """The run's sessions a family can still sign up for (not cancelled, window not closed)."""
    return [
        s for s in run.sessions if signup_state(s, now) in (SignupState.OPEN, SignupState.BEFORE)
    ]


def run_of_household(course: Course, household_id: int) -> Series | None:
    """The run in which the household has a live registration, if any."""
    return db.session.scalar(
        select(Series)
        .join(ReadingSession, ReadingSession.series_id == Series.id)
        .join(Registration, Registration.session_id == ReadingSession.id)
        .where(
            Series.course_id == course.id,
            Registration.household_id == household_id,
            Registration.status.in_(LIVE_STATUSES),
        )
        .limit(1)
    )


def sign_up_for_course(
    run: Series, household_id: int, member_ids: Iterable[int], *, now: datetime | None = None
) -> list[SessionOutcome]:
    """Sign the members up for every coming session of ``run``; one outcome per session.

    Refused as a whole (nothing written) when no session takes them, or when the
    household already follows the course in another community.
    """
    if run.course is None:
        raise SignupError(_("This series is not a course."))
    now = now or utcnow()
    member_ids = list(member_ids)
    elsewhere = run_of_household(run.course, household_id)
    if elsewhere is not None and elsewhere.id != run.id:
        raise SignupError(
            _(
                "Your family already follows this course at %(room)s. Cancel there first.",
                room=elsewhere.room.name,
            )
        )
    sessions = coming_sessions(run, now)
    if not sessions:
        raise SignupError(_("This course has no coming sessions to sign up for here."))
    ids = [s.id for s in sessions]
    results = sign_up_many(ids, household_id, member_ids, now=now, early_ok=True, tell=False)
    ordered = [
        SessionOutcome(db.session.get(ReadingSession, session_id), problem=result.message)
        if isinstance(result, SignupError)
        else SessionOutcome(result.registration.session, result.registration)
        for session_id, result in zip(ids, results, strict=True)
    ]
    if all(o.registration is None for o in ordered):
        raise SignupError(*dict.fromkeys(o.problem for o in ordered))
    taken = [o for o in ordered if o.registration is not None]
    confirmed = sum(1 for o in taken if o.state == "confirmed")
    notices.notify(  # one notice (and one SMS) for the whole course
        household_id,
        NoticeKind.COURSE_SIGNED_UP,
        reading_session=taken[0].session,
        registration_id=taken[0].registration.id,
        detail=f"{confirmed}:{len(taken) - confirmed}",
    )
    return ordered


def household_course_registrations(run: Series, household_id: int) -> dict[int, Registration]:
    """The household's live registrations in the run, by session id."""
    rows = db.session.scalars(
        select(Registration)
        .join(ReadingSession, Registration.session_id == ReadingSession.id)
        .where(
            ReadingSession.series_id == run.id,
            Registration.household_id == household_id,
            Registration.status.in_(LIVE_STATUSES),
        )
    )
    return {r.session_id: r for r in rows}


def cancel_course(
    run: Series, household_id: int, *, now: datetime | None = None
) -> list[Registration]:
    """Cancel the household's registrations for every session of the run that has not
    started (each waiting list moves up at once); returns those cancelled."""
    live = household_course_registrations(run, household_id)
    ids = [live[session_id].id for session_id in sorted(live)]
    cancelled = cancel_many(ids, by=CancelledBy.HOUSEHOLD, now=now, tell=False) if ids else []
    if not cancelled:
        raise SignupError(_("There is nothing left to cancel in this course."))
    notices.notify(
        household_id,
        NoticeKind.COURSE_CANCELLED,
        reading_session=cancelled[0].session,
        registration_id=cancelled[0].id,
        detail=str(len(cancelled)),
    )
    return cancelled


# --- figures ---------------------------------------------------------------------------------


@dataclass
class RunFigures:
    """One community's run side by side with the others (the staff course overview)."""

    run: Series
    by_lesson: dict[int, ReadingSession] = field(default_factory=dict)
    seats: dict[int, Occupancy] = field(default_factory=dict)
    attended: dict[int, int] = field(default_factory=dict)
    held: int = 0
    seats_taken: int = 0
    waiting: int = 0
    visits: int = 0


def course_figures(runs: list[Series], now: datetime | None = None) -> list[RunFigures]:
    """Sessions held, seats taken, waiting and attendance (check-ins) per lesson, per run."""
    now = now or utcnow()
    sessions = [s for run in runs for s in run.sessions]
    ids = [s.id for s in sessions]
    seats = occupancy(ids)
    attended: dict[int, int] = {}
    if ids:
        attended = dict(
            db.session.execute(
                select(Registration.session_id, func.count(Attendee.id))
                .join(Attendee, Attendee.registration_id == Registration.id)
                .where(Registration.session_id.in_(ids), Attendee.checked_in_at.is_not(None))
                .group_by(Registration.session_id)
            ).all()
        )
    figures = []
    for run in runs:
        fig = RunFigures(run)
        for s in run.sessions:
            if s.lesson_id is not None:
                fig.by_lesson[s.lesson_id] = s
            fig.seats[s.id] = seats.get(s.id, Occupancy())
            fig.attended[s.id] = attended.get(s.id, 0)
            if s.status is SessionStatus.SCHEDULED and s.starts_at <= now:
                fig.held += 1
            fig.seats_taken += fig.seats[s.id].seats_taken
            fig.waiting += fig.seats[s.id].waitlist_count
            fig.visits += fig.attended[s.id]
        figures.append(fig)
    return figures
