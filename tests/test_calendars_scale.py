"""City scale: validators per scope, the bounded feed window, compression, the API's
paging and 304, and caches shared through Redis (issue "City scale").

Everything goes through HTTP with the test client; the Redis tests use database 7 of
a local Redis (REDIS_TEST_URL) and are skipped when none answers.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import time
import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from readingroom import create_app
from readingroom.calendars import cache
from readingroom.calendars.ical import FEED_DAYS_AHEAD
from readingroom.extensions import db
from readingroom.timeutil import beijing_today
from tests.conftest import at, base_config

REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/7")


@pytest.fixture
def two(make):
    """Two communities with a book room and a session each, and one strand."""
    program = make.program("parent-child")
    a, b = make.community("yaozhuang"), make.community("sunzhuang")
    room_a, room_b = make.room(a, slug="a-room"), make.room(b, slug="b-room")
    start = at(beijing_today() + timedelta(days=3), 9)
    s_a = make.session(room_a, program=program, start=start, title="姚庄绘本")
    s_b = make.session(room_b, program=program, start=start, title="孙庄绘本")
    return {"a": s_a, "b": s_b, "room_a": room_a, "room_b": room_b}


def conditional(client, url, response):
    return client.get(url, headers={"If-None-Match": response.headers["ETag"]})


FEED_A = "/feeds/community/yaozhuang.ics"
FEED_B = "/feeds/community/sunzhuang.ics"


def test_an_edit_in_one_community_leaves_the_other_communitys_feed_a_304(client, two):
    first_a, first_b = client.get(FEED_A), client.get(FEED_B)
    room_b_feed = client.get("/feeds/room/b-room.ics")
    two["a"].title = "姚庄绘本：改了"
    db.session.commit()
    assert conditional(client, FEED_B, first_b).status_code == 304
    assert conditional(client, "/feeds/room/b-room.ics", room_b_feed).status_code == 304
    changed = conditional(client, FEED_A, first_a)
    assert changed.status_code == 200
    assert "姚庄绘本：改了" in changed.get_data(as_text=True)
    # the strand's feed and the full feed hold both communities: they change
    assert client.get("/feeds/all.ics").headers["ETag"] != first_a.headers["ETag"]


def test_a_session_moved_to_another_community_changes_both_feeds(client, two):
    first_a, first_b = client.get(FEED_A), client.get(FEED_B)
    two["a"].room = two["room_b"]
    db.session.commit()
    after_a = conditional(client, FEED_A, first_a)
    after_b = conditional(client, FEED_B, first_b)
    assert after_a.status_code == after_b.status_code == 200
    assert "姚庄绘本" not in after_a.get_data(as_text=True)
    assert "姚庄绘本" in after_b.get_data(as_text=True)


def test_an_edit_in_one_community_leaves_the_other_communitys_page_cached(
    client, two, count_queries
):
    url = "/?community=sunzhuang"
    client.get(url)
    time.sleep(1.01)  # Last-Modified moves (whole seconds): the page must not depend on it
    two["a"].title = "姚庄绘本：改了"
    db.session.commit()
    with count_queries() as counter:
        page = client.get(url)
    assert page.status_code == 200
    # the slug and the page's validators: no session was loaded, nothing rendered afresh
    assert counter.count <= 3
    assert "姚庄绘本：改了" in client.get("/?community=yaozhuang").get_data(as_text=True)


def test_the_feed_window_ends_13_months_ahead(client, make):
    room = make.room(make.community("yaozhuang"))
    today = beijing_today()
    inside = make.session(room, start=at(today + timedelta(days=FEED_DAYS_AHEAD), 23))
    outside = make.session(room, start=at(today + timedelta(days=FEED_DAYS_AHEAD + 1), 0))
    text = client.get("/feeds/all.ics").get_data(as_text=True)
    assert inside.ical_uid() in text
    assert outside.ical_uid() not in text
    assert f"{FEED_DAYS_AHEAD}天后" in text.replace("\r\n ", "")


@pytest.mark.parametrize("app_config", [{"FEED_DAYS_AHEAD": 30}])
def test_the_window_is_configurable(client, make, app_config):
    room = make.room(make.community("yaozhuang"))
    later = make.session(room, start=at(beijing_today() + timedelta(days=40), 9))
    assert later.ical_uid() not in client.get("/feeds/all.ics").get_data(as_text=True)


def community_options(page: str) -> list[str]:
    select = re.search(r'<select[^>]*name="community"[^>]*>(.*?)</select>', page, re.S)
    return re.findall(r'<option[^>]*value="([^"]*)"', select.group(1))


@pytest.mark.parametrize("app_config", [{"CALENDAR_FILTER_COMMUNITIES": 2}])
def test_in_a_city_one_communitys_page_offers_that_community_alone(client, two, make, app_config):
    """Beyond CALENDAR_FILTER_COMMUNITIES, a page filtered to one community lists it and
    "all" (whose page lists every one), and says how to choose another: its cost stays in
    proportion to that community, not to the city."""
    make.community("donghe")
    page = client.get("/?view=month&community=yaozhuang").get_data(as_text=True)
    assert community_options(page) == ["", "yaozhuang"]
    assert '<option selected value="yaozhuang">' in page
    assert "姚庄绘本" in page and "孙庄绘本" not in page
    assert "要看其他社区：先选“全部社区”并点“查看”，再选那个社区。" in page
    english = client.get("/?community=yaozhuang", headers={"Accept-Language": "en"})
    assert "choose “All communities” and press “Show”" in english.get_data(as_text=True)
    everything = client.get("/?view=month").get_data(as_text=True)
    assert community_options(everything) == ["", "yaozhuang", "sunzhuang", "donghe"]
    assert "要看其他社区" not in everything
    # an unknown one: the whole list and the message next to the field
    gone = client.get("/?community=gone").get_data(as_text=True)
    assert community_options(gone) == ["", "yaozhuang", "sunzhuang", "donghe"]
    assert 'id="community-error"' in gone
    # the subscribe page lists every community's feed whatever the filter
    subscribe = client.get("/subscribe?community=yaozhuang").get_data(as_text=True)
    assert "/feeds/community/donghe.ics" in subscribe
    # the page is the same however many communities the city has (30 here, not 3)
    for n in range(27):
        make.community(f"c{n}")
    grown = client.get("/?view=month&community=yaozhuang").get_data(as_text=True)
    assert community_options(grown) == ["", "yaozhuang"]
    assert len(grown) == len(page)
    assert len(community_options(client.get("/").get_data(as_text=True))) == 31


def test_a_subdistricts_page_still_offers_every_community(client, two):
    """Up to CALENDAR_FILTER_COMMUNITIES (60), the filter switches community directly."""
    page = client.get("/?community=yaozhuang").get_data(as_text=True)
    assert community_options(page) == ["", "yaozhuang", "sunzhuang"]
    assert "要看其他社区" not in page


@pytest.mark.parametrize("url", [FEED_A, "/?community=yaozhuang", "/api/v1/sessions"])
def test_feeds_pages_and_the_api_are_gzipped_when_the_client_accepts_it(client, two, url):
    plain = client.get(url)
    packed = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.data) == plain.data


def test_compressed_feeds_are_compressed_once_and_answer_304(client, two, monkeypatch):
    first = client.get(FEED_A, headers={"Accept-Encoding": "gzip"})
    calls = []
    from flask_compress import flask_compress

    real = flask_compress._compress_data
    monkeypatch.setattr(flask_compress, "_compress_data", lambda *a: calls.append(1) or real(*a))
    again = client.get(FEED_A, headers={"Accept-Encoding": "gzip"})
    assert again.data == first.data and calls == []
    assert first.headers["ETag"].endswith(':gzip"')
    not_modified = client.get(
        FEED_A, headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["ETag"]}
    )
    assert not_modified.status_code == 304


def test_the_api_pages_long_ranges_and_answers_304(client, make):
    room = make.room(make.community("yaozhuang"))
    today = beijing_today()
    for days in (0, 92, 93, 150):
        make.session(room, start=at(today + timedelta(days=days), 9))
    url = f"/api/v1/sessions?start={today}&end={today + timedelta(days=160)}"
    first = client.get(url)
    body = json.loads(first.data)
    assert body["end"] == (today + timedelta(days=92)).isoformat()
    assert body["count"] == 2
    following = parse_qs(urlsplit(body["next"]).query)
    assert following["start"] == [(today + timedelta(days=93)).isoformat()]
    rest = json.loads(client.get(body["next"]).data)
    assert rest["count"] == 2 and rest["next"] is None
    assert conditional(client, url, first).status_code == 304


def test_the_api_needs_a_constant_number_of_queries(client, make, count_queries):
    room = make.room(make.community("yaozhuang"))
    today = beijing_today()
    url = f"/api/v1/sessions?community=yaozhuang&start={today}&end={today + timedelta(days=30)}"

    def cold() -> int:
        cache.clear_all()
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    make.session(room, start=at(today, 9))
    few = cold()
    for day in range(1, 30):
        make.session(room, start=at(today + timedelta(days=day), 9))
    assert cold() == few


def redis_or_skip():
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_TEST_URL}")


def test_two_instances_share_rendered_feeds_through_redis(tmp_path, two, count_queries):
    """A second app (another worker or machine) serves the feed the first one rendered."""
    redis_or_skip()
    uri = db.engine.url.render_as_string(hide_password=False)  # this test's own database
    config = base_config(uri) | {
        "REDIS_URL": REDIS_TEST_URL,
        "CACHE_KEY_PREFIX": f"rr-test-{uuid.uuid4().hex}:",
        "FEED_LISTEN": False,
    }
    first, second = create_app(dict(config)), create_app(dict(config))
    with first.app_context():
        rendered = first.test_client().get(FEED_A)
        db.session.remove()
        db.engine.dispose()
    cache.clear_all()  # the second process has nothing of its own
    with second.app_context():
        with count_queries() as counter:
            shared = second.test_client().get(FEED_A)
        db.session.remove()
        db.engine.dispose()
    assert shared.status_code == 200 and shared.data == rendered.data
    # the slug and the validators; the sessions were not loaded again
    assert counter.count <= 3


@pytest.mark.parametrize(
    "title",
    [
        "绘本共读",
        "逗号, 分号; 反斜杠\\ 和 \\N 换行\n第二行\r\n第三行",
        "长" * 40 + "，" + "a\\," * 20,  # folded inside escapes (title: 120 characters)
    ],
)
def test_feed_events_are_written_directly_with_the_bytes_icalendar_writes(make, title):
    from readingroom.calendars.ical import event_bytes, serialize, session_event

    program = make.program("p-text", name="亲子, 阅读; 板块")
    room = make.room(make.community("yaozhuang"), address="滨河街道1号，二楼; 东侧\\门")
    s = make.session(
        room, program=program, title=title, host="王老师, 李老师", description=title * 3
    )
    s.suggested_books = "《团圆》\n《好饿的毛毛虫》, 第二册"
    db.session.commit()
    base = "http://readingroom.test"
    assert event_bytes(s, base_url=base) == serialize(session_event(s, base_url=base))
    s.status = type(s.status)("cancelled")
    s.cancel_reason = "下雨, 改期"
    assert event_bytes(s, base_url=base) == serialize(session_event(s, base_url=base))


@pytest.mark.parametrize("app_config", [{"FEED_MAX_EVENTS": 1}])
def test_a_feed_larger_than_any_calendar_app_takes_says_what_to_take(client, two, app_config):
    response = client.get("/feeds/all.ics")
    assert response.status_code == 413
    assert "订阅一个社区" in response.get_data(as_text=True)
    assert client.get(FEED_A).status_code == 200  # one session: within the limit
