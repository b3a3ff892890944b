"""The calendar's course filter on a 375 px phone: choose the course, see only its sessions
in both communities, subscribe to its feed; open a session, then the course page."""

from __future__ import annotations

import re

import pytest

from readingroom.extensions import db
from readingroom.schedule.course_operations import course_sessions, schedule_course
from readingroom.timeutil import to_beijing
from tests.e2e.conftest import screenshot
from tests.test_calendars_course_filter import make_course, run


@pytest.fixture
def course(world):
    course = make_course(world)
    schedule_course(course, [run(world.peony), run(world.sun_room, 15)])
    db.session.commit()
    return course


def test_choose_a_course_in_the_filter_and_open_its_page(page, world, course):
    page.goto("/")
    page.locator("summary", has_text="筛选").click()
    page.get_by_label("课程", exact=True).select_option(label="暑期阅读课程")
    screenshot(page, "course-filter-375-form")
    page.get_by_role("button", name="查看").click()
    page.wait_for_url(f"**/?course={course.id}")  # the empty filters are left out

    list_view = page.locator(".view-list")
    titles = list_view.locator(".cal-card-title").all_inner_texts()
    sessions = course_sessions(course)
    assert sorted(titles) == sorted(s.title for s in sessions)
    assert list_view.get_by_text("绘本共读").count() == 0  # the world's own series
    assert list_view.get_by_text("长者悦读会").count() == 0
    metas = " ".join(list_view.locator(".cal-card .meta").all_inner_texts())
    assert "姚庄社区" in metas and "孙庄社区" in metas  # both communities' runs
    assert page.get_by_text("课程：暑期阅读课程").is_visible()

    feed = f"/feeds/course/{course.id}.ics"
    assert page.locator("#feed-address").input_value().endswith(feed)
    subscribe = page.get_by_role("link", name="订阅（iPhone、Mac、Outlook）")
    assert re.fullmatch(
        rf"webcal://127\.0\.0\.1:\d+{re.escape(feed)}", subscribe.get_attribute("href")
    )
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the filtered calendar scrolls sideways ({width} px)"
    screenshot(page, "course-filter-375-filtered")

    page.get_by_role("link", name="订阅方法：iPhone、安卓、Outlook、Google").click()
    page.wait_for_url(f"**/subscribe?course={course.id}")
    assert page.get_by_text("当前日历：暑期阅读课程").is_visible()
    screenshot(page, "course-filter-375-subscribe")

    page.go_back()
    first = sessions[0]
    page.locator(".view-list").get_by_role("link", name=first.title).first.click()
    page.wait_for_url(f"**/sessions/{first.id}")
    page.get_by_role("link", name="查看整个课程，一次报名全部场次").click()
    page.wait_for_url(f"**/courses/{course.id}")
    assert page.get_by_role("heading", level=1).inner_text() == "暑期阅读课程"
    to_calendar = page.get_by_role("link", name="在活动日历中查看本课程")
    assert to_calendar.get_attribute("href") == f"/?course={course.id}"
    to_feed = page.get_by_role("link", name="订阅本课程的活动")
    assert to_feed.get_attribute("href").endswith(feed)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "course-filter-375-course-page")

    to_calendar.click()
    page.wait_for_url(f"**/?course={course.id}")
    assert sorted(page.locator(".view-list .cal-card-title").all_inner_texts()) == sorted(titles)


def test_the_course_filter_on_a_wide_screen(page, world, course):
    page.set_viewport_size({"width": 1280, "height": 900})
    first = course_sessions(course)[0]
    month = to_beijing(first.starts_at).strftime("%Y-%m")
    page.goto(f"/?view=month&month={month}&course={course.id}")
    page.locator("summary", has_text="筛选").click()
    grid = page.locator(".view-month")
    assert grid.is_visible()
    assert grid.get_by_text("绘本共读").count() == 0
    assert grid.locator(f'a[href="/sessions/{first.id}"]').is_visible()
    screenshot(page, "course-filter-1280-month")
    page.goto(f"/courses/{course.id}")
    screenshot(page, "course-filter-1280-course-page")
    page.goto(f"/subscribe?course={course.id}")
    screenshot(page, "course-filter-1280-subscribe")
