"""Courses through HTTP: staff schedule a course in several rooms, edit a lesson once;
families sign up for the whole course in one community, cancel one session or all."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy import func, select

from readingroom.extensions import db
from readingroom.notices.models import Notice
from readingroom.registrations.models import Registration, RegistrationStatus
from readingroom.registrations.operations import sign_up
from readingroom.schedule.course_operations import (
    CourseData,
    LessonData,
    RunData,
    add_lesson,
    course_sessions,
    save_course,
    schedule_course,
)
from readingroom.schedule.courses import Course, Host, Partner
from readingroom.schedule.models import ReadingSession, Series
from readingroom.timeutil import beijing_today, to_beijing
from tests.fixtures_calendars import parse_ics
from tests.fixtures_families import household_login, member_ids

from .conftest import at, login

TODAY = beijing_today()
SATURDAY = TODAY + timedelta(days=(5 - TODAY.weekday()) % 7 or 7)  # the coming Saturday
TOPICS = ["猜猜我有多爱你", "好饿的毛毛虫", "团圆", "逃家小兔"]


@pytest.fixture
def three(make):
    """Three communities with one book room each, a strand and the administrator."""
    rooms = []
    names = (("yaozhuang", "姚庄社区"), ("sunzhuang", "孙庄社区"), ("donghe", "董河社区"))
    for slug, name in names:
        community = make.community(slug=slug, name=name)
        rooms.append(make.room(community, slug=f"{slug}-room", name=f"{name[:2]}书房"))
    program = make.program(slug="parent-child", name="亲子阅读", min_age=3, max_age=12)
    return rooms, program


@pytest.fixture
def course(three) -> Course:
    _rooms, program = three
    course = save_course(
        CourseData(
            title="暑期阅读课程",
            program=program,
            first_date=SATURDAY,
            last_date=SATURDAY + timedelta(weeks=8),
            partner=Partner(name="新华书店"),
        )
    )
    for topic in TOPICS:
        add_lesson(course, LessonData(topic=topic, suggested_books=f"《{topic}》"))
    db.session.commit()
    return course


def _schedule_form(rooms, holidays="", **first):
    data = {"holidays": holidays}
    for i, room in enumerate(rooms):
        data[f"runs-{i}-room_id"] = str(room.id)
        data[f"runs-{i}-chosen"] = "y"
        data[f"runs-{i}-capacity"] = "12"
    data.update({"runs-0-weekday": "5", "runs-0-start_time": "09:30", "runs-0-end_time": "10:30"})
    data.update(first)
    return data


def _series_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Series))


def test_schedule_lists_every_clash_by_room_and_saves_nothing(client, make, three, course):
    rooms, _program = three
    login(client, make.admin())
    clash_day = SATURDAY + timedelta(weeks=2)
    make.session(rooms[2], start=at(clash_day, 10), minutes=60, title="董河占用")
    page = client.post(f"/staff/courses/{course.id}/schedule", data=_schedule_form(rooms))
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "董河占用" in text and "无法保存" in text
    # grouped by room: the clash is listed under Donghe's heading, after the others
    assert text.index("董河书房") < text.index("董河占用")
    assert _series_count() == 0


def test_schedule_creates_one_series_per_room_skipping_a_holiday(client, make, three, course):
    rooms, _program = three
    login(client, make.admin())
    holiday = SATURDAY + timedelta(weeks=1)
    form = _schedule_form(rooms, holidays=holiday.isoformat())
    form["runs-2-start_time"], form["runs-2-end_time"] = "15:00", "16:00"
    response = client.post(f"/staff/courses/{course.id}/schedule", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    runs = db.session.scalars(select(Series).order_by(Series.id)).all()
    assert [r.room_id for r in runs] == [r.id for r in rooms]
    for run in runs:
        days = [to_beijing(s.starts_at).date() for s in run.sessions]
        assert holiday not in days and days[0] == SATURDAY and len(days) == 4
        assert [s.lesson.topic for s in run.sessions] == TOPICS
    assert to_beijing(runs[2].sessions[0].starts_at).time() == time(15, 0)
    assert to_beijing(runs[1].sessions[0].starts_at).time() == time(9, 30)  # the first room's


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"holidays": "8月1日"}, "不是日期"),
        ({"runs-0-weekday": ""}, "请选择第一个书房的星期"),
        ({"runs-0-end_time": "09:00"}, "结束时间必须晚于开始时间"),
        ({"runs-0-capacity": "abc"}, "请填写整数"),
    ],
)
def test_bad_schedule_input_is_explained_and_kept(client, make, three, course, change, message):
    rooms, _program = three
    login(client, make.admin())
    page = client.post(f"/staff/courses/{course.id}/schedule", data=_schedule_form(rooms, **change))
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and message in text
    if "holidays" in change:
        assert "8月1日" in text
    assert _series_count() == 0


def test_staff_schedule_only_in_their_own_rooms_and_edit_only_their_courses(
    client, make, three, course
):
    rooms, _program = three
    staff = make.staff(rooms[0].community)
    login(client, staff)
    page = client.get(f"/staff/courses/{course.id}/schedule").get_data(as_text=True)
    assert "姚庄书房" in page and "董河书房" not in page
    forged = _schedule_form([rooms[2]])
    assert client.post(f"/staff/courses/{course.id}/schedule", data=forged).status_code == 200
    assert _series_count() == 0
    # the subdistrict's course: staff see it but do not edit its lessons
    assert client.get(f"/staff/courses/{course.id}/lessons/new").status_code == 403
    other = save_course(
        CourseData("孙庄自己的课程", course.program, SATURDAY, SATURDAY),
        community_id=rooms[1].community_id,
    )
    db.session.commit()
    assert client.get(f"/staff/courses/{other.id}").status_code == 403


def _scheduled(course, rooms, capacity=12):
    runs = [RunData(room, 5, time(9, 30), time(10, 30), capacity) for room in rooms]
    series = schedule_course(course, runs)
    db.session.commit()
    return series


def test_a_lesson_edit_reaches_every_feed_without_telling_families(
    client, make, family, three, course
):
    rooms, _program = three
    runs = _scheduled(course, rooms)
    household = family.household(rooms[0].community)
    sign_up(runs[0].sessions[1].id, household.id, member_ids(household), early_ok=True)
    db.session.commit()
    notices = db.session.scalar(select(func.count()).select_from(Notice))
    feeds = [f"/feeds/room/{room.slug}.ics" for room in rooms]
    lesson = course.lessons[1]

    def sequences():
        result = {}
        for url in feeds:
            for event in parse_ics(client.get(url).data).events:
                result[event.uid] = (event.sequence, event.summary)
        return result

    before = sequences()
    login(client, make.admin())
    response = client.post(
        f"/staff/courses/lessons/{lesson.id}/edit",
        data={"topic": "好饿的毛毛虫（新版）", "suggested_books": "《好饿的毛毛虫》"},
    )
    assert response.status_code == 302
    after = sequences()
    changed = {uid for uid in after if after[uid] != before[uid]}
    lesson_uids = {s.ical_uid() for s in course_sessions(course) if s.lesson_id == lesson.id}
    assert changed == lesson_uids and len(changed) == 3
    for uid in changed:
        assert after[uid][0] == before[uid][0] + 1
        assert "好饿的毛毛虫（新版）" in after[uid][1]
    assert db.session.scalar(select(func.count()).select_from(Notice)) == notices


def test_a_host_clash_across_communities_is_a_warning_naming_both(client, make, three, course):
    rooms, _program = three
    storyteller = Host(name="张帆", partner=course.partner)
    db.session.add(storyteller)
    db.session.commit()
    make.session(
        rooms[1], start=at(SATURDAY, 9), minutes=90, host="新华书店 张帆", host_id=storyteller.id
    )
    login(client, make.admin())
    form = _schedule_form([rooms[0]], **{"runs-0-host": str(storyteller.id)})
    text = client.post(f"/staff/courses/{course.id}/schedule", data=form).get_data(as_text=True)
    assert "请注意" in text and "孙庄书房" in text and "张帆" in text
    assert _series_count() == 0
    form["accept_warnings"] = "y"
    digest = text.split('name="warnings_digest" type="hidden" value="')[1].split('"')[0]
    form["warnings_digest"] = digest
    assert client.post(f"/staff/courses/{course.id}/schedule", data=form).status_code == 302
    assert _series_count() == 1


# --- families -------------------------------------------------------------------------------


@pytest.fixture
def full_second(make, family, three, course):
    """The course in three rooms; in Yaozhuang its second session is full."""
    rooms, _program = three
    runs = _scheduled(course, rooms, capacity=2)
    other = family.household(rooms[0].community, children=(("甜甜", 5),), adults=("赵丽",))
    sign_up(runs[0].sessions[1].id, other.id, member_ids(other), early_ok=True)
    db.session.commit()
    me = family.household(rooms[0].community, children=(("乐乐", 6),), adults=("王芳",))
    return runs, me


def test_course_page_shows_syllabus_runs_and_seats(client, course, full_second):
    runs, _me = full_second
    text = client.get(f"/courses/{course.id}").get_data(as_text=True)
    assert all(topic in text for topic in TOPICS)
    assert "姚庄社区" in text and "董河社区" in text
    assert "已满" in text  # the full session, per run
    assert "登录后报名整个课程" in text
    session_page = client.get(f"/sessions/{runs[0].sessions[0].id}").get_data(as_text=True)
    assert f"/courses/{course.id}" in session_page
    assert f"/courses/{course.id}" in client.get("/courses/").get_data(as_text=True)


def test_whole_course_signup_confirms_the_rest_and_waits_for_the_full_one(
    client, course, full_second
):
    runs, me = full_second
    run = runs[0]
    household_login(client, me)
    response = client.post(
        f"/courses/{course.id}/runs/{run.id}/signup", data={"members": member_ids(me)}
    )
    assert response.status_code == 302
    mine = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已确认：3 场" in mine and "候补：1 场" in mine
    statuses = {
        r.session_id: r.status
        for r in db.session.scalars(select(Registration).where(Registration.household_id == me.id))
    }
    assert statuses == {
        s.id: RegistrationStatus.WAITLISTED if i == 1 else RegistrationStatus.CONFIRMED
        for i, s in enumerate(run.sessions)
    }
    notices_page = client.get("/family/notices").get_data(as_text=True)
    assert notices_page.count("您已报名课程“暑期阅读课程”") == 1  # one notice, not four
    # the same family cannot follow it in a second community too
    again = client.post(
        f"/courses/{course.id}/runs/{runs[1].id}/signup", data={"members": member_ids(me)}
    )
    assert "已经在" in again.get_data(as_text=True)

    # cancel one session: the ordinary registration page
    first = db.session.scalars(
        select(Registration).where(
            Registration.household_id == me.id, Registration.session_id == run.sessions[0].id
        )
    ).one()
    assert client.post(f"/family/registrations/{first.id}/cancel").status_code == 302
    db.session.expire_all()
    assert first.status is RegistrationStatus.CANCELLED

    # cancel the whole course: a confirmation page that changes nothing, then the POST
    confirm = client.get(f"/courses/{course.id}/runs/{run.id}/cancel").get_data(as_text=True)
    assert "涉及场次：3 场" in confirm
    response = client.post(f"/courses/{course.id}/runs/{run.id}/cancel")
    assert response.status_code == 302
    db.session.expire_all()
    live = db.session.scalars(
        select(Registration).where(
            Registration.household_id == me.id,
            Registration.status != RegistrationStatus.CANCELLED,
        )
    ).all()
    assert live == []
    assert "已取消课程" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_signup_without_members_keeps_the_form_with_a_message(client, course, full_second):
    runs, me = full_second
    household_login(client, me)
    page = client.post(f"/courses/{course.id}/runs/{runs[0].id}/signup", data={})
    assert page.status_code == 200
    assert "请至少选择一人" in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 1


def test_overview_shows_each_run_side_by_side(client, make, course, full_second):
    runs, _me = full_second
    login(client, make.admin())
    text = client.get(f"/staff/courses/{course.id}/overview").get_data(as_text=True)
    assert text.count('<th scope="col">') >= 3
    assert "2 / 2" in text  # the full session's seats
    staff = make.staff(runs[1].room.community)
    client.post("/staff/logout")
    login(client, staff)
    scoped = client.get(f"/staff/courses/{course.id}/overview").get_data(as_text=True)
    assert "孙庄" in scoped and "姚庄书房" not in scoped


def test_sessions_of_a_course_are_ordinary_sessions(client, three, course):
    rooms, _program = three
    runs = _scheduled(course, rooms)
    s = runs[0].sessions[0]
    assert isinstance(s, ReadingSession) and s.series is runs[0]
    assert client.get(f"/sessions/{s.id}.ics").status_code == 200


def test_staff_create_courses_for_their_own_community_only(client, make, three):
    rooms, program = three
    staff = make.staff(rooms[1].community)
    login(client, staff)
    form = {
        "title": "孙庄绘本课",
        "program": program.id,
        "first_date": SATURDAY.isoformat(),
        "last_date": (SATURDAY + timedelta(weeks=4)).isoformat(),
    }
    forged = client.post("/staff/courses/new", data={**form, "owner": rooms[0].community_id})
    assert forged.status_code == 200 and "请从列表中选择" in forged.get_data(as_text=True)
    assert client.post("/staff/courses/new", data={**form, "owner": ""}).status_code == 200
    done = client.post("/staff/courses/new", data={**form, "owner": rooms[1].community_id})
    assert done.status_code == 302
    course = db.session.scalars(select(Course)).one()
    assert course.community_id == rooms[1].community_id
    assert "孙庄绘本课" in client.get("/staff/courses/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": ""}, "请填写课程名称"),
        ({"first_date": ""}, "请填写课程开始日期"),
        ({"first_date": "2026-13-01"}, "不是有效的日期值"),
        ({"last_date": ""}, "请填写结束日期"),
        ({"program": "999"}, "请从列表中选择"),
    ],
)
def test_bad_course_input_is_explained_and_kept(client, make, three, change, message):
    _rooms, program = three
    login(client, make.admin())
    form = {
        "title": "暑期阅读课程",
        "program": program.id,
        "owner": "",
        "first_date": SATURDAY.isoformat(),
        "last_date": (SATURDAY + timedelta(weeks=4)).isoformat(),
        "description": "每周六一起读",
    }
    form.update(change)
    page = client.post("/staff/courses/new", data=form)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and message in text and "每周六一起读" in text
    assert db.session.scalar(select(func.count()).select_from(Course)) == 0


def test_partners_are_the_administrators(client, make, three):
    rooms, _program = three
    login(client, make.staff(rooms[0].community))
    response = client.post("/staff/courses/hosts", data={"partner-name": "新华书店"})
    assert response.status_code == 403
    page = client.post("/staff/courses/hosts", data={"host-name": "王老师", "host-belongs_to": "x"})
    assert page.status_code == 200 and "请从列表中选择" in page.get_data(as_text=True)
    other = rooms[1].community_id
    page = client.post(
        "/staff/courses/hosts", data={"host-name": "王老师", "host-belongs_to": f"c:{other}"}
    )
    assert "请从列表中选择" in page.get_data(as_text=True)  # not one of the user's communities
    done = client.post(
        "/staff/courses/hosts",
        data={"host-name": "王老师", "host-belongs_to": f"c:{rooms[0].community_id}"},
    )
    assert done.status_code == 302
