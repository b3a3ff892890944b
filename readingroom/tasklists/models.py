"""Task lists, their tasks, and (once households exist) ticks and reading logs.

A task list is planned in weeks: week 1 starts on ``starts_on``. Tasks are
never deleted once a list is in use: a removed task keeps its ticks (the
history) but stops counting towards progress, certificates and figures.
"""

from __future__ import annotations

import enum
import math
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from ..database import UTCDateTime
from ..extensions import db
from ..families.models import Household
from ..models_base import TimestampMixin, str_enum
from ..timeutil import utcnow

if TYPE_CHECKING:
    from ..families.models import Member
    from ..places.models import Community
    from ..schedule.courses import Course
    from ..schedule.models import Program, ReadingSession


class ListStatus(enum.Enum):
    DRAFT = "draft"  # staff only
    PUBLISHED = "published"  # households see it (from its first day) and tick
    ARCHIVED = "archived"  # withdrawn: staff and figures only


class TaskKind(enum.Enum):
    READ_TOGETHER = "read_together"  # 共读
    RETELL = "retell"  # 复述
    DRAW = "draw"  # 绘画
    VISIT = "visit"  # 到馆: ticked by check-in at a session, too
    OTHER = "other"  # 其他


STATUS_LABELS = {
    ListStatus.DRAFT: _l("Draft"),
    ListStatus.PUBLISHED: _l("Published"),
    ListStatus.ARCHIVED: _l("Archived"),
}

KIND_LABELS = {
    TaskKind.READ_TOGETHER: _l("Read together"),
    TaskKind.RETELL: _l("Retell"),
    TaskKind.DRAW: _l("Draw"),
    TaskKind.VISIT: _l("Visit the book room"),
    TaskKind.OTHER: _l("Other"),
}

task_list_community = Table(
    "task_list_community",
    db.metadata,
    Column("task_list_id", ForeignKey("task_list.id", ondelete="CASCADE"), primary_key=True),
    Column("community_id", ForeignKey("community.id", ondelete="CASCADE"), primary_key=True),
)


class TaskList(TimestampMixin, db.Model):
    """A family reading task list (家庭阅读任务清单) for a period, week by week."""

    __tablename__ = "task_list"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="period_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id"), index=True)
    # True: for every community, present and future (only the administrator sets it).
    all_communities: Mapped[bool] = mapped_column(default=False)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    status: Mapped[ListStatus] = mapped_column(str_enum(ListStatus), default=ListStatus.DRAFT)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    copied_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("task_list.id", ondelete="SET NULL")
    )
    # Families may tick tasks of weeks that have not started yet (staff choose per list).
    ticks_ahead: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL")
    )

    # A list that follows a course (course_tasks.py): week n holds lesson n's tasks, and a
    # check-in at lesson n ticks week n's visit.
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id"), index=True)

    program: Mapped[Program] = relationship()
    course: Mapped[Course | None] = relationship()
    communities: Mapped[list[Community]] = relationship(
        secondary=task_list_community, order_by="Community.id"
    )
    tasks: Mapped[list[Task]] = relationship(
        back_populates="task_list",
        cascade="all, delete-orphan",
        order_by="(Task.week, Task.position, Task.id)",
    )
    copied_from: Mapped[TaskList | None] = relationship(remote_side="TaskList.id")

    @property
    def is_draft(self) -> bool:
        return self.status is ListStatus.DRAFT

    @property
    def is_published(self) -> bool:
        return self.status is ListStatus.PUBLISHED

    @property
    def is_archived(self) -> bool:
        return self.status is ListStatus.ARCHIVED

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def week_count(self) -> int:
        return weeks_in_period(self.starts_on, self.ends_on)

    def week_of(self, day: date) -> int | None:
        """The week (1…) of the period that ``day`` falls in, ``None`` outside the period."""
        if not self.starts_on <= day <= self.ends_on:
            return None
        return (day - self.starts_on).days // 7 + 1

    def week_bounds(self, week: int) -> tuple[date, date]:
        """First and last day of week ``week`` (the last week may be short)."""
        first = self.starts_on + timedelta(days=7 * (week - 1))
        return first, min(first + timedelta(days=6), self.ends_on)

    @property
    def counting_tasks(self) -> list[Task]:
        return [t for t in self.tasks if t.is_counting]

    @property
    def removed_tasks(self) -> list[Task]:
        return [t for t in self.tasks if not t.is_counting]

    @property
    def highest_week(self) -> int:
        return max((t.week for t in self.counting_tasks), default=0)

    def community_ids(self) -> set[int]:
        return {c.id for c in self.communities}

    def applies_to(self, community_id: int) -> bool:
        """Whether the list is meant for households of this community."""
        return self.all_communities or community_id in self.community_ids()

    def __repr__(self) -> str:
        return f"<TaskList {self.id} {self.title!r} {self.status.value}>"


def weeks_in_period(starts_on: date, ends_on: date) -> int:
    """Number of (possibly partial) weeks from ``starts_on`` to ``ends_on`` inclusive."""
    return max(1, math.ceil(((ends_on - starts_on).days + 1) / 7))


class Task(TimestampMixin, db.Model):
    """One task of a list, e.g. "read a picture book together", in a given week."""

    __tablename__ = "reading_task"
    __table_args__ = (
        CheckConstraint("week >= 1", name="week_positive"),
        CheckConstraint("position >= 0", name="position_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_list_id: Mapped[int] = mapped_column(
        ForeignKey("task_list.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(500), default="")
    kind: Mapped[TaskKind] = mapped_column(str_enum(TaskKind), default=TaskKind.READ_TOGETHER)
    book_title: Mapped[str] = mapped_column(String(120), default="")
    book_author: Mapped[str] = mapped_column(String(80), default="")
    book_isbn: Mapped[str] = mapped_column(String(13), default="")  # normalised, see isbn.py
    week: Mapped[int] = mapped_column(default=1)
    position: Mapped[int] = mapped_column(default=0)
    # Soft removal: ticks stay (history) but the task no longer counts.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    task_list: Mapped[TaskList] = relationship(back_populates="tasks")

    @property
    def is_counting(self) -> bool:
        return self.removed_at is None

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[self.kind])

    @property
    def has_book(self) -> bool:
        return bool(self.book_title)

    def __repr__(self) -> str:
        return f"<Task {self.id} list={self.task_list_id} w{self.week} {self.title!r}>"


class TickSource(enum.Enum):
    FAMILY = "family"  # ticked by the household
    CHECK_IN = "check_in"  # ticked by check-in at a session (visit tasks)


class AnonymousWork:
    """What a tick or a reading-log entry keeps when its family deletes its account: the
    child and the household go (``member_id``/``household_id`` None, free text emptied) and
    random numbers take their place, one per household and per child, new for every
    deletion, with the home community of that day, so that the task-list figures count
    them as before without saying who (as ``Registration.household_ref`` does for seats)."""

    household_ref: Mapped[int | None] = mapped_column(BigInteger)
    person_ref: Mapped[int | None] = mapped_column(BigInteger)

    @declared_attr
    def home_community_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("community.id"))

    # What the figures count by, in SQL, the same for a family's rows and anonymous ones
    # (ids are positive, the random numbers are stored negated: they never meet).

    @classmethod
    def household_key(cls) -> Any:
        return func.coalesce(cls.household_id, -cls.household_ref)

    @classmethod
    def child_key(cls) -> Any:
        return func.coalesce(cls.member_id, -cls.person_ref)

    @classmethod
    def community_key(cls) -> Any:
        """The home community; the statement must outer-join :class:`Household` on
        ``household_id`` (see :meth:`with_household`)."""
        return func.coalesce(Household.community_id, cls.home_community_id)

    @classmethod
    def with_household(cls, stmt: Any) -> Any:
        return stmt.outerjoin(Household, Household.id == cls.household_id)


class TaskTick(AnonymousWork, db.Model):
    """A task done by one child: at most one per task and child (the database's guarantee)."""

    __tablename__ = "task_tick"
    __table_args__ = (
        UniqueConstraint("task_id", "member_id"),
        CheckConstraint("minutes IS NULL OR minutes BETWEEN 0 AND 600", name="minutes_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("reading_task.id", ondelete="CASCADE"))
    # The child and its household (kept for scoping and figures; a member never changes
    # household); None once the account is deleted (:class:`AnonymousWork`).
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("household_member.id", ondelete="CASCADE"), index=True
    )
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), index=True
    )
    note: Mapped[str] = mapped_column(String(300), default="")
    minutes: Mapped[int | None]
    source: Mapped[TickSource] = mapped_column(str_enum(TickSource), default=TickSource.FAMILY)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("reading_session.id", ondelete="SET NULL")
    )
    ticked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    task: Mapped[Task] = relationship()
    member: Mapped[Member | None] = relationship()
    household: Mapped[Household | None] = relationship()
    session: Mapped[ReadingSession | None] = relationship()

    def __repr__(self) -> str:
        return f"<TaskTick task={self.task_id} member={self.member_id}>"


class ReadingLogEntry(AnonymousWork, db.Model):
    """A book a child read during a list's period (title, minutes, day)."""

    __tablename__ = "reading_log_entry"
    __table_args__ = (CheckConstraint("minutes BETWEEN 1 AND 600", name="minutes_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_list_id: Mapped[int] = mapped_column(
        ForeignKey("task_list.id", ondelete="CASCADE"), index=True
    )
    # None once the account is deleted (:class:`AnonymousWork`; the title is emptied).
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("household_member.id", ondelete="CASCADE"), index=True
    )
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(120))
    minutes: Mapped[int]
    read_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    task_list: Mapped[TaskList] = relationship()
    member: Mapped[Member | None] = relationship()

    def __repr__(self) -> str:
        return f"<ReadingLogEntry {self.id} member={self.member_id} {self.read_on}>"
