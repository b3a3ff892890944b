"""A child's progress through a list: done / total, overall and by week (pure functions)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from .models import TaskList


@dataclass(frozen=True)
class WeekProgress:
    week: int
    done: int
    total: int

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.done == self.total


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    weeks: tuple[WeekProgress, ...]

    @property
    def complete(self) -> bool:
        """Every counting task ticked (a list without tasks is never complete)."""
        return self.total > 0 and self.done == self.total

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def completed_at(task_list: TaskList, ticked_at: Mapping[int, datetime]) -> datetime | None:
    """When the child completed the list: the last tick of a counting task (``None`` while
    the list is not complete). ``ticked_at`` maps task ids to their tick times."""
    if not progress(task_list, ticked_at).complete:
        return None
    counting = {t.id for t in task_list.counting_tasks}
    return max(when for task_id, when in ticked_at.items() if task_id in counting)


def progress(task_list: TaskList, ticked_task_ids: Collection[int]) -> Progress:
    """Only counting tasks count; ticks of removed tasks are history, not progress."""
    ticked = set(ticked_task_ids)
    tasks = task_list.counting_tasks
    weeks = sorted({t.week for t in tasks})
    by_week = tuple(
        WeekProgress(
            week=w,
            done=sum(1 for t in tasks if t.week == w and t.id in ticked),
            total=sum(1 for t in tasks if t.week == w),
        )
        for w in weeks
    )
    return Progress(done=sum(1 for t in tasks if t.id in ticked), total=len(tasks), weeks=by_week)
