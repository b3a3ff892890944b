"""Feeds over HTTP: every kind of feed, strict parsing, occurrences, validators and 304."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.http import http_date

from readingroom.calendars.ical import CANCELLED_PREFIX, FEED_WINDOW_DAYS
from readingroom.calendars.queries import sessions_between
from readingroom.extensions import db
from readingroom.schedule.models import ReadingSession
from readingroom.schedule.operations import cancel_session, series_data, update_session
from readingroom.timeutil import BEIJING, beijing_today
from tests.conftest import at
from tests.fixtures_calendars import backdate, expected, occurrences, parse_ics

FEEDS = [
    "/feeds/all.ics",
    "/feeds/community/yaozhuang.ics",
    "/feeds/room/yaozhuang-peony.ics",
    "/feeds/room/yaozhuang-garden.ics",
    "/feeds/program/parent-child.ics",
    "/feeds/all.ics?community=yaozhuang&program=parent-child&age=5",
]


def window() -> tuple[datetime, datetime]:
    start = at(beijing_today() - timedelta(days=FEED_WINDOW_DAYS), 0)
    return start.astimezone(UTC), start.astimezone(UTC) + timedelta(days=400)


def all_sessions() -> list[ReadingSession]:
    return list(db.session.scalars(db.select(ReadingSession)))


@pytest.mark.parametrize("url", FEEDS)
def test_every_feed_is_text_calendar_with_validators(client, world, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["ETag"].startswith('"')
    assert response.headers["Last-Modified"]
    assert "max-age" in response.headers["Cache-Control"]
    calendar = parse_ics(response.data)
    assert calendar.events
    assert b"\r\nREFRESH-INTERVAL;VALUE=DURATION:PT6H\r\n" in response.data
    assert b"\r\nX-PUBLISHED-TTL:PT6H\r\n" in response.data
    assert b"\r\nX-WR-CALNAME:" in response.data


def test_room_feed_follows_a_moved_occurrence(client, world):
    """The moved occurrence is in the garden's feed and no longer in the peony's."""
    peony = client.get("/feeds/room/yaozhuang-peony.ics").data
    garden = client.get("/feeds/room/yaozhuang-garden.ics").data
    start, end = window()
    in_peony = [s for s in world.sessions if s.room_id == world.peony.id]
    assert occurrences(peony, start, end) == expected(in_peony)
    assert occurrences(garden, start, end) == expected([world.moved])
    assert world.moved.ical_uid() not in peony.decode()


@pytest.mark.parametrize(
    ("url", "keep"),
    [
        ("/feeds/all.ics", lambda s, w: True),
        ("/feeds/community/yaozhuang.ics", lambda s, w: s.room.community_id == w.yaozhuang.id),
        ("/feeds/community/sunzhuang.ics", lambda s, w: s.room.community_id == w.sunzhuang.id),
        ("/feeds/program/senior.ics", lambda s, w: s.program_id == w.senior.id),
        ("/feeds/all.ics?age=70", lambda s, w: s.program_id == w.senior.id),
        ("/feeds/all.ics?age=5&community=yaozhuang", lambda s, w: s.program_id != w.senior.id),
    ],
)
def test_occurrences_a_client_computes_equal_the_sessions_the_app_lists(client, world, url, keep):
    """Strict parsers expand the feed; the result equals the app's own list for the window,
    with the moved occurrence at its new time/room and the cancelled one as CANCELLED."""
    body = client.get(url).data
    start, end = window()
    wanted = [s for s in all_sessions() if keep(s, world)]
    assert occurrences(body, start, end) == expected(wanted)
    # …and the same list the calendar pages and the API read
    listed = sessions_between_scope_for(url, world, start, end)
    assert expected(listed) == expected(wanted)


def sessions_between_scope_for(url, world, start, end):
    from readingroom.calendars.queries import Scope

    scopes = {
        "/feeds/all.ics": Scope(),
        "/feeds/community/yaozhuang.ics": Scope(community=world.yaozhuang),
        "/feeds/community/sunzhuang.ics": Scope(community=world.sunzhuang),
        "/feeds/program/senior.ics": Scope(program=world.senior),
        "/feeds/all.ics?age=70": Scope(age=70),
        "/feeds/all.ics?age=5&community=yaozhuang": Scope(community=world.yaozhuang, age=5),
    }
    return sessions_between(scopes[url], start, end)


def test_cancelled_occurrence_stays_marked(client, world):
    body = client.get("/feeds/community/yaozhuang.ics").data
    calendar = parse_ics(body)
    cancelled = next(e for e in calendar.events if e.uid == world.cancelled.ical_uid())
    assert cancelled.status.value == "CANCELLED"
    assert cancelled.summary.startswith(CANCELLED_PREFIX)
    assert cancelled.sequence == 1
    live = next(e for e in calendar.events if e.uid == world.sessions[0].ical_uid())
    assert live.status.value == "CONFIRMED"
    assert not live.summary.startswith(CANCELLED_PREFIX)


def test_two_requests_give_identical_bytes(client, world):
    first = client.get("/feeds/all.ics")
    from readingroom.calendars.feeds import body_cache

    body_cache.clear()  # render again, not from the cache
    second = client.get("/feeds/all.ics")
    assert first.data == second.data
    assert first.headers["ETag"] == second.headers["ETag"]
    assert first.headers["Last-Modified"] == second.headers["Last-Modified"]


def test_conditional_requests_answer_304_until_something_changes(client, world):
    backdate(*all_sessions())
    first = client.get("/feeds/community/yaozhuang.ics")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]

    again = client.get("/feeds/community/yaozhuang.ics", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    since = client.get("/feeds/community/yaozhuang.ics", headers={"If-Modified-Since": modified})
    assert since.status_code == 304
    old = http_date(datetime.now(UTC) - timedelta(days=30))
    stale = client.get("/feeds/community/yaozhuang.ics", headers={"If-Modified-Since": old})
    assert stale.status_code == 200
    assert stale.data == first.data

    s = world.sessions[3]
    update_session(
        s,
        replace(
            series_data(world.series).occurrence(s.starts_at.astimezone(BEIJING).date()),
            title="绘本共读：新书",
        ),
    )
    db.session.commit()
    changed = client.get(
        "/feeds/community/yaozhuang.ics",
        headers={"If-None-Match": etag, "If-Modified-Since": modified},
    )
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert changed.headers["Last-Modified"] != modified
    only_date = client.get(
        "/feeds/community/yaozhuang.ics", headers={"If-Modified-Since": modified}
    )
    assert only_date.status_code == 200
    assert "绘本共读：新书" in changed.get_data(as_text=True)


def test_a_move_out_of_a_filtered_feed_changes_its_validators(client, world):
    backdate(*all_sessions())
    url = "/feeds/room/yaozhuang-peony.ics"
    first = client.get(url)
    s = world.sessions[4]
    data = series_data(world.series).occurrence(s.starts_at.astimezone(BEIJING).date())
    update_session(s, replace(data, room=world.garden))
    db.session.commit()
    after = client.get(
        url,
        headers={
            "If-None-Match": first.headers["ETag"],
            "If-Modified-Since": first.headers["Last-Modified"],
        },
    )
    assert after.status_code == 200
    assert s.ical_uid() not in after.get_data(as_text=True)
    by_date = client.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert by_date.status_code == 200


def test_a_cancellation_changes_the_validators(client, world):
    backdate(*all_sessions())
    url = "/feeds/program/parent-child.ics"
    first = client.get(url)
    cancel_session(world.sessions[5], "老师生病")
    db.session.commit()
    after = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert after.status_code == 200
    event = next(e for e in parse_ics(after.data).events if e.uid == world.sessions[5].ical_uid())
    assert event.status.value == "CANCELLED"


def test_an_edit_raises_sequence_and_last_modified_but_keeps_the_uid(client, world):
    backdate(*all_sessions())
    s = world.sessions[0]
    url = f"/sessions/{s.id}.ics"
    before = parse_ics(client.get(url).data).events[0]
    data = series_data(world.series).occurrence(s.starts_at.astimezone(BEIJING).date())
    update_session(
        s,
        replace(
            data,
            starts_at=data.starts_at + timedelta(hours=1),
            ends_at=data.ends_at + timedelta(hours=1),
        ),
    )
    db.session.commit()
    after = parse_ics(client.get(url).data).events[0]
    assert after.uid == before.uid == s.ical_uid()
    assert after.sequence == before.sequence + 1
    assert after.last_modified > before.last_modified
    assert after.dtstamp > before.dtstamp
    assert after.start == before.start + timedelta(hours=1)


def test_feed_window_is_90_days_back(client, make):
    room = make.room(make.community("yaozhuang"))
    today = beijing_today()
    inside = make.session(room, start=at(today - timedelta(days=90), 0))
    outside = make.session(room, start=at(today - timedelta(days=91), 23))
    text = client.get("/feeds/all.ics").get_data(as_text=True)
    assert inside.ical_uid() in text
    assert outside.ical_uid() not in text


def test_window_moving_past_a_session_moves_last_modified(app, make):
    """When a session leaves the window, Last-Modified is the moment it left."""
    from readingroom.calendars.queries import Scope, feed_state

    room = make.room()
    today = beijing_today()
    old = make.session(room, start=at(today - timedelta(days=91), 10))
    backdate(old, hours=24 * 200)
    state = feed_state(Scope(), today)
    left = at(today, 0).astimezone(UTC)
    assert state.last_modified == left
    assert feed_state(Scope(), today).fingerprint == state.fingerprint
    assert feed_state(Scope(), today - timedelta(days=1)).fingerprint != state.fingerprint


def test_single_session_download(client, world):
    s = world.moved
    response = client.get(f"/sessions/{s.id}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"] == f"attachment; filename=session-{s.id}.ics"
    calendar = parse_ics(response.data)
    (event,) = calendar.events
    assert event.uid == s.ical_uid()
    assert event.summary == "绘本共读（本周在花园书房）"
    assert event.location.startswith("花园书房")
    assert event.url == f"http://readingroom.test/sessions/{s.id}"
    assert b"REFRESH-INTERVAL" not in response.data
    again = client.get(f"/sessions/{s.id}.ics", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/feeds/community/nowhere.ics", 404),
        ("/feeds/room/nowhere.ics", 404),
        ("/feeds/program/nowhere.ics", 404),
        ("/feeds/all.ics?community=nowhere", 404),
        ("/feeds/all.ics?community=%00", 404),
        ("/feeds/all.ics?age=old", 400),
        ("/feeds/all.ics?age=-1", 400),
        ("/feeds/all.ics?age=500", 400),
        ("/feeds/all.ics?community=yaozhuang&community=sunzhuang", 400),
        ("/sessions/999999.ics", 404),
    ],
)
def test_bad_feed_addresses(client, world, url, status):
    assert client.get(url).status_code == status


def test_unknown_query_parameters_are_ignored_by_feeds(client, world):
    """Calendar apps and proxies append their own parameters (cache busters)."""
    plain = client.get("/feeds/all.ics")
    busted = client.get("/feeds/all.ics?_=12345")
    assert busted.status_code == 200
    assert busted.data == plain.data


def test_calendar_name_is_escaped_for_names_with_commas(client, make):
    make.community("comma", "东区, 西区; 北区")
    text = client.get("/feeds/community/comma.ics").get_data(as_text=True).replace("\r\n ", "")
    assert "\r\nX-WR-CALNAME:东区\\, 西区\\; 北区 · 阅读活动\r\n" in text
    assert "\r\nNAME:东区\\, 西区\\; 北区 · 阅读活动\r\n" in text


def test_a_warm_feed_and_a_304_need_few_queries_whatever_the_number_of_sessions(
    client, make, count_queries
):
    room = make.room(make.community("yaozhuang"))
    program = make.program()

    def measure() -> tuple[int, int, int]:
        from readingroom.calendars.cache import clear_all

        clear_all()  # cold: nothing rendered, no slug remembered
        with count_queries() as cold:
            first = client.get("/feeds/community/yaozhuang.ics")
        with count_queries() as warm:
            client.get("/feeds/community/yaozhuang.ics")
        with count_queries() as not_modified:
            response = client.get(
                "/feeds/community/yaozhuang.ics", headers={"If-None-Match": first.headers["ETag"]}
            )
        assert response.status_code == 304
        return cold.count, warm.count, not_modified.count

    start = at(beijing_today(), 9)
    for day in range(3):
        make.session(room, program=program, start=start + timedelta(days=day))
    few = measure()
    for day in range(3, 60):
        db.session.add(
            ReadingSession(
                program=program,
                room=room,
                title="绘本",
                starts_at=start + timedelta(days=day),
                ends_at=start + timedelta(days=day, hours=1),
                capacity=10,
            )
        )
    db.session.commit()
    many = measure()
    assert few == many
    # one aggregate query (the slug is remembered, and read back by that query)
    assert many[1] <= 1 and many[2] <= 1


def test_a_room_edit_reaches_the_cached_events(client, world):
    """Events are cached by what they show; a new room address re-renders them."""
    url = "/feeds/room/yaozhuang-peony.ics"
    assert "滨河街道1号" in client.get(url).get_data(as_text=True)
    backdate(*all_sessions())
    world.peony.address = "滨河街道8号，东门进"
    db.session.commit()
    text = client.get(url).get_data(as_text=True).replace("\r\n ", "")
    assert "LOCATION:牡丹书房，滨河街道8号，东门进" in text
    assert "滨河街道1号" not in text
