"""What the calendar pages, feeds and the API read: one query per list of sessions.

A :class:`Scope` is the filter of a view or feed (community, book room, strand,
age, seats left). Lists load each session with its room, community and strand
in the same query, and seat counts come from one ``occupancy(ids)`` call, so
the number of queries does not grow with the number of sessions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask import abort
from sqlalchemy import Engine, Select, event, or_, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from ..database import UTCDateTime
from ..extensions import db
from ..places.models import Community, Room
from ..registrations.occupancy import Occupancy, occupancy, seats_left
from ..schedule.models import Program, ReadingSession
from ..timeutil import beijing_day_bounds, to_beijing
from .changes import reuse
from .ical import FEED_WINDOW_DAYS, feed_window_start


@dataclass(frozen=True)
class Scope:
    """Which sessions a view, feed or API call covers. ``None`` means "any"."""

    community: Community | None = None
    room: Room | None = None
    program: Program | None = None
    age: int | None = None
    seats_left: bool = False  # pages only: a feed keeps full sessions

    @property
    def is_empty(self) -> bool:
        return not (self.community or self.room or self.program or self.age is not None)

    def apply(self, stmt: Select) -> Select:
        """Add this scope's conditions to a select that joins Room and Program."""
        if self.community is not None:
            stmt = stmt.where(Room.community_id == self.community.id)
        if self.room is not None:
            stmt = stmt.where(ReadingSession.room_id == self.room.id)
        if self.program is not None:
            stmt = stmt.where(ReadingSession.program_id == self.program.id)
        if self.age is not None:
            stmt = stmt.where(
                Program.min_age <= self.age,
                or_(Program.max_age.is_(None), Program.max_age >= self.age),
            )
        return stmt

    def params(self, *, with_seats: bool = True) -> dict[str, str]:
        """The scope as URL query parameters (slugs), for links and feed URLs."""
        out: dict[str, str] = {}
        if self.community is not None:
            out["community"] = self.community.slug
        if self.room is not None:
            out["room"] = self.room.slug
        if self.program is not None:
            out["program"] = self.program.slug
        if self.age is not None:
            out["age"] = str(self.age)
        if with_seats and self.seats_left:
            out["seats"] = "1"
        return out


def sessions_between(scope: Scope, start: datetime, end: datetime | None) -> list[ReadingSession]:
    """Sessions of ``scope`` starting in [start, end), by start, with room/community/strand."""
    stmt = (
        select(ReadingSession)
        .join(ReadingSession.room)
        .join(Room.community)
        .join(ReadingSession.program)
        .options(
            contains_eager(ReadingSession.room).contains_eager(Room.community),
            contains_eager(ReadingSession.program),
        )
        .where(ReadingSession.starts_at >= start)
        .order_by(ReadingSession.starts_at, ReadingSession.id)
    )
    if end is not None:
        stmt = stmt.where(ReadingSession.starts_at < end)
    return list(db.session.scalars(scope.apply(stmt)).unique())


def load_session(session_id: int) -> ReadingSession:
    """One session with its room, community, strand and series, or 404."""
    stmt = (
        select(ReadingSession)
        .where(ReadingSession.id == session_id)
        .options(
            joinedload(ReadingSession.room).joinedload(Room.community),
            joinedload(ReadingSession.program),
            joinedload(ReadingSession.series),
        )
    )
    reading_session = db.session.scalar(stmt)
    if reading_session is None:
        abort(404)
    return reading_session


def other_dates_of_series(
    reading_session: ReadingSession, now: datetime, *, limit: int
) -> list[ReadingSession]:
    """The next ``limit`` occurrences of the session's series that have not ended (not itself)."""
    if reading_session.series_id is None:
        return []
    stmt = (
        select(ReadingSession)
        .where(
            ReadingSession.series_id == reading_session.series_id,
            ReadingSession.id != reading_session.id,
            ReadingSession.ends_at > now,
        )
        .options(selectinload(ReadingSession.room))
        .order_by(ReadingSession.starts_at)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def beijing_range(first: date, last: date) -> tuple[datetime, datetime]:
    """UTC instants from Beijing midnight of ``first`` to the midnight after ``last``."""
    return beijing_day_bounds(first)[0], beijing_day_bounds(last)[1]


def open_with_seats(reading_session: ReadingSession, seats: Occupancy, now: datetime) -> bool:
    """Still ahead, not cancelled, and at least one seat free."""
    return (
        not reading_session.is_cancelled
        and reading_session.ends_at > now
        and seats_left(reading_session.capacity, seats.seats_taken) > 0
    )


def with_occupancy(
    sessions: list[ReadingSession], scope: Scope, now: datetime
) -> tuple[list[ReadingSession], dict[int, Occupancy]]:
    """Seat counts for ``sessions`` (one call) and, for "seats left", only the open ones."""
    seats = occupancy(s.id for s in sessions)
    if scope.seats_left:
        sessions = [s for s in sessions if open_with_seats(s, seats[s.id], now)]
    return sessions, seats


# --- feed validators --------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedState:
    """What every public feed's validators derive from (one aggregate query)."""

    fingerprint: str
    last_modified: datetime


_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite returns max() over a DATETIME column as text
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


_FEED_STATE_SQL = """
SELECT
  (SELECT count(*) FROM reading_session),
  (SELECT max(updated_at) FROM reading_session),
  (SELECT max(starts_at) FROM reading_session WHERE starts_at < {window_start}),
  (SELECT count(*) FROM room),
  (SELECT max(updated_at) FROM room),
  (SELECT count(*) FROM program),
  (SELECT max(updated_at) FROM program)
"""
#: Called with the SQL of each statement run below SQLAlchemy's events (see counting_statements).
_raw_query_listeners: list[Callable[[str], None]] = []
_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s", "numeric": ":1", "named": ":w"}
_STAMP = UTCDateTime()


def _feed_state_row(window_start: datetime) -> tuple:
    """Run the validators' query on a pooled DBAPI connection of its own.

    This is the whole database work of a 304 or of a cached feed, on every
    poll of every subscribed calendar: done without the ORM session (no
    statement building, no transaction bookkeeping) it costs about a third of
    a session query. The parameter is converted by the UTCDateTime column type;
    results (naive UTC, or text on SQLite) by :func:`_aware`.
    """
    engine = db.engine
    dialect = engine.dialect
    placeholder = _PLACEHOLDERS[dialect.paramstyle]
    bind = _STAMP.bind_processor(dialect)
    value = bind(window_start) if bind else window_start
    parameters: tuple | dict = {"w": value} if dialect.paramstyle == "named" else (value,)
    sql = _FEED_STATE_SQL.format(window_start=placeholder)
    for listener in _raw_query_listeners:
        listener(sql)
    connection = engine.raw_connection()
    driver = connection.driver_connection
    # One statement needs no transaction: in autocommit mode PostgreSQL is spared
    # the BEGIN and the ROLLBACK round trips (SQLite connections are autocommit here).
    switch = dialect.name == "postgresql" and not getattr(driver, "autocommit", True)
    try:
        if switch:
            driver.autocommit = True
        cursor = connection.cursor()
        cursor.execute(sql, parameters)
        row = cursor.fetchone()
        cursor.close()
    finally:
        if switch:
            driver.autocommit = False
        connection.close()  # back to the pool
    return tuple(row)


class StatementCount:
    """How many SQL statements were sent (see :func:`counting_statements`)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *args: object, **kwargs: object) -> None:
        self.count += 1


@contextmanager
def counting_statements(engine: Engine) -> Iterator[StatementCount]:
    """Count the statements sent to ``engine`` inside the block (tests, the benchmark):
    those SQLAlchemy's events see, and the validators' query, which runs below them."""
    counter = StatementCount()
    event.listen(engine, "before_cursor_execute", counter)
    _raw_query_listeners.append(counter)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", counter)
        _raw_query_listeners.remove(counter)


def feed_state(today: date) -> FeedState:
    """Validators for the feeds, from the whole tables rather than from one feed's rows.

    A session that moves out of a filtered feed (another room, another
    strand) changes that feed although it is no longer in it; taking the
    latest update time and the row counts over all sessions, rooms and
    strands catches that with one cheap query, at the price of refreshing
    every feed when any session changes. The window moves every day: the
    moment the most recent session left the window counts as a change too.

    On PostgreSQL the query runs only when the database has announced a
    change since the last one (or the listener cannot vouch that it would
    have heard of one): see :mod:`.changes`.
    """
    return reuse(("feed_state", today), lambda: _compute_feed_state(today))


def _compute_feed_state(today: date) -> FeedState:
    window_start = feed_window_start(today)
    row = _feed_state_row(window_start)
    session_count, session_updated, last_dropped, room_count, room_updated = row[:5]
    program_count, program_updated = row[5:]
    stamps = [_aware(session_updated), _aware(room_updated), _aware(program_updated)]
    dropped = _aware(last_dropped)
    if dropped is not None:
        # It left the window at Beijing midnight FEED_WINDOW_DAYS + 1 days after its date.
        left_on = to_beijing(dropped).date() + timedelta(days=FEED_WINDOW_DAYS + 1)
        stamps.append(beijing_day_bounds(left_on)[0])
    last_modified = max([s for s in stamps if s is not None], default=_EPOCH)
    parts = (
        dropped,
        session_count,
        _aware(session_updated),
        room_count,
        _aware(room_updated),
        program_count,
        _aware(program_updated),
    )
    fingerprint = hashlib.sha256(repr(parts).encode()).hexdigest()[:24]
    return FeedState(fingerprint, last_modified.replace(microsecond=0))
