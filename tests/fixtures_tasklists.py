"""Fixtures and factories for the tasklists tests (a pytest plugin loaded by conftest.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from readingroom.extensions import db
from readingroom.places.models import Community
from readingroom.schedule.models import Program
from readingroom.tasklists.models import ListStatus, Task, TaskKind, TaskList, TaskTick
from readingroom.timeutil import beijing_today

DEFAULT_TASKS = (
    ("读一本绘本", TaskKind.READ_TOGETHER, 1),
    ("讲一讲故事", TaskKind.RETELL, 1),
    ("到书房看一看", TaskKind.VISIT, 1),
    ("画出故事的结尾", TaskKind.DRAW, 2),
    ("到书房借一本书", TaskKind.VISIT, 2),
)


class TaskListFactory:
    """Task lists with tasks; every call commits (live servers see it)."""

    def __init__(self, make):
        self.make = make

    def task_list(
        self,
        *communities: Community,
        all_communities: bool = False,
        status: ListStatus = ListStatus.PUBLISHED,
        starts_on: date | None = None,
        weeks: int = 4,
        program: Program | None = None,
        title: str = "寒假家庭阅读任务清单",
        tasks: tuple[tuple[str, TaskKind, int], ...] = DEFAULT_TASKS,
    ) -> TaskList:
        starts_on = starts_on or beijing_today() - timedelta(days=3)
        if not communities and not all_communities:
            communities = (self.make.community(),)
        task_list = TaskList(
            title=title,
            program=program or self.make.program(),
            starts_on=starts_on,
            ends_on=starts_on + timedelta(days=7 * weeks - 1),
            all_communities=all_communities,
            communities=list(communities),
            status=status,
        )
        for position, (task_title, kind, week) in enumerate(tasks):
            task_list.tasks.append(Task(title=task_title, kind=kind, week=week, position=position))
        db.session.add(task_list)
        db.session.commit()
        return task_list

    def tick(self, task: Task, member, *, minutes: int | None = None, note: str = "") -> TaskTick:
        tick = TaskTick(
            task_id=task.id,
            member_id=member.id,
            household_id=member.household_id,
            minutes=minutes,
            note=note,
        )
        db.session.add(tick)
        db.session.commit()
        return tick


@pytest.fixture
def lists(make) -> TaskListFactory:
    return TaskListFactory(make)


def children_of(household) -> list:
    db.session.refresh(household)
    return [m for m in household.members if m.is_child]


def confirmed_registration(reading_session, household, member):
    """A confirmed registration of one member (built directly: no sign-up window to respect)."""
    from readingroom.registrations.models import Attendee, Registration, RegistrationStatus

    registration = Registration(
        session_id=reading_session.id,
        household_id=household.id,
        status=RegistrationStatus.CONFIRMED,
        seats=1,
    )
    registration.attendees.append(Attendee(member=member, kind=member.kind))
    db.session.add(registration)
    db.session.commit()
    return registration


def count(model, **where) -> int:
    """Rows of ``model`` (with these column values, if given), as the database has them now."""
    stmt = select(func.count()).select_from(model)
    for name, value in where.items():
        stmt = stmt.where(getattr(model, name) == value)
    return db.session.scalar(stmt)


def html(response) -> str:
    return response.get_data(as_text=True)
