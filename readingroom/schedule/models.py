"""Strands (阅读板块), sessions (活动场次) and weekly series (系列活动).

A series expands into real :class:`ReadingSession` rows: each occurrence has
its own id, its own calendar UID and its own registrations, and can be moved
or cancelled on its own.
"""

from __future__ import annotations

import enum
import re
from datetime import date, datetime, time
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime
from ..extensions import db
from ..models_base import TimestampMixin, str_enum
from ..places.models import Room

if TYPE_CHECKING:
    from .courses import Course, Host, Lesson

#: A strand's colour, as ``#rrggbb`` (checked by the form, and again before it goes into CSS).
COLOUR_PATTERN = re.compile(r"#[0-9a-fA-F]{6}")


class Program(TimestampMixin, db.Model):
    """A strand such as parent–child reading, with its audience rule."""

    __tablename__ = "program"
    __table_args__ = (
        CheckConstraint("min_age >= 0", name="min_age_non_negative"),
        CheckConstraint("max_age IS NULL OR max_age >= min_age", name="age_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str | None] = mapped_column(String(60))
    colour: Mapped[str] = mapped_column(String(7), default="#2f6f4e")  # #rrggbb
    description: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    # Audience: the age range of participants (for parent–child: the children),
    # and whether an accompanying adult is required.
    min_age: Mapped[int] = mapped_column(default=0)
    max_age: Mapped[int | None]
    adult_required: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)

    def admits_age(self, age: int) -> bool:
        return age >= self.min_age and (self.max_age is None or age <= self.max_age)

    def __repr__(self) -> str:
        return f"<Program {self.slug}>"


class SessionStatus(enum.Enum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class Series(TimestampMixin, db.Model):
    """A weekly recurrence; its occurrences are real sessions (``sessions``)."""

    __tablename__ = "series"
    __table_args__ = (
        CheckConstraint("start_time < end_time", name="start_before_end"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id"), index=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    host: Mapped[str] = mapped_column(String(80), default="")
    capacity: Mapped[int]
    suggested_books: Mapped[str] = mapped_column(Text, default="")
    # Weekdays as "0,2" (0 = Monday); times are Beijing wall-clock times.
    weekdays: Mapped[str] = mapped_column(String(20))
    start_time: Mapped[time]
    end_time: Mapped[time]
    first_date: Mapped[date]
    last_date: Mapped[date | None]
    count: Mapped[int | None]
    # Registration window of the occurrences (sign-ups), as offsets from each start;
    # None: the defaults (SIGNUP_OPENS_DAYS_BEFORE / SIGNUP_CLOSES_HOURS_BEFORE).
    signup_opens_days: Mapped[int | None]
    signup_closes_hours: Mapped[int | None]
    # A course's run in this room (courses.py); None: an ordinary series.
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id"), index=True)
    host_id: Mapped[int | None] = mapped_column(ForeignKey("host.id"))

    program: Mapped[Program] = relationship()
    room: Mapped[Room] = relationship()
    course: Mapped[Course | None] = relationship(back_populates="runs")
    host_person: Mapped[Host | None] = relationship()
    sessions: Mapped[list[ReadingSession]] = relationship(
        back_populates="series", order_by="ReadingSession.starts_at"
    )

    @property
    def weekday_list(self) -> list[int]:
        return [int(d) for d in self.weekdays.split(",") if d != ""]

    def __repr__(self) -> str:
        return f"<Series {self.id} {self.title!r}>"


class ReadingSession(TimestampMixin, db.Model):
    """One reading session (活动场次) in a book room.

    ``sequence`` is the revision a calendar sees (iCalendar SEQUENCE): it goes
    up on every change to what a calendar shows (time, place, title, status…).
    """

    __tablename__ = "reading_session"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        Index("ix_reading_session_room_start", "room_id", "starts_at"),
        # Calendar feeds' validators read max(updated_at) on every request (calendars.queries).
        Index("ix_reading_session_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id"), index=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id"))
    series_id: Mapped[int | None] = mapped_column(ForeignKey("series.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int]
    host: Mapped[str] = mapped_column(String(80), default="")
    suggested_books: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[SessionStatus] = mapped_column(
        str_enum(SessionStatus), default=SessionStatus.SCHEDULED
    )
    cancel_reason: Mapped[str] = mapped_column(String(300), default="")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sequence: Mapped[int] = mapped_column(default=0)
    # Registration window (sign-ups); None: the series' offsets, else the defaults.
    signup_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signup_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Course sessions: the lesson whose content this session shows, and the host as a person.
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lesson.id"), index=True)
    host_id: Mapped[int | None] = mapped_column(ForeignKey("host.id"), index=True)

    program: Mapped[Program] = relationship()
    room: Mapped[Room] = relationship()
    series: Mapped[Series | None] = relationship(back_populates="sessions")
    lesson: Mapped[Lesson | None] = relationship()
    host_person: Mapped[Host | None] = relationship()

    @property
    def is_cancelled(self) -> bool:
        return self.status is SessionStatus.CANCELLED

    @property
    def book_list(self) -> list[str]:
        return [line.strip() for line in self.suggested_books.splitlines() if line.strip()]

    def ical_uid(self) -> str:
        """The calendar UID: fixed for the life of the session, unique in the system."""
        return f"session-{self.id}@{current_app.config['ICAL_UID_DOMAIN']}"

    def __repr__(self) -> str:
        return f"<ReadingSession {self.id} {self.title!r} {self.starts_at:%Y-%m-%d %H:%M}Z>"


# The course models refer to these by name; import them so the mappers always see them.
from . import courses as _courses  # noqa: E402, F401
