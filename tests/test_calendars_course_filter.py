"""The calendar's course filter (课程) over HTTP: pages, feeds, the API, validators, bad
values, and the links between the course page and the calendar."""

from __future__ import annotations

import json
import re
from datetime import UTC, time, timedelta
from time import monotonic, sleep

import pytest

from readingroom.calendars import changes
from readingroom.calendars.grid import month_weeks
from readingroom.calendars.ical import FEED_WINDOW_DAYS
from readingroom.extensions import db
from readingroom.schedule.course_operations import (
    CourseData,
    LessonData,
    RunData,
    add_lesson,
    course_sessions,
    save_course,
    schedule_course,
    update_lesson,
)
from readingroom.schedule.courses import Course
from readingroom.schedule.models import ReadingSession
from readingroom.schedule.operations import cancel_session
from readingroom.timeutil import BEIJING, beijing_today
from tests.conftest import at
from tests.fixtures_calendars import CalendarWorld, expected, occurrences
from tests.test_calendars_views import html, settle_notifications

TOPICS = ["猜猜我有多爱你", "好饿的毛毛虫", "团圆"]


def next_sunday():
    today = beijing_today()
    return today + timedelta(days=(6 - today.weekday()) % 7 or 7)


def make_course(world: CalendarWorld, title: str = "暑期阅读课程", topics=TOPICS) -> Course:
    first = next_sunday()
    course = save_course(
        CourseData(
            title=title,
            program=world.parent_child,
            first_date=first,
            last_date=first + timedelta(weeks=len(topics) + 1),
        )
    )
    for topic in topics:
        add_lesson(course, LessonData(topic=topic, suggested_books=f"《{topic}》"))
    db.session.flush()
    return course


def run(room, hour: int = 14) -> RunData:
    return RunData(room, 6, time(hour, 0), time(hour + 1, 0), 12)  # Sundays


@pytest.fixture
def course(world) -> Course:
    """A three-lesson course on Sundays in Yaozhuang's Peony room and in Sunzhuang, beside
    the world's own sessions (a Saturday series, a senior session in Sunzhuang)."""
    course = make_course(world)
    schedule_course(course, [run(world.peony), run(world.sun_room, 15)])
    db.session.commit()
    return course


def hrefs(page: str) -> set[int]:
    return {int(n) for n in re.findall(r'href="/sessions/(\d+)"', page)}


def ids(sessions) -> set[int]:
    return {s.id for s in sessions}


def day_of(reading_session: ReadingSession):
    return reading_session.starts_at.astimezone(BEIJING).date()


def others(world: CalendarWorld) -> set[int]:
    return ids(world.sessions) | {world.senior_session.id}


# --- pages -----------------------------------------------------------------------------------


def test_the_filter_lists_the_courses_that_have_sessions(client, world, course):
    unscheduled = make_course(world, title="尚未排期的课程")
    db.session.commit()
    page = html(client, "/")
    select = re.search(r'<select[^>]* id="course" name="course">(.*?)</select>', page, re.S)
    assert select, "the filter form has a course select"
    options = re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', select.group(1))
    assert options == [("", "全部课程"), (str(course.id), "暑期阅读课程")]
    assert '<label for="course">课程</label>' in page
    assert str(unscheduled.id) not in [value for value, _ in options]


@pytest.mark.parametrize("view", ["month", "week", "list"])
def test_each_view_shows_only_the_course_sessions(client, make, world, course, view):
    sessions = course_sessions(course)
    day = day_of(sessions[0])
    # another session on the day of lesson 1, in a room the course also uses
    neighbour = make.session(world.sun_room, program=world.parent_child, start=at(day, 10))
    db.session.commit()
    month, monday = day.strftime("%Y-%m"), day - timedelta(days=day.weekday())
    url = f"/?view={view}&month={month}&week={day}&from={beijing_today()}&course={course.id}"
    if view == "week":
        wanted = {s.id for s in sessions if monday <= day_of(s) < monday + timedelta(days=7)}
    elif view == "month":  # the grid's whole weeks, days of the months around included
        weeks = month_weeks(day.replace(day=1))
        wanted = {s.id for s in sessions if weeks[0][0] <= day_of(s) <= weeks[-1][-1]}
    else:
        wanted = ids(sessions)
    in_view = [s for s in sessions if s.id in wanted]
    assert {s.room.community_id for s in in_view} == {world.yaozhuang.id, world.sunzhuang.id}
    shown = hrefs(html(client, url))
    assert shown == wanted
    assert neighbour.id not in shown and not shown & others(world)
    # without the filter the same view shows the neighbour too
    assert {neighbour.id, *wanted} <= hrefs(html(client, url.replace(f"&course={course.id}", "")))


def test_the_course_filter_combines_with_community_and_room(client, world, course):
    in_sunzhuang = [s for s in course_sessions(course) if s.room_id == world.sun_room.id]
    page = html(client, f"/?view=list&course={course.id}&community=sunzhuang")
    assert hrefs(page) == ids(in_sunzhuang)
    assert world.senior_session.id not in hrefs(page)  # Sunzhuang's, not the course's
    assert re.search(rf'<option selected value="{course.id}">', page)
    assert '<span class="chip">课程：暑期阅读课程</span>' in page
    assert '<span class="chip">社区：孙庄社区</span>' in page
    page = html(client, f"/?view=list&course={course.id}&room=yaozhuang-peony")
    in_peony = ids(s for s in course_sessions(course) if s.room_id == world.peony.id)
    assert hrefs(page) == in_peony
    # navigation and the view tabs keep the course
    assert re.search(rf'href="/\?view=month[^"]*course={course.id}', page)


def test_the_filtered_view_links_its_own_feed_and_subscribe_page(client, world, course):
    page = html(client, f"/?view=list&course={course.id}")
    feed = f"/feeds/course/{course.id}.ics"
    assert f'href="webcal://readingroom.test{feed}"' in page
    assert f'<link rel="alternate" type="text/calendar" title="日历订阅" href="{feed}">' in page
    assert f'value="http://readingroom.test{feed}"' in page
    assert f'href="http://readingroom.test/subscribe?course={course.id}"' in page
    assert f'href="/courses/{course.id}"' in page  # the chip's "about this course"
    both = html(client, f"/?view=list&course={course.id}&community=sunzhuang")
    assert (
        f"webcal://readingroom.test/feeds/all.ics?community=sunzhuang&amp;course={course.id}"
        in both
    )

    subscribe = html(client, f"/subscribe?course={course.id}")
    assert "当前日历：暑期阅读课程" in subscribe
    assert f'href="webcal://readingroom.test{feed}"' in subscribe
    assert "按课程" in subscribe  # every course's feed in the list of all calendars


def test_a_filtered_page_needs_a_constant_number_of_queries(client, world, count_queries):
    """As for the other filters (test_calendars_views): the same count with 3 sessions of
    the course as with 9, and with another course beside it."""
    course = make_course(world)
    schedule_course(course, [run(world.peony)])
    db.session.commit()
    urls = [
        f"/?course={course.id}",
        f"/?view=month&month={day_of(course_sessions(course)[0]):%Y-%m}&course={course.id}",
        f"/?view=list&course={course.id}&community=yaozhuang&seats=1",
        f"/feeds/course/{course.id}.ics",
        f"/api/v1/sessions?course={course.id}",
    ]

    def count(url: str) -> int:
        settle_notifications()
        assert client.get(url).status_code == 200  # warm
        watching = changes.listener()  # PostgreSQL: counts are 0 once it vouches
        deadline = monotonic() + 5
        while watching is not None and not watching.trusted and monotonic() < deadline:
            sleep(0.01)
        counts = []
        for _ in range(2):
            with count_queries() as counter:
                assert client.get(url).status_code == 200
            counts.append(counter.count)
        return min(counts)

    few = [count(u) for u in urls]
    assert len(course_sessions(course)) == 3
    schedule_course(course, [run(world.garden, 16), run(world.sun_room, 16)])
    db.session.commit()
    more = make_course(world, title="第二门课程", topics=TOPICS * 2)
    schedule_course(more, [run(world.sun_room, 18), run(world.garden, 18)])
    db.session.commit()
    assert len(course_sessions(course)) == 9
    many = [count(u) for u in urls]
    assert few == many


# --- feeds and the API -----------------------------------------------------------------------


def window():
    start = at(beijing_today() - timedelta(days=FEED_WINDOW_DAYS), 0).astimezone(UTC)
    return start, start + timedelta(days=400)


@pytest.mark.parametrize("path", ["/feeds/course/{id}.ics", "/feeds/all.ics?course={id}"])
def test_the_course_feed_holds_the_course_sessions_of_every_community(client, world, course, path):
    response = client.get(path.format(id=course.id))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert occurrences(response.data, *window()) == expected(course_sessions(course))
    assert "X-WR-CALNAME:暑期阅读课程 · 滨河街道 · 阅读活动" in response.get_data(as_text=True)


def test_the_course_feed_combines_with_community(client, world, course):
    response = client.get(f"/feeds/all.ics?community=sunzhuang&course={course.id}")
    in_sunzhuang = [s for s in course_sessions(course) if s.room_id == world.sun_room.id]
    assert occurrences(response.data, *window()) == expected(in_sunzhuang)


def test_the_api_takes_course(client, world, course):
    sessions = course_sessions(course)
    start, end = beijing_today(), day_of(sessions[-1])
    query = f"start={start}&end={end}&course={course.id}"
    body = json.loads(client.get(f"/api/v1/sessions?{query}").data)
    assert {item["id"] for item in body["sessions"]} == ids(sessions)
    assert {item["community"]["slug"] for item in body["sessions"]} == {"yaozhuang", "sunzhuang"}
    body = json.loads(client.get(f"/api/v1/sessions?{query}&community=yaozhuang").data)
    assert {item["id"] for item in body["sessions"]} == {
        s.id for s in sessions if s.room_id == world.peony.id
    }


def test_a_lesson_edit_changes_the_course_feed_and_leaves_other_feeds_alone(client, world, course):
    feed = f"/feeds/course/{course.id}.ics"
    api = f"/api/v1/sessions?course={course.id}&start={beijing_today()}"
    page = f"/?view=list&course={course.id}"
    senior = "/feeds/program/senior.ics"  # no course session in it
    first = client.get(feed)
    etag = first.headers["ETag"]
    api_etag = client.get(api).headers["ETag"]
    senior_etag = client.get(senior).headers["ETag"]
    assert client.get(feed, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(api, headers={"If-None-Match": api_etag}).status_code == 304
    assert "第2课：爷爷一定有办法" not in html(client, page)  # and the page is now cached

    lesson = course.lessons[1]
    changed = update_lesson(
        lesson,
        LessonData(topic="爷爷一定有办法", suggested_books="《爷爷一定有办法》"),
    )
    db.session.commit()
    assert len(changed) == 2  # Yaozhuang's and Sunzhuang's session of lesson 2

    again = client.get(feed, headers={"If-None-Match": etag})
    assert again.status_code == 200
    assert again.headers["ETag"] != etag
    assert "爷爷一定有办法" in again.get_data(as_text=True)
    assert client.get(api, headers={"If-None-Match": api_etag}).status_code == 200
    assert "暑期阅读课程 第2课：爷爷一定有办法" in html(client, page)
    assert client.get(senior, headers={"If-None-Match": senior_etag}).status_code == 304
    assert client.get(senior).headers["ETag"] == senior_etag


def test_a_renamed_course_renames_its_feed(client, world, course):
    feed = f"/feeds/course/{course.id}.ics"
    assert "X-WR-CALNAME:暑期阅读课程" in client.get(feed).get_data(as_text=True)
    save_course(
        CourseData(
            title="假期阅读课程",
            program=course.program,
            first_date=course.first_date,
            last_date=course.last_date,
        ),
        course,
    )
    db.session.commit()
    body = client.get(feed).get_data(as_text=True)
    assert "X-WR-CALNAME:假期阅读课程 · 滨河街道 · 阅读活动" in body
    assert "SUMMARY:假期阅读课程 第1课" in body
    assert f'<option selected value="{course.id}">假期阅读课程</option>' in html(
        client, f"/?course={course.id}"
    )


# --- bad values ------------------------------------------------------------------------------

BAD = ["abc", "99999999999999999999", "0", "007", "-1", "1.5", "%00", "%EF%BC%91", "1%20"]
NOT_A_NUMBER = "请用课程编号指定课程，例如 course=3。"


@pytest.mark.parametrize("value", [*BAD, "unknown"])
def test_a_bad_course_gets_the_message_next_to_the_field(client, world, course, value):
    value = str(course.id + 1000) if value == "unknown" else value
    page = html(client, f"/?view=list&course={value}")
    error = re.search(r'<p class="error" id="course-error">([^<]*)</p>', page)
    message = "无法保存的字符" if value == "%00" else "该选项不存在（或已取消），现显示全部。"
    assert error and message in error.group(1)
    assert '<details class="cal-filters" open>' in page
    assert hrefs(page) & others(world)  # the bad filter counts as "all"


@pytest.mark.parametrize("value", [*BAD, "unknown", "twice"])
def test_a_bad_course_is_refused_by_feeds_and_the_api(client, world, course, value):
    if value == "unknown":
        value, feed_status, message = str(course.id + 1000), 404, "找不到这个编号的课程。"
    elif value == "twice":
        value, feed_status = f"{course.id}&course={course.id}", 400
        message = "参数 course 只能出现一次。"
    else:
        feed_status, message = 400, NOT_A_NUMBER
    assert client.get(f"/feeds/all.ics?course={value}").status_code == feed_status
    if value == "%00":  # a NUL in the path is refused before routing (hardening)
        assert client.get(f"/feeds/course/{value}.ics").status_code == 404
    elif "&" not in value:
        assert client.get(f"/feeds/course/{value}.ics").status_code == feed_status
    response = client.get(f"/api/v1/sessions?course={value}")
    assert response.status_code == 400
    error = json.loads(response.data)["error"]
    assert error["parameter"] == "course"
    assert error["message"] == message


# --- links between the course page and the calendar -------------------------------------------


def test_the_course_page_links_to_its_calendar_and_feed(client, world, course):
    page = html(client, f"/courses/{course.id}")
    assert f'href="/?course={course.id}"' in page
    assert f'href="webcal://readingroom.test/feeds/course/{course.id}.ics"' in page
    assert f'href="/subscribe?course={course.id}"' in page
    assert client.get(f"/?course={course.id}").status_code == 200


def test_every_session_of_the_course_links_to_the_course_page(client, world, course):
    for s in course_sessions(course):
        page = html(client, f"/sessions/{s.id}")
        assert f'href="/courses/{course.id}"' in page
    assert "/courses/" not in html(client, f"/sessions/{world.senior_session.id}").replace(
        'href="/courses/"', ""
    )


def test_a_change_outside_the_course_leaves_its_validators_alone(client, world, course):
    feed, sunzhuang = f"/feeds/course/{course.id}.ics", "/feeds/community/sunzhuang.ics"
    etag, sunzhuang_etag = (client.get(url).headers["ETag"] for url in (feed, sunzhuang))
    cancel_session(world.senior_session, "暂停一次。")  # Sunzhuang's, not the course's
    db.session.commit()
    assert client.get(feed, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(sunzhuang).headers["ETag"] != sunzhuang_etag


def test_a_course_scheduled_elsewhere_joins_a_cached_filtered_page_at_once(client, world, course):
    url = "/?view=list&community=sunzhuang"
    assert html(client, url) == html(client, url)  # from the cache
    assert "第二门课程" not in html(client, url)
    other = make_course(world, title="第二门课程")
    schedule_course(other, [run(world.garden, 17)])  # in Yaozhuang: not in the page's scope
    db.session.commit()
    assert f'<option value="{other.id}">第二门课程</option>' in html(client, url)


def test_a_poster_of_one_course_in_one_community(client, make, world, course):
    in_sunzhuang = [s for s in course_sessions(course) if s.room_id == world.sun_room.id]
    day = day_of(in_sunzhuang[0])
    make.session(world.sun_room, program=world.senior, start=at(day, 9), title="孙庄的其他活动")
    db.session.commit()
    form = html(client, "/poster")
    assert f'<option value="{course.id}">暑期阅读课程</option>' in form
    page = html(client, f"/poster?community=sunzhuang&month={day:%Y-%m}&course={course.id}")
    assert '<h1 id="poster-title">孙庄社区 · 暑期阅读课程 · ' in page
    assert poster_titles(page) == {s.title for s in in_sunzhuang if day_of(s).month == day.month}
    assert f"http://readingroom.test/?community=sunzhuang&amp;course={course.id}" in page
    everything = html(client, f"/poster?community=sunzhuang&month={day:%Y-%m}")
    assert "孙庄的其他活动" in poster_titles(everything) - poster_titles(page)


@pytest.mark.parametrize("value", ["abc", "99999999999999999999", "424242"])
def test_a_poster_with_a_bad_course_says_so_by_the_field(client, world, course, value):
    page = html(client, f"/poster?community=sunzhuang&month=2026-07&course={value}")
    error = re.search(r'<p class="error" id="poster-course-error">([^<]*)</p>', page)
    assert error and "请从列表中选择一项。" in error.group(1)
    assert 'class="poster-grid"' not in page


def poster_titles(page: str) -> set[str]:
    return set(re.findall(r'<span class="poster-title">([^<]*)</span>', page))
