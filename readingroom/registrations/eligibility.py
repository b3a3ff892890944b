"""Who may sign up when: audience rules, the registration window, the no-show block.

Plain functions of their inputs (no database), tested without HTTP.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _

from ..timeutil import age_on, to_beijing


@dataclass(frozen=True)
class Person:
    """A member as the audience rules see them."""

    name: str
    is_child: bool
    birth_year: int | None = None
    birth_month: int | None = None

    def age_on(self, day: date) -> int | None:
        if self.birth_year is None:
            return None
        return age_on(self.birth_year, self.birth_month or 1, day)


@dataclass(frozen=True)
class Audience:
    """A strand's audience rule (see :class:`readingroom.schedule.models.Program`)."""

    name: str
    min_age: int = 0
    max_age: int | None = None
    adult_required: bool = False

    @classmethod
    def of(cls, program: Any, name: str | None = None) -> Audience:
        return cls(
            name=name or program.name,
            min_age=program.min_age,
            max_age=program.max_age,
            adult_required=program.adult_required,
        )

    @property
    def has_age_limits(self) -> bool:
        return self.min_age > 0 or self.max_age is not None

    def admits(self, age: int) -> bool:
        return age >= self.min_age and (self.max_age is None or age <= self.max_age)

    def age_range(self) -> str:
        if self.max_age is None:
            return _("%(min)d and older", min=self.min_age)
        return _("%(min)d–%(max)d", min=self.min_age, max=self.max_age)


def audience_problems(audience: Audience, people: Sequence[Person], day: date) -> list[str]:
    """Why these people cannot attend together (empty: they can).

    Parent–child strands (``adult_required``): every child is in the age range,
    at least one child and at least one accompanying adult. Other strands:
    every person is in the age range (adults need a birth year when the strand
    has limits).
    """
    if not people:
        return [_("Choose at least one person.")]
    problems: list[str] = []
    children = [p for p in people if p.is_child]
    adults = [p for p in people if not p.is_child]
    if audience.adult_required:
        checked = children
        if not children:
            problems.append(
                _(
                    "%(strand)s is for children aged %(range)s with an adult: choose a child.",
                    strand=audience.name,
                    range=audience.age_range(),
                )
            )
        if not adults:
            problems.append(
                _("%(strand)s needs an accompanying adult: choose one.", strand=audience.name)
            )
    else:
        checked = list(people)
    for person in checked:
        age = person.age_on(day)
        if age is None:
            if audience.has_age_limits:
                problems.append(
                    _(
                        "%(strand)s is for ages %(range)s: add %(name)s's birth year first.",
                        strand=audience.name,
                        range=audience.age_range(),
                        name=person.name,
                    )
                )
        elif not audience.admits(age):
            problems.append(
                _(
                    "%(name)s will be %(age)d on the day; %(strand)s is for ages %(range)s.",
                    name=person.name,
                    age=age,
                    strand=audience.name,
                    range=audience.age_range(),
                )
            )
    return problems


def session_day(starts_at: datetime) -> date:
    """The Beijing date on which ages are counted."""
    return to_beijing(starts_at).date()


# --- registration window ---------------------------------------------------------------------


class SignupState(enum.StrEnum):
    """Whether a session takes sign-ups now, or why not."""

    OPEN = "open"
    CANCELLED = "cancelled"
    OVER = "over"  # it has started
    BEFORE = "before"  # the registration window has not opened
    CLOSED = "closed"  # the registration window has closed


@dataclass(frozen=True)
class Window:
    opens_at: datetime
    closes_at: datetime

    def state(self, now: datetime) -> SignupState:
        """ "before", "open" or "closed"."""
        if now < self.opens_at:
            return SignupState.BEFORE
        if now < self.closes_at:
            return SignupState.OPEN
        return SignupState.CLOSED

    def is_open(self, now: datetime) -> bool:
        return self.state(now) is SignupState.OPEN


def registration_window(
    starts_at: datetime,
    *,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    opens_days: int | None = None,
    closes_hours: int | None = None,
    default_opens_days: int = 7,
    default_closes_hours: int = 2,
) -> Window:
    """The window of one session: its own times, else its series' offsets, else the defaults."""
    if opens_at is None:
        days = default_opens_days if opens_days is None else opens_days
        opens_at = starts_at - timedelta(days=days)
    if closes_at is None:
        hours = default_closes_hours if closes_hours is None else closes_hours
        closes_at = starts_at - timedelta(hours=hours)
    return Window(opens_at, closes_at)


# --- no-shows --------------------------------------------------------------------------------


def blocked_until(
    no_shows: Iterable[datetime],
    now: datetime,
    *,
    limit: int = 3,
    window_days: int = 60,
    block_days: int = 30,
) -> datetime | None:
    """When a household may register again, if ``limit`` no-shows within ``window_days``
    block it now; ``None`` when it is not blocked.

    The block runs for ``block_days`` from the no-show that reached the limit.
    """
    times = sorted(t for t in no_shows if t <= now)
    window = timedelta(days=window_days)
    until: datetime | None = None
    for i in range(limit - 1, len(times)):
        if times[i] - times[i - limit + 1] <= window:
            end = times[i] + timedelta(days=block_days)
            if until is None or end > until:
                until = end
    if until is not None and until > now:
        return until
    return None
