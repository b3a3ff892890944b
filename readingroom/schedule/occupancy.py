"""How many seats of a session are taken, and how long its waiting list is.

The schedule domain does not know about registrations; the sign-up domain
registers the provider that counts them (``register_provider``). Calendars,
the API and staff pages ask here, with one call for many sessions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Occupancy:
    seats_taken: int = 0
    waitlist_count: int = 0


Provider = Callable[[list[int]], dict[int, Occupancy]]
_provider: Provider | None = None


def register_provider(provider: Provider) -> None:
    global _provider
    _provider = provider


def occupancy(session_ids: Iterable[int]) -> dict[int, Occupancy]:
    """Seats taken and waiting-list length for each session id (zeros when unknown)."""
    ids = list(dict.fromkeys(session_ids))
    counts = _provider(ids) if _provider is not None and ids else {}
    return {i: counts.get(i, Occupancy()) for i in ids}
