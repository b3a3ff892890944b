"""Seats hold under concurrency: the real app under gunicorn, many requests at once.

The app runs in 4 gunicorn worker processes x 4 threads on 127.0.0.1 with
its own database (a temporary SQLite file; with TEST_DATABASE_URL also a
scratch PostgreSQL database of its own, created and dropped here, so that the
truncating fixture of the other tests is never in its way). 64 logged-in
families press "sign up" for a 10-seat session in the same instant (a
barrier); then 5 confirmed families cancel in the same instant. After every
step: seats taken <= capacity, no family twice, waiting list in order, no 5xx.

``SIGNUP_LOCKING_OFF=1`` starts the workers with the session lock replaced by
a plain read (the count-then-insert that the lock exists to prevent); the
test is then expected to FAIL - that is how the lock was shown to matter.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from readingroom.extensions import db
from readingroom.schedule.models import ReadingSession
from readingroom.timeutil import utcnow
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

FAMILIES = 64
CAPACITY = 10
CANCELLING = 5
WORKERS, THREADS = 4, 4


@dataclass
class Seeded:
    session_id: int
    families: list[tuple[str, int]]  # (mobile, member id)


def _seed(uri: str) -> Seeded:
    with burst_place(uri, "conc") as (community, room, program):
        start = utcnow().replace(microsecond=0) + timedelta(days=2)
        s = ReadingSession(
            program=program,
            room=room,
            title="热门活动",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            capacity=CAPACITY,
        )
        db.session.add(s)
        families = one_adult_households(
            community, FAMILIES, mobile_prefix="1390000", password_hash=PASSWORD_HASH
        )
        db.session.commit()
        return Seeded(s.id, families)


def _gunicorn(uri: str, tmp_path: Path, *, unlocked: bool):
    config = {
        "SQLALCHEMY_DATABASE_URI": uri,
        "SECRET_KEY": "concurrency-test",
        "RATELIMIT_ENABLED": False,  # 64 logins from one address in a second is the point here
        "NOTICE_DELIVER_INLINE": True,
    }
    return gunicorn(
        config,
        tmp_path,
        workers=WORKERS,
        threads=THREADS,
        ready="/family/login",
        hook=UNLOCKED_HOOK if unlocked else None,
    )


def _run_scenario(uri: str, tmp_path: Path, *, unlocked: bool) -> dict:
    seeded = _seed(uri)
    sid = seeded.session_id
    report: dict = {}
    with _gunicorn(uri, tmp_path, unlocked=unlocked) as base:
        # 1. 64 families press "sign up" in the same instant.
        def signup_job(mobile: str, member_id: int):
            def prepare():
                client = family_login(base, mobile, PASSWORD)
                page = client.get(f"{base}/sessions/{sid}/signup", timeout=30)
                return client, csrf_token(page.text)

            def act(prepared):
                client, token = prepared
                return client.post(
                    f"{base}/sessions/{sid}/signup",
                    data={"members": str(member_id), "csrf_token": token},
                    allow_redirects=False,
                    timeout=60,
                )

            return prepare, act

        results = all_at_once([signup_job(m, i) for m, i in seeded.families])
        codes = status_codes(results)
        state = session_state(uri, sid)
        report["signup"] = {
            "codes": tally(codes),
            "confirmed_seats": state["taken"],
            "waiting": len(state["waiting"]),
        }
        print("after the sign-ups:", report["signup"])
        assert all(c == 302 for c in codes), f"not all sign-ups went through: {report}"
        check_seat_invariants(state)
        assert state["taken"] == CAPACITY, report
        assert len(state["waiting"]) == FAMILIES - CAPACITY, report
        # The waiting list is in the order the sign-ups were decided: every confirmed
        # registration was decided before every waiting one.
        assert max(r.id for r in state["confirmed"]) < min(r.id for r in state["waiting"])

        # 2. Five confirmed families cancel in the same instant.
        by_household = {r.household_id: r.id for r in state["confirmed"]}
        households = {}
        engine = create_engine(uri)
        with engine.connect() as conn:
            for hid, mobile in conn.execute(text("SELECT id, mobile FROM household")):
                households[hid] = mobile
        engine.dispose()
        cancelling = list(by_household)[:CANCELLING]
        head_of_queue = [r.household_id for r in state["waiting"][:CANCELLING]]

        def cancel_job(household_id: int):
            registration_id = by_household[household_id]

            def prepare():
                client = family_login(base, households[household_id], PASSWORD)
                url = f"{base}/family/registrations/{registration_id}/cancel"
                page = client.get(url, timeout=30)  # the confirmation page changes nothing
                return client, url, csrf_token(page.text)

            def act(prepared):
                client, url, token = prepared
                return client.post(
                    url, data={"csrf_token": token}, allow_redirects=False, timeout=60
                )

            return prepare, act

        before = session_state(uri, sid)
        assert before["taken"] == CAPACITY  # the confirmation pages changed nothing
        results = all_at_once([cancel_job(h) for h in cancelling])
        codes = status_codes(results)
        state = session_state(uri, sid)
        report["cancel"] = {
            "codes": tally(codes),
            "confirmed_seats": state["taken"],
            "waiting": len(state["waiting"]),
        }
        print("after the cancellations:", report["cancel"])
        assert all(c == 302 for c in codes), report
        check_seat_invariants(state)
        promoted = [r.household_id for r in state["confirmed"] if r.promoted_at is not None]
        assert sorted(promoted) == sorted(head_of_queue), "promotion skipped the queue order"
        assert state["taken"] == CAPACITY
        assert len(state["waiting"]) == FAMILIES - CAPACITY - CANCELLING
        # every change that matters left exactly one notice, each queued in the outbox:
        # 64 confirmed/waiting + 5 cancelled + 5 promoted
        engine = create_engine(uri)
        with engine.connect() as conn:
            notices = conn.execute(text("SELECT count(*) FROM household_notice")).scalar_one()
            queued = conn.execute(text("SELECT count(*) FROM notice_outbox")).scalar_one()
        engine.dispose()
        report["notices"] = notices
        assert notices == queued == FAMILIES + 2 * CANCELLING
    return report


@pytest.fixture
def unlocked() -> bool:
    return os.environ.get("SIGNUP_LOCKING_OFF") == "1"


@pytest.mark.sqlite_file
def test_sqlite_under_gunicorn(tmp_path, unlocked):
    uri = f"sqlite:///{tmp_path / 'concurrency.sqlite3'}"
    report = _run_scenario(uri, tmp_path, unlocked=unlocked)
    print("sqlite", report)


@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL")
def test_postgres_under_gunicorn(tmp_path, unlocked):
    with scratch_postgres("rr_sign_conc") as uri:
        report = _run_scenario(uri, tmp_path, unlocked=unlocked)
    print("postgres", report)
