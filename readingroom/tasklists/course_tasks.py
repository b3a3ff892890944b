"""A task list that follows a course (课程): week n holds lesson n's tasks (read the
lesson's book together, retell it, come to the lesson), and checking in at lesson n
ticks week n's visit task (:func:`.operations.tick_visit_for_check_in`).
"""

from __future__ import annotations

import re

from flask_babel import gettext as _

from ..schedule.courses import Course, Lesson
from .models import Task, TaskKind, TaskList
from .operations import TaskData, add_task

_BOOK = re.compile(r"《([^》]+)》")


class CourseTasksError(Exception):
    """The list cannot follow this course; the message says why (translated)."""


def lesson_book(lesson: Lesson) -> str:
    """The first suggested book's title, without 《》 or author ("" when there is none)."""
    books = lesson.book_list
    if not books:
        return ""
    found = _BOOK.search(books[0])
    return (found.group(1) if found else books[0]).strip()[:120]


def lesson_tasks(lesson: Lesson) -> list[TaskData]:
    """The week's tasks for one lesson (pure). Task text is content, in Chinese whatever
    the staff's page language, as the lessons themselves are."""
    n, book = lesson.number, lesson_book(lesson)
    tasks = []
    if book:
        tasks.append(
            TaskData(
                title=f"和孩子一起读第{n}课的书",
                kind=TaskKind.READ_TOGETHER,
                week=n,
                book_title=book,
            )
        )
        tasks.append(
            TaskData(
                title=f"用自己的话讲一讲《{book}》"[:120],
                kind=TaskKind.RETELL,
                week=n,
            )
        )
    tasks.append(
        TaskData(
            title=f"到书房上第{n}课：{lesson.topic}"[:120],
            kind=TaskKind.VISIT,
            week=n,
            description="在课上签到后自动打勾。",
        )
    )
    return tasks


def follow_course(task_list: TaskList, course: Course) -> list[Task]:
    """Link the list to the course and add each lesson's tasks in its week."""
    if task_list.course_id is not None:
        raise CourseTasksError(_("This list already follows a course."))
    if len(course.lessons) > task_list.week_count:
        raise CourseTasksError(
            _(
                "The course has %(lessons)d lessons but the list only %(weeks)d weeks: "
                "make the list's period longer first.",
                lessons=len(course.lessons),
                weeks=task_list.week_count,
            )
        )
    task_list.course = course
    return [add_task(task_list, data) for lesson in course.lessons for data in lesson_tasks(lesson)]
