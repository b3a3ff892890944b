"""What task lists do when other domains send signals (receivers only flush)."""

from __future__ import annotations

from typing import Any

from ..registrations.signals import member_checked_in
from .operations import tick_visit_for_check_in


def on_member_checked_in(member: Any, *, reading_session: Any, household: Any, **_: Any) -> None:
    """Check-in at a session ticks the child's "visit the book room" task (once)."""
    tick_visit_for_check_in(member, reading_session, household.community_id)


def connect() -> None:
    """Listen to the sign-ups signals (idempotent: blinker keeps one connection)."""
    member_checked_in.connect(on_member_checked_in)
