"""The seat and waiting-list rules as plain functions (no database).

A session has ``capacity`` seats; confirmed registrations take theirs; the
rest wait in order (first come, first served). A freed seat promotes at once
the *first that fits*: the waiting list is walked in order and every
registration whose seats fit into what is still free is confirmed. So after
every change: seats taken <= capacity, and no waiting registration would fit
into the free seats (else it would have been promoted).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

K = TypeVar("K")


def fits(capacity: int, taken: int, seats: int) -> bool:
    """Whether ``seats`` more people fit."""
    return taken + seats <= capacity


def first_that_fit(free: int, waiting: Sequence[tuple[K, int]]) -> list[K]:
    """Keys of the waiting entries ``(key, seats)`` (in order) promoted into ``free`` seats."""
    promoted: list[K] = []
    for key, seats in waiting:
        if free <= 0:
            break
        if seats <= free:
            promoted.append(key)
            free -= seats
    return promoted
