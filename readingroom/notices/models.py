"""Notices to households and the outbox that sends them.

A notice is shown in the family's pages; an outbox row, written in the same
transaction as the change it tells of, sends it (SMS, e-mail, log) with retries.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime
from ..extensions import db
from ..models_base import str_enum
from ..timeutil import utcnow

if TYPE_CHECKING:
    from ..families.models import Household
    from ..schedule.models import ReadingSession


class NoticeKind(enum.Enum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    PROMOTED = "promoted"
    CANCELLED = "cancelled"  # the household cancelled
    CANCELLED_BY_STAFF = "cancelled_by_staff"
    SESSION_MOVED = "session_moved"
    SESSION_CANCELLED = "session_cancelled"
    # A whole course at once (one notice, not one per session); detail: "confirmed:waiting".
    COURSE_SIGNED_UP = "course_signed_up"
    COURSE_CANCELLED = "course_cancelled"
    LOGIN_FAILURES = "login_failures"  # many failed logins at the family's number
    RESET_LINK_ISSUED = "reset_link_issued"  # staff issued a password-reset link
    REMINDER = "reminder"  # the day before (registrations.reminders, run by the worker)


class Notice(db.Model):
    """Something a household should know; shown in the app and sent through the outbox."""

    __tablename__ = "household_notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[NoticeKind] = mapped_column(str_enum(NoticeKind, length=30))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("reading_session.id"))
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="SET NULL")
    )
    detail: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    household: Mapped[Household] = relationship()
    session: Mapped[ReadingSession | None] = relationship()

    def __repr__(self) -> str:
        return f"<Notice {self.id} {self.kind.value} household={self.household_id}>"


class OutboxStatus(enum.Enum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up after the last retry; the notice stays in the app


class OutboxMessage(db.Model):
    """A notice waiting to be sent (transactional outbox: written with the change itself)."""

    __tablename__ = "notice_outbox"
    __table_args__ = (Index("ix_notice_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(
        ForeignKey("household_notice.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[OutboxStatus] = mapped_column(
        str_enum(OutboxStatus), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    notice: Mapped[Notice] = relationship()

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.status.value} attempts={self.attempts}>"
