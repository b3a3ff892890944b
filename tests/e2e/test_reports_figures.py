"""Browser: the administrator looks at the figures on a phone and a desktop (every chart
drawn as SVG, tables scroll inside their box), downloads the workbook, and prints the
monthly report on A4."""

from __future__ import annotations

import re
from datetime import timedelta

from readingroom.timeutil import beijing_today

from ..conftest import PASSWORD, login  # noqa: F401 (login: same password mechanism)
from ..fixtures_reports import last_month
from .conftest import SCREENSHOTS, screenshot


def log_in(page, user) -> None:
    page.goto("/staff/login")
    page.get_by_label("登录名").fill(user.login)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="工作台").wait_for()


def test_figures_page_charts_tables_and_report(page, make, data):
    admin = make.admin()
    log_in(page, admin)
    page.get_by_role("link", name="统计").first.click()
    page.get_by_role("heading", name="统计", exact=True).wait_for()

    start, end = last_month()
    page.get_by_label("开始日期").fill(start.isoformat())
    page.get_by_label("结束日期").fill(end.isoformat())
    page.get_by_role("button", name="查看").click()
    page.wait_for_url(re.compile(r"start="))
    for key in ("month", "community", "age", "strand"):
        page.locator(f'[data-chart="chart-{key}"] svg').wait_for()
    assert page.locator(".chart svg").count() == 4
    assert page.locator("table.figures-table th", has_text=data["a"].name).first.is_visible()
    # 375 px: nothing wider than the screen; wide tables scroll in their own box
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "reports-figures-375")

    with page.expect_download() as download:
        page.get_by_role("link", name="下载 Excel 表格（XLSX）").click()
    assert download.value.suggested_filename.endswith(".xlsx")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.reload()
    page.locator('[data-chart="chart-strand"] svg').wait_for()
    width = page.locator('[data-chart="chart-month"] svg').bounding_box()["width"]
    assert width > 900  # the chart follows the wider screen
    screenshot(page, "reports-figures-1280")

    page.emulate_media(media="print")
    figures_pdf = page.pdf(format="A4", print_background=True)
    assert a4_pages(figures_pdf) <= 6
    page.emulate_media(media="screen")

    # two years: the range runs across the retention purge's day, and the page says so
    page.set_viewport_size({"width": 375, "height": 740})
    today = beijing_today()
    page.get_by_label("开始日期").fill((today - timedelta(days=700)).isoformat())
    page.get_by_label("结束日期").fill(today.isoformat())
    page.get_by_role("button", name="查看").click()
    note = page.locator("#purge-note")
    note.wait_for()
    assert "各计一次" in note.inner_text()
    box = note.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "reports-figures-purge-note-375")
    # the dates decided, and the preset says so; choosing a preset empties them again
    period = page.get_by_label("时间", exact=True)
    assert period.input_value() == "custom"
    period.select_option("year")
    assert page.get_by_label("开始日期").input_value() == ""
    page.get_by_role("button", name="查看").click()
    page.wait_for_url(re.compile(r"period=year"))
    assert f"{today.year}年1月1日" in page.locator(".figures-scope").inner_text()
    assert page.locator("#purge-note").count() == 0

    page.goto(f"/staff/figures/report?month={start:%Y-%m}")
    page.get_by_role("heading", name=re.compile("月度报表")).wait_for()
    screenshot(page, "reports-monthly-375")
    page.emulate_media(media="print")
    # A4 at 96 dpi less the page margins (12 mm each side): about 703 px of width
    page.set_viewport_size({"width": 703, "height": 1000})
    assert page.evaluate("document.documentElement.scrollWidth") <= 703
    pdf = page.pdf(format="A4", print_background=True)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "reports-monthly.pdf").write_bytes(pdf)
    assert a4_pages(pdf) <= 3


def a4_pages(pdf: bytes) -> int:
    """The number of pages of a PDF, after checking that every one is A4 (in points)."""
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)", pdf)
    assert boxes and all(abs(float(w) - 595.9) < 2 and abs(float(h) - 842.9) < 2 for w, h in boxes)
    return len(boxes)
