"""Whole-course sign-ups (报名整个课程) hold their seats under concurrency: the real app
under gunicorn (4 workers x 4 threads), its own database (a temporary SQLite file; with
TEST_DATABASE_URL a scratch PostgreSQL database too).

24 families press "sign up for the whole course" for a 4-lesson run with 10 seats a
session, in the same instant as 8 other families press "sign up" for the second lesson
alone. Every session then holds exactly 10 confirmed seats and a waiting list in the order
of the decisions, every course family holds one live registration in each of the four
sessions (confirmed or waiting, never two, never none), and no request failed.

``SIGNUP_LOCKING_OFF=1`` starts the workers with the sessions' locks replaced by plain
reads; the test is then expected to FAIL (overbooked sessions on PostgreSQL).
"""

from __future__ import annotations

import os
from datetime import time, timedelta
from pathlib import Path

import pytest

from readingroom.extensions import db
from readingroom.schedule.course_operations import (
    CourseData,
    LessonData,
    RunData,
    add_lesson,
    save_course,
    schedule_course,
)
from readingroom.timeutil import beijing_today
from tests.conftest import PASSWORD, PASSWORD_HASH
from tests.crowd import (
    UNLOCKED_HOOK,
    all_at_once,
    burst_place,
    check_seat_invariants,
    csrf_token,
    family_login,
    one_adult_households,
    session_state,
    status_codes,
    tally,
)
from tests.servers import gunicorn, scratch_postgres

pytestmark = pytest.mark.slow

COURSE_FAMILIES = 24
SINGLE_FAMILIES = 8  # for the second lesson only
LESSONS = 4
CAPACITY = 10


def _seed(uri: str) -> dict:
    with burst_place(uri, "conc") as (community, room, program):
        saturday = beijing_today() + timedelta(days=(5 - beijing_today().weekday()) % 7 or 7)
        course = save_course(
            CourseData("暑期阅读课程", program, saturday, saturday + timedelta(weeks=LESSONS))
        )
        for n in range(1, LESSONS + 1):
            add_lesson(course, LessonData(topic=f"第{n}课"))
        (run,) = schedule_course(course, [RunData(room, 5, time(9), time(10), CAPACITY)])
        families = one_adult_households(
            community,
            COURSE_FAMILIES + SINGLE_FAMILIES,
            mobile_prefix="1350000",
            password_hash=PASSWORD_HASH,
        )
        db.session.commit()
        seeded = {
            "course": course.id,
            "run": run.id,
            "sessions": [s.id for s in run.sessions],
            "families": families,
        }
    assert len(seeded["sessions"]) == LESSONS
    return seeded


def _sign_up_job(base: str, mobile: str, member_id: int, form_page: str, action: str):
    def prepare():
        client = family_login(base, mobile, PASSWORD)
        page = client.get(f"{base}{form_page}", headers={"Connection": "close"}, timeout=30)
        assert page.status_code == 200, page.status_code
        return client, csrf_token(page.text)

    def act(prepared):
        client, token = prepared
        return client.post(
            f"{base}{action}",
            data={"members": str(member_id), "csrf_token": token},
            allow_redirects=False,
            timeout=60,
        )

    return prepare, act


def _run_scenario(uri: str, tmp_path: Path) -> dict:
    seeded = _seed(uri)
    course, run, sessions = seeded["course"], seeded["run"], seeded["sessions"]
    course_families = seeded["families"][:COURSE_FAMILIES]
    single_families = seeded["families"][COURSE_FAMILIES:]
    config = {
        "SQLALCHEMY_DATABASE_URI": uri,
        "SECRET_KEY": "course-concurrency",
        "RATELIMIT_ENABLED": False,  # 32 logins from one address in a second is the point here
        "SIGNUP_OPENS_DAYS_BEFORE": 30,  # the second lesson's own sign-up is open too
    }
    hook = UNLOCKED_HOOK if os.environ.get("SIGNUP_LOCKING_OFF") == "1" else None
    with gunicorn(config, tmp_path, workers=4, threads=4, ready="/family/login", hook=hook) as base:
        jobs = [
            _sign_up_job(
                base, mobile, member, f"/courses/{course}", f"/courses/{course}/runs/{run}/signup"
            )
            for mobile, member in course_families
        ] + [
            _sign_up_job(
                base,
                mobile,
                member,
                f"/sessions/{sessions[1]}/signup",
                f"/sessions/{sessions[1]}/signup",
            )
            for mobile, member in single_families
        ]
        codes = status_codes(all_at_once(jobs))
    states = [session_state(uri, sid) for sid in sessions]
    report = {
        "codes": tally(codes),
        "per session": [(s["taken"], len(s["waiting"])) for s in states],
    }
    print("whole-course burst:", report)
    assert codes == [302] * len(jobs), report
    # only the course families signed up for the first lesson
    course_households = _ids(states[0])
    assert len(course_households) == COURSE_FAMILIES, report
    for number, state in enumerate(states, start=1):
        check_seat_invariants(state)
        demand = COURSE_FAMILIES + (SINGLE_FAMILIES if number == 2 else 0)
        assert state["taken"] == CAPACITY, (number, report)
        assert len(state["confirmed"]) + len(state["waiting"]) == demand, (number, report)
        # the waiting list is in the order the sign-ups were decided
        assert max(r.id for r in state["confirmed"]) < min(r.id for r in state["waiting"])
        # every course family holds exactly one live registration in every session
        assert course_households <= _ids(state), (number, report)
    return report


def _ids(state: dict) -> set[int]:
    return set(state["live_households"])


@pytest.mark.sqlite_file
def test_whole_course_sign_ups_at_once_on_sqlite(tmp_path):
    _run_scenario(f"sqlite:///{tmp_path / 'courses.sqlite3'}", tmp_path)


@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL")
def test_whole_course_sign_ups_at_once_on_postgresql(tmp_path):
    with scratch_postgres("rr_course_conc") as uri:
        _run_scenario(uri, tmp_path)
