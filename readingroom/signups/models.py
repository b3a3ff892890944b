"""Family accounts (家庭账户), their members, registrations (报名) and what follows from them.

A registration holds seats in one session for some members of one household
(or for walk-ins without an account). It is *live* while confirmed or on the
waiting list; a household holds at most one live registration per session
(a partial unique index, the database's own guarantee). Cancelled
registrations stay as history.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..database import UTCDateTime
from ..extensions import db
from ..models_base import TimestampMixin, str_enum
from ..timeutil import utcnow

if TYPE_CHECKING:
    from ..auth.models import StaffUser
    from ..places.models import Community
    from ..schedule.models import ReadingSession


class MemberKind(enum.Enum):
    CHILD = "child"
    ADULT = "adult"


class AdultRole(enum.Enum):
    SELF = "self"  # the guardian
    SPOUSE = "spouse"
    GRANDPARENT = "grandparent"
    RELATIVE = "relative"
    OTHER = "other"


class RegistrationStatus(enum.Enum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


LIVE_STATUSES = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)
_LIVE_SQL = text("status IN ('confirmed', 'waitlisted')")


class CancelledBy(enum.Enum):
    HOUSEHOLD = "household"  # logged in
    LINK = "link"  # the cancellation link, without login
    STAFF = "staff"


class Household(TimestampMixin, db.Model):
    """A family account: one guardian's login, one mobile number, the members."""

    __tablename__ = "household"

    id: Mapped[int] = mapped_column(primary_key=True)
    guardian_name: Mapped[str] = mapped_column(String(40))
    mobile: Mapped[str] = mapped_column(String(11), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    # When the guardian agreed to the processing of the children's data (None: not given).
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_version: Mapped[str] = mapped_column(String(20), default="")
    # The private calendar feed: a nonce from `secrets`; the link is derived from it with
    # the app's secret key, and only its digest is looked up (see tokens.py).
    feed_nonce: Mapped[str | None] = mapped_column(String(64))
    feed_token_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(default=True)

    community: Mapped[Community] = relationship()
    members: Mapped[list[Member]] = relationship(
        order_by="(Member.kind, Member.id)",
        primaryjoin="and_(Member.household_id == Household.id, Member.removed_at.is_(None))",
        viewonly=True,
    )

    # Flask-Login
    def get_id(self) -> str:
        return f"household:{self.id}"

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_household(self) -> bool:
        return True

    @property
    def is_staff(self) -> bool:
        return False

    @property
    def is_admin(self) -> bool:
        return False

    @property
    def name(self) -> str:
        return self.guardian_name

    @property
    def has_consent(self) -> bool:
        return self.consent_at is not None

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<Household {self.id}>"


class Member(TimestampMixin, db.Model):
    """A person of a household: a child (given name, birth year and month) or an adult."""

    __tablename__ = "household_member"
    __table_args__ = (
        CheckConstraint(
            "kind <> 'child' OR (birth_year IS NOT NULL AND birth_month IS NOT NULL)",
            name="child_birth",
        ),
        CheckConstraint(
            "birth_month IS NULL OR birth_month BETWEEN 1 AND 12", name="birth_month_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[MemberKind] = mapped_column(str_enum(MemberKind))
    given_name: Mapped[str] = mapped_column(String(40))
    birth_year: Mapped[int | None]
    birth_month: Mapped[int | None]
    role: Mapped[AdultRole | None] = mapped_column(str_enum(AdultRole))
    # Members who took part in sessions are hidden, not deleted (their history stays).
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    household: Mapped[Household] = relationship()

    @property
    def is_child(self) -> bool:
        return self.kind is MemberKind.CHILD

    def __repr__(self) -> str:
        return f"<Member {self.id} {self.kind.value} of household {self.household_id}>"


class Registration(TimestampMixin, db.Model):
    """Seats in one session for one household (or a party of walk-ins)."""

    __tablename__ = "registration"
    __table_args__ = (
        CheckConstraint("seats > 0", name="seats_positive"),
        # One live registration per household and session: the database's own guarantee.
        Index(
            "uq_registration_live_household",
            "session_id",
            "household_id",
            unique=True,
            sqlite_where=_LIVE_SQL,
            postgresql_where=_LIVE_SQL,
        ),
        Index("ix_registration_session_status", "session_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("reading_session.id"))
    # None for walk-ins added by staff (people without an account).
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[RegistrationStatus] = mapped_column(str_enum(RegistrationStatus))
    seats: Mapped[int]
    walk_in_name: Mapped[str] = mapped_column(String(40), default="")
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by: Mapped[CancelledBy | None] = mapped_column(str_enum(CancelledBy))
    cancel_reason: Mapped[str] = mapped_column(String(300), default="")
    no_show_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The cancellation link (no login): nonce + digest, as for the household feed.
    cancel_nonce: Mapped[str | None] = mapped_column(String(64))
    cancel_token_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    # When the household was cut loose (old registrations purged, or the family deleted
    # its account): seats, attendance, ages and statuses stay for the figures; who goes.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    session: Mapped[ReadingSession] = relationship()
    household: Mapped[Household | None] = relationship()
    attendees: Mapped[list[Attendee]] = relationship(
        back_populates="registration",
        cascade="all, delete-orphan",
        order_by="(Attendee.kind.desc(), Attendee.id)",
    )

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES

    @property
    def is_confirmed(self) -> bool:
        return self.status is RegistrationStatus.CONFIRMED

    @property
    def is_waitlisted(self) -> bool:
        return self.status is RegistrationStatus.WAITLISTED

    @property
    def is_walk_in(self) -> bool:
        return self.household_id is None and self.anonymised_at is None

    @property
    def is_anonymised(self) -> bool:
        return self.anonymised_at is not None

    def __repr__(self) -> str:
        return (
            f"<Registration {self.id} session={self.session_id} "
            f"household={self.household_id} {self.status.value} seats={self.seats}>"
        )


class Attendee(db.Model):
    """One person (one seat) of a registration; check-in (签到) is per person."""

    __tablename__ = "registration_attendee"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("household_member.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[MemberKind] = mapped_column(str_enum(MemberKind))
    # Age on the session day, kept for the figures when personal data is purged later.
    age: Mapped[int | None]
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    registration: Mapped[Registration] = relationship(back_populates="attendees")
    member: Mapped[Member | None] = relationship()

    def __repr__(self) -> str:
        return f"<Attendee {self.id} of registration {self.registration_id}>"


class NoticeKind(enum.Enum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    PROMOTED = "promoted"
    CANCELLED = "cancelled"  # the household cancelled
    CANCELLED_BY_STAFF = "cancelled_by_staff"
    SESSION_MOVED = "session_moved"
    SESSION_CANCELLED = "session_cancelled"


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
    registration: Mapped[Registration | None] = relationship()

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


class PhoneReveal(db.Model):
    """A staff member looked at a household's full mobile number (logged every time)."""

    __tablename__ = "phone_reveal"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), index=True
    )
    session_id: Mapped[int | None] = mapped_column(ForeignKey("reading_session.id"))
    revealed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    staff: Mapped[StaffUser] = relationship()
    household: Mapped[Household] = relationship()

    def __repr__(self) -> str:
        return f"<PhoneReveal staff={self.staff_id} household={self.household_id}>"


class PasswordReset(db.Model):
    """A one-time link a staff member hands to a guardian (there is no SMS here)."""

    __tablename__ = "household_password_reset"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), index=True
    )
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    household: Mapped[Household] = relationship()

    def __repr__(self) -> str:
        return f"<PasswordReset {self.id} household={self.household_id}>"
