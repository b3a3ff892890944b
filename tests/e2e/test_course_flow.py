"""Courses on a 375 px phone: staff schedule a course in three book rooms (a clash
first, then saved); a family signs up for the whole course where one session is full,
sees which sessions are confirmed and which wait, cancels one, then all of it."""

from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import func, select

from readingroom.extensions import db
from readingroom.registrations.models import Registration, RegistrationStatus
from readingroom.registrations.operations import sign_up
from readingroom.schedule.course_operations import (
    CourseData,
    LessonData,
    RunData,
    add_lesson,
    save_course,
    schedule_course,
)
from readingroom.schedule.models import Series
from readingroom.timeutil import beijing_today
from tests.conftest import PASSWORD, at
from tests.e2e.conftest import screenshot
from tests.fixtures_families import member_ids

SATURDAY = beijing_today() + timedelta(days=(5 - beijing_today().weekday()) % 7 or 7)
TOPICS = ["猜猜我有多爱你", "好饿的毛毛虫", "团圆", "逃家小兔"]


def _world(make):
    rooms = []
    for slug, name in (
        ("yaozhuang", "姚庄社区"),
        ("sunzhuang", "孙庄社区"),
        ("donghe", "董河社区"),
    ):
        community = make.community(slug=slug, name=name)
        rooms.append(make.room(community, slug=f"{slug}-room", name=f"{name[:2]}书房"))
    program = make.program(slug="parent-child", name="亲子阅读", min_age=3, max_age=12)
    course = save_course(
        CourseData("暑期阅读课程", program, SATURDAY, SATURDAY + timedelta(weeks=8))
    )
    for topic in TOPICS:
        add_lesson(course, LessonData(topic=topic, suggested_books=f"《{topic}》"))
    db.session.commit()
    return rooms, course


def _staff_login(page, user):
    page.goto("/staff/login")
    page.fill("#login", user.login)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_staff_schedule_a_course_in_three_rooms(page, make):
    rooms, course = _world(make)
    make.session(rooms[2], start=at(SATURDAY + timedelta(weeks=1), 9), minutes=60, title="董河占用")
    _staff_login(page, make.admin())
    page.goto(f"/staff/courses/{course.id}")
    screenshot(page, "course-01-staff-detail")
    page.get_by_role("link", name="在书房排课").click()
    for i in range(3):
        page.check(f"#runs-{i}-chosen")
    page.select_option("#runs-0-weekday", "5")
    page.fill("#runs-0-start_time", "09:30")
    page.fill("#runs-0-end_time", "10:30")
    page.get_by_role("button", name="检查并保存").click()
    assert page.get_by_text("无法保存").is_visible()
    assert page.get_by_text("董河占用").first.is_visible()
    screenshot(page, "course-02-schedule-clash")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Series)) == 0
    # Donghe moves to the afternoon; the form kept everything else
    assert page.input_value("#runs-0-start_time") == "09:30"
    page.fill("#runs-2-start_time", "15:00")
    page.fill("#runs-2-end_time", "16:00")
    page.get_by_role("button", name="检查并保存").click()
    assert page.get_by_text("已在 3 个书房排课").is_visible()
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Series)) == 3
    page.get_by_role("link", name="课程总览").click()
    screenshot(page, "course-03-overview")


def test_family_signs_up_for_the_whole_course_cancels_one_then_all(page, make, family):
    rooms, course = _world(make)
    runs = schedule_course(
        course, [RunData(room, 5, time(9, 30), time(10, 30), 2) for room in rooms]
    )
    db.session.commit()
    other = family.household(rooms[0].community, children=(("甜甜", 5),), adults=("赵丽",))
    sign_up(runs[0].sessions[1].id, other.id, member_ids(other), early_ok=True)
    db.session.commit()
    me = family.household(rooms[0].community, children=(("乐乐", 6),), adults=("王芳",))

    page.goto(f"/sessions/{runs[0].sessions[0].id}")
    page.get_by_role("link", name="查看整个课程，一次报名全部场次").click()
    screenshot(page, "course-04-public-page")
    page.get_by_role("link", name="登录后报名整个课程").first.click()
    page.fill("#mobile", me.mobile)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto(f"/courses/{course.id}")
    run_card = page.locator(f"#run-{runs[0].id}")
    run_card.get_by_label("乐乐").check()
    run_card.get_by_label("王芳").check()
    run_card.get_by_role("button", name="报名整个课程").click()
    assert page.get_by_text("已确认：3 场。候补：1 场。").is_visible()
    screenshot(page, "course-05-signed-up")
    cards = page.locator(".course-mine .session-card")
    assert cards.nth(1).get_by_text("候补").is_visible()
    assert cards.nth(0).get_by_text("报名成功").is_visible()

    # cancel one session: the ordinary registration page
    cards.nth(0).get_by_role("link", name="修改或取消这一场").click()
    page.get_by_role("link", name="取消我的报名").click()
    page.get_by_role("button", name="确定取消").click()
    assert page.get_by_text("已取消").first.is_visible()
    db.session.rollback()
    statuses = db.session.scalars(
        select(Registration.status)
        .where(Registration.household_id == me.id)
        .order_by(Registration.session_id)
    ).all()
    assert statuses.count(RegistrationStatus.CANCELLED) == 1

    # cancel the whole course
    page.goto(f"/courses/{course.id}/runs/{runs[0].id}/mine")
    page.get_by_role("link", name="取消整个课程").click()
    screenshot(page, "course-06-cancel-confirm")
    page.get_by_role("button", name="确定取消").click()
    assert page.get_by_text("已取消课程：共 3 场").is_visible()
    screenshot(page, "course-07-cancelled")
    db.session.rollback()
    live = db.session.scalar(
        select(func.count())
        .select_from(Registration)
        .where(
            Registration.household_id == me.id,
            Registration.status != RegistrationStatus.CANCELLED,
        )
    )
    assert live == 0


def test_staff_create_a_course_with_a_partner_host_and_lessons(page, make):
    make.program(slug="parent-child", name="亲子阅读", min_age=3, max_age=12)
    community = make.community(slug="yaozhuang", name="姚庄社区")
    make.room(community, name="牡丹书房")
    _staff_login(page, make.admin())
    page.goto("/staff/courses/")
    page.get_by_role("link", name="主持人与合作单位").click()
    page.fill("#partner-name", "新华书店")
    page.fill("#partner-contact", "少儿部 0530-0000000")
    page.get_by_role("button", name="添加合作单位").click()
    page.fill("#host-name", "故事姐姐 刘婷")
    page.select_option("#host-belongs_to", label="新华书店")
    page.get_by_role("button", name="添加主持人").click()
    assert page.get_by_text("新华书店 故事姐姐 刘婷").is_visible()
    screenshot(page, "course-08-hosts")

    page.goto("/staff/courses/new")
    page.fill("#title", "暑期阅读课程")
    page.select_option("#partner", label="新华书店")
    page.fill("#first_date", SATURDAY.isoformat())
    page.fill("#last_date", (SATURDAY - timedelta(days=1)).isoformat())
    page.get_by_role("button", name="保存").click()
    assert page.get_by_text("最后日期不能早于第一场日期").is_visible()
    assert page.input_value("#title") == "暑期阅读课程"  # kept
    page.fill("#last_date", (SATURDAY + timedelta(weeks=8)).isoformat())
    page.get_by_role("button", name="保存").click()
    page.get_by_role("link", name="添加一课").click()
    page.fill("#suggested_books", "《好饿的毛毛虫》")
    page.get_by_role("button", name="保存").click()
    assert page.get_by_text("请填写本课主题").is_visible()
    assert page.input_value("#suggested_books") == "《好饿的毛毛虫》"
    page.fill("#topic", "从毛毛虫到蝴蝶")
    page.select_option("#host", label="新华书店 故事姐姐 刘婷")
    screenshot(page, "course-09-lesson-form")
    page.get_by_role("button", name="保存").click()
    assert page.get_by_text("第 1 课：从毛毛虫到蝴蝶").is_visible()
    assert page.get_by_text("特邀主持人：新华书店 故事姐姐 刘婷").is_visible()
    screenshot(page, "course-10-course-detail")
