"""iCalendar rules without HTTP: folding, escaping, VTIMEZONE, events, calendar properties."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from readingroom.calendars import ical
from readingroom.calendars.ical import (
    CANCELLED_PREFIX,
    beijing_vtimezone,
    build_calendar,
    fold_line,
    session_event,
)
from readingroom.extensions import db
from readingroom.schedule.operations import cancel_session
from readingroom.timeutil import BEIJING
from tests.fixtures_calendars import parse_ics

BASE = "https://rr.example"

# Text with what RFC 5545 must escape, Chinese, full-width punctuation and emoji.
tricky_text = st.text(
    alphabet=st.sampled_from(list("读书，。；：、,;:\\\n\"'ab12 《》【】🙂é")),
    min_size=0,
    max_size=300,
)


def unfold(data: bytes) -> bytes:
    return data.replace(b"\r\n ", b"")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_fold_line_keeps_lines_short_and_unfolds_to_the_original(text):
    line = "DESCRIPTION:" + text.replace("\r", "").replace("\n", "\\n")
    folded = fold_line(line)
    physical = folded.split(b"\r\n")
    assert all(len(p) <= 75 for p in physical)
    assert all(p.startswith(b" ") for p in physical[1:])
    assert unfold(folded) == line.encode("utf-8")
    for piece in physical:  # every physical line is whole UTF-8 (no split character)
        piece.decode("utf-8")


@settings(max_examples=200, deadline=None)
@given(tricky_text)
def test_fold_never_splits_a_text_escape(text):
    line = "DESCRIPTION:" + (
        text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")
    )
    for piece in fold_line(line).split(b"\r\n")[:-1]:
        trailing = len(piece) - len(piece.rstrip(b"\\"))
        assert trailing % 2 == 0, piece


def test_fold_at_exactly_75_octets():
    assert fold_line("X" * 75) == b"X" * 75
    assert fold_line("X" * 76) == b"X" * 75 + b"\r\n X"
    # a three-octet character that would cross the limit moves to the next line
    assert fold_line("X" * 74 + "读") == b"X" * 74 + "\r\n 读".encode()


def test_vtimezone_is_one_standard_block_from_zoneinfo():
    text = beijing_vtimezone().to_ical().decode()
    assert "TZID:Asia/Shanghai" in text
    assert text.count("BEGIN:STANDARD") == 1
    assert "BEGIN:DAYLIGHT" not in text
    assert "TZOFFSETFROM:+0800" in text and "TZOFFSETTO:+0800" in text
    assert "DTSTART:19920101T000000" in text  # China's last daylight saving time ended in 1991


def test_calendar_properties_avoid_the_icalendar_pitfalls():
    body = build_calendar(
        [], name="滨河, 阅读; 日历", description="第一行\n第二行, 有逗号", url=BASE
    )
    text = unfold(body).decode()
    assert "\r\nNAME:滨河\\, 阅读\\; 日历\r\n" in text
    assert "\r\nX-WR-CALNAME:滨河\\, 阅读\\; 日历\r\n" in text
    assert "\r\nREFRESH-INTERVAL;VALUE=DURATION:PT6H\r\n" in text
    assert "\r\nX-PUBLISHED-TTL:PT6H\r\n" in text
    assert "\r\nX-WR-CALDESC:第一行\\n第二行\\, 有逗号\r\n" in text
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:")
    assert text.endswith("END:VCALENDAR\r\n")
    assert re.search(r"(?<!\r)\n", text) is None  # CRLF only
    assert parse_ics(body).prodid == ical.PRODID


def test_a_download_is_not_a_subscription(world):
    event = session_event(world.sessions[0], base_url=BASE)
    text = build_calendar([event], name="绘本共读", subscription=False).decode()
    for prop in ("REFRESH-INTERVAL", "X-PUBLISHED-TTL"):
        assert f"\r\n{prop}" not in text
    assert "\r\nX-WR-CALNAME:绘本共读\r\n" in text
    assert "BEGIN:VTIMEZONE" in text


def test_event_fields(world):
    s = world.sessions[0]
    event = session_event(s, base_url=BASE)
    assert str(event["UID"]) == f"session-{s.id}@readingroom.binhe.dingtao"
    assert event["SEQUENCE"] == s.sequence
    assert event["DTSTART"].dt == s.starts_at
    assert event["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert event["DTEND"].dt == s.ends_at
    assert str(event["URL"]) == f"{BASE}/sessions/{s.id}"
    assert str(event["LOCATION"]) == "牡丹书房，滨河街道1号"
    assert str(event["STATUS"]) == "CONFIRMED"
    description = str(event["DESCRIPTION"])
    assert "阅读板块：亲子阅读" in description
    assert "适合对象：3–12岁的孩子，每个孩子需一位大人陪同" in description
    assert "名额：16个座位" in description
    assert "推荐书目：《团圆》《好饿的毛毛虫》" in description
    assert f"{BASE}/sessions/{s.id}" in description


def test_stamps_come_from_the_update_time_never_now(world):
    s = world.sessions[0]
    s.updated_at = datetime(2026, 5, 1, 8, 0, 30, 123456, tzinfo=UTC)
    s.room.updated_at = datetime(2026, 4, 1, tzinfo=UTC)
    s.program.updated_at = datetime(2026, 3, 1, tzinfo=UTC)
    event = session_event(s, base_url=BASE)
    assert event["DTSTAMP"].dt == datetime(2026, 5, 1, 8, 0, 30, tzinfo=UTC)
    assert event["LAST-MODIFIED"].dt == datetime(2026, 5, 1, 8, 0, 30, tzinfo=UTC)
    # a change of the room's address is a change of the event too
    s.room.updated_at = datetime(2026, 6, 1, tzinfo=UTC)
    assert session_event(s, base_url=BASE)["LAST-MODIFIED"].dt == datetime(2026, 6, 1, tzinfo=UTC)
    db.session.rollback()


def test_rendering_twice_gives_identical_bytes(world):
    def render() -> bytes:
        events = [session_event(s, base_url=BASE) for s in world.sessions]
        return build_calendar(events, name="日历")

    assert render() == render()


def test_cancelled_event_keeps_uid_and_is_marked(world):
    s = world.cancelled
    event = session_event(s, base_url=BASE)
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["SUMMARY"]) == CANCELLED_PREFIX + "绘本共读"
    assert "本场活动已取消。原因：书院设备检修，暂停一次。" in str(event["DESCRIPTION"])
    assert event["SEQUENCE"] == 1


def test_note_goes_after_the_cancelled_mark_and_into_the_description(world):
    live = session_event(world.sessions[0], base_url=BASE, note="【候补】")
    assert str(live["SUMMARY"]) == "【候补】绘本共读"
    assert str(live["DESCRIPTION"]).startswith("【候补】\n")
    gone = session_event(world.cancelled, base_url=BASE, note="【候补】")
    assert str(gone["SUMMARY"]) == "【已取消】【候补】绘本共读"


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(title=tricky_text.filter(lambda t: t.strip() != ""), description=tricky_text)
def test_chinese_text_round_trips_exactly_through_a_strict_parser(app, make, title, description):
    s = make.session(title=title[:120], description=description)
    s.room.address = "定陶区滨河街道，姚庄社区；文化书院一楼, 东门"
    body = build_calendar([session_event(s, base_url=BASE)], name="测试, 日历; 名字")
    parsed = parse_ics(body)
    event = parsed.events[0]
    assert event.summary == title[:120]
    assert event.location == f"{s.room.name}，定陶区滨河街道，姚庄社区；文化书院一楼, 东门"
    if description.strip():
        assert description.strip() in event.description
    db.session.rollback()


def test_a_cancelled_session_raises_sequence(world):
    s = world.sessions[3]
    before = session_event(s, base_url=BASE)["SEQUENCE"]
    cancel_session(s, "下雨")
    assert session_event(s, base_url=BASE)["SEQUENCE"] == before + 1
    db.session.rollback()


def test_feed_window_starts_at_beijing_midnight_90_days_back():
    today = date(2026, 7, 15)
    start = ical.feed_window_start(today)
    assert start.astimezone(BEIJING).hour == 0
    assert start.astimezone(BEIJING).date() == today - timedelta(days=90)
    assert start.tzinfo is not None
