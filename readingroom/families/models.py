"""Family accounts (家庭账户) and their members (家庭成员).

A household is one guardian's login with one mobile number; its members are
the children and adults who come to sessions. Members who took part are
hidden, never deleted, so that history stays.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.passwords import PasswordMixin
from ..auth.sessions import SessionTokenMixin
from ..database import UTCDateTime
from ..extensions import db
from ..models_base import TimestampMixin, str_enum
from ..timeutil import utcnow

if TYPE_CHECKING:
    from ..places.models import Community


class MemberKind(enum.Enum):
    CHILD = "child"
    ADULT = "adult"


class AdultRole(enum.Enum):
    SELF = "self"  # the guardian
    SPOUSE = "spouse"
    GRANDPARENT = "grandparent"
    RELATIVE = "relative"
    OTHER = "other"


class Household(SessionTokenMixin, PasswordMixin, TimestampMixin, db.Model):
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

    # Flask-Login (the id carries the session token: auth/sessions.py)
    login_kind = "household"

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


class PasswordResetCode(db.Model):
    """A 6-digit code sent by SMS to a family's number for a forgotten password
    (families/reset_codes.py): valid for minutes, for a few tries, kept only as a keyed
    digest."""

    __tablename__ = "household_reset_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), index=True
    )
    code_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    household: Mapped[Household] = relationship()

    def __repr__(self) -> str:
        return f"<PasswordResetCode {self.id} household={self.household_id}>"
