"""Who may do what: staff see and change only their own communities (admin: all);
families see only their own things.

The decorators look only at the logged-in account's attributes (``is_staff``,
``is_admin``, ``is_household``, ``communities``), so every domain can use them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import Select

F = TypeVar("F", bound=Callable[..., Any])


def is_staff(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_staff", False))


def community_ids_of(user: Any) -> set[int] | None:
    """The communities a staff user may manage; ``None`` means all (administrator)."""
    if not is_staff(user):
        return set()
    if user.is_admin:
        return None
    return {c.id for c in user.communities}


def can_manage(user: Any, community_id: int) -> bool:
    ids = community_ids_of(user)
    return ids is None or community_id in ids


def may_manage(community_id: int) -> bool:
    """Templates: whether the logged-in staff member manages this community (e.g. a
    household's home community: showing its number, a reset link)."""
    return can_manage(current_user, community_id)


def require_community(community_id: int) -> None:
    """403 unless the current staff user manages this community."""
    if not can_manage(current_user, community_id):
        abort(403)


def scope_to_user(stmt: Select, community_column: Any) -> Select:
    """Restrict a query to the current user's communities."""
    ids = community_ids_of(current_user)
    if ids is None:
        return stmt
    return stmt.where(community_column.in_(ids))


def staff_required(view: F) -> F:
    """Logged-in staff only: others are sent to the login page, households get 403."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not is_staff(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def admin_required(view: F) -> F:
    @wraps(view)
    @staff_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def household_required(view: F) -> F:
    """A logged-in family; staff get 403 (one login at a time)."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not getattr(current_user, "is_household", False):
            abort(403)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def current_household() -> Any:
    """The logged-in family (a Household); only inside :func:`household_required` views."""
    return current_user._get_current_object()  # type: ignore[attr-defined]
