"""Browser: a community's staff member on a 375 px phone chooses the summer course on the
figures page and sees its figures for their own community only; the same at 1280 px, the
course overview's link, and the course's monthly report printed on A4."""

from __future__ import annotations

import re

import pytest

from ..fixtures_reports import last_month
from ..test_reports_course_filter import TITLE, build_course_data
from .conftest import SCREENSHOTS, screenshot
from .test_reports_figures import a4_pages, log_in


@pytest.fixture
def course_data(make, family, lists) -> dict:
    return build_course_data(make, family, lists)


def headline(page, label: str) -> str:
    card = page.locator(".headline-cards li", has=page.locator(".label", has_text=label))
    return card.locator(".value").inner_text()


def test_staff_choose_the_course_on_the_figures_page(page, make, course_data):
    a, b, c = course_data["communities"]
    course = course_data["course"]
    staff = make.staff(a)
    log_in(page, staff)
    page.get_by_role("link", name="统计").first.click()
    page.get_by_role("heading", name="统计", exact=True).wait_for()

    page.get_by_label("时间").select_option(label="上月")
    page.get_by_role("button", name="查看").click()
    page.wait_for_url(re.compile(r"period=last-month"))
    assert headline(page, "参与人次") == "8"  # A's: the course 3, the rest 5

    choice = page.get_by_label("课程").locator("option", has_text=TITLE).inner_text()
    page.get_by_label("课程").select_option(label=choice)
    page.get_by_role("button", name="查看").click()
    page.wait_for_url(re.compile(rf"course={course.id}"))
    assert headline(page, "参与人次") == "3"
    assert headline(page, "场次") == "2"
    assert page.get_by_label("课程").input_value() == str(course.id)
    assert page.get_by_text(f"课程：{TITLE}").is_visible()
    for key in ("month", "community", "age", "strand"):
        page.locator(f'[data-chart="chart-{key}"] svg').wait_for()
    body = page.locator("main").inner_text()
    assert a.name in body and b.name not in body and c.name not in body
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "reports-course-filter-375")

    with page.expect_download() as download:
        page.get_by_role("link", name="下载 Excel 表格（XLSX）").click()
    assert f"course-{course.id}" in download.value.suggested_filename or TITLE in (
        download.value.suggested_filename
    )

    page.set_viewport_size({"width": 1280, "height": 900})
    page.reload()
    page.locator('[data-chart="chart-strand"] svg').wait_for()
    screenshot(page, "reports-course-filter-1280")

    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"/staff/courses/{course.id}/overview")
    screenshot(page, "course-overview-375")
    page.get_by_role("link", name="本课程的统计").click()
    page.wait_for_url(re.compile(rf"course={course.id}"))
    assert headline(page, "参与人次") == "3"

    start, _end = last_month()
    page.goto(f"/staff/figures/report?month={start:%Y-%m}&course={course.id}")
    page.get_by_role("heading", name=re.compile("月度报表")).wait_for()
    assert page.get_by_text(f"课程：{TITLE}").is_visible()
    screenshot(page, "reports-course-monthly-375")
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 703, "height": 1000})
    assert page.evaluate("document.documentElement.scrollWidth") <= 703
    screenshot(page, "reports-course-monthly-print")
    pdf = page.pdf(format="A4", print_background=True)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "reports-course-monthly.pdf").write_bytes(pdf)
    assert a4_pages(pdf) <= 3
