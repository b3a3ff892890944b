"""Clash rules: room overlap blocks, capacity over seats blocks, host and hours warn."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from readingroom.schedule.clashes import Candidate, Severity, find_clashes, overlaps
from readingroom.schedule.models import SessionStatus
from readingroom.timeutil import BEIJING

from .conftest import at

DAY = date(2026, 7, 14)  # a Tuesday


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((9, 10), (10, 11), False),  # touching intervals do not clash
        ((10, 11), (9, 10), False),
        ((9, 10), (9, 10), True),
        ((9, 11), (10, 12), True),
        ((9, 12), (10, 11), True),  # containment
        ((10, 11), (9, 12), True),
        ((9, 10), (11, 12), False),
    ],
)
def test_overlap_is_half_open(a, b, expected):
    assert overlaps(at(DAY, a[0]), at(DAY, a[1]), at(DAY, b[0]), at(DAY, b[1])) is expected


def _candidate(room, start_hour, end_hour, capacity=10, host="", day=DAY, ignore=()):
    return Candidate(
        room=room,
        starts_at=at(day, start_hour),
        ends_at=at(day, end_hour),
        capacity=capacity,
        host=host,
        ignore_ids=frozenset(ignore),
    )


def test_same_room_overlap_blocks(make):
    room = make.room()
    make.session(room, start=at(DAY, 9), minutes=60, title="早场")
    clashes = find_clashes([_candidate(room, 9, 10)])
    assert [(c.kind, c.severity) for c in clashes] == [("room", Severity.BLOCK)]
    assert "早场" in clashes[0].message


def test_touching_sessions_in_the_same_room_do_not_clash(make):
    room = make.room()
    make.session(room, start=at(DAY, 9), minutes=60)
    assert find_clashes([_candidate(room, 10, 11)]) == []


def test_other_room_at_same_time_is_fine(make):
    room, other = make.room(), make.room()
    make.session(other, start=at(DAY, 9), minutes=60)
    assert find_clashes([_candidate(room, 9, 10)]) == []


def test_cancelled_session_does_not_block_the_room(make):
    room = make.room()
    make.session(room, start=at(DAY, 9), status=SessionStatus.CANCELLED)
    assert find_clashes([_candidate(room, 9, 10)]) == []


def test_the_session_being_edited_is_not_its_own_rival(make):
    room = make.room()
    s = make.session(room, start=at(DAY, 9))
    assert find_clashes([_candidate(room, 9, 10, ignore=[s.id])]) == []


def test_busy_host_warns(make):
    room, other = make.room(), make.room()
    make.session(other, start=at(DAY, 9), minutes=90, host="王 老师")
    clashes = find_clashes([_candidate(room, 10, 11, host="王老师")])
    assert [(c.kind, c.severity) for c in clashes] == [("host", Severity.WARN)]


def test_capacity_above_seats_blocks(make):
    room = make.room(seats=12)
    clashes = find_clashes([_candidate(room, 9, 10, capacity=13)])
    assert [(c.kind, c.severity) for c in clashes] == [("capacity", Severity.BLOCK)]
    assert find_clashes([_candidate(room, 9, 10, capacity=12)]) == []


def test_outside_opening_hours_warns(make):
    hours = {1: [(time(9, 0), time(12, 0)), (time(14, 30), time(17, 30))]}  # Tuesdays
    room = make.room(hours=hours)
    assert find_clashes([_candidate(room, 9, 11)]) == []
    assert find_clashes([_candidate(room, 15, 17)]) == []
    late = find_clashes([_candidate(room, 11, 13)])
    assert [(c.kind, c.severity) for c in late] == [("hours", Severity.WARN)]
    closed_day = find_clashes([_candidate(room, 9, 10, day=DAY + timedelta(days=1))])
    assert [c.kind for c in closed_day] == ["hours"]


def test_room_without_recorded_hours_is_not_checked(make):
    room = make.room()
    assert find_clashes([_candidate(room, 22, 23)]) == []


def test_every_clashing_date_of_a_series_is_reported(make):
    room = make.room()
    week = timedelta(days=7)
    make.session(room, start=at(DAY, 9))
    make.session(room, start=at(DAY + 2 * week, 9, 30))
    candidates = [_candidate(room, 9, 10, day=DAY + i * week) for i in range(4)]
    clashes = find_clashes(candidates)
    assert sorted(c.candidate.starts_at.astimezone(BEIJING).date() for c in clashes) == [
        DAY,
        DAY + 2 * week,
    ]
