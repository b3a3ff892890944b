"""Two gunicorn instances, one PostgreSQL database, one Redis (issue "City scale").

As on two machines: each instance has its own processes and caches, and they share
only the database and Redis. 60 families, half through each instance, press
"sign up" in the same instant at a 10-seat session: exactly 10 confirmed, the
rest on the waiting list in order, no 5xx. A cancellation made through instance A
shows in instance B's community feed and month page within a second. Login rate
limits are counted in Redis: a limit reached through A holds on B.

Needs TEST_DATABASE_URL (a scratch database of its own is created next to it) and
a Redis at REDIS_TEST_URL (default database 7 on 127.0.0.1).
"""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from readingroom.extensions import db
from readingroom.schedule.models import ReadingSession
from readingroom.staff.models import Role, StaffUser
from readingroom.timeutil import utcnow
from tests.conftest import PASSWORD, PASSWORD_HASH, TEST_DATABASE_URL
from tests.crowd import burst_place, csrf_token, one_adult_households, post_form
from tests.servers import gunicorn, scratch_postgres
from tests.test_calendars_scale import REDIS_TEST_URL, redis_or_skip

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(not TEST_DATABASE_URL, reason="TEST_DATABASE_URL not set"),
]

FAMILIES = 60
CAPACITY = 10


def _seed(uri: str) -> dict:
    with burst_place(uri, "two") as (community, room, program):
        start = utcnow().replace(microsecond=0) + timedelta(days=2)
        popular = ReadingSession(
            program=program,
            room=room,
            title="热门活动",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            capacity=CAPACITY,
        )
        other = ReadingSession(
            program=program,
            room=room,
            title="周末绘本",
            starts_at=start + timedelta(hours=3),
            ends_at=start + timedelta(hours=4),
            capacity=CAPACITY,
        )
        db.session.add_all([popular, other])
        db.session.add(
            StaffUser(login="admin2", name="管理员", password_hash=PASSWORD_HASH, role=Role.ADMIN)
        )
        families = one_adult_households(
            community, FAMILIES, mobile_prefix="1360000", password_hash=PASSWORD_HASH
        )
        db.session.commit()
        return {"popular": popular.id, "other": other.id, "families": families}


@pytest.fixture
def instances(tmp_path: Path):
    redis_or_skip()
    with scratch_postgres("rr_scale_two") as uri:
        seeded = _seed(uri)
        prefix = f"rr-two-{uuid.uuid4().hex}"
        config = {
            "SQLALCHEMY_DATABASE_URI": uri,
            "SECRET_KEY": "two-instances",
            "REDIS_URL": REDIS_TEST_URL,
            "CACHE_KEY_PREFIX": f"{prefix}:",
            "RATELIMIT_KEY_PREFIX": prefix,
            "HOUSEHOLD_LOGIN_LIMIT_PER_ADDRESS": "1000 per minute",
            "STAFF_LOGIN_LIMIT": "4 per minute",
        }
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        with (
            gunicorn(config, tmp_path / "a", workers=2, threads=4) as a,
            gunicorn(config, tmp_path / "b", workers=2, threads=4) as b,
        ):
            yield {"a": a, "b": b, "uri": uri, **seeded}


def test_two_instances_share_seats_feeds_pages_and_rate_limits(instances):
    a, b, uri = instances["a"], instances["b"], instances["uri"]
    sid = instances["popular"]

    # 1. 60 families, half through each instance, sign up in the same instant.
    prepared = []
    for i, (mobile, member) in enumerate(instances["families"]):
        base = (a, b)[i % 2]
        client = requests.Session()
        response = post_form(
            client, base, "/family/login", {"mobile": mobile, "password": PASSWORD}
        )
        assert response.status_code == 302
        # no kept-alive connection to reuse at the burst: the server closes idle ones after
        # two seconds, and one closed just as the post goes out is a ConnectionError
        page = client.get(
            f"{base}/sessions/{sid}/signup", headers={"Connection": "close"}, timeout=30
        )
        prepared.append((client, base, member, csrf_token(page.text)))
    barrier = threading.Barrier(len(prepared), timeout=60)
    codes: list = [None] * len(prepared)

    def press(i, client, base, member, token):
        barrier.wait()
        try:
            codes[i] = client.post(
                f"{base}/sessions/{sid}/signup",
                data={"members": str(member), "csrf_token": token},
                allow_redirects=False,
                timeout=60,
            ).status_code
        except requests.RequestException as exc:
            codes[i] = type(exc).__name__

    threads = [threading.Thread(target=press, args=(i, *p)) for i, p in enumerate(prepared)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert codes == [302] * FAMILIES, codes
    engine = create_engine(uri)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, status FROM registration WHERE session_id = :s ORDER BY id"),
            {"s": sid},
        ).all()
    engine.dispose()
    confirmed = [r.id for r in rows if r.status == "confirmed"]
    waiting = [r.id for r in rows if r.status == "waitlisted"]
    assert (len(confirmed), len(waiting)) == (CAPACITY, FAMILIES - CAPACITY)
    assert max(confirmed) < min(waiting)  # the waiting list in the order decided

    # 2. A cancellation through A reaches B's feed and month page within a second.
    feed, page = "/feeds/community/two.ics", "/?community=two&view=month"
    watcher = requests.Session()
    before_feed = watcher.get(f"{b}{feed}", timeout=30)
    before_page = watcher.get(f"{b}{page}", timeout=30)
    assert "SUMMARY:周末绘本" in before_feed.text
    staff = requests.Session()
    assert (
        post_form(staff, a, "/staff/login", {"login": "admin2", "password": PASSWORD}).status_code
        == 302
    )
    form = staff.get(f"{a}/staff/sessions/{instances['other']}/cancel", timeout=30)
    cancelled = staff.post(
        f"{a}/staff/sessions/{instances['other']}/cancel",
        data={"reason": "下雨", "csrf_token": csrf_token(form.text)},
        allow_redirects=False,
        timeout=30,
    )
    assert cancelled.status_code == 302
    done = time.monotonic()
    seen_feed = seen_page = None
    while time.monotonic() - done < 1.0 and (seen_feed is None or seen_page is None):
        if (
            seen_feed is None
            and "【已取消】周末绘本"
            in watcher.get(
                f"{b}{feed}", headers={"If-None-Match": before_feed.headers["ETag"]}, timeout=5
            ).text
        ):
            seen_feed = time.monotonic() - done
        if seen_page is None and watcher.get(f"{b}{page}", timeout=5).text != before_page.text:
            seen_page = time.monotonic() - done
        time.sleep(0.02)
    assert seen_feed is not None, "B's feed did not show the cancellation within 1 s"
    assert seen_page is not None, "B's month page did not change within 1 s"

    # 3. Failed staff logins through A until the limit; then B refuses too.
    intruder = requests.Session()
    for _ in range(10):
        status = post_form(
            intruder, a, "/staff/login", {"login": "admin2", "password": "wrong"}
        ).status_code
        if status == 429:
            break
    assert status == 429
    assert (
        post_form(intruder, b, "/staff/login", {"login": "admin2", "password": "wrong"}).status_code
        == 429
    )
