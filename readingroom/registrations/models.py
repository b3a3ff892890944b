"""Registrations (报名): seats in one session for some members of one household.

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

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime
from ..extensions import db
from ..families.models import MemberKind
from ..models_base import TimestampMixin, str_enum

if TYPE_CHECKING:
    from ..families.models import Household, Member
    from ..schedule.models import ReadingSession


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
        # The figures' cache reads max(updated_at) on every request (reports.figures).
        Index("ix_registration_updated_at", "updated_at"),
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
    # The household's first registration ever (set at sign-up): "new households" in the
    # figures count these, so the figure stays when the account is deleted later.
    first_of_household: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Set when anonymised: a random number, the same for all registrations of one household
    # anonymised together, so that "households reached" still counts them once.
    household_ref: Mapped[int | None] = mapped_column(BigInteger)

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
    # Set when anonymised: a random number per member (as ``Registration.household_ref``),
    # so that "people reached" still counts the person once.
    person_ref: Mapped[int | None] = mapped_column(BigInteger)

    registration: Mapped[Registration] = relationship(back_populates="attendees")
    member: Mapped[Member | None] = relationship()

    def __repr__(self) -> str:
        return f"<Attendee {self.id} of registration {self.registration_id}>"
