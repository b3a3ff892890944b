"""Course rules: scheduling in several rooms at once, lesson edits, host clashes."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import func, select

from readingroom.extensions import db
from readingroom.schedule.clashes import Candidate, ClashKind, Severity, find_clashes
from readingroom.schedule.course_operations import (
    CourseData,
    CourseError,
    LessonData,
    RunData,
    add_lesson,
    course_sessions,
    lesson_dates,
    plan_course,
    save_course,
    schedule_course,
    update_lesson,
)
from readingroom.schedule.courses import Host, Partner
from readingroom.schedule.models import ReadingSession, Series
from readingroom.schedule.operations import ClashError
from readingroom.timeutil import to_beijing

from .conftest import at

# Saturdays from 18 July 2026; 1 August is a holiday; the course crosses into August.
FIRST, LAST = date(2026, 7, 13), date(2026, 8, 31)
HOLIDAY = date(2026, 8, 1)


def test_lesson_dates_skip_holidays_across_a_month_boundary():
    assert lesson_dates(5, FIRST, LAST, 4, [HOLIDAY]) == [
        date(2026, 7, 18),
        date(2026, 7, 25),
        date(2026, 8, 8),
        date(2026, 8, 15),
    ]


def test_lesson_dates_refuse_a_period_too_short():
    with pytest.raises(CourseError):
        lesson_dates(5, FIRST, date(2026, 7, 31), 4)


@pytest.fixture
def course(make):
    program = make.program()
    partner = Partner(name="新华书店", contact="0530-1234567")
    db.session.add(partner)
    course = save_course(
        CourseData(
            title="暑期阅读课程", program=program, first_date=FIRST, last_date=LAST, partner=partner
        )
    )
    for topic in ["猜猜我有多爱你", "好饿的毛毛虫", "大卫，不可以", "逃家小兔"]:
        add_lesson(course, LessonData(topic=topic, suggested_books=f"《{topic}》"))
    db.session.commit()
    return course


def _runs(rooms, hour=9):
    return [RunData(room, 5, time(hour, 30), time(hour + 1, 30), 12) for room in rooms]


def test_one_clashing_date_is_listed_and_nothing_is_saved(make, course):
    rooms = [make.room(), make.room(), make.room()]
    make.session(rooms[1], start=at(date(2026, 8, 8), 10), minutes=60, title="占用")
    plan = plan_course(course, _runs(rooms), [HOLIDAY])
    assert [len(run.blocking) for run in plan.runs] == [0, 1, 0]
    assert "占用" in plan.runs[1].blocking[0].message
    with pytest.raises(ClashError):
        schedule_course(course, _runs(rooms), [HOLIDAY])
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Series)) == 0
    assert db.session.scalar(select(func.count()).select_from(ReadingSession)) == 1


def test_three_rooms_get_three_series_with_the_right_lesson_on_each_date(make, course):
    rooms = [make.room(), make.room(), make.room()]
    series = schedule_course(course, _runs(rooms), [HOLIDAY])
    db.session.commit()
    assert [s.room for s in series] == rooms
    for run in series:
        assert run.course is course
        days = [(to_beijing(s.starts_at).date(), s.lesson.number) for s in run.sessions]
        assert days == [
            (date(2026, 7, 18), 1),
            (date(2026, 7, 25), 2),
            (date(2026, 8, 8), 3),
            (date(2026, 8, 15), 4),
        ]
        assert run.sessions[1].title == "暑期阅读课程 第2课：好饿的毛毛虫"
        assert run.sessions[1].suggested_books == "《好饿的毛毛虫》"
    assert len(course_sessions(course)) == 12


def test_a_lesson_edit_changes_every_community_and_bumps_sequence(make, course):
    rooms = [make.room(), make.room(), make.room()]
    schedule_course(course, _runs(rooms))
    db.session.commit()
    lesson = course.lessons[1]
    before = {s.id: s.sequence for s in course_sessions(course)}
    changed = update_lesson(
        lesson,
        LessonData(topic="好饿的毛毛虫", suggested_books="《好饿的毛毛虫》\n《爷爷一定有办法》"),
    )
    db.session.commit()
    assert len(changed) == 3
    assert {s.room_id for s in changed} == {r.id for r in rooms}
    for s in course_sessions(course):
        if s.lesson_id == lesson.id:
            assert s.sequence == before[s.id] + 1
            assert "爷爷一定有办法" in s.suggested_books
        else:
            assert s.sequence == before[s.id]


def test_a_host_person_clashes_across_communities_whatever_the_name(make):
    storyteller = Host(name="张帆", partner=Partner(name="新华书店"))
    db.session.add(storyteller)
    db.session.commit()
    elsewhere = make.room()
    make.session(
        elsewhere, start=at(date(2026, 7, 18), 9), minutes=90, host="张老师", host_id=storyteller.id
    )
    room = make.room()  # another community
    candidate = Candidate(
        room=room,
        starts_at=at(date(2026, 7, 18), 10),
        ends_at=at(date(2026, 7, 18), 11),
        capacity=10,
        host="新华书店 张帆",
        host_id=storyteller.id,
    )
    clashes = find_clashes([candidate])
    assert [(c.kind, c.severity) for c in clashes] == [(ClashKind.HOST, Severity.WARN)]
    assert elsewhere.name in clashes[0].message


def test_one_host_in_two_rooms_of_the_same_plan_is_warned_in_both(make, course):
    storyteller = Host(name="张帆", partner=course.partner)
    db.session.add(storyteller)
    course.lessons[0].host = storyteller
    db.session.commit()
    rooms = [make.room(), make.room()]
    plan = plan_course(course, _runs(rooms))
    host_warnings = [[c for c in run.clashes if c.kind is ClashKind.HOST] for run in plan.runs]
    assert [len(w) for w in host_warnings] == [1, 1]
    assert rooms[1].name in host_warnings[0][0].message
    assert plan.can_save  # a warning, not a block


def test_the_same_room_twice_blocks(make, course):
    room = make.room()
    plan = plan_course(course, _runs([room, room]))
    assert plan.blocking and not plan.can_save


def test_editing_a_run_from_a_lesson_on_keeps_lessons_weeks_and_the_course(make, course):
    from dataclasses import replace

    from readingroom.schedule.operations import series_data, update_series_from

    room = make.room()
    (run,) = schedule_course(course, _runs([room]), [HOLIDAY])
    db.session.commit()
    second = run.sessions[1]
    from_day = to_beijing(second.starts_at).date()
    data = replace(series_data(run), start_time=time(14, 0), end_time=time(15, 0), title="改名")
    first_date = run.first_date
    target = update_series_from(run, from_day, data, removed_reason="")
    db.session.commit()
    # not split: still one run of the course, from its first lesson
    assert target is run and course.runs == [run] and run.first_date == first_date
    assert [s.id for s in run.sessions] == [s.id for s in course_sessions(course)]
    sessions = course_sessions(course)
    assert len(sessions) == 4  # no session on the holiday week
    assert HOLIDAY not in {to_beijing(s.starts_at).date() for s in sessions}
    assert [s.lesson.number for s in sessions] == [1, 2, 3, 4]
    assert [to_beijing(s.starts_at).hour for s in sessions] == [9, 14, 14, 14]
    assert sessions[1].title == "暑期阅读课程 第2课：好饿的毛毛虫"
