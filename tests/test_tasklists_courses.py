"""A task list that follows a course: lesson n's tasks in week n; a check-in at lesson n
ticks week n's visit task, even when a holiday moved the lesson a week later."""

from __future__ import annotations

from datetime import time, timedelta

from readingroom.extensions import db
from readingroom.schedule.course_operations import (
    CourseData,
    LessonData,
    RunData,
    add_lesson,
    save_course,
    schedule_course,
)
from readingroom.tasklists.course_tasks import follow_course, lesson_book
from readingroom.tasklists.models import TaskKind
from readingroom.tasklists.operations import tick_visit_for_check_in
from readingroom.timeutil import beijing_today

from .conftest import login
from .fixtures_tasklists import children_of


def _course(make, first):
    program = make.program()
    course = save_course(CourseData("暑期阅读课程", program, first, first + timedelta(weeks=6)))
    for topic, book in (
        ("爱的表达", "《猜猜我有多爱你》（麦克布雷尼）"),
        ("毛毛虫", "《好饿的毛毛虫》"),
    ):
        add_lesson(course, LessonData(topic=topic, suggested_books=book))
    db.session.commit()
    return course


def test_lesson_book_strips_brackets_and_author(make):
    course = _course(make, beijing_today())
    assert lesson_book(course.lessons[0]) == "猜猜我有多爱你"


def test_a_list_follows_the_lessons_and_a_check_in_ticks_the_lesson_week(make, family, lists):
    first = beijing_today() - timedelta(days=beijing_today().weekday())  # this Monday
    course = _course(make, first)
    room = make.room()
    holiday = first + timedelta(weeks=1)
    (run,) = schedule_course(course, [RunData(room, 0, time(9), time(10), 10)], [holiday])
    task_list = lists.task_list(room.community, starts_on=first, weeks=4, tasks=())
    tasks = follow_course(task_list, course)
    db.session.commit()
    assert [(t.week, t.kind) for t in tasks] == [
        (1, TaskKind.READ_TOGETHER),
        (1, TaskKind.RETELL),
        (1, TaskKind.VISIT),
        (2, TaskKind.READ_TOGETHER),
        (2, TaskKind.RETELL),
        (2, TaskKind.VISIT),
    ]
    assert tasks[3].book_title == "好饿的毛毛虫"
    household = family.household(room.community)
    child = children_of(household)[0]
    lesson_two = run.sessions[1]
    assert task_list.week_of(lesson_two.starts_at.date()) == 3  # a week late: the holiday
    (tick,) = tick_visit_for_check_in(child, lesson_two, room.community_id)
    assert tick.task.week == 2 and tick.task.kind is TaskKind.VISIT


def test_follow_course_page(client, make, lists):
    course = _course(make, beijing_today())
    task_list = lists.task_list(weeks=4, tasks=())
    login(client, make.admin())
    page = client.get(f"/staff/tasklists/{task_list.id}/follow-course")
    assert page.status_code == 200 and "暑期阅读课程" in page.get_data(as_text=True)
    bad = client.post(f"/staff/tasklists/{task_list.id}/follow-course", data={"course": "999"})
    assert "请从列表中选择" in bad.get_data(as_text=True)
    done = client.post(
        f"/staff/tasklists/{task_list.id}/follow-course", data={"course": str(course.id)}
    )
    assert done.status_code == 302
    db.session.refresh(task_list)
    assert task_list.course_id == course.id and len(task_list.tasks) == 6
    short = lists.task_list(weeks=1, tasks=())
    refused = client.post(
        f"/staff/tasklists/{short.id}/follow-course", data={"course": str(course.id)}
    )
    assert "只有 1 周" in refused.get_data(as_text=True)
