"""The sign-up rules as plain functions: audience, window, no-show block, seats,
passwords, mobile numbers, tokens. No database, no HTTP."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from readingroom import tokens
from readingroom.auth.passwords import password_problem
from readingroom.families.phones import is_mobile, mask_mobile, normalise_mobile
from readingroom.registrations.eligibility import (
    Audience,
    Person,
    audience_problems,
    blocked_until,
    registration_window,
)
from readingroom.registrations.seats import first_that_fit, fits
from readingroom.security import token_digest

DAY = date(2026, 7, 18)
PARENT_CHILD = Audience("亲子阅读", min_age=3, max_age=12, adult_required=True)
SENIOR = Audience("长者悦读", min_age=60)
YOUTH = Audience("青年夜读", min_age=16, max_age=35)
OPEN = Audience("大家读")


def child(age: int, name: str = "小明") -> Person:
    # born in January: on 18 July the child has had this year's birthday
    return Person(name, is_child=True, birth_year=DAY.year - age, birth_month=1)


def adult(age: int | None = None, name: str = "妈妈") -> Person:
    if age is None:
        return Person(name, is_child=False)
    return Person(name, is_child=False, birth_year=DAY.year - age, birth_month=1)


@pytest.fixture(autouse=True)
def _context(app):
    """Messages are translated (English ids in tests: no request, default locale)."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


@pytest.mark.parametrize(
    ("audience", "people"),
    [
        (PARENT_CHILD, [child(3), adult()]),
        (PARENT_CHILD, [child(12), child(5), adult(), adult()]),
        (SENIOR, [adult(60), adult(88)]),
        (YOUTH, [adult(16), adult(35)]),
        (YOUTH, [child(16)]),
        (OPEN, [adult(), child(1)]),
    ],
)
def test_eligible_groups(audience, people):
    assert audience_problems(audience, people, DAY) == []


@pytest.mark.parametrize(
    ("audience", "people", "fragment"),
    [
        (PARENT_CHILD, [child(2), adult()], "will be 2 on the day"),
        (PARENT_CHILD, [child(13), adult()], "will be 13 on the day"),
        (PARENT_CHILD, [child(6), child(2), adult()], "will be 2"),
        (PARENT_CHILD, [adult(), adult()], "choose a child"),
        (PARENT_CHILD, [child(6)], "accompanying adult"),
        (SENIOR, [adult(59)], "will be 59"),
        (SENIOR, [adult()], "birth year first"),
        (SENIOR, [adult(70), child(8)], "will be 8"),
        (YOUTH, [adult(36)], "will be 36"),
        (YOUTH, [child(15)], "will be 15"),
        (OPEN, [], "at least one person"),
    ],
)
def test_ineligible_groups_are_explained(audience, people, fragment):
    problems = audience_problems(audience, people, DAY)
    assert problems
    assert any(fragment in p for p in problems), problems


def test_age_counts_on_the_session_day_by_birth_month():
    born_in_august = Person("小红", is_child=True, birth_year=2023, birth_month=8)
    assert born_in_august.age_on(date(2026, 7, 31)) == 2
    assert born_in_august.age_on(date(2026, 8, 1)) == 3
    assert audience_problems(PARENT_CHILD, [born_in_august, adult()], date(2026, 7, 31))
    assert not audience_problems(PARENT_CHILD, [born_in_august, adult()], date(2026, 8, 1))


def test_window_defaults_series_offsets_and_own_times():
    start = datetime(2026, 7, 18, 1, 30, tzinfo=UTC)
    default = registration_window(start)
    assert default.opens_at == start - timedelta(days=7)
    assert default.closes_at == start - timedelta(hours=2)
    series = registration_window(start, opens_days=3, closes_hours=24)
    assert (series.opens_at, series.closes_at) == (
        start - timedelta(days=3),
        start - timedelta(days=1),
    )
    own = registration_window(
        start, opens_at=start - timedelta(days=2), opens_days=3, closes_hours=24
    )
    assert own.opens_at == start - timedelta(days=2)  # the session's own time wins
    assert own.state(start - timedelta(hours=49)) == "before"
    assert own.state(start - timedelta(hours=25)) == "open"
    assert own.state(start - timedelta(hours=24)) == "closed"  # closes exactly then


def _at(day: int) -> datetime:
    return datetime(2026, 5, 1, tzinfo=UTC) + timedelta(days=day)


@pytest.mark.parametrize(
    ("no_shows", "now", "until"),
    [
        ([], 0, None),
        ([0, 10], 11, None),  # two are not enough
        ([0, 10, 20], 21, 50),  # third within 60 days: 30 days from the third
        ([0, 30, 61], 62, None),  # the first is more than 60 days before the third
        ([0, 10, 20], 50, None),  # the block is over
        ([0, 10, 20, 40], 41, 70),  # a fourth extends the block
        ([0, 10, 20], 10, None),  # the third has not happened yet
    ],
)
def test_no_show_block(no_shows, now, until):
    result = blocked_until([_at(d) for d in no_shows], _at(now))
    assert result == (None if until is None else _at(until))


def test_no_show_numbers_are_configurable():
    times = [_at(0), _at(40)]
    assert blocked_until(times, _at(41), limit=2, window_days=60, block_days=10) == _at(50)
    assert blocked_until(times, _at(41), limit=2, window_days=30, block_days=10) is None


@pytest.mark.parametrize(
    ("free", "waiting", "promoted"),
    [
        (0, [("a", 1)], []),
        (1, [("a", 1), ("b", 1)], ["a"]),
        (2, [("a", 3), ("b", 2), ("c", 1)], ["b"]),  # first that fits, in order
        (3, [("a", 2), ("b", 2), ("c", 1)], ["a", "c"]),
        (5, [("a", 1), ("b", 1)], ["a", "b"]),
    ],
)
def test_first_that_fit(free, waiting, promoted):
    assert first_that_fit(free, waiting) == promoted


def test_fits():
    assert fits(10, 8, 2)
    assert not fits(10, 9, 2)


@pytest.mark.parametrize(
    "password",
    [
        "short",
        "1234567",
        "password",
        "PASSWORD1",
        "12345678",
        "87654321",
        "aaaaaaaa",
        "abcdefgh",
        "woaini1314",
        "qwertyuiop",
        "11111111",
        "1qaz2wsx",
    ],
)
def test_weak_passwords_are_refused(password):
    assert password_problem(password) is not None


@pytest.mark.parametrize(
    "password", ["晚上一起读绘本吧", "correct horse", "peony book room", "x9!kq#2m", "abcdefgz"]
)
def test_long_enough_uncommon_passwords_pass_without_composition_rules(password):
    assert password_problem(password) is None


def test_password_must_not_contain_the_number_or_be_the_name():
    assert password_problem("pw13812345678", mobile="13812345678") is not None
    assert password_problem("王女士王女士王女士", name="王女士王女士王女士") is not None


@pytest.mark.parametrize(
    ("raw", "normal", "valid"),
    [
        ("13812345678", "13812345678", True),
        ("138 1234 5678", "13812345678", True),
        ("138-1234-5678", "13812345678", True),
        ("+86 138 1234 5678", "13812345678", True),
        ("8613812345678", "13812345678", True),
        ("12812345678", "12812345678", False),  # 12x is no mobile network
        ("1381234567", "1381234567", False),
        ("138123456789", "138123456789", False),
        ("1381234567a", "1381234567a", False),
        ("", "", False),
    ],
)
def test_mobile_numbers(raw, normal, valid):
    assert normalise_mobile(raw) == normal
    assert is_mobile(normal) is valid


def test_mask_shows_three_and_four_digits():
    assert mask_mobile("13812345678") == "138****5678"


def test_tokens_carry_enough_randomness_and_are_stored_hashed(app):
    nonce, digest = tokens.issue(tokens.FEED)
    assert len(bytes.fromhex(nonce)) * 8 >= 128
    token = tokens.derive(tokens.FEED, nonce)
    assert tokens.looks_like_token(token)
    assert digest == token_digest(token) and token not in digest
    assert tokens.derive(tokens.CANCEL, nonce) != token  # one purpose per token
    assert tokens.issue(tokens.FEED)[0] != nonce
    app.config["SECRET_KEY"] = "another key"
    assert tokens.derive(tokens.FEED, nonce) != token  # the database alone is not enough
