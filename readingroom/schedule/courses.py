"""Courses (课程): one syllabus of ordered lessons, run in several book rooms at once.

A course's run in one book room is an ordinary :class:`~.models.Series` whose
``course_id`` points here; each of its sessions points at its
:class:`Lesson` (``lesson_id``). Everything that works for sessions (sign-up,
roster, feeds, check-in) therefore works for course sessions unchanged. A
lesson's content is copied onto its sessions when they are created and again
whenever the lesson is edited (one edit, every community), so the calendars
read sessions only.

Hosts (主持人) are people: a host belongs to a partner (e.g. 新华书店's
storyteller) or to a community; clashes compare hosts by id across
communities (and, for sessions without a host record, by the typed name).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from flask_babel import gettext as _
from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import TimestampMixin
from ..places.models import Community
from ..timeutil import format_day
from .models import Program

if TYPE_CHECKING:
    from .models import Series


class Partner(TimestampMixin, db.Model):
    """An organisation that brings resources and hosts (合作单位), e.g. 新华书店."""

    __tablename__ = "partner"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    contact: Mapped[str] = mapped_column(String(120), default="")

    hosts: Mapped[list[Host]] = relationship(back_populates="partner", order_by="Host.id")

    def __repr__(self) -> str:
        return f"<Partner {self.name!r}>"


class Host(TimestampMixin, db.Model):
    """A person who leads sessions (主持人): of a partner or of a community."""

    __tablename__ = "host"
    __table_args__ = (
        CheckConstraint(
            "(partner_id IS NULL) <> (community_id IS NULL)", name="partner_or_community"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"), index=True)

    partner: Mapped[Partner | None] = relationship(back_populates="hosts")
    community: Mapped[Community | None] = relationship()

    @property
    def label(self) -> str:
        """The name with where the host comes from, e.g. "新华书店 张帆"."""
        owner = (
            self.partner.name if self.partner else (self.community.name if self.community else "")
        )
        return f"{owner} {self.name}".strip()

    def __repr__(self) -> str:
        return f"<Host {self.id} {self.name!r}>"


class Course(TimestampMixin, db.Model):
    """A syllabus with a strand, a period and a partner; runs are its series."""

    __tablename__ = "course"
    __table_args__ = (CheckConstraint("first_date <= last_date", name="period_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id"), index=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"), index=True)
    # The community whose staff created it; None: the subdistrict's (administrator).
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    first_date: Mapped[date]
    last_date: Mapped[date]

    program: Mapped[Program] = relationship()
    partner: Mapped[Partner | None] = relationship()
    community: Mapped[Community | None] = relationship()
    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="course", order_by="Lesson.number", cascade="all, delete-orphan"
    )
    runs: Mapped[list[Series]] = relationship(back_populates="course", order_by="Series.id")

    def __repr__(self) -> str:
        return f"<Course {self.id} {self.title!r}>"


def course_labels(courses: Sequence[Course]) -> dict[int, str]:
    """How each course is named in a list of them (the filters' choices): its title, and a
    title that two of them share (each summer's course) with its first day."""
    titles = Counter(c.title for c in courses)

    def label(course: Course) -> str:
        if titles[course.title] == 1:
            return course.title
        day = format_day(course.first_date, with_year=True)
        return _("%(title)s (from %(day)s)", title=course.title, day=day)

    return {c.id: label(c) for c in courses}


class Lesson(TimestampMixin, db.Model):
    """第 N 课: the content every community's session of this lesson shows."""

    __tablename__ = "lesson"
    __table_args__ = (
        UniqueConstraint("course_id", "number"),
        CheckConstraint("number > 0", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    number: Mapped[int]
    topic: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    suggested_books: Mapped[str] = mapped_column(Text, default="")
    materials: Mapped[str] = mapped_column(String(300), default="")
    # A guest host for this lesson in every run (e.g. the partner's storyteller).
    host_id: Mapped[int | None] = mapped_column(ForeignKey("host.id"))

    course: Mapped[Course] = relationship(back_populates="lessons")
    host: Mapped[Host | None] = relationship()

    @property
    def book_list(self) -> list[str]:
        return [line.strip() for line in self.suggested_books.splitlines() if line.strip()]

    def session_content(self) -> dict[str, str]:
        """What every community's session of this lesson shows (title, description, books)."""
        parts = [self.description.strip()]
        if self.materials.strip():
            parts.append(f"请带：{self.materials.strip()}")
        return {
            "title": f"{self.course.title} 第{self.number}课：{self.topic}"[:120],
            "description": "\n\n".join(p for p in parts if p),
            "suggested_books": self.suggested_books.strip(),
        }

    def __repr__(self) -> str:
        return f"<Lesson {self.course_id}#{self.number} {self.topic!r}>"
