"""Weekly recurrence: which dates a series falls on (pure functions)."""

from __future__ import annotations

from datetime import date, timedelta

MAX_OCCURRENCES = 200  # about four years of one weekday; more is a typo, not a plan


class RecurrenceError(ValueError):
    """The recurrence cannot be expanded (no weekday, no end, end before start…)."""


def expand_weekly(
    weekdays: list[int] | set[int],
    first_date: date,
    *,
    last_date: date | None = None,
    count: int | None = None,
) -> list[date]:
    """The dates from ``first_date`` that fall on ``weekdays`` (0 = Monday).

    Ends at ``last_date`` (inclusive) or after ``count`` dates, whichever the
    caller gives; both may be given, and the earlier end wins.
    """
    days = sorted(set(weekdays))
    if not days:
        raise RecurrenceError("no weekday")
    if any(d < 0 or d > 6 for d in days):
        raise RecurrenceError("weekday out of range")
    if last_date is None and count is None:
        raise RecurrenceError("no end")
    if last_date is not None and last_date < first_date:
        raise RecurrenceError("ends before it starts")
    if count is not None and count < 1:
        raise RecurrenceError("count below one")

    dates: list[date] = []
    day = first_date
    while True:
        if last_date is not None and day > last_date:
            break
        if count is not None and len(dates) >= count:
            break
        if day.weekday() in days:
            dates.append(day)
            if len(dates) > MAX_OCCURRENCES:
                raise RecurrenceError("too many occurrences")
        day += timedelta(days=1)
    return dates


def pair_occurrences(
    existing: list[date], wanted: list[date]
) -> tuple[list[tuple[date, date]], list[date], list[date]]:
    """Match the dates a series has with the dates it should have after an edit.

    Returns ``(pairs, left_over_existing, new_dates)``. Same dates pair first;
    then, within each week, the remaining ones pair in order (a Monday session
    moved to Tuesday keeps its identity, its registrations and its calendar
    UID). What cannot be paired is cancelled or created by the caller.
    """
    wanted_set = set(wanted)
    pairs = [(d, d) for d in existing if d in wanted_set]
    matched = {d for d, _ in pairs}
    rest_existing = [d for d in existing if d not in matched]
    rest_wanted = [d for d in wanted if d not in matched]

    def week(d: date) -> date:
        return d - timedelta(days=d.weekday())

    left_over: list[date] = []
    for old in rest_existing:
        same_week = [d for d in rest_wanted if week(d) == week(old)]
        if same_week:
            pairs.append((old, same_week[0]))
            rest_wanted.remove(same_week[0])
        else:
            left_over.append(old)
    pairs.sort()
    return pairs, left_over, rest_wanted
