"""Staff users: the subdistrict administrator and community staff."""

from __future__ import annotations

import enum

from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.passwords import PasswordMixin
from ..auth.sessions import SessionTokenMixin
from ..extensions import db
from ..models_base import TimestampMixin, str_enum
from ..places.models import Community


class Role(enum.Enum):
    ADMIN = "admin"  # 街道管理员: every community
    STAFF = "staff"  # 社区工作人员: only the communities assigned


staff_community = Table(
    "staff_community",
    db.metadata,
    Column("staff_id", ForeignKey("staff_user.id", ondelete="CASCADE"), primary_key=True),
    Column("community_id", ForeignKey("community.id", ondelete="CASCADE"), primary_key=True),
)


class StaffUser(SessionTokenMixin, PasswordMixin, UserMixin, TimestampMixin, db.Model):
    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role), default=Role.STAFF)
    active: Mapped[bool] = mapped_column(default=True)

    communities: Mapped[list[Community]] = relationship(
        secondary=staff_community, order_by="Community.id"
    )

    # Flask-Login: ids are prefixed so that staff and households never collide, and carry
    # the session token (auth/sessions.py).
    login_kind = "staff"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_staff(self) -> bool:
        return True

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def __repr__(self) -> str:
        return f"<StaffUser {self.login!r} {self.role.value}>"
