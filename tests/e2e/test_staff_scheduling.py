"""Browser: a staff member logs in, creates a weekly series, meets a clash, fixes it, saves."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from readingroom.extensions import db
from readingroom.schedule.course_operations import add_host, add_partner
from readingroom.schedule.models import ReadingSession, Series
from readingroom.timeutil import beijing_today

from ..conftest import PASSWORD, at
from .conftest import screenshot


def test_staff_creates_a_weekly_series_after_fixing_a_clash(page, make):
    community = make.community(slug="yaozhuang", name="姚庄社区")
    room = make.room(community, slug="yaozhuang-peony", name="牡丹书房", seats=24)
    program = make.program(slug="parent-child", name="亲子阅读")
    staff = make.staff(community, login="liu")
    today = beijing_today()
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    make.session(
        room,
        program=program,
        start=at(saturday + timedelta(weeks=2), 9, 0),
        minutes=90,
        title="已有的故事会",
    )

    page.goto("/staff/login")
    page.get_by_label("登录名").fill(staff.login)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="工作台").wait_for()

    page.get_by_role("link", name="新建系列活动").first.click()
    page.get_by_label("阅读板块").select_option(label="亲子阅读")
    page.get_by_label("书房").select_option(label="牡丹书房")
    page.get_by_label("活动名称").fill("假期阅读课程")
    page.get_by_label("主持人", exact=True).fill("王老师")
    page.get_by_label("名额（座位数）").fill("16")
    page.get_by_label("星期六").check()
    page.get_by_label("开始时间").fill("09:30")
    page.get_by_label("结束时间").fill("10:30")
    page.get_by_label("第一场日期").fill(saturday.isoformat())
    page.get_by_label("或场次数").fill("8")
    page.get_by_role("button", name="检查并保存").click()

    alert = page.get_by_role("alert").filter(has_text="无法保存")
    alert.wait_for()
    assert "已有的故事会" in alert.inner_text()
    screenshot(page, "staff-series-clash")
    assert db.session.scalar(select(func.count()).select_from(Series)) == 0
    # The form kept everything typed.
    assert page.get_by_label("活动名称").input_value() == "假期阅读课程"
    assert page.get_by_label("星期六").is_checked()

    page.get_by_label("开始时间").fill("14:30")
    page.get_by_label("结束时间").fill("15:30")
    page.get_by_role("button", name="检查并保存").click()
    page.get_by_text("已保存，共 8 场").wait_for()
    screenshot(page, "staff-series-saved")

    db.session.rollback()  # end the test's read snapshot; see what the server wrote
    series = db.session.scalars(select(Series)).one()
    assert len(series.sessions) == 8
    assert db.session.scalar(select(func.count()).select_from(ReadingSession)) == 9


def test_staff_choose_a_host_from_the_list_busy_in_another_community(page, make):
    """At 375 px: the partner's storyteller, chosen from the list, is found busy in another
    community at that time (typed there under another name); staff read it and save."""
    yaozhuang = make.community(slug="yaozhuang", name="姚庄社区")
    donghe = make.community(slug="donghe", name="董河社区")
    make.room(yaozhuang, slug="yaozhuang-peony", name="牡丹书房", seats=24)
    program = make.program(slug="parent-child", name="亲子阅读")
    staff = make.staff(yaozhuang, login="liu")
    storyteller = add_host("刘婷", partner_id=add_partner("新华书店").id)
    saturday = beijing_today() + timedelta(days=(5 - beijing_today().weekday()) % 7 or 7)
    donghe_room = make.room(donghe, name="董河书房")
    elsewhere = make.session(donghe_room, program=program, start=at(saturday, 9), title="董河故事")
    elsewhere.host, elsewhere.host_id = "故事姐姐", storyteller.id
    db.session.commit()

    page.goto("/staff/login")
    page.get_by_label("登录名").fill(staff.login)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto("/staff/sessions/new")
    page.get_by_label("阅读板块").select_option(label="亲子阅读")
    page.get_by_label("书房").select_option(label="牡丹书房")
    page.get_by_label("活动名称").fill("绘本故事会")
    page.get_by_label("从名单选择主持人").select_option(label=storyteller.label)
    page.get_by_label("名额（座位数）").fill("12")
    page.get_by_role("textbox", name="开始", exact=True).fill(f"{saturday}T09:30")
    page.get_by_role("textbox", name="结束", exact=True).fill(f"{saturday}T10:30")
    page.get_by_role("button", name="检查并保存").click()

    warning = page.get_by_text("董河故事").first
    warning.wait_for()
    screenshot(page, "staff-session-host-busy")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.get_by_label("从名单选择主持人").input_value() == str(storyteller.id)  # kept
    page.get_by_label("我已看过以上提醒，仍然保存。").check()
    page.get_by_role("button", name="检查并保存").click()
    page.get_by_role("heading", name="绘本故事会").wait_for()
    assert storyteller.label in page.content()

    db.session.rollback()  # see what the server wrote
    saved = db.session.scalars(select(ReadingSession).where(ReadingSession.title == "绘本故事会"))
    saved = saved.one()
    assert saved.host_id == storyteller.id
