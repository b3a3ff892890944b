"""Family accounts and online sign-up: seats, waiting list, cancellation, check-in.

Importing the package (``create_app`` does, through ``import_models``) wires
the domain into the others: the household kind of login, the seat counts
behind :func:`readingroom.schedule.occupancy.occupancy`, and the receivers of
the schedule's signals.
"""

from __future__ import annotations

from typing import Any


def _load_household(ident: int) -> Any:
    from ..extensions import db
    from .models import Household

    return db.session.get(Household, ident)


def _register() -> None:
    from ..auth.loaders import register_user_kind
    from ..schedule.occupancy import register_provider
    from . import receivers  # noqa: F401  (connects the schedule signal receivers)
    from .occupancy import seat_counts

    register_user_kind("household", _load_household)
    register_provider(seat_counts)


_register()
