"""The public JSON API: contents, filters, 400 (never 500) for any query string, OpenAPI."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from readingroom.calendars.api import OPENAPI_PATH
from readingroom.registrations.occupancy import Occupancy
from readingroom.timeutil import BEIJING, beijing_today


def day_of(reading_session) -> str:
    return reading_session.starts_at.astimezone(BEIJING).date().isoformat()


def api(client, **params):
    response = client.get("/api/v1/sessions?" + urlencode(params))
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    return response, json.loads(response.data)


def test_sessions_of_a_month_with_every_field(client, world, seats_provider):
    s = world.sessions[0]
    seats_provider[s.id] = Occupancy(seats_taken=5, waitlist_count=1)
    first = s.starts_at.astimezone(BEIJING).date()
    response, body = api(
        client, start=first.isoformat(), end=(first + timedelta(days=30)).isoformat()
    )
    assert response.status_code == 200
    assert body["timezone"] == "Asia/Shanghai"
    assert body["count"] == len(body["sessions"])
    item = next(x for x in body["sessions"] if x["id"] == s.id)
    assert item["title"] == "绘本共读"
    assert item["status"] == "scheduled"
    assert item["cancel_reason"] is None
    assert item["program"] == {
        "slug": "parent-child",
        "name": "亲子阅读",
        "name_en": None,
        "colour": "#2f6f4e",
    }
    assert item["community"]["slug"] == "yaozhuang"
    assert item["room"]["slug"] == "yaozhuang-peony" and item["room"]["address"] == "滨河街道1号"
    assert item["start"] == f"{first.isoformat()}T09:30:00+08:00"
    assert item["end"] == f"{first.isoformat()}T10:30:00+08:00"
    assert (item["capacity"], item["seats_taken"], item["waitlist_count"], item["seats_left"]) == (
        16,
        5,
        1,
        11,
    )
    assert item["url"] == f"http://readingroom.test/sessions/{s.id}"
    assert item["ics_url"] == f"http://readingroom.test/sessions/{s.id}.ics"
    cancelled = next(x for x in body["sessions"] if x["id"] == world.cancelled.id)
    assert cancelled["status"] == "cancelled"
    assert cancelled["cancel_reason"] == "书院设备检修，暂停一次。"
    moved = next(x for x in body["sessions"] if x["id"] == world.moved.id)
    assert moved["room"]["slug"] == "yaozhuang-garden"
    starts = [x["start"] for x in body["sessions"]]
    assert starts == sorted(starts)


def test_start_and_end_days_are_both_included(client, world):
    day = day_of(world.sessions[0])
    _, body = api(client, start=day, end=day)
    # On a Thursday (Beijing) the senior session, two days ahead, falls on that Saturday too.
    same_day = [s for s in [*world.sessions, world.senior_session] if day_of(s) == day]
    assert len(same_day) in (1, 2)
    assert sorted(x["id"] for x in body["sessions"]) == sorted(s.id for s in same_day)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"community": "sunzhuang"}, {"长者悦读会"}),
        ({"room": "yaozhuang-garden"}, {"绘本共读（本周在花园书房）"}),
        ({"program": "senior"}, {"长者悦读会"}),
        ({"community": "yaozhuang", "program": "senior"}, set()),
    ],
)
def test_filters(client, world, params, expected):
    start = beijing_today()
    _, body = api(
        client, start=start.isoformat(), end=(start + timedelta(days=60)).isoformat(), **params
    )
    assert {x["title"] for x in body["sessions"]} == expected


def test_default_window_is_31_days_from_today(client, world):
    response, body = api(client)
    assert response.status_code == 200
    assert body["start"] == beijing_today().isoformat()
    assert body["end"] == (beijing_today() + timedelta(days=30)).isoformat()


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("start=2026-02-30", "start"),
        ("start=yesterday", "start"),
        ("start=0001-01-01", "start"),
        ("end=9999-12-31", "end"),
        ("start=2026-07-10&end=2026-07-01", "end"),
        ("start=2026-01-01&end=2027-06-01", "end"),
        ("start=2026-07-01&start=2026-07-02", "start"),
        ("community=nowhere", "community"),
        ("room=%00", "room"),
        ("program=" + "x" * 5000, "program"),
        ("comunity=yaozhuang", "comunity"),
        ("age=5", "age"),
    ],
)
def test_bad_parameters_get_a_json_400_naming_them(client, world, query, parameter):
    response = client.get("/api/v1/sessions?" + query)
    assert response.status_code == 400
    error = json.loads(response.data)["error"]
    assert error["code"] == 400
    assert error["parameter"] == parameter
    assert error["message"]


def test_other_errors_are_json_too(client, world):
    assert client.get("/api/v1/nothing").headers["Content-Type"] == "application/json"
    response = client.post("/api/v1/sessions")
    assert response.status_code == 405
    assert json.loads(response.data)["error"]["code"] == 405


_names = st.sampled_from(["start", "end", "community", "room", "program", "x", "", "start[]"])
_values = st.one_of(
    st.text(max_size=40),
    st.dates().map(str),
    st.from_regex(r"\d{1,5}-\d{1,3}-\d{1,3}", fullmatch=True),
    st.sampled_from(["yaozhuang", "sunzhuang", "parent-child", "%00", "%ff", "%", "2026-07-01"]),
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(_names, _values), max_size=5), st.booleans())
def test_fuzzed_query_strings_get_200_or_400_never_500(client, world, pairs, raw):
    if raw:  # bytes as a hostile client might send them, unencoded
        query = "&".join(f"{k}={v}" for k, v in pairs)
        url = "/api/v1/sessions?" + quote(query, safe="=&%")
    else:
        url = "/api/v1/sessions?" + urlencode(pairs)
    response = client.get(url)
    assert response.status_code in (200, 400), (url, response.data[:300])
    body = json.loads(response.data)
    assert ("sessions" in body) if response.status_code == 200 else ("error" in body)


def test_openapi_document_is_served_and_matches_the_answers(client, world):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = json.loads(response.data)
    assert spec == json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    assert spec["openapi"].startswith("3.")
    operation = spec["paths"]["/sessions"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {
        "start",
        "end",
        "community",
        "room",
        "program",
        "course",
    }
    schemas = spec["components"]["schemas"]
    _, body = api(client, start=beijing_today().isoformat())
    assert set(body) == set(schemas["SessionList"]["properties"])
    item = body["sessions"][0]
    session_schema = schemas["Session"]
    assert set(item) == set(session_schema["properties"]) == set(session_schema["required"])
    assert set(item["room"]) == set(schemas["Room"]["properties"])
    assert set(item["program"]) == set(schemas["Program"]["properties"])
    assert set(item["community"]) == set(schemas["Place"]["properties"])
    error = json.loads(client.get("/api/v1/sessions?start=x").data)
    assert set(error["error"]) <= set(schemas["Error"]["properties"]["error"]["properties"])
