"""What the calendar pages, feeds and the API read: one query per list of sessions.

A :class:`Scope` is the filter of a view or feed (community, book room, strand,
age, seats left, course). Lists load each session with its room, community and strand
in the same query, and seat counts come from one ``occupancy(ids)`` call, so
the number of queries does not grow with the number of sessions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import abort, current_app
from sqlalchemy import Engine, Select, event, or_, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from ..database import UTCDateTime
from ..extensions import db
from ..places.models import Community, Room
from ..registrations.occupancy import Occupancy, occupancy, seats_left
from ..schedule.courses import Course
from ..schedule.models import Program, ReadingSession, Series
from ..timeutil import beijing_day_bounds, to_beijing
from .changes import reuse
from .ical import FEED_DAYS_AHEAD, FEED_WINDOW_DAYS, feed_window


@dataclass(frozen=True)
class Scope:
    """Which sessions a view, feed or API call covers. ``None`` means "any"."""

    community: Community | None = None
    room: Room | None = None
    program: Program | None = None
    age: int | None = None
    seats_left: bool = False  # pages only: a feed keeps full sessions
    #: the sessions of the course's runs (series.course_id), in every community it runs in
    course: Course | None = None

    @property
    def is_empty(self) -> bool:
        return not (
            self.community or self.room or self.program or self.course or self.age is not None
        )

    def apply(self, stmt: Select) -> Select:
        """Add this scope's conditions to a select that joins Room and Program."""
        if self.community is not None:
            stmt = stmt.where(Room.community_id == self.community.id)
        if self.room is not None:
            stmt = stmt.where(ReadingSession.room_id == self.room.id)
        if self.program is not None:
            stmt = stmt.where(ReadingSession.program_id == self.program.id)
        if self.course is not None:
            runs = select(Series.id).where(Series.course_id == self.course.id)
            stmt = stmt.where(ReadingSession.series_id.in_(runs))
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
        if self.course is not None:
            out["course"] = str(self.course.id)
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


# --- validators -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedState:
    """What a feed's or a page's validators derive from (one aggregate query over its scope)."""

    fingerprint: str
    last_modified: datetime
    #: slug|name of the scope's community, room (|its community's name), strand and
    #: course (id|title), as the database has them now (see params.current_scope)
    checks: tuple[str | None, ...] = ()
    count: int = 0  # sessions in the scope and window (or range)


_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _aware(value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite returns min()/max() over a DATETIME column as text
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# One statement over the sessions of one scope in [start, end) (and, for a feed, the
# latest session of the scope before start: when the window last moved past one), and
# the latest update of any session and room, for Last-Modified (see feed_state).
# {p} is the driver's placeholder; {where}/{where2} the scope's conditions. The scope's
# conditions use the indexes on reading_session (room_id, starts_at), (program_id),
# (starts_at) and on room (community_id), and a course's on series (course_id) and
# reading_session (series_id), so the cost follows the scope's size.
_STATE_SQL = """
SELECT
  count(*), min(s.starts_at), max(s.starts_at),
  max(s.updated_at), max(r.updated_at), max(p.updated_at),
  (SELECT max(s2.starts_at) FROM reading_session s2
     JOIN room r2 ON r2.id = s2.room_id JOIN program p2 ON p2.id = s2.program_id
   WHERE s2.starts_at < {p}{where2}),
  (SELECT max(updated_at) FROM reading_session),
  (SELECT max(updated_at) FROM room)
FROM reading_session s
  JOIN room r ON r.id = s.room_id JOIN program p ON p.id = s.program_id
WHERE s.starts_at >= {p} AND s.starts_at < {p}{where}
"""
# The same for every session (the full feed, an unfiltered page): no joins, and the
# latest updates of the whole tables (one index lookup each) instead of the window's.
_ALL_STATE_SQL = """
SELECT
  count(*), min(starts_at), max(starts_at),
  (SELECT max(updated_at) FROM reading_session), (SELECT max(updated_at) FROM room),
  (SELECT max(updated_at) FROM program),
  (SELECT max(starts_at) FROM reading_session WHERE starts_at < {p}),
  (SELECT max(updated_at) FROM reading_session),
  (SELECT max(updated_at) FROM room)
FROM reading_session
WHERE starts_at >= {p} AND starts_at < {p}
"""
# Pages list every book room, strand and course in their filters: what changes those
# lists (a course joins the list with its first run, and a run always brings sessions).
_PLACES_SQL = """,
  (SELECT count(*) FROM community), (SELECT count(*) FROM room),
  (SELECT max(updated_at) FROM room WHERE active),
  (SELECT count(*) FROM program), (SELECT max(updated_at) FROM program),
  (SELECT count(*) FROM series WHERE course_id IS NOT NULL),
  (SELECT max(updated_at) FROM course)
FROM"""
#: Called with the SQL of each statement run below SQLAlchemy's events (see counting_statements).
_raw_query_listeners: list[Callable[[str], None]] = []
_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}
_STAMP = UTCDateTime()


def _scope_conditions(scope: Scope, s: str, r: str, p: str, mark: str) -> tuple[str, list]:
    """The scope as SQL conditions on the aliases ``s`` (session), ``r`` (room), ``p``."""
    sql: list[str] = []
    values: list = []
    if scope.community is not None:
        sql.append(f"{r}.community_id = {mark}")
        values.append(scope.community.id)
    if scope.room is not None:
        sql.append(f"{s}.room_id = {mark}")
        values.append(scope.room.id)
    if scope.program is not None:
        sql.append(f"{s}.program_id = {mark}")
        values.append(scope.program.id)
    if scope.course is not None:
        sql.append(f"{s}.series_id IN (SELECT id FROM series WHERE course_id = {mark})")
        values.append(scope.course.id)
    if scope.age is not None:
        sql.append(f"{p}.min_age <= {mark} AND ({p}.max_age IS NULL OR {p}.max_age >= {mark})")
        values.extend([scope.age, scope.age])
    return "".join(" AND " + c for c in sql), values


_CHECK_SQL = {
    "community": "(SELECT slug || '|' || name FROM community WHERE id = {p})",
    "room": (
        "(SELECT r3.slug || '|' || r3.name || '|' || c3.name FROM room r3"
        " JOIN community c3 ON c3.id = r3.community_id WHERE r3.id = {p})"
    ),
    "program": "(SELECT slug || '|' || name FROM program WHERE id = {p})",
    "course": "(SELECT CAST(id AS VARCHAR(12)) || '|' || title FROM course WHERE id = {p})",
}


def _scope_places(scope: Scope) -> list[tuple[str, Any]]:
    return [
        (kind, x)
        for kind, x in (
            ("community", scope.community),
            ("room", scope.room),
            ("program", scope.program),
            ("course", scope.course),
        )
        if x is not None
    ]


def scope_checks(scope: Scope) -> tuple[str | None, ...]:
    """What the validators' query should read back for the scope's places (Ref.check);
    ORM rows count as current."""
    return tuple(getattr(x, "check", None) for _, x in _scope_places(scope))


def _state_row(scope: Scope, start: datetime, end: datetime, *, places: bool = False) -> tuple:
    """Run the validators' query on a pooled DBAPI connection of its own.

    This is the whole database work of a 304 or of a cached feed, on every
    poll of every subscribed calendar: done without the ORM session (no
    statement building, no transaction bookkeeping) it costs about a third of
    a session query. Parameters are converted by the UTCDateTime column type;
    results (naive UTC, or text on SQLite) by :func:`_aware`.
    """
    engine = db.engine
    dialect = engine.dialect
    mark = _PLACEHOLDERS[dialect.paramstyle]
    bind = _STAMP.bind_processor(dialect)

    def stamp(value: datetime):
        return bind(value) if bind else value

    where, values = _scope_conditions(scope, "s", "r", "p", mark)
    where2, values2 = _scope_conditions(scope, "s2", "r2", "p2", mark)
    if scope.is_empty:
        sql = _ALL_STATE_SQL.format(p=mark)
    else:
        sql = _STATE_SQL.format(p=mark, where=where, where2=where2)
    if places:
        sql = sql.replace("\nFROM", _PLACES_SQL, 1)
    checked = _scope_places(scope)
    if checked:
        extra = ",\n  ".join(_CHECK_SQL[kind].format(p=mark) for kind, _ in checked)
        sql = sql.replace(
            "\nFROM reading_session s\n", f",\n  {extra}\nFROM reading_session s\n", 1
        )
    ids = [x.id for _, x in checked]
    parameters = (stamp(start), *values2, *ids, stamp(start), stamp(end), *values)
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


def feed_days() -> tuple[int, int]:
    """How many days back and ahead feeds reach (FEED_DAYS_BEFORE, FEED_DAYS_AHEAD)."""
    config = current_app.config
    return (
        int(config.get("FEED_DAYS_BEFORE", FEED_WINDOW_DAYS)),
        int(config.get("FEED_DAYS_AHEAD", FEED_DAYS_AHEAD)),
    )


def current_feed_window(today: date) -> tuple[datetime, datetime]:
    """[start, end) of the feeds today, as configured."""
    return feed_window(today, *feed_days())


def _scope_key(scope: Scope) -> tuple:
    return tuple(
        (x.id if hasattr(x, "id") else x)
        for x in (scope.community, scope.room, scope.program, scope.course, scope.age)
    )


def feed_state(scope: Scope, today: date) -> FeedState:
    """Validators of the feed of ``scope``, from the sessions that feed carries.

    Only the scope's own sessions count, so a change in another community
    leaves them alone. A session that moves out of the scope (another room,
    another strand) changes them although it is no longer in it: the count
    drops, and whatever takes its place was updated later than anything
    before. The fingerprint holds the count, the first and last start and the
    latest update of the sessions, their rooms and strands: the window moving
    past a session (at either end) changes the count and the first or last
    start: that is the ETag. ``Last-Modified`` is the latest of those updates,
    of the moments the window last moved past one of the scope's sessions, and
    of the latest update of any session or room: a session that left the
    scope leaves no newer row behind in it, so a client that sends only
    If-Modified-Since is answered by the whole database's changes (as before
    scoping), while If-None-Match, which every calendar client we know sends,
    is answered by the scope's own.

    On PostgreSQL the query runs only when the database has announced a
    change since the last one (or the listener cannot vouch that it would
    have heard of one): see :mod:`.changes`.
    """
    before, ahead = feed_days()
    key = ("feed", _scope_key(scope), today, before, ahead)
    return reuse(key, lambda: _compute_state(scope, today, before, ahead))


def range_state(scope: Scope, start: datetime, end: datetime, *, places: bool = False) -> FeedState:
    """Validators of a page or an answer that shows the sessions of ``scope`` starting in
    [start, end); ``places``: and the lists of communities, book rooms and strands."""
    key = ("range", _scope_key(scope), start, end, places)
    return reuse(
        key, lambda: _compute_state(scope, None, 0, 0, start=start, end=end, places=places)
    )


def _compute_state(
    scope: Scope,
    today: date | None,
    before: int,
    ahead: int,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    places: bool = False,
) -> FeedState:
    if today is not None:
        start, end = feed_window(today, before, ahead)
    assert start is not None and end is not None
    row = _state_row(scope, start, end, places=places)
    count, first, last, session_updated, room_updated, program_updated, dropped = row[:7]
    anywhere = [_aware(row[7]), _aware(row[8])]
    first, last, dropped = _aware(first), _aware(last), _aware(dropped)
    stamps = [_aware(session_updated), _aware(room_updated), _aware(program_updated)]
    if today is not None:
        if dropped is not None:
            # It left the window at Beijing midnight ``before + 1`` days after its date.
            left_on = to_beijing(dropped).date() + timedelta(days=before + 1)
            stamps.append(beijing_day_bounds(left_on)[0])
        if last is not None:
            # The last one came in when the window's end passed its date.
            entered_on = to_beijing(last).date() - timedelta(days=ahead)
            stamps.append(beijing_day_bounds(entered_on)[0])
    else:
        dropped = None  # a page's range is fixed: nothing moves past it
    n_checks = len(_scope_places(scope))
    checks = tuple(row[len(row) - n_checks :]) if n_checks else ()
    parts = (count, first, last, dropped, *stamps, *row[9:])
    last_modified = max([s for s in stamps + anywhere if s is not None], default=_EPOCH)
    fingerprint = hashlib.sha256(repr(parts).encode()).hexdigest()[:24]
    return FeedState(fingerprint, last_modified.replace(microsecond=0), checks, int(count))
