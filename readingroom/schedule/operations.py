"""Rules for creating and changing sessions and series.

Every function here flushes and never commits: the caller (a view or a CLI
command) commits once. Clashes are checked with :func:`plan_*` before saving;
the ``save_*`` functions refuse to store anything when a blocking clash exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from ..domain import DomainError
from ..extensions import db
from ..places.models import Room
from ..timeutil import from_beijing, to_beijing, utcnow
from .clashes import Candidate, Clash, find_clashes
from .models import Program, ReadingSession, Series, SessionStatus
from .recurrence import expand_weekly, pair_occurrences
from .signals import session_cancelled, session_changed

# Fields whose change a subscribed calendar must see (they raise SEQUENCE).
CALENDAR_FIELDS = (
    "title",
    "description",
    "starts_at",
    "ends_at",
    "room_id",
    "program_id",
    "host",
    "suggested_books",
    "capacity",
)


class ClashError(DomainError):
    """Raised when asked to save despite a blocking clash."""

    def __init__(self, clashes: list[Clash]):
        super().__init__(*(c.message for c in clashes))
        self.clashes = clashes


@dataclass(frozen=True)
class SessionData:
    """What a session form describes (times are aware UTC instants)."""

    program: Program
    room: Room
    title: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    description: str = ""
    host: str = ""
    # The host as a person (a partner's or a community's, Host); ``host`` is then its label.
    host_id: int | None = None
    suggested_books: str = ""
    # Registration window (sign-ups); None: the series' offsets or the defaults.
    signup_opens_at: datetime | None = None
    signup_closes_at: datetime | None = None

    def values(self) -> dict[str, object]:
        return {
            "program_id": self.program.id,
            "room_id": self.room.id,
            "title": self.title,
            "starts_at": self.starts_at,
            "ends_at": self.ends_at,
            "capacity": self.capacity,
            "description": self.description,
            "host": self.host,
            "host_id": self.host_id,
            "suggested_books": self.suggested_books,
            "signup_opens_at": self.signup_opens_at,
            "signup_closes_at": self.signup_closes_at,
        }


@dataclass(frozen=True)
class SeriesData:
    """What a series form describes (wall-clock times in Beijing)."""

    program: Program
    room: Room
    title: str
    weekdays: tuple[int, ...]
    start_time: time
    end_time: time
    first_date: date
    capacity: int
    last_date: date | None = None
    count: int | None = None
    description: str = ""
    host: str = ""
    host_id: int | None = None
    suggested_books: str = ""
    # Registration window of every occurrence, as offsets; None: the defaults.
    signup_opens_days: int | None = None
    signup_closes_hours: int | None = None

    def dates(self) -> list[date]:
        return expand_weekly(
            self.weekdays, self.first_date, last_date=self.last_date, count=self.count
        )

    def occurrence(self, day: date) -> SessionData:
        return SessionData(
            program=self.program,
            room=self.room,
            title=self.title,
            starts_at=from_beijing(day, self.start_time),
            ends_at=from_beijing(day, self.end_time),
            capacity=self.capacity,
            description=self.description,
            host=self.host,
            host_id=self.host_id,
            suggested_books=self.suggested_books,
        )


@dataclass
class SeriesPlan:
    """What saving a series (or editing one from a date on) would do."""

    update: list[tuple[ReadingSession, SessionData]] = field(default_factory=list)
    create: list[SessionData] = field(default_factory=list)
    cancel: list[ReadingSession] = field(default_factory=list)
    clashes: list[Clash] = field(default_factory=list)

    @property
    def blocking(self) -> list[Clash]:
        return [c for c in self.clashes if c.blocks]

    @property
    def warnings(self) -> list[Clash]:
        return [c for c in self.clashes if not c.blocks]

    def marks(self, starts_at: datetime) -> str:
        """How the occurrence starting at ``starts_at`` is marked in the date list.

        "block", "warn" or "" (no clash).
        """
        return clash_mark(self.clashes, starts_at)


def clash_mark(clashes: list[Clash], starts_at: datetime) -> str:
    """ "block", "warn" or "" for the occurrence starting at ``starts_at`` in a date list."""
    kinds = {c.severity.value for c in clashes if c.candidate.starts_at == starts_at}
    return "block" if "block" in kinds else ("warn" if kinds else "")


def candidate_of(
    data: SessionData, ignore: frozenset[int] = frozenset(), session_id: int | None = None
) -> Candidate:
    """A session as the clash rules see it (its host as a person too, when it has one)."""
    return Candidate(
        room=data.room,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        capacity=data.capacity,
        host=data.host,
        host_id=data.host_id,
        ignore_ids=ignore,
        session_id=session_id,
    )


# --- single sessions -------------------------------------------------------------------------


def check_session(data: SessionData, reading_session: ReadingSession | None = None) -> list[Clash]:
    """Clashes of a single session (``session``: the one being edited, ignored as a rival)."""
    ignore = (
        frozenset({reading_session.id})
        if reading_session is not None and reading_session.id
        else frozenset()
    )
    session_id = reading_session.id if reading_session is not None else None
    return find_clashes([candidate_of(data, ignore, session_id)])


def create_session(data: SessionData, *, series: Series | None = None) -> ReadingSession:
    blocking = [c for c in check_session(data) if c.blocks]
    if blocking:
        raise ClashError(blocking)
    reading_session = ReadingSession(series=series, **data.values())
    db.session.add(reading_session)
    db.session.flush()
    return reading_session


def _apply(reading_session: ReadingSession, data: SessionData) -> set[str]:
    """Write ``data`` onto ``session``; returns the calendar-visible fields that changed."""
    changed = set()
    for name, value in data.values().items():
        if getattr(reading_session, name) != value:
            setattr(reading_session, name, value)
            changed.add(name)
    if changed & set(CALENDAR_FIELDS):
        reading_session.sequence += 1
        reading_session.updated_at = utcnow()
    return changed


class ScheduleError(DomainError):
    """A schedule rule refused the change."""


def edit_refusal(reading_session: ReadingSession) -> str | None:
    """Why the session cannot be edited (``None``: it can)."""
    if reading_session.is_cancelled:
        return _("A cancelled session cannot be edited.")
    return None


def update_session(reading_session: ReadingSession, data: SessionData) -> set[str]:
    """Edit one session ("this one only" for an occurrence of a series)."""
    refusal = edit_refusal(reading_session)
    if refusal:
        raise ScheduleError(refusal)
    blocking = [c for c in check_session(data, reading_session) if c.blocks]
    if blocking:
        raise ClashError(blocking)
    changed = _apply(reading_session, data)
    db.session.flush()
    if changed:
        session_changed.send(reading_session, changes=changed)
    return changed


def set_capacity(reading_session: ReadingSession, capacity: int) -> None:
    """Change only the seats offered (the roster's form); calendars see it (SEQUENCE).

    ``updated_at`` is the real time of the write (as in every edit), never a caller's
    business clock: the feeds' validators rely on it only growing.
    """
    if capacity == reading_session.capacity:
        return
    reading_session.capacity = capacity
    reading_session.sequence += 1
    reading_session.updated_at = utcnow()
    db.session.flush()
    session_changed.send(reading_session, changes={"capacity"})


def cancel_session(reading_session: ReadingSession, reason: str) -> None:
    """Cancel, never delete: registrations, history and the calendar entry stay."""
    if reading_session.is_cancelled:
        return
    reading_session.status = SessionStatus.CANCELLED
    reading_session.cancel_reason = reason.strip()
    reading_session.cancelled_at = utcnow()
    reading_session.sequence += 1
    reading_session.updated_at = utcnow()
    db.session.flush()
    session_cancelled.send(reading_session, reason=reading_session.cancel_reason)


# --- series ----------------------------------------------------------------------------------


def plan_series(data: SeriesData) -> SeriesPlan:
    """Every occurrence of a new series, and every clash of any of them."""
    plan = SeriesPlan(create=[data.occurrence(day) for day in data.dates()])
    plan.clashes = find_clashes([candidate_of(occ) for occ in plan.create])
    return plan


def create_series(data: SeriesData) -> tuple[Series, list[ReadingSession]]:
    """Create a series and all its sessions, or nothing if any occurrence clashes."""
    plan = plan_series(data)
    if plan.blocking:
        raise ClashError(plan.blocking)
    series = Series(
        program=data.program,
        room=data.room,
        title=data.title,
        description=data.description,
        host=data.host,
        host_id=data.host_id,
        capacity=data.capacity,
        suggested_books=data.suggested_books,
        weekdays=",".join(str(d) for d in sorted(data.weekdays)),
        start_time=data.start_time,
        end_time=data.end_time,
        first_date=data.first_date,
        last_date=data.last_date,
        count=data.count,
        signup_opens_days=data.signup_opens_days,
        signup_closes_hours=data.signup_closes_hours,
    )
    db.session.add(series)
    sessions = [ReadingSession(series=series, **occ.values()) for occ in plan.create]
    db.session.add_all(sessions)
    db.session.flush()
    return series, sessions


def series_data(series: Series) -> SeriesData:
    """A series as form data (to pre-fill the "this and following" form)."""
    return SeriesData(
        program=series.program,
        room=series.room,
        title=series.title,
        weekdays=tuple(series.weekday_list),
        start_time=series.start_time,
        end_time=series.end_time,
        first_date=series.first_date,
        capacity=series.capacity,
        last_date=series.last_date,
        count=series.count,
        description=series.description,
        host=series.host,
        host_id=series.host_id,
        suggested_books=series.suggested_books,
        signup_opens_days=series.signup_opens_days,
        signup_closes_hours=series.signup_closes_hours,
    )


def following_sessions(series: Series, from_day: date) -> list[ReadingSession]:
    stmt = (
        select(ReadingSession)
        .where(ReadingSession.series_id == series.id)
        .order_by(ReadingSession.starts_at)
    )
    return [s for s in db.session.scalars(stmt) if to_beijing(s.starts_at).date() >= from_day]


def _week(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _keep_lesson(reading_session: ReadingSession, occurrence: SessionData) -> SessionData:
    """A course session keeps its lesson's content (and guest host) through a series edit."""
    lesson = reading_session.lesson
    if lesson is None:
        return occurrence
    occurrence = replace(occurrence, **lesson.session_content())
    if lesson.host is not None:
        occurrence = replace(occurrence, host=lesson.host.label, host_id=lesson.host.id)
    return occurrence


def plan_series_edit(series: Series, from_day: date, data: SeriesData) -> SeriesPlan:
    """What "edit this and following" does from ``from_day`` on.

    Occurrences on dates that stay are updated in place (same id, same UID,
    same registrations); an occurrence moved to another day of its week keeps
    its identity; occurrences that fall away are cancelled, never deleted;
    new dates become new sessions. Cancelled occurrences stay as they are.
    """
    data = replace(data, first_date=from_day)
    wanted = data.dates()
    following = following_sessions(series, from_day)
    cancelled_days = {to_beijing(s.starts_at).date() for s in following if s.is_cancelled}
    live = {to_beijing(s.starts_at).date(): s for s in following if not s.is_cancelled}
    wanted = [d for d in wanted if d not in cancelled_days]

    if series.course_id is not None:
        # A course's run: lesson n stays in its week (holidays stay free), its content stays
        # the lesson's; only times, place, seats and the run's host change here.
        weeks = {_week(to_beijing(s.starts_at).date()) for s in following}
        wanted = [d for d in wanted if _week(d) in weeks]

    pairs, left_over, new_days = pair_occurrences(sorted(live), wanted)
    plan = SeriesPlan(
        update=[(live[old], _keep_lesson(live[old], data.occurrence(new))) for old, new in pairs],
        create=[data.occurrence(day) for day in new_days],
        cancel=[live[day] for day in left_over],
    )
    moving = frozenset(s.id for s in following)
    candidates = [candidate_of(occ, moving, s.id) for s, occ in plan.update]
    candidates += [candidate_of(occ, moving) for occ in plan.create]
    plan.clashes = find_clashes(candidates)
    return plan


def update_series_from(
    series: Series, from_day: date, data: SeriesData, *, removed_reason: str
) -> Series:
    """Apply "this and following" from ``from_day``; returns the series that now holds them.

    When ``from_day`` is not the first date, the series is split: the old one
    ends the day before, and a new series carries the edited occurrences. A course's run
    is never split: it stays one run (one whole-course sign-up, one row on the course
    page); its earlier sessions keep their own times and place, and the run describes the
    edited pattern from then on.
    """
    plan = plan_series_edit(series, from_day, data)
    if plan.blocking:
        raise ClashError(plan.blocking)
    data = replace(data, first_date=from_day)

    target = series
    earlier = [s for s in series.sessions if to_beijing(s.starts_at).date() < from_day]
    split = bool(earlier) and series.course_id is None
    if split:
        target = Series(
            program=data.program,
            room=data.room,
            title=data.title,
            weekdays="",
            start_time=data.start_time,
            end_time=data.end_time,
            first_date=from_day,
            capacity=data.capacity,
        )
        db.session.add(target)
        series.last_date = max(to_beijing(s.starts_at).date() for s in earlier)
        series.count = None
        for reading_session in following_sessions(series, from_day):
            reading_session.series = target

    target.program, target.room, target.title = data.program, data.room, data.title
    target.description, target.host, target.host_id = data.description, data.host, data.host_id
    target.capacity, target.suggested_books = data.capacity, data.suggested_books
    target.weekdays = ",".join(str(d) for d in sorted(data.weekdays))
    target.start_time, target.end_time = data.start_time, data.end_time
    target.signup_opens_days = data.signup_opens_days
    target.signup_closes_hours = data.signup_closes_hours
    # After an edit the series ends on a date (a count from the old start would be ambiguous).
    if not earlier:
        target.first_date = from_day
    target.count = None
    target.last_date = data.last_date or (data.dates()[-1] if data.dates() else from_day)
    db.session.flush()

    changes: list[tuple[ReadingSession, set[str]]] = []
    for reading_session, occurrence in plan.update:
        changed = _apply(reading_session, occurrence)
        reading_session.series = target
        if changed:
            changes.append((reading_session, changed))
    for occurrence in plan.create:
        db.session.add(ReadingSession(series=target, **occurrence.values()))
    db.session.flush()
    for reading_session, changed in changes:
        session_changed.send(reading_session, changes=changed)
    for reading_session in plan.cancel:
        cancel_session(reading_session, removed_reason)
    return target
