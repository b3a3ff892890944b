"""Staff: let a task list follow a course (its weekly tasks from the lessons)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from ..auth.permissions import community_ids_of, staff_required
from ..extensions import db
from ..schedule.course_access import courses_visible_to
from ..schedule.courses import Course
from .access import can_edit, can_view
from .course_tasks import CourseTasksError, follow_course
from .forms import FollowCourseForm
from .models import TaskList

bp = Blueprint("tasklist_courses", __name__, url_prefix="/staff/tasklists")


def _courses() -> list[Course]:
    return list(db.session.scalars(courses_visible_to(community_ids_of(current_user))))


@bp.route("/<int:list_id>/follow-course", methods=["GET", "POST"])
@staff_required
def follow(list_id: int):
    task_list = db.get_or_404(TaskList, list_id)
    if not can_view(current_user, task_list) or not can_edit(current_user, task_list):
        abort(403)
    form = FollowCourseForm()
    form.course.choices = [SelectChoice(c.id, c.title) for c in _courses()]
    if form.validate_on_submit():
        course = db.session.get(Course, form.course.data)
        try:
            tasks = follow_course(task_list, course)
        except CourseTasksError as refused:
            form.course.errors = [*form.course.errors, str(refused)]
        else:
            db.session.commit()
            flash(
                _(
                    "The list follows “%(course)s” now: %(count)d tasks added.",
                    course=course.title,
                    count=len(tasks),
                ),
                "success",
            )
            return redirect(url_for("tasklists.detail", list_id=task_list.id))
    return render_template("tasklists/follow_course.html", task_list=task_list, form=form)
