"""Figures per task list: who takes part, what they completed, minutes read per week.

Definitions (the staff page and the CSV say the same):

* a child **takes part** when it has at least one tick on a counting task of
  the list or an entry in the list's reading log; a household takes part when
  one of its children does. Households are counted in their home community; a
  deleted account's ticks and entries still count, in its community of that day
  (``AnonymousWork``: children and households by random numbers).
* **completion rate of a task**: children who ticked it / children taking part;
* **completed the list**: children with every counting task ticked;
  **overall completion rate**: those / children taking part;
* **minutes**: minutes given with ticks (counted in the task's week) plus
  reading-log minutes (counted in the week of the day read). Ticks of removed
  tasks do not count anywhere.

Community staff only see households of their own communities (``scope``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from ..extensions import db
from ..places.models import Community
from .models import ReadingLogEntry, Task, TaskList, TaskTick


@dataclass
class Group:
    """Figures of one community (or the total)."""

    community: Community | None  # None: the total row
    households: set[int] = field(default_factory=set)
    children: set[int] = field(default_factory=set)
    completed: int = 0
    ticks: int = 0
    tick_minutes: int = 0
    log_minutes: int = 0
    task_done: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    week_minutes: dict[int | None, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def household_count(self) -> int:
        return len(self.households)

    @property
    def child_count(self) -> int:
        return len(self.children)

    @property
    def minutes(self) -> int:
        return self.tick_minutes + self.log_minutes

    def task_rate(self, task_id: int) -> float | None:
        return self.task_done[task_id] / self.child_count if self.child_count else None

    def completion_rate(self) -> float | None:
        return self.completed / self.child_count if self.child_count else None

    def done_share(self, task_count: int) -> float | None:
        """Ticks made / ticks possible (children taking part × counting tasks)."""
        possible = self.child_count * task_count
        return self.ticks / possible if possible else None


@dataclass
class ListFigures:
    task_list: TaskList
    tasks: list[Task]
    groups: list[Group]  # one per community, in community order
    total: Group
    weeks: list[tuple[int, date, date]]
    outside_period: bool  # some log minutes lie outside the (since changed) period

    def week_rows(self) -> list[tuple[int | None, int, dict[int, int]]]:
        """(week or None for "outside the period", total minutes, minutes per community id)."""
        keys: list[int | None] = [w for w, *_ in self.weeks]
        if self.outside_period:
            keys.append(None)
        return [
            (
                key,
                self.total.week_minutes[key],
                {g.community.id: g.week_minutes[key] for g in self.groups if g.community},
            )
            for key in keys
        ]


def list_figures(task_list: TaskList, scope: set[int] | None = None) -> ListFigures:
    """Compute the figures of ``task_list`` for households of ``scope`` (None: everyone)."""
    tasks = task_list.counting_tasks
    week_of_task = {t.id: t.week for t in tasks}

    tick_stmt = TaskTick.with_household(
        select(
            TaskTick.task_id,
            TaskTick.child_key(),
            TaskTick.household_key(),
            TaskTick.minutes,
            TaskTick.community_key(),
        ).join(Task, TaskTick.task_id == Task.id)
    ).where(Task.task_list_id == task_list.id, Task.removed_at.is_(None))
    log_stmt = ReadingLogEntry.with_household(
        select(
            ReadingLogEntry.child_key(),
            ReadingLogEntry.household_key(),
            ReadingLogEntry.minutes,
            ReadingLogEntry.read_on,
            ReadingLogEntry.community_key(),
        )
    ).where(ReadingLogEntry.task_list_id == task_list.id)
    if scope is not None:
        tick_stmt = tick_stmt.where(TaskTick.community_key().in_(scope))
        log_stmt = log_stmt.where(ReadingLogEntry.community_key().in_(scope))

    community_ids = _communities_shown(task_list, scope)
    by_community: dict[int, Group] = {}
    total = Group(community=None)

    def group_of(community_id: int) -> Group:
        if community_id not in by_community:
            community_ids.add(community_id)
            by_community[community_id] = Group(community=None)
        return by_community[community_id]

    ticked_by_child: dict[int, int] = defaultdict(int)
    child_community: dict[int, int] = {}
    for task_id, member_id, household_id, minutes, community_id in db.session.execute(tick_stmt):
        for group in (group_of(community_id), total):
            group.households.add(household_id)
            group.children.add(member_id)
            group.ticks += 1
            group.tick_minutes += minutes or 0
            group.task_done[task_id] += 1
            group.week_minutes[week_of_task[task_id]] += minutes or 0
        ticked_by_child[member_id] += 1
        child_community[member_id] = community_id

    outside = False
    for member_id, household_id, minutes, read_on, community_id in db.session.execute(log_stmt):
        week = task_list.week_of(read_on)
        outside = outside or week is None
        for group in (group_of(community_id), total):
            group.households.add(household_id)
            group.children.add(member_id)
            group.log_minutes += minutes
            group.week_minutes[week] += minutes

    for member_id, count in ticked_by_child.items():
        if tasks and count == len(tasks):
            group_of(child_community[member_id]).completed += 1
            total.completed += 1

    communities = db.session.scalars(
        select(Community).where(Community.id.in_(community_ids)).order_by(Community.id)
    ).all()
    groups = []
    for community in communities:
        group = by_community.get(community.id) or Group(community=None)
        group.community = community
        groups.append(group)
    weeks = [(w, *task_list.week_bounds(w)) for w in range(1, task_list.week_count + 1)]
    return ListFigures(
        task_list=task_list,
        tasks=tasks,
        groups=groups,
        total=total,
        weeks=weeks,
        outside_period=outside,
    )


def _communities_shown(task_list: TaskList, scope: set[int] | None) -> set[int]:
    """The list's communities (all of them for an all-communities list), within scope."""
    if task_list.all_communities:
        ids = set(db.session.scalars(select(Community.id)))
    else:
        ids = task_list.community_ids()
    return ids if scope is None else ids & scope
