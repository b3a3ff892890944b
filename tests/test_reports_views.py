"""The figures page, its filters, the exports and the monthly report through HTTP."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import openpyxl
import pytest

from readingroom.extensions import db
from readingroom.registrations import operations as ops
from readingroom.timeutil import beijing_today
from tests.conftest import PASSWORD, login
from tests.fixtures_reports import KNOWN, last_month, member_ids


@pytest.fixture
def admin_client(client, make):
    login(client, make.admin())
    return client


def month_args() -> dict[str, str]:
    start, end = last_month()
    return {"start": start.isoformat(), "end": end.isoformat()}


def test_figures_page_shows_headline_and_tables(admin_client, data):
    response = admin_client.get("/staff/figures/", query_string=month_args())
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'data-chart="chart-month"' in page and "echarts.min.js" in page
    assert data["a"].name in page and data["b"].name in page
    assert "42.9%" in page  # fill rate 9 / 21
    for key in ("month", "community", "age", "strand"):
        assert f'id="chart-{key}"' in page


def test_default_is_this_month_and_presets_work(admin_client, data):
    assert admin_client.get("/staff/figures/").status_code == 200
    for period in ("last-month", "year", "summer", "month"):
        assert admin_client.get(f"/staff/figures/?period={period}").status_code == 200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"start": "2026-05-01", "end": "2026-04-01"}, "结束日期早于开始日期"),
        ({"start": "2020-01-01", "end": "2026-01-01"}, "三年"),
        ({"start": "garbage", "end": "2026-01-01"}, "2026-07-01"),
        ({"start": "2026-01-01"}, "两个日期"),
        ({"community": "no-such-place"}, "不存在"),
        ({"program": "<script>"}, "不存在"),
        ({"period": "forever"}, "时间段"),
    ],
)
def test_bad_filters_get_a_message_and_400(admin_client, data, args, message):
    response = admin_client.get("/staff/figures/", query_string=args)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert 'class="error"' in page
    for value in args.values():
        if value != "<script>":
            assert value in page  # the form keeps what was typed
    assert admin_client.get("/staff/figures/figures.xlsx", query_string=args).status_code == 400


def test_staff_see_only_their_community(client, make, data):
    login(client, make.staff(data["b"]))
    page = client.get("/staff/figures/", query_string=month_args()).get_data(as_text=True)
    assert data["b"].name in page and data["a"].name not in page
    other = {**month_args(), "community": data["a"].slug}
    assert client.get("/staff/figures/", query_string=other).status_code == 403
    assert client.get("/staff/figures/figures.xlsx", query_string=other).status_code == 403
    assert client.get("/staff/figures/community.csv", query_string=other).status_code == 403
    book = openpyxl.load_workbook(
        io.BytesIO(client.get("/staff/figures/figures.xlsx", query_string=month_args()).data)
    )
    names = [row[0].value for row in book["按社区"].iter_rows(min_row=2)]
    assert names == [data["b"].name, "合计"]


def test_families_and_visitors_get_no_figures(client, family, data):
    assert client.get("/staff/figures/").status_code == 302
    household = family.household()
    client.post("/family/login", data={"mobile": household.mobile, "password": PASSWORD})
    assert client.get("/staff/figures/").status_code == 403


def test_xlsx_sheets_headers_types_totals(admin_client, data):
    response = admin_client.get("/staff/figures/figures.xlsx", query_string=month_args())
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames[:6] == [
        "汇总",
        "按社区",
        "按阅读板块",
        "按月份",
        "按年龄段",
        "社区 × 板块",
    ]
    assert "场次" in book.sheetnames
    summary = book["汇总"]
    assert summary._charts, "a native chart on the summary sheet"
    values = {row[0].value: row[1].value for row in summary.iter_rows(min_row=7)}
    assert values["活动场次"] == KNOWN["held"] and values["参与人次"] == KNOWN["visits"]
    assert values["满座率"] == pytest.approx(9 / 21)
    assert isinstance(summary["B2"].value, datetime)
    by_community = book["按社区"]
    assert by_community.freeze_panes == "A2"
    header = [c.value for c in by_community[1]]
    assert header[:4] == ["社区", "活动场次", "取消场次", "参与人次"]
    rows = list(by_community.iter_rows(min_row=2, values_only=True))
    assert rows[-1][0] == "合计" and rows[-1][3] == KNOWN["visits"]
    assert sum(r[3] for r in rows[:-1]) == KNOWN["visits"]
    assert all(isinstance(r[3], int) for r in rows)
    assert isinstance(rows[0][7], float)  # a rate is a number (formatted as a percentage)
    assert by_community.column_dimensions["A"].width > 10
    sessions = list(book["场次"].iter_rows(min_row=2, values_only=True))
    assert len(sessions) == 4 and all(isinstance(r[0], datetime) for r in sessions)
    assert sum(r[8] for r in sessions) == KNOWN["visits"]
    # figures only: no names or phone numbers anywhere
    text = " ".join(
        str(c) for sheet in book for row in sheet.iter_rows(values_only=True) for c in row if c
    )
    for personal in ("小明", "小红", "王女士", "路过", "138"):
        assert personal not in text


def test_csv_has_bom_crlf_and_neutralised_cells(admin_client, make, data):
    data["a"].name = "=HYPERLINK(1)"
    db.session.commit()
    response = admin_client.get("/staff/figures/community.csv", query_string=month_args())
    assert response.status_code == 200 and response.mimetype == "text/csv"
    body = response.data.decode("utf-8")
    assert body.startswith("\ufeff社区,活动场次")
    assert "\r\n" in body and "\n" not in body.replace("\r\n", "")
    assert "'=HYPERLINK(1)" in body
    assert admin_client.get("/staff/figures/nothing.csv").status_code == 404
    sessions = admin_client.get("/staff/figures/sessions.csv", query_string=month_args())
    assert sessions.data.decode("utf-8").count("\r\n") == 5


def test_monthly_report(admin_client, data):
    start, _end = last_month()
    response = admin_client.get(f"/staff/figures/report?month={start:%Y-%m}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "月度报表" in page and data["a"].name in page
    assert "与上月相比" in page
    assert admin_client.get("/staff/figures/report").status_code == 200
    for bad in ("2026-13", "soon", "1999-01", "2026-07-01"):
        bad_response = admin_client.get(f"/staff/figures/report?month={bad}")
        assert bad_response.status_code == 400
        assert "2026-07" in bad_response.get_data(as_text=True)


def test_dashboard_lists_seats_waiting_and_roster(admin_client, make, family):
    s = make.session(capacity=2)
    for _i in range(2):
        h = family.household(s.room.community)
        ops.sign_up(s.id, h.id, member_ids(h))
        db.session.commit()
    response = admin_client.get("/staff/")
    page = response.get_data(as_text=True)
    assert f"/staff/sessions/{s.id}/roster" in page
    assert "已报 2 / 2 个座位" in page and "候补 1 户" in page
    assert "本月统计" in page  # the administrator's headline figures


def test_a_range_across_the_purge_day_says_what_it_means(admin_client, data):
    """RETENTION_MONTHS (12) ago runs through a range of two years, not through this month."""
    today = beijing_today()
    long = {"start": (today - timedelta(days=700)).isoformat(), "end": today.isoformat()}
    page = admin_client.get("/staff/figures/", query_string=long).get_data(as_text=True)
    assert 'id="purge-note"' in page and "12个月" in page and "各计一次" in page
    page = admin_client.get("/staff/figures/").get_data(as_text=True)
    assert 'id="purge-note"' not in page
    page = admin_client.get("/staff/figures/", query_string=long, headers={"Accept-Language": "en"})
    assert "counted twice in people and households reached" in page.get_data(as_text=True)
