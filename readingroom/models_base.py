"""Column helpers shared by the domain models."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum
from sqlalchemy.orm import Mapped, mapped_column

from .database import UTCDateTime
from .timeutil import utcnow


def str_enum(enum_class: type[enum.Enum], length: int = 20) -> Enum:
    """A portable enum column holding the members' values (VARCHAR, no native type)."""
    return Enum(
        enum_class,
        native_enum=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class TimestampMixin:
    """created_at / updated_at, set from a callable at flush time, never at import."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
