"""The public calendar in a real browser on a 375 px phone: filter, open a session, get its .ics."""

from __future__ import annotations

from pathlib import Path

import pytest
from ical.calendar_stream import IcsCalendarStream

from tests.e2e.conftest import PHONE, screenshot


def test_filter_to_a_community_open_a_session_and_download_its_ics(page, world):
    page.goto("/")
    # On a phone the upcoming list shows, not the month grid.
    assert page.locator(".view-list").is_visible()
    assert not page.locator(".view-month").is_visible()
    screenshot(page, "calendar-375-home")

    # Open the filters with the keyboard and pick one community.
    summary = page.locator("summary", has_text="筛选")
    summary.focus()
    page.keyboard.press("Enter")
    page.get_by_label("社区").select_option(label="孙庄社区")
    page.get_by_role("button", name="查看").click()
    page.wait_for_url("**/?community=sunzhuang")  # empty filters are left out of the URL
    list_view = page.locator(".view-list")
    assert list_view.get_by_text("长者悦读会").count() == 1
    assert list_view.get_by_text("绘本共读").count() == 0
    feed = page.locator("#feed-address")
    assert feed.input_value().endswith("/feeds/community/sunzhuang.ics")
    screenshot(page, "calendar-375-filtered")

    list_view.get_by_role("link", name="长者悦读会").click()
    page.wait_for_url(f"**/sessions/{world.senior_session.id}")
    assert page.get_by_role("heading", level=1).inner_text().startswith("长者悦读会")
    assert page.get_by_text("孙庄书房 · 孙庄社区").is_visible()
    screenshot(page, "calendar-375-session")

    with page.expect_download() as info:
        page.get_by_role("link", name="加入我的日历（.ics）").click()
    download = info.value
    assert download.suggested_filename == f"session-{world.senior_session.id}.ics"
    body = Path(download.path()).read_text(encoding="utf-8")
    calendar = IcsCalendarStream.calendar_from_ics(body)
    (event,) = calendar.events
    assert event.uid == f"session-{world.senior_session.id}@readingroom.binhe.dingtao"
    assert event.summary == "长者悦读会"


def test_month_grid_on_a_wide_screen(page, world):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/")
    assert page.locator(".view-month").is_visible()
    assert not page.locator(".view-list").is_visible()
    assert page.locator(".weekday-row").is_visible()
    screenshot(page, "calendar-1280-month")


def test_poster_prints_on_one_a4_page(page, world):
    page.goto("/poster?community=yaozhuang")
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert not page.locator(".poster-tools").is_visible()
    assert page.locator(".poster-grid").is_visible()
    assert page.locator(".poster-qr svg").is_visible()
    screenshot(page, "poster-print")
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == 1


CITY = {"WTF_CSRF_ENABLED": True, "SERVER_NAME": None, "CALENDAR_FILTER_COMMUNITIES": 1}


@pytest.mark.parametrize("app_config", [CITY])
def test_in_a_city_a_family_switches_community_through_all_communities(page, world, app_config):
    """More communities than the filter lists on one community's page: that one and "all",
    with the way to another one said under the field; it works as it says."""
    page.goto("/?community=sunzhuang")
    page.locator("summary", has_text="筛选").click()
    select = page.get_by_label("社区")
    assert select.locator("option").all_inner_texts() == ["全部社区", "孙庄社区"]
    hint = page.locator("#community-help")
    assert hint.inner_text() == "要看其他社区：先选“全部社区”并点“查看”，再选那个社区。"
    assert hint.is_visible()
    screenshot(page, "calendar-375-city-community")
    page.set_viewport_size({"width": 1280, "height": 900})
    assert hint.is_visible()
    screenshot(page, "calendar-1280-city-community")
    page.set_viewport_size(PHONE)

    select.select_option(label="全部社区")
    page.get_by_role("button", name="查看").click()
    page.wait_for_url(lambda url: "community=" not in url)
    page.locator("summary", has_text="筛选").click()
    assert "姚庄社区" in page.get_by_label("社区").locator("option").all_inner_texts()
    page.get_by_label("社区").select_option(label="姚庄社区")
    page.get_by_role("button", name="查看").click()
    page.wait_for_url("**/?community=yaozhuang")
    assert page.locator(".view-list").get_by_text("绘本共读").count() >= 1
    assert page.locator(".view-list").get_by_text("长者悦读会").count() == 0
