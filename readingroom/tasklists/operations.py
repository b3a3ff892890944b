"""Rules for task lists and tasks. Every function flushes and never commits."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..places.models import Community
from ..schedule.models import Program
from ..timeutil import to_beijing, utcnow
from .access import lists_for_community
from .models import (
    ListStatus,
    ReadingLogEntry,
    Task,
    TaskKind,
    TaskList,
    TaskTick,
    TickSource,
    weeks_in_period,
)

if TYPE_CHECKING:
    from ..families.models import Member
    from ..schedule.models import ReadingSession

#: A second identical reading-log entry within this time is the same one sent twice.
DUPLICATE_LOG_WINDOW = timedelta(minutes=2)


class TaskListError(Exception):
    """A rule refused the change; ``code`` says which one (the view words it for people)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class ListData:
    """What the task list form describes."""

    title: str
    program: Program
    starts_on: date
    ends_on: date
    all_communities: bool = False
    communities: tuple[Community, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class TaskData:
    """What the task form describes (``book_isbn`` already normalised)."""

    title: str
    kind: TaskKind
    week: int
    description: str = ""
    book_title: str = ""
    book_author: str = ""
    book_isbn: str = ""

    @classmethod
    def of(cls, task: Task) -> TaskData:
        """What ``task`` says (e.g. to copy it into another list)."""
        return cls(**{f.name: getattr(task, f.name) for f in fields(cls)})

    def values(self) -> dict[str, Any]:
        """The task's columns, by name."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _apply_list(task_list: TaskList, data: ListData) -> None:
    if not data.all_communities and not data.communities:
        raise ValueError("a task list needs communities, or all communities")
    task_list.title = data.title
    task_list.description = data.description
    task_list.program = data.program
    task_list.starts_on = data.starts_on
    task_list.ends_on = data.ends_on
    task_list.all_communities = data.all_communities
    task_list.communities = [] if data.all_communities else list(data.communities)


def create_list(data: ListData, *, created_by: Any = None) -> TaskList:
    """A new draft list."""
    task_list = TaskList(status=ListStatus.DRAFT, created_by_id=getattr(created_by, "id", None))
    _apply_list(task_list, data)
    db.session.add(task_list)
    db.session.flush()
    return task_list


def update_list(task_list: TaskList, data: ListData) -> None:
    """Correct a list, published or not. Ticks are untouched (they belong to tasks)."""
    if weeks_in_period(data.starts_on, data.ends_on) < task_list.highest_week:
        raise TaskListError("period too short")
    _apply_list(task_list, data)
    task_list.updated_at = utcnow()
    db.session.flush()


def publish_list(task_list: TaskList) -> None:
    """Draft or archived → published. A list needs at least one task to be published."""
    if task_list.is_published:
        return
    if not task_list.counting_tasks:
        raise TaskListError("no tasks")
    task_list.status = ListStatus.PUBLISHED
    task_list.published_at = task_list.published_at or utcnow()
    task_list.archived_at = None
    db.session.flush()


def archive_list(task_list: TaskList) -> None:
    """Withdraw a list from households; ticks, logs and figures stay."""
    if task_list.is_archived:
        return
    task_list.status = ListStatus.ARCHIVED
    task_list.archived_at = utcnow()
    db.session.flush()


# --- tasks -----------------------------------------------------------------------------------


def _next_position(task_list: TaskList) -> int:
    highest = db.session.scalar(
        select(func.max(Task.position)).where(Task.task_list_id == task_list.id)
    )
    return 0 if highest is None else highest + 1


def add_task(task_list: TaskList, data: TaskData) -> Task:
    """A new task at the end of its week."""
    task = Task(task_list=task_list, position=_next_position(task_list), **data.values())
    db.session.add(task)
    db.session.flush()
    return task


def update_task(task: Task, data: TaskData) -> None:
    """Correct a task; its ticks stay (they point at the task, not at its text)."""
    if task.week != data.week:
        task.position = _next_position(task.task_list)  # joins the end of its new week
    for name, value in data.values().items():
        setattr(task, name, value)
    task.updated_at = utcnow()
    db.session.flush()


def remove_task(task: Task) -> None:
    """Soft removal: the task and its ticks stay in the database but stop counting."""
    if task.removed_at is None:
        task.removed_at = utcnow()
        db.session.flush()


def restore_task(task: Task) -> None:
    """Undo a removal; the ticks made before count again."""
    if task.removed_at is not None:
        if task.week > task.task_list.week_count:
            raise TaskListError("week outside period")
        task.removed_at = None
        task.position = _next_position(task.task_list)
        db.session.flush()


def move_task(task: Task, offset: int) -> bool:
    """Move a task up (-1) or down (+1) among the counting tasks of its week.

    Returns whether it moved (the first task cannot move up, the last not down).
    """
    siblings = [t for t in task.task_list.counting_tasks if t.week == task.week]
    index = siblings.index(task)
    target = index + offset
    if offset not in (-1, 1) or not 0 <= target < len(siblings):
        return False
    siblings[index], siblings[target] = siblings[target], siblings[index]
    # Renumber the week's tasks with the positions they held, in the new order.
    positions = sorted(t.position for t in siblings)
    if len(set(positions)) != len(positions):
        base = _next_position(task.task_list)
        positions = list(range(base, base + len(siblings)))
    for task_in_week, position in zip(siblings, positions, strict=True):
        task_in_week.position = position
    db.session.flush()
    db.session.expire(task.task_list, ["tasks"])
    return True


def copy_list(
    source: TaskList,
    *,
    title: str,
    starts_on: date,
    ends_on: date,
    all_communities: bool,
    communities: list[Community],
    created_by: Any = None,
) -> TaskList:
    """A new draft with the source's counting tasks (same weeks and order), no ticks, no logs."""
    if weeks_in_period(starts_on, ends_on) < source.highest_week:
        raise TaskListError("period too short")
    copy = create_list(
        ListData(
            title=title,
            description=source.description,
            program=source.program,
            starts_on=starts_on,
            ends_on=ends_on,
            all_communities=all_communities,
            communities=tuple(communities),
        ),
        created_by=created_by,
    )
    copy.copied_from_id = source.id
    for position, task in enumerate(source.counting_tasks):
        db.session.add(Task(task_list=copy, position=position, **TaskData.of(task).values()))
    db.session.flush()
    return copy


# --- ticks and the reading log (households) ---------------------------------------------------


@dataclass(frozen=True)
class TickDetails:
    """The optional note and minutes sent with a tick (``minutes`` None: not given)."""

    note: str = ""
    minutes: int | None = None


def find_tick(task: Task, member: Member) -> TaskTick | None:
    return db.session.scalars(
        select(TaskTick).where(TaskTick.task_id == task.id, TaskTick.member_id == member.id)
    ).first()


def tick_task(
    task: Task,
    member: Member,
    details: TickDetails | None = None,
    *,
    source: TickSource = TickSource.FAMILY,
    reading_session: ReadingSession | None = None,
) -> tuple[TaskTick, bool]:
    """Mark a task done for a child; returns ``(tick, created)``.

    Idempotent: ticking a ticked task changes nothing but the details (when
    given), so a reload or a double tap never counts twice. Two requests in the
    same instant meet the unique constraint; the loser reads the winner's tick.
    """
    if not task.is_counting:
        raise TaskListError("task removed")
    tick = find_tick(task, member)
    created = False
    if tick is None:
        tick = TaskTick(
            task_id=task.id,
            member_id=member.id,
            household_id=member.household_id,
            source=source,
            session_id=reading_session.id if reading_session is not None else None,
        )
        try:
            with db.session.begin_nested():
                db.session.add(tick)
                if details is not None:
                    tick.note, tick.minutes = details.note, details.minutes
        except IntegrityError:
            tick = find_tick(task, member)
            if tick is None:  # pragma: no cover - the constraint fired, so it exists
                raise
        else:
            created = True
    if details is not None and not created:
        tick.note, tick.minutes = details.note, details.minutes
    db.session.flush()
    return tick, created


def untick_task(task: Task, member: Member) -> bool:
    """Undo a tick; returns whether there was one (unticking twice is harmless)."""
    if not task.is_counting:
        raise TaskListError("task removed")
    tick = find_tick(task, member)
    if tick is None:
        return False
    db.session.delete(tick)
    db.session.flush()
    return True


def set_tick(task: Task, member: Member, *, done: bool, details: TickDetails | None) -> None:
    """Make a task ticked (with ``details``) or not, for one child: a state, not a toggle."""
    if done:
        tick_task(task, member, details)
    else:
        untick_task(task, member)


def add_log_entry(
    task_list: TaskList, member: Member, *, title: str, minutes: int, read_on: date
) -> tuple[ReadingLogEntry, bool]:
    """A book in a child's reading log; returns ``(entry, created)``.

    The same entry sent again within :data:`DUPLICATE_LOG_WINDOW` (a double
    tap, a resent form) is not stored twice.
    """
    recent = db.session.scalars(
        select(ReadingLogEntry).where(
            ReadingLogEntry.task_list_id == task_list.id,
            ReadingLogEntry.member_id == member.id,
            ReadingLogEntry.title == title,
            ReadingLogEntry.minutes == minutes,
            ReadingLogEntry.read_on == read_on,
            ReadingLogEntry.created_at >= utcnow() - DUPLICATE_LOG_WINDOW,
        )
    ).first()
    if recent is not None:
        return recent, False
    entry = ReadingLogEntry(
        task_list_id=task_list.id,
        member_id=member.id,
        household_id=member.household_id,
        title=title,
        minutes=minutes,
        read_on=read_on,
    )
    db.session.add(entry)
    db.session.flush()
    return entry, True


def delete_log_entry(entry: ReadingLogEntry) -> None:
    db.session.delete(entry)
    db.session.flush()


def tick_visit_for_check_in(
    member: Member, reading_session: ReadingSession, community_id: int
) -> list[TaskTick]:
    """Tick one open "visit the book room" task per list for a child checked in at ``session``.

    The lists: published, for the household's community, with the session's
    (Beijing) day inside the period. The task: the visit task of that week,
    else the earliest open one. A check-in counts once: when a tick already
    came from this session, nothing more happens (checking in again, or the
    signal sent twice, ticks nothing new). Adults are not ticked.
    """
    if not getattr(member, "is_child", False):
        return []
    day = to_beijing(reading_session.starts_at).date()
    made = []
    lists = db.session.scalars(
        lists_for_community(community_id, day).where(TaskList.ends_on >= day)
    ).all()
    for task_list in lists:
        visits = [t for t in task_list.counting_tasks if t.kind is TaskKind.VISIT]
        if not visits:
            continue
        ticks = db.session.scalars(
            select(TaskTick).where(
                TaskTick.member_id == member.id,
                TaskTick.task_id.in_([t.id for t in visits]),
            )
        ).all()
        if any(t.session_id == reading_session.id for t in ticks):
            continue
        done = {t.task_id for t in ticks}
        open_tasks = [t for t in visits if t.id not in done]
        if not open_tasks:
            continue
        week = task_list.week_of(day)
        chosen = next((t for t in open_tasks if t.week == week), open_tasks[0])
        tick, created = tick_task(
            chosen, member, source=TickSource.CHECK_IN, reading_session=reading_session
        )
        if created:
            made.append(tick)
    return made
