"""The programme's figures (统计): who it reaches, how full the rooms are, what is unmet.

One place computes them, as SQL aggregates (GROUP BY) whose number does not
depend on the number of sessions or registrations. Definitions, for a range of
Beijing dates and the communities in scope (sessions are placed by their start):

* **sessions held** (场次): not cancelled and started before now;
  **cancelled**: cancelled sessions of the range (whenever cancelled).
* **visits** (参与人次): people checked in at sessions held (walk-ins are
  checked in when staff add them). **People reached** (服务人数): distinct
  members among them; walk-ins count as visits only. **Households reached**:
  distinct households with someone checked in.
* **New households** (新家庭): households whose first registration ever (any
  status) is for a session of the range (``Registration.first_of_household``).
* **Fill rate** (满座率): confirmed seats / capacity of the sessions held;
  **attendance rate**: visits / confirmed seats; **no-show rate**: confirmed
  family registrations marked no-show / confirmed family registrations.
* **Unmet demand** (候补未满足): households still on the waiting list when the
  session started (waiting, or cancelled after the start without a seat), and
  the seats they asked for.
* **A course** (课程): only its sessions, i.e. those of its runs (series whose
  ``course_id`` is the course), and the task lists that follow it.
* **Age groups** at the session date (the age kept on the attendee); people
  without an age (walk-ins, adults without a birth date) by their kind.

Anonymised registrations (purge, deleted accounts) keep seats, statuses,
check-ins, kinds and ages, and random ``household_ref``/``person_ref`` numbers
in place of the household and members, so deleting an account changes no
figure; ticks and reading-log entries are kept the same way, with the household's
home community (``AnonymousWork``).
"""

from __future__ import annotations

import enum
import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    and_,
    case,
    cast,
    distinct,
    func,
    literal,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement
from sqlalchemy.types import String

from ..extensions import db
from ..families.models import Household, MemberKind
from ..places.models import Community, Room
from ..registrations.models import Attendee, Registration, RegistrationStatus
from ..schedule.courses import Course
from ..schedule.models import Program, ReadingSession, Series, SessionStatus
from ..tasklists.models import ReadingLogEntry, Task, TaskList, TaskTick
from ..timeutil import beijing_day_bounds, to_beijing, utcnow

# --- Beijing calendar days in SQL (UTC is stored; Beijing is UTC+8 all year) ----------------


class beijing_day(FunctionElement):
    """The Beijing date of a stored UTC time, as ``YYYY-MM-DD`` text."""

    type = String()
    inherit_cache = True


@compiles(beijing_day, "sqlite")
def _day_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, '+8 hours')"


@compiles(beijing_day, "postgresql")
def _day_postgresql(element: Any, compiler: Any, **kw: Any) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)} + interval '8 hours', 'YYYY-MM-DD')"


def beijing_month(moment: Any) -> Any:
    """The Beijing month of a stored UTC time, as ``YYYY-MM`` text (of :class:`beijing_day`)."""
    return func.substr(beijing_day(moment), 1, 7)


# --- what is asked -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """A range of Beijing dates (inclusive), the communities (None: all), maybe one strand
    and maybe one course."""

    start: date
    end: date
    community_ids: frozenset[int] | None
    now: datetime
    program_id: int | None = None
    course_id: int | None = None

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        return beijing_day_bounds(self.start)[0], beijing_day_bounds(self.end)[1]

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def shows_weeks(self) -> bool:
        """Weeks are shown for ranges up to about three months."""
        return self.days <= 92


class AgeGroup(enum.StrEnum):
    UNDER_7 = "0-6"
    UNDER_13 = "7-12"
    UNDER_18 = "13-17"
    UNDER_36 = "18-35"
    UNDER_60 = "36-59"
    SENIOR = "60+"
    CHILD = "child"  # a child without a recorded age (walk-ins)
    ADULT = "adult"  # an adult without a recorded age


AGE_LIMITS = (
    (6, AgeGroup.UNDER_7),
    (12, AgeGroup.UNDER_13),
    (17, AgeGroup.UNDER_18),
    (35, AgeGroup.UNDER_36),
    (59, AgeGroup.UNDER_60),
)


def age_group_of(age: int | None, kind: MemberKind) -> AgeGroup:
    """The group of one person (the rule that :func:`_age_group` says in SQL)."""
    if age is None:
        return AgeGroup.CHILD if kind is MemberKind.CHILD else AgeGroup.ADULT
    for limit, group in AGE_LIMITS:
        if age <= limit:
            return group
    return AgeGroup.SENIOR


def _age_group() -> ColumnElement[str]:
    """:func:`age_group_of` in SQL. Constants are written inline (not bound) so that
    PostgreSQL sees the same expression in SELECT and GROUP BY."""

    def sql(value: object) -> Any:
        return literal_column(f"'{value}'" if isinstance(value, str) else str(value))

    whens: list[tuple[Any, Any]] = [
        (
            and_(Attendee.age.is_(None), Attendee.kind == sql(MemberKind.CHILD.value)),
            sql(AgeGroup.CHILD.value),
        ),
        (Attendee.age.is_(None), sql(AgeGroup.ADULT.value)),
    ]
    whens += [(Attendee.age <= sql(limit), sql(group.value)) for limit, group in AGE_LIMITS]
    return case(*whens, else_=sql(AgeGroup.SENIOR.value))


# --- the numbers -------------------------------------------------------------------------------


@dataclass
class Counts:
    """The figures of one group (a community, a strand, a month, … or everything)."""

    sessions_held: int = 0
    sessions_cancelled: int = 0
    capacity: int = 0  # seats offered by the sessions held
    seats_confirmed: int = 0
    family_confirmed: int = 0  # confirmed registrations of families (not walk-ins)
    no_shows: int = 0
    waiting_households: int = 0
    waiting_seats: int = 0
    new_households: int = 0
    visits: int = 0
    walk_in_visits: int = 0
    people: int | None = None  # distinct counts: only where computed
    households: int | None = None

    ADDITIVE = (
        "sessions_held",
        "sessions_cancelled",
        "capacity",
        "seats_confirmed",
        "family_confirmed",
        "no_shows",
        "waiting_households",
        "waiting_seats",
        "new_households",
        "visits",
        "walk_in_visits",
    )

    def add(self, other: Counts) -> None:
        for name in self.ADDITIVE:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @staticmethod
    def _rate(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def fill_rate(self) -> float | None:
        return self._rate(self.seats_confirmed, self.capacity)

    @property
    def attendance_rate(self) -> float | None:
        return self._rate(self.visits, self.seats_confirmed)

    @property
    def no_show_rate(self) -> float | None:
        return self._rate(self.no_shows, self.family_confirmed)


@dataclass
class TaskCounts:
    households: int = 0
    children: int = 0
    ticks: int = 0
    completed: int = 0  # children who ticked every task of a list of the range
    minutes: int = 0
    books: int = 0


@dataclass
class Labels:
    communities: dict[int, Community]
    rooms: dict[int, Room]
    programs: dict[int, Program]
    course: Course | None = None  # the course filtered by, if any


@dataclass
class Figures:
    scope: Scope
    labels: Labels
    total: Counts
    by_community: dict[int, Counts]
    by_room: dict[int, Counts]
    by_strand: dict[int, Counts]
    by_month: dict[str, Counts]
    by_week: dict[str, Counts]  # Monday (YYYY-MM-DD); empty for long ranges
    by_age: dict[AgeGroup, Counts]
    by_community_strand: dict[tuple[int, int], Counts]
    by_month_strand: dict[tuple[str, int], Counts]
    tasks: TaskCounts
    tasks_by_community: dict[int, TaskCounts] = field(default_factory=dict)

    @property
    def months(self) -> list[str]:
        """Every month of the range, also those without sessions."""
        months, day = [], self.scope.start.replace(day=1)
        while day <= self.scope.end:
            months.append(f"{day:%Y-%m}")
            day = (day + timedelta(days=32)).replace(day=1)
        return months


def _scoped(stmt: Any, scope: Scope) -> Any:
    start, end = scope.bounds
    stmt = stmt.where(ReadingSession.starts_at >= start, ReadingSession.starts_at < end)
    if scope.community_ids is not None:
        stmt = stmt.where(Room.community_id.in_(scope.community_ids))
    if scope.program_id is not None:
        stmt = stmt.where(ReadingSession.program_id == scope.program_id)
    if scope.course_id is not None:
        runs = select(Series.id).where(Series.course_id == scope.course_id)
        stmt = stmt.where(ReadingSession.series_id.in_(runs))
    return stmt


def _sessions_in(scope: Scope) -> Any:
    """The ids of the scope's sessions, as a subquery. Filtering registrations by it lets
    the databases start from the range (the index on ``starts_at``) rather than scan every
    registration (SQLite's planner does that for a plain join)."""
    return _scoped(
        select(ReadingSession.id).join(Room, Room.id == ReadingSession.room_id), scope
    ).scalar_subquery()


def _held(scope: Scope) -> ColumnElement[bool]:
    return and_(
        ReadingSession.status == SessionStatus.SCHEDULED, ReadingSession.starts_at < scope.now
    )


def _sum_if(condition: Any, value: Any = 1) -> Any:
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


#: The finest grain of the additive figures: (room, strand, Beijing day), or the Beijing
#: month for ranges without weeks (fewer rows to add up).
_Grain = tuple[int, int, str]


def _grain(scope: Scope) -> Any:
    day = beijing_day(ReadingSession.starts_at)
    return day if scope.shows_weeks else func.substr(day, 1, 7)


def _registrations_per_session(scope: Scope) -> Any:
    """The registrations of the scope's sessions summed per session (a subquery: read in
    the order of the index on ``session_id``, nothing computed per registration but sums)."""
    confirmed = Registration.status == RegistrationStatus.CONFIRMED
    family = or_(Registration.household_id.is_not(None), Registration.anonymised_at.is_not(None))
    waiting_at_start = or_(
        Registration.status == RegistrationStatus.WAITLISTED,
        and_(
            Registration.status == RegistrationStatus.CANCELLED,
            Registration.confirmed_at.is_(None),
            Registration.cancelled_at >= ReadingSession.starts_at,
        ),
    )
    return (
        select(
            Registration.session_id.label("session_id"),
            _sum_if(confirmed, Registration.seats).label("seats_confirmed"),
            _sum_if(and_(confirmed, family)).label("family_confirmed"),
            _sum_if(and_(confirmed, family, Registration.no_show_at.is_not(None))).label(
                "no_shows"
            ),
            _sum_if(waiting_at_start).label("waiting_households"),
            _sum_if(waiting_at_start, Registration.seats).label("waiting_seats"),
            _sum_if(Registration.first_of_household).label("new_households"),
        )
        .join(ReadingSession, ReadingSession.id == Registration.session_id)
        .where(Registration.session_id.in_(_sessions_in(scope)))
        .group_by(Registration.session_id)
        .subquery("per_session")
    )


#: The figures of :func:`_registrations_per_session` that count for sessions held only.
_OF_HELD = (
    "seats_confirmed",
    "family_confirmed",
    "no_shows",
    "waiting_households",
    "waiting_seats",
)


def _session_rows(scope: Scope) -> dict[_Grain, Counts]:
    """Sessions and their registrations, by grain (one statement)."""
    held = _held(scope)
    day = _grain(scope)
    per_session = _registrations_per_session(scope)

    def total(column: Any, condition: Any = None) -> Any:
        """A sum of sums: a number again (PostgreSQL's sum of a bigint is a numeric)."""
        value = func.coalesce(column, 0)
        summed = func.sum(value if condition is None else case((condition, value)))
        return cast(func.coalesce(summed, 0), BigInteger)

    stmt = _scoped(
        select(
            ReadingSession.room_id,
            ReadingSession.program_id,
            day,
            _sum_if(held),
            _sum_if(ReadingSession.status == SessionStatus.CANCELLED),
            _sum_if(held, ReadingSession.capacity),
            *(total(per_session.c[name], held) for name in _OF_HELD),
            total(per_session.c.new_households),
        )
        .join(Room, Room.id == ReadingSession.room_id)
        .outerjoin(per_session, per_session.c.session_id == ReadingSession.id)
        .group_by(ReadingSession.room_id, ReadingSession.program_id, day),
        scope,
    )
    out: dict[_Grain, Counts] = defaultdict(Counts)
    for room_id, program_id, d, *values in db.session.execute(stmt):
        c = out[(room_id, program_id, d)]
        (
            c.sessions_held,
            c.sessions_cancelled,
            c.capacity,
            c.seats_confirmed,
            c.family_confirmed,
            c.no_shows,
            c.waiting_households,
            c.waiting_seats,
            c.new_households,
        ) = values
    return out


_WALK_IN = and_(Registration.household_id.is_(None), Registration.anonymised_at.is_(None))

#: The groupings of the distinct counts (people and households reached), by the columns of
#: :func:`_visits` they group by.
_DISTINCT_BY: dict[str, tuple[str, ...]] = {
    "total": (),
    "community": ("community_id",),
    "strand": ("program_id",),
    "month": ("month",),
    "age": ("age",),
    "community_strand": ("community_id", "program_id"),
}
#: The key columns every part of the one statement of :func:`_visit_numbers` fills.
_KEYS = ("room_id", "community_id", "program_id", "grain", "month", "age")


def _visits(scope: Scope) -> Any:
    """One row per person checked in at a session held in the scope (a CTE): where, which
    strand, the grain (day or month), the age group, who (member, or the random number an
    anonymised person got) and which household, and whether a walk-in."""
    day = beijing_day(ReadingSession.starts_at)
    return _scoped(
        select(
            ReadingSession.room_id.label("room_id"),
            Room.community_id.label("community_id"),
            ReadingSession.program_id.label("program_id"),
            _grain(scope).label("grain"),
            func.substr(day, 1, 7).label("month"),
            _age_group().label("age"),
            func.coalesce(Attendee.member_id, -Attendee.person_ref).label("person"),
            func.coalesce(Registration.household_id, -Registration.household_ref).label(
                "household"
            ),
            case((_WALK_IN, 1), else_=0).label("walk_in"),
        )
        .select_from(Attendee)
        .join(Registration, Registration.id == Attendee.registration_id)
        .join(ReadingSession, ReadingSession.id == Registration.session_id)
        .join(Room, Room.id == ReadingSession.room_id)
        .where(
            _held(scope),
            Registration.session_id.in_(_sessions_in(scope)),
            Registration.status == RegistrationStatus.CONFIRMED,
            Attendee.checked_in_at.is_not(None),
        ),
        scope,
    ).cte("visits")


def _visit_numbers(
    scope: Scope,
) -> tuple[
    dict[tuple[int, int, str, str], tuple[int, int]],
    dict[str, dict[tuple[Any, ...], tuple[int, int]]],
]:
    """The visits by (room, strand, grain, age group) -> (visits, of them walk-ins), and the
    distinct counts of every grouping of :data:`_DISTINCT_BY` -> (people, households).

    One statement: the checked-in people are found once (a CTE, which both databases
    materialise when it is read more than once) and every grouping reads them, joined with
    UNION ALL; a column a part does not group by is NULL in it."""
    v = _visits(scope)

    def part(kind: str, keys: tuple[str, ...], first: Any, second: Any) -> Any:
        columns = [v.c[k] if k in keys else literal(None, v.c[k].type).label(k) for k in _KEYS]
        stmt = select(literal(kind).label("kind"), *columns, first, second)
        return stmt.group_by(*(v.c[k] for k in keys)) if keys else stmt

    people, households = func.count(distinct(v.c.person)), func.count(distinct(v.c.household))
    parts = [
        part(
            "visits",
            ("room_id", "program_id", "grain", "age"),
            func.count(),
            func.coalesce(func.sum(v.c.walk_in), 0),
        ),
        *(part(kind, keys, people, households) for kind, keys in _DISTINCT_BY.items()),
    ]
    visits: dict[tuple[int, int, str, str], tuple[int, int]] = {}
    distinct_counts: dict[str, dict[tuple[Any, ...], tuple[int, int]]] = {
        kind: {} for kind in _DISTINCT_BY
    }
    for kind, *row, first, second in db.session.execute(union_all(*parts)):
        keys = dict(zip(_KEYS, row, strict=True))
        if kind == "visits":
            grain = (keys["room_id"], keys["program_id"], keys["grain"], keys["age"])
            visits[grain] = (first, second)
        elif first:  # a grouping without any visit does not come back (but the total)
            distinct_counts[kind][tuple(keys[k] for k in _DISTINCT_BY[kind])] = (first, second)
    return visits, distinct_counts


def _labels(scope: Scope) -> Labels:
    communities = select(Community).order_by(Community.id)
    if scope.community_ids is not None:
        communities = communities.where(Community.id.in_(scope.community_ids))
    community_map = {c.id: c for c in db.session.scalars(communities)}
    rooms = db.session.scalars(
        select(Room).where(Room.community_id.in_(community_map)).order_by(Room.id)
    )
    programs = db.session.scalars(select(Program).order_by(Program.id))
    return Labels(
        communities=community_map,
        rooms={r.id: r for r in rooms},
        programs={p.id: p for p in programs},
        course=None if scope.course_id is None else db.session.get(Course, scope.course_id),
    )


def _week_of(day: str) -> str:
    d = date.fromisoformat(day)
    return (d - timedelta(days=d.weekday())).isoformat()


def _roll_up(grains: dict[_Grain, Counts], key: Any) -> dict[Any, Counts]:
    out: dict[Any, Counts] = defaultdict(Counts)
    for grain, counts in grains.items():
        out[key(grain)].add(counts)
    return out


def _fill_distinct(groups: dict[Any, Counts], distinct_counts: dict[tuple[Any, ...], Any]) -> None:
    for key, (people, households) in distinct_counts.items():
        target = groups[key[0] if len(key) == 1 else key]
        target.people, target.households = people, households
    for counts in groups.values():
        if counts.people is None:
            counts.people = counts.households = 0


@dataclass(frozen=True)
class _Numbers:
    """What the queries return for a scope (the fixed number of statements); :func:`figures`
    rolls them up."""

    grains: dict[_Grain, Counts]
    visits: dict[tuple[int, int, str, str], tuple[int, int]]
    distinct: dict[str, dict[tuple[Any, ...], tuple[int, int]]]
    tasks: tuple[TaskCounts, dict[int, TaskCounts]]


def _numbers(scope: Scope) -> _Numbers:
    grains = _session_rows(scope)
    visits, distinct_counts = _visit_numbers(scope)
    for (room_id, program_id, grain, _age), (n, walk_ins) in visits.items():
        grains[(room_id, program_id, grain)].visits += n
        grains[(room_id, program_id, grain)].walk_in_visits += walk_ins
    return _Numbers(dict(grains), visits, distinct_counts, task_figures(scope))


def figures(scope: Scope) -> Figures:
    """Every figure of the scope, each broken down (a fixed number of statements)."""
    labels = _labels(scope)
    n = _numbers(scope)
    grains = n.grains
    community_of = {room_id: room.community_id for room_id, room in labels.rooms.items()}
    by_age: dict[AgeGroup, Counts] = defaultdict(Counts)
    for (_room, _program, _day, age), (visits, walk_ins) in n.visits.items():
        by_age[AgeGroup(age)].visits += visits
        by_age[AgeGroup(age)].walk_in_visits += walk_ins

    total = Counts()
    for counts in grains.values():
        total.add(counts)
    total.people, total.households = n.distinct["total"].get((), (0, 0))

    def community(grain: _Grain) -> int:
        return community_of[grain[0]]

    by_community = _roll_up(grains, community)
    by_strand = _roll_up(grains, lambda g: g[1])
    by_month = _roll_up(grains, lambda g: g[2][:7])
    by_community_strand = _roll_up(grains, lambda g: (community(g), g[1]))
    _fill_distinct(by_community, n.distinct["community"])
    _fill_distinct(by_strand, n.distinct["strand"])
    _fill_distinct(by_month, n.distinct["month"])
    _fill_distinct(by_age, n.distinct["age"])
    _fill_distinct(by_community_strand, n.distinct["community_strand"])
    tasks, tasks_by_community = n.tasks
    return Figures(
        scope=scope,
        labels=labels,
        total=total,
        by_community=_ordered(by_community, labels.communities, all_keys=True),
        by_room=_ordered(_roll_up(grains, lambda g: g[0]), labels.rooms),
        by_strand=_ordered(by_strand, labels.programs),
        by_month=dict(sorted(by_month.items())),
        by_week=dict(sorted(_roll_up(grains, lambda g: _week_of(g[2])).items()))
        if scope.shows_weeks
        else {},
        by_age={g: by_age[g] for g in AgeGroup if g in by_age},
        by_community_strand=dict(sorted(by_community_strand.items())),
        by_month_strand=dict(sorted(_roll_up(grains, lambda g: (g[2][:7], g[1])).items())),
        tasks=tasks,
        tasks_by_community=tasks_by_community,
    )


# --- a per-process cache, checked against the data on every request ---------------------------


@dataclass
class _Entry:
    made: float  # time.monotonic() when computed (see CACHE_SECONDS)
    since: datetime  # registrations changed from then on may be newer than the figures
    version: tuple[Any, ...]  # data_version() the figures were computed (or confirmed) for
    figures: Figures


_CACHE: OrderedDict[tuple[Any, ...], _Entry] = OrderedDict()
_CACHE_SIZE = 64
#: Seconds an entry is used at most: two transactions that commit out of the order of their
#: clocks can leave ``max(updated_at)`` unchanged, so no entry is trusted for longer.
CACHE_SECONDS = 60.0
_CACHE_LOCK = threading.Lock()
#: The parts of :func:`data_version` that registrations change (the latest id and update).
_REGISTRATION_PARTS = 2
#: A transaction sets ``updated_at`` a moment before it commits: registrations changed this
#: long before a result was computed count as changed after it. (One that takes longer and
#: commits after the computation is seen when the entry expires, CACHE_SECONDS at most.)
LOOK_BACK_SECONDS = 2.0


def data_version(scope: Scope) -> tuple[Any, ...]:
    """One cheap statement whose answer changes whenever a figure of ``scope`` may change:
    a registration added or changed (check-ins touch their registration), a session added,
    changed or newly started, a room moved, a run (series) changed, a tick or a reading-log
    entry added or removed. Every part reads an index or a small table."""

    def value(stmt: Any) -> Any:
        return stmt.scalar_subquery()

    started = _scoped(
        select(func.max(ReadingSession.starts_at)).join(Room, Room.id == ReadingSession.room_id),
        scope,
    ).where(ReadingSession.starts_at < scope.now)
    row = db.session.execute(
        select(
            value(select(func.max(Registration.id))),
            value(select(func.max(Registration.updated_at))),
            value(select(func.count(ReadingSession.id))),
            value(select(func.max(ReadingSession.updated_at))),
            value(select(func.max(Room.updated_at))),
            value(select(func.max(Series.updated_at))),
            value(select(func.count(TaskTick.id))),
            value(select(func.max(TaskTick.id))),
            value(select(func.count(ReadingLogEntry.id))),
            value(select(func.max(ReadingLogEntry.id))),
            value(select(func.count(Household.id))),
            value(started),
        )
    ).one()
    return tuple(row)


def cached_figures(scope: Scope) -> Figures:
    """:func:`figures`, reusing this process's result while nothing it counts has changed,
    and for at most :data:`CACHE_SECONDS`.

    Nothing changed: :func:`data_version` gives the same answer; or only registrations
    changed (sign-ups, check-ins: most changes of a busy day) and none of those changed
    since the result was computed belongs to a session of the scope (one statement reading
    the index on ``updated_at``). So another community's sign-ups, or today's check-ins
    for last month's figures, leave the result in use. Statements per request: the
    version (and that check) and the labels, which are always read afresh."""
    key = (scope.start, scope.end, scope.community_ids, scope.program_id, scope.course_id)
    version = data_version(scope)
    now = time.monotonic()
    with _CACHE_LOCK:
        entry = _CACHE.get(key)
        if entry is not None and now - entry.made >= CACHE_SECONDS:
            entry = None
    if entry is not None and (
        entry.version == version
        or (
            entry.version[_REGISTRATION_PARTS:] == version[_REGISTRATION_PARTS:]
            and not _registrations_changed(scope, entry.since)
        )
    ):
        with _CACHE_LOCK:
            entry.version = version
            _CACHE.move_to_end(key)
        return replace(entry.figures, scope=scope, labels=_labels(scope))
    since = utcnow() - timedelta(seconds=LOOK_BACK_SECONDS)
    result = figures(scope)
    with _CACHE_LOCK:
        _CACHE[key] = _Entry(made=now, since=since, version=version, figures=result)
        _CACHE.move_to_end(key)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return result


def _registrations_changed(scope: Scope, since: datetime) -> bool:
    """Whether a registration of one of the scope's sessions was added or changed (check-ins
    touch their registration) at ``since`` or later."""
    changed = _scoped(
        select(Registration.id)
        .join(ReadingSession, ReadingSession.id == Registration.session_id)
        .join(Room, Room.id == ReadingSession.room_id)
        .where(Registration.updated_at >= since),
        scope,
    )
    return db.session.scalar(select(changed.exists())) is True


def _ordered(
    groups: dict[int, Counts], order: dict[int, Any], *, all_keys: bool = False
) -> dict[int, Counts]:
    """Groups in the labels' order (with ``all_keys``, also those without any figure)."""
    return {
        key: groups.get(key) or Counts(people=0, households=0)
        for key in order
        if all_keys or key in groups
    }


# --- task lists --------------------------------------------------------------------------------


def task_figures(scope: Scope) -> tuple[TaskCounts, dict[int, TaskCounts]]:
    """Task lists in the range: ticks made in it, reading logged in it, lists completed.

    Households are counted in their home community (ticks belong to a household,
    not to a session), so the communities' numbers add up to the total; a deleted
    account's ticks and entries count as before, in its community of that day
    (:class:`~readingroom.tasklists.models.AnonymousWork`). For a course: the lists
    that follow it."""
    start, end = scope.bounds

    def scoped(stmt: Any, model: Any) -> Any:
        stmt = model.with_household(stmt)
        if scope.community_ids is not None:
            stmt = stmt.where(model.community_key().in_(scope.community_ids))
        if scope.program_id is not None:
            stmt = stmt.where(TaskList.program_id == scope.program_id)
        if scope.course_id is not None:
            stmt = stmt.where(TaskList.course_id == scope.course_id)
        return stmt

    tick_community, log_community = TaskTick.community_key(), ReadingLogEntry.community_key()
    ticks = scoped(
        select(
            tick_community,
            func.count(distinct(TaskTick.household_key())),
            func.count(distinct(TaskTick.child_key())),
            func.count(TaskTick.id),
        )
        .join(Task, Task.id == TaskTick.task_id)
        .join(TaskList, TaskList.id == Task.task_list_id)
        .where(Task.removed_at.is_(None), TaskTick.ticked_at >= start, TaskTick.ticked_at < end),
        TaskTick,
    ).group_by(tick_community)
    logs = scoped(
        select(
            log_community,
            func.coalesce(func.sum(ReadingLogEntry.minutes), 0),
            func.count(ReadingLogEntry.id),
        )
        .join(TaskList, TaskList.id == ReadingLogEntry.task_list_id)
        .where(ReadingLogEntry.read_on >= scope.start, ReadingLogEntry.read_on <= scope.end),
        ReadingLogEntry,
    ).group_by(log_community)
    task_count = (
        select(Task.task_list_id, func.count(Task.id).label("n"))
        .where(Task.removed_at.is_(None))
        .group_by(Task.task_list_id)
        .subquery()
    )
    done = (
        scoped(
            select(
                tick_community.label("community_id"),
                Task.task_list_id.label("task_list_id"),
                func.count(distinct(TaskTick.task_id)).label("n"),
            )
            .join(Task, Task.id == TaskTick.task_id)
            .join(TaskList, TaskList.id == Task.task_list_id)
            .where(
                Task.removed_at.is_(None),
                TaskList.starts_on <= scope.end,
                TaskList.ends_on >= scope.start,
            ),
            TaskTick,
        )
        .group_by(tick_community, TaskTick.child_key(), Task.task_list_id)
        .subquery()
    )
    completed = (
        select(done.c.community_id, func.count())
        .join(task_count, task_count.c.task_list_id == done.c.task_list_id)
        .where(done.c.n == task_count.c.n)
        .group_by(done.c.community_id)
    )

    by_community: dict[int, TaskCounts] = defaultdict(TaskCounts)
    for cid, households, children, n in db.session.execute(ticks):
        c = by_community[cid]
        c.households, c.children, c.ticks = households, children, n
    for cid, minutes, books in db.session.execute(logs):
        by_community[cid].minutes, by_community[cid].books = minutes, books
    for cid, n in db.session.execute(completed):
        by_community[cid].completed = n
    total = TaskCounts()
    for c in by_community.values():
        for name in ("households", "children", "ticks", "completed", "minutes", "books"):
            setattr(total, name, getattr(total, name) + getattr(c, name))
    return total, dict(sorted(by_community.items()))


def session_rows(scope: Scope) -> Sequence[Any]:
    """The sessions of the range with their attendance (one statement; for the report and
    the workbook): id, start, title, room id, strand id, status, capacity, confirmed seats,
    visits, waiting households."""
    visits = (
        select(func.count(Attendee.id))
        .join(Registration, Registration.id == Attendee.registration_id)
        .where(
            Registration.session_id == ReadingSession.id,
            Registration.status == RegistrationStatus.CONFIRMED,
            Attendee.checked_in_at.is_not(None),
        )
        .scalar_subquery()
    )
    seats = (
        select(func.coalesce(func.sum(Registration.seats), 0))
        .where(
            Registration.session_id == ReadingSession.id,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
        .scalar_subquery()
    )
    waiting = (
        select(func.count(Registration.id))
        .where(
            Registration.session_id == ReadingSession.id,
            Registration.status == RegistrationStatus.WAITLISTED,
        )
        .scalar_subquery()
    )
    stmt = _scoped(
        select(
            ReadingSession.id,
            ReadingSession.starts_at,
            ReadingSession.title,
            ReadingSession.room_id,
            ReadingSession.program_id,
            ReadingSession.status,
            ReadingSession.capacity,
            seats.label("seats"),
            visits.label("visits"),
            waiting.label("waiting"),
        ).join(Room, Room.id == ReadingSession.room_id),
        scope,
    ).order_by(ReadingSession.starts_at, ReadingSession.id)
    return db.session.execute(stmt).all()


def purge_day_within(scope: Scope, cutoff: datetime) -> date | None:
    """The Beijing day of the retention purge's ``cutoff`` when the range runs across it.

    Registrations of sessions before the cutoff were anonymised with new random numbers
    while the family may still be signing up, so across that day "people reached" and
    "households reached" count such a family once on each side (nothing links the two
    sides any more: that is the purge's point). The figures page says so."""
    day = to_beijing(cutoff).date()
    return day if scope.start < day <= scope.end else None


def community_ids_in(ids: Iterable[int] | None) -> frozenset[int] | None:
    return None if ids is None else frozenset(ids)
