"""Weekly recurrence expansion and matching of occurrences after an edit (pure functions)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from readingroom.schedule.recurrence import (
    MAX_OCCURRENCES,
    RecurrenceError,
    expand_weekly,
    pair_occurrences,
)


def test_eight_saturdays_by_count():
    dates = expand_weekly([5], date(2026, 7, 4), count=8)
    assert len(dates) == 8
    assert all(d.weekday() == 5 for d in dates)
    assert dates[0] == date(2026, 7, 4)
    assert dates[-1] == date(2026, 8, 22)


def test_across_a_month_boundary_by_last_date():
    dates = expand_weekly([0, 3], date(2026, 7, 27), last_date=date(2026, 8, 10))
    assert dates == [
        date(2026, 7, 27),
        date(2026, 7, 30),
        date(2026, 8, 3),
        date(2026, 8, 6),
        date(2026, 8, 10),
    ]


def test_across_a_year_boundary():
    dates = expand_weekly([2], date(2026, 12, 20), count=3)
    assert dates == [date(2026, 12, 23), date(2026, 12, 30), date(2027, 1, 6)]


def test_first_date_not_on_a_chosen_weekday_starts_at_the_next_one():
    assert expand_weekly([5], date(2026, 7, 1), count=1) == [date(2026, 7, 4)]


def test_last_date_is_inclusive_and_count_and_last_date_take_the_earlier_end():
    assert expand_weekly([5], date(2026, 7, 4), last_date=date(2026, 7, 11)) == [
        date(2026, 7, 4),
        date(2026, 7, 11),
    ]
    assert expand_weekly([5], date(2026, 7, 4), last_date=date(2026, 9, 1), count=2) == [
        date(2026, 7, 4),
        date(2026, 7, 11),
    ]


@pytest.mark.parametrize(
    ("weekdays", "kwargs"),
    [
        ([], {"count": 3}),
        ([7], {"count": 3}),
        ([5], {}),
        ([5], {"last_date": date(2026, 6, 1)}),
        ([5], {"count": 0}),
        ([0, 1, 2, 3, 4, 5, 6], {"last_date": date(2026, 7, 4) + timedelta(days=400)}),
    ],
)
def test_bad_recurrences_are_refused(weekdays, kwargs):
    with pytest.raises(RecurrenceError):
        expand_weekly(weekdays, date(2026, 7, 4), **kwargs)


def test_maximum_is_allowed():
    assert len(expand_weekly([0], date(2026, 1, 5), count=MAX_OCCURRENCES)) == MAX_OCCURRENCES


def test_pairing_keeps_same_dates_and_moves_within_the_week():
    existing = [date(2026, 7, 6), date(2026, 7, 13), date(2026, 7, 20)]  # Mondays
    wanted = [date(2026, 7, 7), date(2026, 7, 13), date(2026, 7, 21), date(2026, 7, 28)]
    pairs, left, new = pair_occurrences(existing, wanted)
    assert pairs == [
        (date(2026, 7, 6), date(2026, 7, 7)),
        (date(2026, 7, 13), date(2026, 7, 13)),
        (date(2026, 7, 20), date(2026, 7, 21)),
    ]
    assert left == []
    assert new == [date(2026, 7, 28)]


def test_pairing_reports_dates_that_fall_away():
    existing = [date(2026, 7, 6), date(2026, 7, 13)]
    pairs, left, new = pair_occurrences(existing, [date(2026, 7, 6)])
    assert pairs == [(date(2026, 7, 6), date(2026, 7, 6))]
    assert left == [date(2026, 7, 13)]
    assert new == []
