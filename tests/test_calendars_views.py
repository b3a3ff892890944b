"""The public calendar pages over HTTP: views, filters, session page, subscribe, poster."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pytest

from readingroom.calendars import changes
from readingroom.calendars.ical import FEED_DAYS_AHEAD, FEED_WINDOW_DAYS
from readingroom.registrations.occupancy import Occupancy
from readingroom.timeutil import BEIJING, beijing_today
from tests.conftest import at, login

PAGE_BUDGET = 200 * 1024  # bytes of HTML, before images


def html(client, url: str, **kw) -> str:
    response = client.get(url, **kw)
    assert response.status_code == 200, url
    assert len(response.data) < PAGE_BUDGET, (url, len(response.data))
    return response.get_data(as_text=True)


def month_of(reading_session) -> str:
    return reading_session.starts_at.astimezone(BEIJING).strftime("%Y-%m")


def test_home_has_the_list_and_the_month(client, world):
    page = html(client, "/")
    assert "cal-auto" in page  # CSS picks the list on a phone, the grid when wide
    assert 'class="view-list"' in page and 'class="view-month"' in page
    assert "绘本共读" in page and "长者悦读会" in page
    assert "北京时间" in page


@pytest.mark.parametrize("view", ["month", "week", "list"])
def test_each_view_on_its_own(client, world, view):
    s = world.sessions[0]
    day = s.starts_at.astimezone(BEIJING).date()
    page = html(client, f"/?view={view}&month={month_of(s)}&week={day}&from={day}")
    assert f'href="/sessions/{s.id}"' in page
    assert page.count('aria-current="page"') == 1
    assert "cal-auto" not in page


def test_month_view_marks_cancelled_and_moved_occurrences(client, world):
    page = html(client, f"/?view=month&month={month_of(world.cancelled)}")
    cancelled = re.search(
        rf'<li class="cal-item[^"]*cancelled[^"]*">\s*<a href="/sessions/{world.cancelled.id}"',
        page,
    )
    assert cancelled, "cancelled occurrence is shown and marked"
    assert "已取消" in page
    assert "花园书房" in page


def test_filters_live_in_the_url_and_narrow_the_sessions(client, world):
    page = html(client, "/?view=list&community=sunzhuang")
    assert "长者悦读会" in page
    assert "绘本共读" not in page
    assert '<option selected value="sunzhuang">' in page or 'value="sunzhuang" selected' in page
    # the view's own feed and its webcal twin
    assert "http://readingroom.test/feeds/community/sunzhuang.ics" in page
    assert "webcal://readingroom.test/feeds/community/sunzhuang.ics" in page
    # navigation keeps the filter
    assert re.search(r'href="/\?view=month[^"]*community=sunzhuang', page)


@pytest.mark.parametrize(
    ("query", "feed"),
    [
        ("", "/feeds/all.ics"),
        ("room=yaozhuang-garden", "/feeds/room/yaozhuang-garden.ics"),
        ("program=senior", "/feeds/program/senior.ics"),
        (
            "community=yaozhuang&program=parent-child",
            "/feeds/all.ics?community=yaozhuang&amp;program=parent-child",
        ),
        ("age=70", "/feeds/all.ics?age=70"),
        ("community=yaozhuang&seats=1", "/feeds/community/yaozhuang.ics"),
    ],
)
def test_every_filtered_view_links_its_own_feed(client, world, query, feed):
    page = html(client, f"/?view=list&{query}")
    assert f'href="webcal://readingroom.test{feed}"' in page
    assert f'<link rel="alternate" type="text/calendar" title="日历订阅" href="{feed}">' in page


def test_age_filter_keeps_the_strands_open_to_that_age(client, world):
    page = html(client, "/?view=list&age=70")
    assert "长者悦读会" in page
    assert "绘本共读" not in page
    page = html(client, "/?view=list&age=6")
    assert "绘本共读" in page
    assert "长者悦读会" not in page


def test_seats_left_filter_uses_the_occupancy_provider(client, world, seats_provider):
    first, second = world.sessions[0], world.sessions[3]
    seats_provider[first.id] = Occupancy(seats_taken=16, waitlist_count=2, waitlist_households=1)
    seats_provider[second.id] = Occupancy(seats_taken=10, waitlist_count=0)
    everything = html(client, "/?view=list&from=" + str(beijing_today()))
    assert "已满 · 候补：1 户，共 2 个座位" in everything  # families, and the seats they asked
    page = html(client, f"/?view=month&month={month_of(first)}&seats=1")
    assert f'href="/sessions/{first.id}"' not in page  # full
    assert f'href="/sessions/{world.cancelled.id}"' not in page  # cancelled
    assert f'href="/sessions/{second.id}"' in page or month_of(second) != month_of(first)
    assert "剩余座位：6" in html(
        client, f"/?view=week&week={second.starts_at.astimezone(BEIJING).date()}"
    )


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("age=abc", "age", "请填写整数"),
        ("age=300", "age", "0 到 120"),
        ("community=gone", "community", "该选项不存在"),
        ("room=gone", "room", "该选项不存在"),
        ("program=gone", "program", "该选项不存在"),
        ("community=sunzhuang&room=yaozhuang-peony", "room", "这个书房属于其他社区"),
    ],
)
def test_bad_filters_get_a_message_next_to_the_field(client, world, query, field, message):
    page = html(client, f"/?{query}")
    error = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', page)
    assert error and message in error.group(1)
    assert '<details class="cal-filters" open>' in page


# Sunday 31 May 2026 17:30 UTC is already Monday 1 June 01:30 in Beijing: another day,
# another week and another month than on a UTC clock.
BEIJING_MONDAY = datetime(2026, 5, 31, 17, 30, tzinfo=UTC)
TODAYS = {  # what each view shows for "today" then (zh)
    "month": ("month-title", "2026年6月"),
    "week": ("week-title", "6月1日 周一 起的一周"),
    "list": ("list-title", "6月1日 周一 至 6月28日 周日"),
}


def headings(page: str) -> dict[str, str]:
    """The period each calendar view on the page shows, by the id of its heading."""
    return dict(re.findall(r'<h2 id="((?:month|week|list)-title)">([^<]*)</h2>', page))


@pytest.mark.parametrize(
    ("query", "views"),
    [
        ("view=month&month=2026-13", ["month"]),
        ("view=month&month=0001-01", ["month"]),
        ("view=month&month=99999-01", ["month"]),
        ("view=month&month=x", ["month"]),
        ("view=week&week=9999-99-99", ["week"]),
        ("view=week&week=2026-02-30", ["week"]),
        ("view=list&from=x", ["list"]),
        ("view=list&from=1999-12-31", ["list"]),
        ("view=year", ["list", "month"]),  # an unknown view: the home page's two
        ("month=2026-13&from=2026-06-31", ["list", "month"]),
    ],
)
def test_bad_dates_fall_back_to_today(client, world, monkeypatch, query, views):
    monkeypatch.setattr("readingroom.timeutil.utcnow", lambda: BEIJING_MONDAY)
    page = html(client, f"/?{query}")
    assert headings(page) == dict(TODAYS[v] for v in views)
    if "month" in views:  # the neighbours of today's month
        assert 'href="/?view=month&amp;month=2026-05"' in page
        assert 'href="/?view=month&amp;month=2026-07"' in page
    if "month" in views or "week" in views:  # today's cell is marked, and only that one
        marked = re.findall(r'<li class="cal-day[^"]* today"[^>]*>\s*<h3[^>]*>(.*?)</h3>', page)
        assert marked == [
            '<span class="day-num" aria-hidden="true">1</span>'
            '<span class="day-full">6月1日 周一</span> '
            '<span class="today-mark">今天</span>'
        ]


def test_session_page_has_everything(client, world, seats_provider):
    s = world.sessions[0]
    seats_provider[s.id] = Occupancy(seats_taken=12, waitlist_count=0)
    page = html(client, f"/sessions/{s.id}")
    for text in (
        "绘本共读",
        "亲子阅读",
        "牡丹书房",
        "滨河街道1号",
        "王老师",
        "《团圆》",
        "孩子和家长一起读绘本",
        "共 16 个座位，剩余 4 个",
        "3–12岁的孩子，每个孩子需一位大人陪同",
        "北京时间",
    ):
        assert text in page, text
    assert f'href="/sessions/{s.id}.ics"' in page
    assert 'aria-label="报名"' in page  # where the sign-up partial goes
    assert "本系列的其他场次" in page


def test_session_page_of_a_cancelled_session_says_so_and_why(client, world):
    page = html(client, f"/sessions/{world.cancelled.id}")
    notice = re.search(r'<div class="cancel-notice" role="status">(.*?)</div>', page, re.S)
    assert notice and "已取消" in notice.group(1)
    assert "书院设备检修，暂停一次。" in notice.group(1)
    assert '<span class="badge badge-cancelled">已取消</span>' in page


def test_session_page_waiting_list(client, world, seats_provider):
    s = world.sessions[0]
    seats_provider[s.id] = Occupancy(seats_taken=16, waitlist_count=5)
    page = html(client, f"/sessions/{s.id}")
    assert "剩余 0 个" not in page  # the seat count once, in the sign-up panel
    assert "已满" in page and "候补：1 户，共 5 个座位" in page


@pytest.mark.parametrize(
    ("who", "shown"), [(None, False), ("sunzhuang", False), ("yaozhuang", True), ("admin", True)]
)
def test_only_staff_who_manage_the_community_get_the_manage_link(client, make, world, who, shown):
    s = world.sessions[0]  # a Yaozhuang session
    if who == "admin":
        login(client, make.admin())
    elif who is not None:
        login(client, make.staff(getattr(world, who)))
    page = html(client, f"/sessions/{s.id}")
    assert (f'href="/staff/sessions/{s.id}"' in page) is shown


def test_unknown_session_is_404(client, world):
    assert client.get("/sessions/424242").status_code == 404


def test_english_pages(client, world):
    page = html(client, f"/sessions/{world.sessions[0].id}", headers={"Accept-Language": "en"})
    assert "Ages 3–12; each child comes with an adult" in page
    page = html(client, "/?view=month", headers={"Accept-Language": "en"})
    assert "Previous month" in page


def test_subscribe_page_explains_every_platform_and_lists_the_feeds(client, world):
    page = html(client, "/subscribe?community=yaozhuang")
    for heading in ("iPhone 和 iPad", "安卓手机", "Outlook", "电脑上的 Google 日历"):
        assert heading in page
    assert "webcal://readingroom.test/feeds/community/yaozhuang.ics" in page
    google = "https://calendar.google.com/calendar/r?cid=webcal%3A%2F%2Freadingroom.test%2Ffeeds%2Fcommunity%2Fyaozhuang.ics"
    assert google not in page  # the Google button only in English (issue 12)
    english = html(client, "/subscribe?community=yaozhuang", headers={"Accept-Language": "en"})
    assert google in english
    for feed in (
        "/feeds/all.ics",
        "/feeds/community/sunzhuang.ics",
        "/feeds/room/yaozhuang-garden.ics",
        "/feeds/program/senior.ics",
    ):
        assert f"webcal://readingroom.test{feed}" in page
    assert '<svg class="qr" role="img"' in page
    assert f"订阅包含 {FEED_WINDOW_DAYS} 天前至 {FEED_DAYS_AHEAD} 天后" in page


def test_calendar_page_offers_a_qr_code_to_subscribe(client, world):
    page = html(client, "/?community=yaozhuang")
    assert re.search(
        r'<svg class="qr" role="img"[^>]*><title>二维码：如何订阅这个日历</title>', page
    )
    assert 'href="http://readingroom.test/subscribe?community=yaozhuang"' in page


def test_poster(client, world):
    s = world.sessions[0]
    page = html(client, f"/poster?community=yaozhuang&month={month_of(s)}")
    assert "姚庄社区" in page
    assert "绘本共读" in page
    assert "亲子阅读" in page
    assert '<table class="poster-grid">' in page
    assert "http://readingroom.test/?community=yaozhuang" in page  # QR target, also printed
    assert '<svg class="qr" role="img"' in page
    assert "长者悦读会" not in page  # another community


def test_poster_form_and_bad_input(client, world):
    assert "生成海报" in html(client, "/poster")
    page = html(client, "/poster?community=yaozhuang&month=2026-99")
    assert 'id="poster-month-error"' in page
    assert client.get("/poster?community=nowhere&month=2026-07").status_code == 404


def settle_notifications() -> None:
    """PostgreSQL: wait until the feed listener has taken in the notifications of the
    writes so far. They arrive a moment after the commit; one that arrives between a warm
    request and the next makes that one query again, whatever the number of sessions."""
    from readingroom.calendars import changes
    from tests.test_calendars_changes import sync

    listener = changes.listener()
    if listener is not None:
        sync(listener)


def test_pages_need_a_constant_number_of_queries(client, make, count_queries):
    room = make.room(make.community("yaozhuang"))
    program = make.program()
    start = beijing_today()

    def count(url: str) -> int:
        settle_notifications()
        client.get(url)  # warm (e.g. first-use caches)
        watching = changes.listener()  # PostgreSQL: counts are 0 once it vouches
        deadline = time.monotonic() + 5
        while watching is not None and not watching.trusted and time.monotonic() < deadline:
            time.sleep(0.01)
        counts = []
        for _ in range(2):  # the listener may vouch only from the second request on
            with count_queries() as counter:
                assert client.get(url).status_code == 200
            counts.append(counter.count)
        return min(counts)

    urls = [
        "/",
        "/?view=month",
        "/?view=week",
        "/?view=list",
        "/?community=yaozhuang&age=5&seats=1",
    ]
    make.session(room, program=program, start=at(start, 20))
    few = [count(u) for u in urls]
    for i in range(40):
        day = start + timedelta(days=i % 20)
        make.session(
            room,
            program=program,
            start=at(day, 8 + i // 20 * 2),
        )
    many = [count(u) for u in urls]
    assert few == many


def test_a_cached_calendar_shows_an_edit_at_once(client, world):
    from dataclasses import replace

    from readingroom.extensions import db
    from readingroom.schedule.operations import series_data, update_session

    s = world.sessions[0]
    url = f"/?view=month&month={month_of(s)}"
    assert "绘本共读：改了名字" not in html(client, url)
    assert html(client, url) == html(client, url)  # from the cache
    data = series_data(world.series).occurrence(s.starts_at.astimezone(BEIJING).date())
    update_session(s, replace(data, title="绘本共读：改了名字"))
    db.session.commit()
    assert "绘本共读：改了名字" in html(client, url)


def test_seat_counts_in_a_cached_calendar_lag_at_most_seats_ttl(
    client, world, seats_provider, monkeypatch
):
    from readingroom.calendars import cache, views

    s = world.sessions[0]
    url = f"/?view=week&week={s.starts_at.astimezone(BEIJING).date()}"
    seats_provider[s.id] = Occupancy(seats_taken=4, waitlist_count=0)
    assert "剩余座位：12" in html(client, url)
    seats_provider[s.id] = Occupancy(seats_taken=16, waitlist_count=3)
    assert "剩余座位：12" in html(client, url)  # cached
    later = cache.time.monotonic() + views.SEATS_TTL + 1
    monkeypatch.setattr(cache.time, "monotonic", lambda: later)
    page = html(client, url)
    assert "已满 · 候补：1 户，共 3 个座位" in page
    # the session page, where people sign up, is never cached
    seats_provider[s.id] = Occupancy(seats_taken=15, waitlist_count=0)
    assert "剩余 1 个" in html(client, f"/sessions/{s.id}")


def test_empty_filter_fields_are_dropped_from_the_address(client, world):
    response = client.get("/?community=sunzhuang&room=&program=&age=&view=list")
    assert response.status_code == 302
    assert response.headers["Location"] == "/?community=sunzhuang&view=list"
    assert client.get("/?room=&age=").headers["Location"] == "/"
