"""Calendar arithmetic for the pages (pure functions): months, weeks, days in Beijing time."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Protocol, TypeVar

from ..timeutil import to_beijing, week_start

#: Dates outside these years are refused (they are typing errors, and far dates overflow).
MIN_YEAR, MAX_YEAR = 2000, 2100

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


class HasStart(Protocol):
    starts_at: datetime


T = TypeVar("T", bound=HasStart)


def parse_month(value: str | None) -> date | None:
    """``2026-07`` -> the first of that month; None when absent or not a sensible month."""
    match = _MONTH.match(value or "")
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    if not (MIN_YEAR <= year <= MAX_YEAR and 1 <= month <= 12):
        return None
    return date(year, month, 1)


def parse_day(value: str | None) -> date | None:
    """``2026-07-14`` -> that date; None when absent or not a real date in range."""
    match = _DAY.match(value or "")
    if not match:
        return None
    try:
        day = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None
    return day if MIN_YEAR <= day.year <= MAX_YEAR else None


def add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_weeks(first: date) -> list[list[date]]:
    """The Monday-first weeks that cover the month of ``first`` (with neighbours' days)."""
    start = week_start(first.replace(day=1))
    end = add_months(first.replace(day=1), 1)
    weeks = []
    day = start
    while day < end:
        weeks.append([day + timedelta(days=i) for i in range(7)])
        day += timedelta(days=7)
    return weeks


def week_days(monday: date) -> list[date]:
    return [monday + timedelta(days=i) for i in range(7)]


def by_day(sessions: Iterable[T]) -> dict[date, list[T]]:
    """Sessions grouped by the Beijing date they start on (order kept)."""
    days: dict[date, list[T]] = defaultdict(list)
    for reading_session in sessions:
        days[to_beijing(reading_session.starts_at).date()].append(reading_session)
    return dict(days)
