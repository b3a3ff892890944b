"""Rules for courses: scheduling one course in several book rooms at once, and
editing a lesson once for every community.

Like :mod:`.operations`, these flush and never commit. Scheduling is planned
first (:func:`plan_course`): every clash of every room, grouped by room, before
anything is saved; :func:`schedule_course` saves nothing while any clash blocks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from ..domain import DomainError
from ..extensions import db
from ..places.models import Room
from ..timeutil import format_span, from_beijing, utcnow
from .clashes import Clash, ClashKind, Severity, find_clashes, overlaps
from .courses import Course, Host, Lesson, Partner
from .models import Program, ReadingSession, Series
from .operations import CALENDAR_FIELDS, ClashError, SessionData, candidate_of
from .signals import session_changed


class CourseError(DomainError):
    """A course rule refused the change."""


# --- lesson content on sessions --------------------------------------------------------------


def add_partner(name: str, contact: str = "") -> Partner:
    """A partner of the subdistrict (e.g. 新华书店); names are unique."""
    name = name.strip()
    if db.session.scalar(select(Partner.id).where(Partner.name == name)):
        raise CourseError(_("This partner is already listed."), field="name")
    partner = Partner(name=name, contact=contact or "")
    db.session.add(partner)
    db.session.flush()
    return partner


def add_host(name: str, *, partner_id: int | None = None, community_id: int | None = None) -> Host:
    """A host (主持人) is a person of one partner or one community."""
    if (partner_id is None) == (community_id is None):
        raise ValueError("a host belongs to a partner or to a community")
    host = Host(name=name.strip(), partner_id=partner_id, community_id=community_id)
    db.session.add(host)
    db.session.flush()
    return host


def lesson_content(course: Course, lesson: Lesson) -> dict[str, str]:
    """What a session of ``lesson`` shows (copied onto every community's session)."""
    return lesson.session_content()


def _host_of(lesson: Lesson, run_host: Host | None, run_host_name: str) -> tuple[int | None, str]:
    """The lesson's guest host if it has one, else the run's host (a person or a typed name)."""
    if lesson.host is not None:
        return lesson.host.id, lesson.host.label
    if run_host is not None:
        return run_host.id, run_host.label
    return None, run_host_name


def refresh_sessions(
    course: Course, lessons: Iterable[Lesson] | None = None
) -> list[ReadingSession]:
    """Write the content of ``lessons`` (default: all) onto every session of them.

    Each session whose calendar-visible content changed gets a new SEQUENCE and
    update time (so every feed shows the edit) and a ``session_changed`` with
    the fields changed: content fields only, so families are not told (they
    are told of new times, places and cancellations).
    """
    wanted = list(lessons if lessons is not None else course.lessons)
    by_id = {lesson.id: lesson for lesson in wanted}
    if not by_id:
        return []
    sessions = db.session.scalars(
        select(ReadingSession)
        .where(ReadingSession.lesson_id.in_(by_id))
        .order_by(ReadingSession.starts_at)
    ).all()
    runs = {run.id: run for run in course.runs}
    now = utcnow()
    changed_sessions: list[tuple[ReadingSession, set[str]]] = []
    for reading_session in sessions:
        lesson = by_id[reading_session.lesson_id]
        values: dict[str, object] = dict(lesson_content(course, lesson))
        run = runs.get(reading_session.series_id)
        if lesson.host is not None:
            values["host_id"], values["host"] = lesson.host.id, lesson.host.label
        elif run is not None and run.host_person is not None:
            values["host_id"], values["host"] = run.host_person.id, run.host_person.label
        elif run is not None:
            values["host_id"], values["host"] = None, run.host
        changed = {
            name for name, value in values.items() if getattr(reading_session, name) != value
        }
        if not changed:
            continue
        for name in changed:
            setattr(reading_session, name, values[name])
        if changed & set(CALENDAR_FIELDS):
            reading_session.sequence += 1
            reading_session.updated_at = now
        changed_sessions.append((reading_session, changed))
    db.session.flush()
    for reading_session, changed in changed_sessions:
        session_changed.send(reading_session, changes=changed)
    return [s for s, _changed in changed_sessions]


# --- courses and lessons ---------------------------------------------------------------------


@dataclass(frozen=True)
class LessonData:
    topic: str
    description: str = ""
    suggested_books: str = ""
    materials: str = ""
    host: Host | None = None


@dataclass(frozen=True)
class CourseData:
    title: str
    program: Program
    first_date: date
    last_date: date
    description: str = ""
    partner: Partner | None = None


def save_course(
    data: CourseData, course: Course | None = None, *, community_id: int | None = None
) -> Course:
    """Create a course (``community_id``: the owning community, None for the subdistrict) or
    change one; a new title reaches every session of it."""
    if data.last_date < data.first_date:
        raise CourseError(_("The course must end on or after its first day."), field="last_date")
    if course is None:
        course = Course(community_id=community_id)
        db.session.add(course)
    title_changed = course.title != data.title
    course.title, course.program, course.partner = data.title, data.program, data.partner
    course.first_date, course.last_date = data.first_date, data.last_date
    course.description = data.description
    db.session.flush()
    if title_changed and course.runs:
        refresh_sessions(course)
    return course


def add_lesson(course: Course, data: LessonData) -> Lesson:
    """Append lesson N+1 (runs already scheduled do not grow: schedule them again)."""
    number = max((lesson.number for lesson in course.lessons), default=0) + 1
    lesson = Lesson(number=number, **_lesson_values(data))
    course.lessons.append(lesson)
    db.session.flush()
    return lesson


def _lesson_values(data: LessonData) -> dict[str, object]:
    return {
        "topic": data.topic.strip(),
        "description": data.description.strip(),
        "suggested_books": data.suggested_books.strip(),
        "materials": data.materials.strip(),
        "host": data.host,
    }


def update_lesson(lesson: Lesson, data: LessonData) -> list[ReadingSession]:
    """Edit a lesson once; every community's session of it follows. Returns those changed."""
    for name, value in _lesson_values(data).items():
        setattr(lesson, name, value)
    db.session.flush()
    return refresh_sessions(lesson.course, [lesson])


# --- scheduling in several rooms -------------------------------------------------------------


@dataclass(frozen=True)
class RunData:
    """One room's run of a course: weekly on ``weekday`` (0 = Monday), Beijing times."""

    room: Room
    weekday: int
    start_time: time
    end_time: time
    capacity: int
    host: Host | None = None
    host_name: str = ""


@dataclass
class RunPlan:
    run: RunData
    dates: list[date] = field(default_factory=list)
    sessions: list[tuple[Lesson, SessionData]] = field(default_factory=list)
    clashes: list[Clash] = field(default_factory=list)
    problem: str = ""

    @property
    def blocking(self) -> list[Clash]:
        return [c for c in self.clashes if c.blocks]

    def marks(self, starts_at: datetime) -> str:
        """ "block", "warn" or "" for the session of this run starting at ``starts_at``."""
        kinds = {c.severity for c in self.clashes if c.candidate.starts_at == starts_at}
        return "block" if Severity.BLOCK in kinds else ("warn" if kinds else "")


@dataclass
class CoursePlan:
    """Every session of every run, and every clash of each, grouped by room."""

    runs: list[RunPlan] = field(default_factory=list)

    @property
    def clashes(self) -> list[Clash]:
        return [c for run in self.runs for c in run.clashes]

    @property
    def blocking(self) -> list[Clash]:
        return [c for c in self.clashes if c.blocks]

    @property
    def problems(self) -> list[str]:
        return [run.problem for run in self.runs if run.problem]

    @property
    def can_save(self) -> bool:
        return bool(self.runs) and not self.blocking and not self.problems


def lesson_dates(
    weekday: int, first_date: date, last_date: date, lessons: int, holidays: Iterable[date] = ()
) -> list[date]:
    """Lesson n on the n-th ``weekday`` from ``first_date``, holidays skipped (pure).

    Raises :class:`CourseError` when the period has fewer such days than lessons.
    """
    skip = set(holidays)
    day = first_date + timedelta(days=(weekday - first_date.weekday()) % 7)
    dates: list[date] = []
    while len(dates) < lessons and day <= last_date:
        if day not in skip:
            dates.append(day)
        day += timedelta(weeks=1)
    if len(dates) < lessons:
        raise CourseError(
            _(
                "Only %(found)d of the %(lessons)d lessons fit between %(first)s and %(last)s "
                "on that weekday (holidays skipped).",
                found=len(dates),
                lessons=lessons,
                first=first_date.isoformat(),
                last=last_date.isoformat(),
            )
        )
    return dates


def _plan_run(course: Course, run: RunData, holidays: Sequence[date]) -> RunPlan:
    plan = RunPlan(run)
    try:
        plan.dates = lesson_dates(
            run.weekday, course.first_date, course.last_date, len(course.lessons), holidays
        )
    except CourseError as error:
        plan.problem = error.messages[0] if hasattr(error, "messages") else str(error)
        return plan
    for lesson, day in zip(course.lessons, plan.dates, strict=True):
        host_id, host = _host_of(lesson, run.host, run.host_name)
        content = lesson_content(course, lesson)
        data = SessionData(
            program=course.program,
            room=run.room,
            title=content["title"],
            description=content["description"],
            suggested_books=content["suggested_books"],
            starts_at=from_beijing(day, run.start_time),
            ends_at=from_beijing(day, run.end_time),
            capacity=run.capacity,
            host=host,
            host_id=host_id,
        )
        plan.sessions.append((lesson, data))
    return plan


def _clashes_between_runs(plans: Sequence[RunPlan]) -> None:
    """Two runs of this plan in one room, or one host in two rooms, at overlapping times."""
    flat = [
        (index, candidate_of(data))
        for index, plan in enumerate(plans)
        for _lesson, data in plan.sessions
    ]
    for i, (run_a, a) in enumerate(flat):
        for run_b, b in flat[i + 1 :]:
            if run_a == run_b or not overlaps(a.starts_at, a.ends_at, b.starts_at, b.ends_at):
                continue
            span = format_span(a.starts_at, a.ends_at)
            if a.room.id == b.room.id:
                message = _("%(room)s is chosen twice for %(span)s.", room=a.room.name, span=span)
                plans[run_b].clashes.append(Clash(ClashKind.ROOM, Severity.BLOCK, b, message))
            elif a.host_id is not None and a.host_id == b.host_id:
                for run, own, other in ((run_a, a, b), (run_b, b, a)):
                    message = _(
                        "%(host)s would host in %(room)s and in %(other_room)s at %(span)s.",
                        host=own.host,
                        room=own.room.name,
                        other_room=other.room.name,
                        span=span,
                    )
                    plans[run].clashes.append(Clash(ClashKind.HOST, Severity.WARN, own, message))


def plan_course(
    course: Course, runs: Sequence[RunData], holidays: Sequence[date] = ()
) -> CoursePlan:
    """What scheduling ``course`` in ``runs`` would create, with every clash, before saving."""
    if not course.lessons:
        raise CourseError(_("Add the course's lessons before scheduling it."))
    plan = CoursePlan([_plan_run(course, run, holidays) for run in runs])
    candidates = {
        id(data): candidate_of(data) for run in plan.runs for _lesson, data in run.sessions
    }
    found = find_clashes(list(candidates.values()))
    by_room: dict[int, RunPlan] = {}
    for run in plan.runs:
        by_room.setdefault(run.run.room.id, run)
    for clash in found:
        by_room[clash.candidate.room.id].clashes.append(clash)
    _clashes_between_runs(plan.runs)
    return plan


def schedule_course(
    course: Course, runs: Sequence[RunData], holidays: Sequence[date] = ()
) -> list[Series]:
    """Create one series per room, lesson n on its n-th date; nothing if anything blocks."""
    plan = plan_course(course, runs, holidays)
    if plan.problems:
        raise CourseError(*plan.problems)
    if plan.blocking:
        raise ClashError(plan.blocking)
    created: list[Series] = []
    for run_plan in plan.runs:
        run = run_plan.run
        series = Series(
            course=course,
            program=course.program,
            room=run.room,
            title=course.title,
            description=course.description,
            host=run.host.label if run.host else run.host_name,
            host_person=run.host,
            capacity=run.capacity,
            weekdays=str(run.weekday),
            start_time=run.start_time,
            end_time=run.end_time,
            first_date=run_plan.dates[0],
            last_date=run_plan.dates[-1],
        )
        db.session.add(series)
        for lesson, data in run_plan.sessions:
            db.session.add(ReadingSession(series=series, lesson=lesson, **data.values()))
        created.append(series)
    db.session.flush()
    return created


# --- reading ---------------------------------------------------------------------------------


def course_sessions(course: Course) -> list[ReadingSession]:
    """Every session of every run of the course, by start."""
    return list(
        db.session.scalars(
            select(ReadingSession)
            .join(Series, ReadingSession.series_id == Series.id)
            .where(Series.course_id == course.id)
            .order_by(ReadingSession.starts_at, ReadingSession.room_id)
        )
    )


def course_of_session(reading_session: ReadingSession) -> Course | None:
    series = reading_session.series
    return series.course if series is not None else None
