"""A fresh worker's warm-up (calendars/warmup.py, gunicorn's post_worker_init) and one
community's calendar page at city scale: what it lists is that community's."""

from __future__ import annotations

from datetime import timedelta

from readingroom.calendars import cache
from readingroom.calendars.feeds import body_cache, event_cache
from readingroom.calendars.warmup import warm_up, warm_up_paths
from readingroom.extensions import db
from readingroom.timeutil import beijing_today
from tests.conftest import at


def _two_communities(make):
    program = make.program("parent-child")
    a, b = make.community("yaozhuang"), make.community("sunzhuang")
    room_a, room_b = make.room(a, slug="a-room"), make.room(b, slug="b-room")
    start = at(beijing_today() + timedelta(days=3), 9)
    s_a = make.session(room_a, program=program, start=start, title="姚庄绘本")
    make.session(room_b, program=program, start=start, title="孙庄绘本")
    return s_a


def test_the_warm_up_runs_the_calendar_of_a_community_and_keeps_nothing(app, make):
    s_a = _two_communities(make)
    paths = warm_up_paths(app)
    assert paths[0] == "/feeds/community/yaozhuang.ics"
    assert f"/sessions/{s_a.id}" in paths
    db.session.remove()
    assert warm_up(app) > 0
    assert event_cache._entries == {}
    assert body_cache.local._entries == {}
    assert cache.compressed.local._entries == {}
    assert app.config["CACHE_TYPE"] == "NullCache"  # restored


def test_a_failing_warm_up_is_logged_and_the_worker_serves(app, monkeypatch, caplog):
    from readingroom.calendars import warmup

    def broken(app):
        raise RuntimeError("no database")

    monkeypatch.setattr(warmup, "warm_up_paths", broken)
    warm_up(app)
    assert "warm-up failed" in caplog.text


def test_the_warm_up_of_an_empty_database_asks_for_nothing_that_fails(app):
    assert warm_up_paths(app) == ["/feeds/all.ics", "/"]
    assert warm_up(app) > 0


def test_one_communitys_page_offers_its_own_book_rooms(client, make):
    _two_communities(make)
    html = client.get("/?community=yaozhuang&view=month").get_data(as_text=True)
    assert 'value="a-room"' in html
    assert 'value="b-room"' not in html
    assert 'value="sunzhuang"' in html  # every community stays a choice
    everything = client.get("/?view=month").get_data(as_text=True)
    assert 'value="a-room"' in everything and 'value="b-room"' in everything


def test_a_book_room_of_another_community_keeps_its_message(client, make):
    _two_communities(make)
    html = client.get("/?community=yaozhuang&room=b-room").get_data(as_text=True)
    assert "这个书房属于其他社区。" in html
    assert '<option selected value="yaozhuang">' in html
