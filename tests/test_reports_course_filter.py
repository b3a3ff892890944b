"""The figures of one course (课程): only the sessions of its runs, in the communities the
viewer may see. As plain functions (the figures, the cache) and through HTTP (the page,
bad values by the field, the workbook, the CSV files, the monthly report, the course
overview's link)."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import time, timedelta
from html import unescape
from urllib.parse import unquote

import openpyxl
import pytest
from sqlalchemy import text

from readingroom.extensions import db
from readingroom.families.models import MemberKind
from readingroom.registrations import attendance
from readingroom.registrations import operations as ops
from readingroom.registrations.attendance import add_walk_in
from readingroom.registrations.models import Registration
from readingroom.reports.figures import cached_figures, figures, session_rows
from readingroom.schedule.course_operations import (
    CourseData,
    LessonData,
    RunData,
    add_lesson,
    save_course,
    schedule_course,
)
from readingroom.schedule.models import Series
from readingroom.schedule.operations import cancel_session
from tests.conftest import at, login
from tests.fixtures_reports import last_month, member_ids, scope_of

TITLE = "暑期阅读课程"
UNRELATED = "无关的周末故事会"


def _course(program, title, first, last, topics, community=None):
    course = save_course(
        CourseData(title=title, program=program, first_date=first, last_date=last),
        community_id=community.id if community else None,
    )
    for topic in topics:
        add_lesson(course, LessonData(topic=topic, suggested_books=f"《{topic}》"))
    db.session.commit()
    return course


def build_course_data(make, family, lists) -> dict:
    """Last month: the course in three communities' rooms (two lessons each; B's second
    cancelled; a walk-in at C's), and beside it what must not count: an ordinary session
    and an ordinary series in A, another course's run in A, and a task list that follows
    no course. Figures of the course, by hand:

    ======  ====  =========  ======  ======  ==========  ===
    room    held  cancelled  visits  people  households  new
    ======  ====  =========  ======  ======  ==========  ===
    A       2     0          3       2       1           1
    B       1     1          2       2       1           1
    C       2     0          3       1       1           1
    ======  ====  =========  ======  ======  ==========  ===
    """
    start, _end = last_month()
    a, b, c = (
        make.community(name="姚庄社区"),
        make.community(name="孙庄社区"),
        make.community(name="董河社区"),
    )
    rooms = [make.room(x, name=f"{x.name[:2]}书房") for x in (a, b, c)]
    program = make.program(name="亲子阅读")
    course = _course(program, TITLE, start, start + timedelta(days=20), ["团圆", "逃家小兔"])
    runs = schedule_course(
        course,
        [
            RunData(room, start.weekday(), time(9 + i, 0), time(10 + i, 0), 12)
            for i, room in enumerate(rooms)
        ],
    )
    other = _course(
        program, "冬季绘本课程", start + timedelta(days=2), start + timedelta(days=20), ["雪人"]
    )
    [other_run] = schedule_course(
        other, [RunData(rooms[0], (start.weekday() + 2) % 7, time(15, 0), time(16, 0), 12)]
    )
    db.session.commit()
    lone = make.session(
        rooms[0], program=program, start=at(start + timedelta(days=1), 9, 30), title=UNRELATED
    )
    series = Series(
        program=program,
        room=rooms[0],
        title="周三故事会",
        capacity=10,
        weekdays=str((start.weekday() + 3) % 7),
        start_time=time(18, 0),
        end_time=time(19, 0),
        first_date=start + timedelta(days=3),
        last_date=start + timedelta(days=3),
    )
    db.session.add(series)
    in_series = make.session(
        rooms[0], program=program, start=at(start + timedelta(days=3), 18, 0), series=series
    )

    h1 = family.household(a, children=(("小明", 6),))
    h2 = family.household(b, children=(("小红", 8),))
    h3 = family.household(c, children=(("小刚", 5),))
    h4 = family.household(a, children=(("小亮", 7),))
    h5 = family.household(a, children=(("小花", 9),))
    h6 = family.household(a, children=(("小军", 4),))

    def visit(s, household, *, everyone=True):
        ops.sign_up(s.id, household.id, member_ids(household), now=s.starts_at - timedelta(hours=3))
        db.session.commit()
        registration = db.session.scalars(
            db.select(Registration).where(
                Registration.session_id == s.id, Registration.household_id == household.id
            )
        ).one()
        for attendee in registration.attendees:
            if everyone or attendee.kind is MemberKind.CHILD:
                attendance.check_in(attendee, now=s.starts_at)
        db.session.commit()

    (a1, a2), (b1, b2), (c1, c2) = (run.sessions for run in runs)
    visit(a1, h1)
    visit(a2, h1, everyone=False)
    visit(b1, h2)
    cancel_session(b2, "停电")
    db.session.commit()
    visit(c1, h3, everyone=False)
    add_walk_in(c2.id, name="路过", adults=1, children=1, now=c2.starts_at)
    db.session.commit()
    visit(lone, h4)
    visit(other_run.sessions[0], h5, everyone=False)
    visit(in_series, h6)

    following = lists.task_list(a, b, c, program=program, starts_on=start, title="课程任务")
    following.course_id = course.id
    unrelated = lists.task_list(a, program=program, starts_on=start, title="别的任务")
    for task_list, household in ((following, h1), (unrelated, h4)):
        child = next(m for m in household.members if m.is_child)
        tick = lists.tick(task_list.tasks[0], child)
        tick.ticked_at = at(start + timedelta(days=2), 20, 0)
    db.session.commit()
    return {
        "communities": (a, b, c),
        "rooms": rooms,
        "course": course,
        "other": other,
        "runs": runs,
        "series": series,
        "program": program,
    }


@pytest.fixture
def course_data(make, family, lists) -> dict:
    return build_course_data(make, family, lists)


def course_scope(course, community_ids=None, program_id=None):
    return replace(scope_of(community_ids, program_id), course_id=course.id)


def numbers(f) -> tuple[int, ...]:
    t = f.total
    return (t.sessions_held, t.sessions_cancelled, t.visits, t.people, t.households)


# --- the figures as plain functions ------------------------------------------------------------


def test_a_course_counts_exactly_its_sessions_in_every_community(course_data):
    a, b, c = (x.id for x in course_data["communities"])
    course = course_data["course"]
    f = figures(course_scope(course))
    assert numbers(f) == (5, 1, 8, 5, 3)
    assert (f.total.new_households, f.total.walk_in_visits, f.total.capacity) == (3, 2, 60)
    assert f.labels.course.id == course.id
    by = {cid: (x.sessions_held, x.sessions_cancelled, x.visits, x.people, x.households)
          for cid, x in f.by_community.items()}  # fmt: skip
    assert by == {a: (2, 0, 3, 2, 1), b: (1, 1, 2, 2, 1), c: (2, 0, 3, 1, 1)}
    assert set(f.by_room) == {r.id for r in course_data["rooms"]}
    assert sum(x.visits for x in f.by_age.values()) == 8
    assert f.by_strand[course_data["program"].id].visits == 8
    # everything, for comparison: the ordinary session and series and the other course count
    everything = figures(scope_of())
    assert numbers(everything) == (8, 1, 13, 10, 6)
    assert everything.total.new_households == 6
    # the other course: its own run only
    assert numbers(figures(course_scope(course_data["other"]))) == (1, 0, 1, 1, 1)


def test_course_figures_match_independent_sql(course_data):
    course = course_data["course"]
    scope = course_scope(course)
    f = figures(scope)
    start, end = scope.bounds
    params = {"start": start.replace(tzinfo=None), "end": end.replace(tzinfo=None)}
    params["course"] = course.id
    of_course = (
        "FROM reading_session s JOIN series r ON r.id = s.series_id "
        "WHERE r.course_id = :course AND s.starts_at >= :start AND s.starts_at < :end"
    )
    held = f"{of_course} AND s.status = 'scheduled' AND s.starts_at < CURRENT_TIMESTAMP"

    def sql(query: str) -> int:
        return db.session.execute(text(query), params).scalar_one()

    assert f.total.sessions_held == sql(f"SELECT count(*) {held}")
    assert f.total.capacity == sql(f"SELECT sum(s.capacity) {held}")
    visits = (
        "FROM registration_attendee a JOIN registration g ON g.id = a.registration_id "
        f"WHERE g.status = 'confirmed' AND a.checked_in_at IS NOT NULL "
        f"AND g.session_id IN (SELECT s.id {held})"
    )
    assert f.total.visits == sql(f"SELECT count(*) {visits}")
    assert f.total.people == sql(f"SELECT count(DISTINCT a.member_id) {visits}")
    assert f.total.seats_confirmed == sql(
        "SELECT sum(g.seats) FROM registration g WHERE g.status = 'confirmed' "
        f"AND g.session_id IN (SELECT s.id {held})"
    )
    rows = session_rows(scope)
    assert {row.id for row in rows} == {
        s for (s,) in db.session.execute(text(f"SELECT s.id {of_course}"), params)
    }
    assert len(rows) == 6 and all(row.title.startswith(TITLE) for row in rows)


def test_community_staff_see_only_their_communitys_runs_of_the_course(course_data):
    a, b, c = (x.id for x in course_data["communities"])
    course = course_data["course"]
    only_b = figures(course_scope(course, [b]))
    assert numbers(only_b) == (1, 1, 2, 2, 1)
    assert list(only_b.by_community) == [b]
    assert set(only_b.by_room) == {course_data["rooms"][1].id}
    assert {row.room_id for row in session_rows(only_b.scope)} == {course_data["rooms"][1].id}
    assert numbers(figures(course_scope(course, [a]))) == (2, 0, 3, 2, 1)
    assert numbers(figures(course_scope(course, [a, c]))) == (4, 0, 6, 3, 2)
    # with the strand as well: the course's strand keeps them, another strand has none
    assert numbers(figures(course_scope(course, [b], course.program_id))) == (1, 1, 2, 2, 1)
    other_strand = figures(course_scope(course, program_id=course.program_id + 1000))
    assert numbers(other_strand) == (0, 0, 0, 0, 0)


def test_task_figures_of_a_course_are_its_following_lists(course_data):
    course = course_data["course"]
    assert figures(scope_of()).tasks.ticks == 2
    f = figures(course_scope(course))
    assert (f.tasks.ticks, f.tasks.households, f.tasks.children) == (1, 1, 1)
    assert figures(course_scope(course_data["other"])).tasks.ticks == 0


def test_cached_figures_are_keyed_by_the_course(course_data):
    course = course_data["course"]
    assert numbers(cached_figures(scope_of())) == (8, 1, 13, 10, 6)
    assert numbers(cached_figures(course_scope(course))) == (5, 1, 8, 5, 3)
    assert numbers(cached_figures(scope_of())) == (8, 1, 13, 10, 6)
    # a run joining the course is seen at once (the version reads the series too)
    course_data["series"].course_id = course.id
    db.session.commit()
    assert numbers(cached_figures(course_scope(course))) == (6, 1, 10, 7, 4)


# --- through HTTP ------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, make):
    login(client, make.admin())
    return client


def month_args(**more) -> dict[str, str]:
    start, end = last_month()
    return {"start": start.isoformat(), "end": end.isoformat(), **more}


def headline_visits(page: str) -> int:
    return int(re.search(r'参与人次</span><span class="value">(\d+)<', page).group(1))


def test_the_figures_page_filtered_by_the_course(admin_client, course_data):
    course = course_data["course"]
    everything = admin_client.get("/staff/figures/", query_string=month_args())
    assert headline_visits(everything.get_data(as_text=True)) == 13
    response = admin_client.get("/staff/figures/", query_string=month_args(course=course.id))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert headline_visits(page) == 8
    assert f'<option selected value="{course.id}">{TITLE}</option>' in page
    assert f"课程：{TITLE}" in page  # the filter line names it
    # every table and chart follows: the by-community table's total, the chart of months
    assert re.search(r"<tfoot><tr><th scope=\"row\">合计</th><td class=\"num\">5</td>", page)
    month_chart = re.search(r'id="chart-month">(.*?)</script>', page).group(1)
    assert "[8]" in month_chart.replace(" ", "")
    # its CSV and workbook links and the monthly report keep the course
    assert f"community.csv?start={month_args()['start']}" in page
    assert page.count(f"course={course.id}") >= 10
    assert f"/staff/figures/report?course={course.id}" in page


BAD = ["abc", "1" * 40, "-1", "0", "1.5", "%20", "<script>"]


@pytest.mark.parametrize("value", [*BAD, "unknown", "other-communitys"])
def test_bad_course_values_get_the_message_by_the_field(client, make, course_data, value):
    a, b, _c = course_data["communities"]
    owned_by_a = _course(
        course_data["program"], "姚庄自己的课程", *last_month(), ["一"], community=a
    )
    login(client, make.staff(b))
    value = {"unknown": str(owned_by_a.id + 1000), "other-communitys": str(owned_by_a.id)}.get(
        value, value
    )
    args = month_args(course=value)
    response = client.get("/staff/figures/", query_string=args)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    error = re.search(r'<p class="error" id="course-error">([^<]*)</p>', page)
    assert error and "不存在" in error.group(1)
    assert 'aria-invalid="true"' in page
    for url in ("figures.xlsx", "community.csv", "sessions.csv"):
        assert client.get(f"/staff/figures/{url}", query_string=args).status_code == 400
    report = client.get(
        "/staff/figures/report", query_string={"month": f"{last_month()[0]:%Y-%m}", "course": value}
    )
    assert report.status_code == 400
    assert 'id="course-error"' in report.get_data(as_text=True)


def test_community_staff_see_their_own_runs_only_over_http(client, make, course_data):
    a, b, c = course_data["communities"]
    course = course_data["course"]
    login(client, make.staff(b))
    args = month_args(course=course.id)
    page = client.get("/staff/figures/", query_string=args).get_data(as_text=True)
    assert headline_visits(page) == 2
    for name in (a.name, c.name, "姚庄书房", "董河书房"):
        assert name not in page
    book = openpyxl.load_workbook(
        io.BytesIO(client.get("/staff/figures/figures.xlsx", query_string=args).data)
    )
    assert [r[0] for r in book["按社区"].iter_rows(min_row=2, values_only=True)] == [b.name, "合计"]
    sessions = list(book["场次"].iter_rows(min_row=2, values_only=True))
    assert {r[1] for r in sessions} == {b.name} and len(sessions) == 2
    assert sum(r[8] for r in sessions) == 2
    csv = client.get("/staff/figures/sessions.csv", query_string=args).data.decode("utf-8")
    assert a.name not in csv and c.name not in csv and csv.count(b.name) == 2
    another = {**args, "community": a.slug}
    assert client.get("/staff/figures/", query_string=another).status_code == 403
    assert client.get("/staff/figures/figures.xlsx", query_string=another).status_code == 403


def test_the_workbook_carries_the_courses_rows_and_names_it(admin_client, course_data):
    course = course_data["course"]
    response = admin_client.get(
        "/staff/figures/figures.xlsx", query_string=month_args(course=course.id)
    )
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert f'filename="binhe-figures-course-{course.id}-' in disposition
    assert unquote(disposition.split("filename*=UTF-8''")[1]).startswith(f"binhe-figures-{TITLE}-")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    summary = book["汇总"]
    lines = {row[0]: row[1] for row in summary.iter_rows(max_col=2, values_only=True) if row[0]}
    assert lines["课程"] == TITLE and lines["阅读板块"] == "全部阅读板块"
    assert lines["参与人次"] == 8 and lines["活动场次"] == 5
    sessions = list(book["场次"].iter_rows(min_row=2, values_only=True))
    assert len(sessions) == 6 and all(r[4].startswith(f"{TITLE} 第") for r in sessions)
    assert sum(r[8] for r in sessions) == 8
    assert [r[0] for r in book["按社区"].iter_rows(min_row=2, values_only=True)] == [
        "姚庄社区",
        "孙庄社区",
        "董河社区",
        "合计",
    ]
    # without a course the summary says so, and the name has no course
    plain = admin_client.get("/staff/figures/figures.xlsx", query_string=month_args())
    assert "filename*" not in plain.headers["Content-Disposition"]
    summary = openpyxl.load_workbook(io.BytesIO(plain.data))["汇总"]
    lines = {row[0]: row[1] for row in summary.iter_rows(max_col=2, values_only=True) if row[0]}
    assert lines["课程"] == "全部课程" and lines["参与人次"] == 13


def test_the_csv_files_carry_the_courses_rows(admin_client, course_data):
    course = course_data["course"]
    args = month_args(course=course.id)
    response = admin_client.get("/staff/figures/sessions.csv", query_string=args)
    assert response.status_code == 200
    assert f"binhe-sessions-course-{course.id}-" in response.headers["Content-Disposition"]
    lines = response.data.decode("utf-8").split("\r\n")[1:-1]
    assert len(lines) == 6 and all(f",{TITLE} 第" in line for line in lines)
    assert UNRELATED not in response.data.decode("utf-8")
    community = admin_client.get("/staff/figures/community.csv", query_string=args)
    total = community.data.decode("utf-8").split("\r\n")[-2].split(",")
    assert total[:4] == ["合计", "5", "1", "8"]


def test_the_monthly_report_of_a_course(admin_client, course_data):
    course = course_data["course"]
    month = f"{last_month()[0]:%Y-%m}"
    plain = admin_client.get("/staff/figures/report", query_string={"month": month})
    assert UNRELATED in plain.get_data(as_text=True)
    response = admin_client.get(
        "/staff/figures/report", query_string={"month": month, "course": course.id}
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"<span>课程：{TITLE}</span>" in page
    report = page.split('<article class="monthly-report">')[1]
    assert UNRELATED not in report and "冬季绘本课程" not in report
    assert report.count(f"{TITLE} 第") == 6  # the month's sessions of the course
    assert headline_visits(report) == 8


def test_the_course_overview_links_to_its_figures(admin_client, course_data):
    course = course_data["course"]
    page = admin_client.get(f"/staff/courses/{course.id}/overview").get_data(as_text=True)
    link = re.search(r'href="(/staff/figures/\?[^"]+)">本课程的统计<', page)
    assert link, "a link to the course's figures"
    href = unescape(link.group(1))
    assert f"course={course.id}" in href
    assert f"start={course.first_date.isoformat()}" in href
    assert f"end={course.last_date.isoformat()}" in href
    figures_page = admin_client.get(href)
    assert figures_page.status_code == 200
    assert headline_visits(figures_page.get_data(as_text=True)) == 8


def test_a_title_that_repeats_is_told_apart_by_its_first_day(admin_client, course_data):
    start, _end = last_month()
    a_year_ago = start.replace(year=start.year - 1)
    earlier = _course(course_data["program"], TITLE, a_year_ago, a_year_ago, ["去年的课"])
    page = admin_client.get("/staff/figures/").get_data(as_text=True)
    options = re.findall(r'<option value="(\d+)">([^<]*)</option>', page)
    labels = dict(options)
    assert labels[str(earlier.id)].startswith(
        f"{TITLE}（自 {a_year_ago:%Y}年{a_year_ago.month}月1日"
    )
    assert labels[str(earlier.id)].endswith("起）")
    assert labels[str(course_data["course"].id)].startswith(f"{TITLE}（自 {start.year}年")
    assert labels[str(course_data["other"].id)] == "冬季绘本课程"
