"""The monthly report (月度报表): what changed from the previous month."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from .figures import Counts, Figures


@dataclass(frozen=True)
class Change:
    label: Any
    now: float | int | None
    before: float | int | None
    rate: bool = False

    @property
    def delta(self) -> float | int | None:
        if self.now is None or self.before is None:
            return None
        return self.now - self.before

    @property
    def share(self) -> float | None:
        """The change as a share of last month's value (None when that was zero)."""
        if self.rate or self.delta is None or not self.before:
            return None
        return self.delta / self.before


HEADLINE: list[tuple[Any, str, bool]] = [
    (_l("Sessions held"), "sessions_held", False),
    (_l("Visits"), "visits", False),
    (_l("People reached"), "people", False),
    (_l("New households"), "new_households", False),
    (_l("Fill rate"), "fill_rate", True),
    (_l("Waiting households"), "waiting_households", False),
]


def headline(c: Counts) -> list[tuple[Any, Any, bool]]:
    return [(label, getattr(c, name), rate) for label, name, rate in HEADLINE]


def compare_months(f: Figures, before: Figures) -> list[Change]:
    return [
        Change(label, getattr(f.total, name), getattr(before.total, name), rate)
        for label, name, rate in HEADLINE
    ]
