"""Flask-Login user loading for every kind of account.

Ids in the session are prefixed ("staff:3", "household:7"); each domain that
has accounts registers a loader for its prefix.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..extensions import db, login_manager

_loaders: dict[str, Callable[[int], Any]] = {}


def register_user_kind(prefix: str, loader: Callable[[int], Any]) -> None:
    _loaders[prefix] = loader


@login_manager.user_loader
def load_user(user_id: str) -> Any:
    prefix, _, ident = user_id.partition(":")
    loader = _loaders.get(prefix)
    if loader is None or not ident.isdigit():
        return None
    user = loader(int(ident))
    if user is None or not user.is_active:
        return None
    return user


def _load_staff(ident: int) -> Any:
    from .models import StaffUser

    return db.session.get(StaffUser, ident)


register_user_kind("staff", _load_staff)
