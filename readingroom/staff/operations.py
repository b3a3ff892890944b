"""Staff account rules."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from ..auth.passwords import authenticate
from ..extensions import db
from ..places.models import Community
from .models import Role, StaffUser

MIN_PASSWORD_LENGTH = 8


def create_staff(
    login: str,
    name: str,
    password: str,
    *,
    role: Role = Role.STAFF,
    communities: Iterable[Community] = (),
) -> StaffUser:
    user = StaffUser(
        login=login.strip(), name=name.strip(), role=role, communities=list(communities)
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def staff_by_login(login: str) -> StaffUser | None:
    return db.session.scalars(select(StaffUser).where(StaffUser.login == login.strip())).first()


def authenticate_staff(login: str, password: str) -> StaffUser | None:
    """The active staff user with this login and password, else ``None``."""
    return authenticate(staff_by_login(login), password)


def update_staff(
    user: StaffUser,
    *,
    login: str,
    name: str,
    role: Role,
    communities: Iterable[Community],
    active: bool,
    password: str | None = None,
) -> StaffUser:
    """Change a staff account (the administrator's screen)."""
    user.login, user.name, user.role, user.active = login.strip(), name.strip(), role, active
    user.communities = list(communities) if role is Role.STAFF else []
    if password:
        user.set_password(password)
    user.end_sessions()  # an edited (or disabled) account logs in again everywhere
    db.session.flush()
    return user


def all_staff() -> list[StaffUser]:
    return list(db.session.scalars(select(StaffUser).order_by(StaffUser.role, StaffUser.login)))
