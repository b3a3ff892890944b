"""Staff screens for task lists: list, create, edit, publish, archive, copy, tasks, print.

Each view: load (404), check access (403), validate the form, call one
operation, commit once, flash, redirect.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from ..auth.permissions import staff_required
from ..extensions import db
from ..i18n import localized
from ..places.operations import managed_communities
from ..schedule.models import Program
from ..timeutil import beijing_today, format_day
from .access import (
    can_edit,
    can_view,
    copy_audience,
    figure_scope,
    may_set_all_communities,
    visible_lists,
)
from .export import figures_csv, percent
from .figures import list_figures
from .forms import CopyForm, TaskForm, TaskListForm, clean_book_title
from .models import Task, TaskList
from .operations import (
    ListData,
    TaskData,
    TaskListError,
    add_task,
    archive_list,
    copy_list,
    create_list,
    move_task,
    publish_list,
    remove_task,
    restore_task,
    update_list,
    update_task,
)
from .presenting import (
    household_url,
    register_template_globals,
    render_printable,
    week_label,
    weeks_of,
)

bp = Blueprint("tasklists", __name__, url_prefix="/staff/tasklists")
bp.record_once(lambda state: register_template_globals(state.app))


# --- helpers ---------------------------------------------------------------------------------


def _load_list(list_id: int, *, edit: bool = False) -> TaskList:
    task_list = db.get_or_404(TaskList, list_id)
    if not can_view(current_user, task_list):
        abort(403)
    if edit and not can_edit(current_user, task_list):
        abort(403)
    return task_list


def _load_task(list_id: int, task_id: int) -> Task:
    task_list = _load_list(list_id, edit=True)
    task = db.get_or_404(Task, task_id)
    if task.task_list_id != task_list.id:
        abort(404)
    return task


def _list_form(task_list: TaskList | None = None) -> TaskListForm:
    form = TaskListForm(obj=task_list)
    programs = db.session.scalars(select(Program).order_by(Program.id)).all()
    form.program.choices = [
        SelectChoice(p.id, localized(p))
        for p in programs
        if p.active or (task_list is not None and p.id == task_list.program_id)
    ]
    form.communities.choices = [SelectChoice(c.id, localized(c)) for c in managed_communities()]
    if not may_set_all_communities(current_user):
        del form.all_communities
    if task_list is not None:
        form.min_weeks = task_list.highest_week
        if not form.is_submitted():
            form.program.data = task_list.program_id
            form.communities.data = [c.id for c in task_list.communities]
    return form


def _list_data(form: TaskListForm) -> ListData:
    everyone = "all_communities" in form and bool(form.all_communities.data)
    ids = set(form.communities.data or [])
    communities = () if everyone else tuple(c for c in managed_communities() if c.id in ids)
    return ListData(
        title=form.title.data.strip(),
        description=(form.description.data or "").strip(),
        program=db.session.get(Program, form.program.data),
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
        all_communities=everyone,
        communities=communities,
    )


def _task_form(task_list: TaskList, task: Task | None = None) -> TaskForm:
    form = TaskForm(obj=task)
    weeks = range(1, task_list.week_count + 1)
    form.week.choices = [SelectChoice(w, week_label(task_list, w)) for w in weeks]
    if task is None and not form.is_submitted():
        form.week.data = request.args.get("week", type=int) or 1
    return form


def _task_data(form: TaskForm) -> TaskData:
    return TaskData(
        title=form.title.data.strip(),
        kind=form.kind.data,
        week=form.week.data,
        description=(form.description.data or "").strip(),
        book_title=clean_book_title(form.book_title.data),
        book_author=(form.book_author.data or "").strip(),
        book_isbn=form.isbn,
    )


# --- lists -----------------------------------------------------------------------------------


@bp.get("/")
@staff_required
def index():
    lists = db.session.scalars(
        visible_lists(current_user).options(
            selectinload(TaskList.communities),
            selectinload(TaskList.program),
            selectinload(TaskList.tasks),
        )
    ).all()
    editable = {tl.id for tl in lists if can_edit(current_user, tl)}
    scope = figure_scope(current_user)
    totals = {tl.id: list_figures(tl, scope).total for tl in lists if not tl.is_draft}
    return render_template(
        "tasklists/index.html",
        lists=lists,
        editable=editable,
        totals=totals,
        percent=percent,
        today=beijing_today(),
    )


@bp.route("/new", methods=["GET", "POST"])
@staff_required
def create():
    form = _list_form()
    if form.validate_on_submit():
        task_list = create_list(_list_data(form), created_by=current_user)
        db.session.commit()
        flash(_("Task list “%(title)s” saved as a draft.", title=task_list.title), "success")
        return redirect(url_for("tasklists.detail", list_id=task_list.id))
    return render_template("tasklists/list_form.html", form=form, task_list=None)


@bp.get("/<int:list_id>")
@staff_required
def detail(list_id: int):
    task_list = _load_list(list_id)
    return render_template(
        "tasklists/detail.html",
        task_list=task_list,
        weeks=weeks_of(task_list),
        editable=can_edit(current_user, task_list),
        household_url=household_url(task_list),
    )


@bp.route("/<int:list_id>/edit", methods=["GET", "POST"])
@staff_required
def edit(list_id: int):
    task_list = _load_list(list_id, edit=True)
    form = _list_form(task_list)
    if form.validate_on_submit():
        update_list(task_list, _list_data(form))
        db.session.commit()
        flash(_("Task list “%(title)s” saved.", title=task_list.title), "success")
        return redirect(url_for("tasklists.detail", list_id=task_list.id))
    return render_template("tasklists/list_form.html", form=form, task_list=task_list)


@bp.post("/<int:list_id>/publish")
@staff_required
def publish(list_id: int):
    task_list = _load_list(list_id, edit=True)
    try:
        publish_list(task_list)
    except TaskListError:
        flash(_("Add at least one task before publishing."), "error")
        return redirect(url_for("tasklists.detail", list_id=task_list.id))
    db.session.commit()
    flash(
        _(
            "“%(title)s” is published: families see it from %(day)s.",
            title=task_list.title,
            day=format_day(task_list.starts_on),
        ),
        "success",
    )
    return redirect(url_for("tasklists.detail", list_id=task_list.id))


@bp.post("/<int:list_id>/archive")
@staff_required
def archive(list_id: int):
    task_list = _load_list(list_id, edit=True)
    archive_list(task_list)
    db.session.commit()
    flash(
        _(
            "“%(title)s” is archived: families no longer see it; ticks and figures stay.",
            title=task_list.title,
        ),
        "success",
    )
    return redirect(url_for("tasklists.detail", list_id=task_list.id))


@bp.route("/<int:list_id>/copy", methods=["GET", "POST"])
@staff_required
def copy(list_id: int):
    source = _load_list(list_id)
    everyone, communities = copy_audience(current_user, source, managed_communities())
    if not everyone and not communities:
        abort(403)
    form = CopyForm()
    form.min_weeks = source.highest_week
    if not form.is_submitted():
        form.fill_from(source)
    elif form.validate():
        task_list = copy_list(
            source,
            title=form.title.data.strip(),
            starts_on=form.starts_on.data,
            ends_on=form.ends_on.data,
            all_communities=everyone,
            communities=communities,
            created_by=current_user,
        )
        db.session.commit()
        flash(
            _(
                "Copied with %(count)d task(s), as a draft. Check it, then publish.",
                count=len(task_list.tasks),
            ),
            "success",
        )
        return redirect(url_for("tasklists.detail", list_id=task_list.id))
    return render_template(
        "tasklists/copy.html",
        form=form,
        source=source,
        communities=communities,
        everyone=everyone,
    )


@bp.get("/<int:list_id>/print")
@staff_required
def print_blank(list_id: int):
    """A blank copy to hand out in the book room: boxes to tick by hand, QR code."""
    task_list = _load_list(list_id)
    return render_printable(task_list, back_url=url_for("tasklists.detail", list_id=task_list.id))


@bp.get("/<int:list_id>/figures")
@staff_required
def figures(list_id: int):
    task_list = _load_list(list_id)
    scope = figure_scope(current_user)
    result = list_figures(task_list, scope)
    week_rows = result.week_rows()
    return render_template(
        "tasklists/figures.html",
        task_list=task_list,
        figures=result,
        week_rows=week_rows,
        week_labels={w: week_label(task_list, w) for w, _first, _last in result.weeks},
        busiest=max([minutes for _week, minutes, _per in week_rows] or [0]),
        percent=percent,
        scoped=scope is not None,
    )


@bp.get("/<int:list_id>/figures.csv")
@staff_required
def figures_export(list_id: int):
    task_list = _load_list(list_id)
    body = figures_csv(list_figures(task_list, figure_scope(current_user)))
    filename = f"tasklist-{task_list.id}-figures-{beijing_today().isoformat()}.csv"
    return Response(
        body.encode("utf-8"),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


# --- tasks -----------------------------------------------------------------------------------


@bp.route("/<int:list_id>/tasks/new", methods=["GET", "POST"])
@staff_required
def new_task(list_id: int):
    task_list = _load_list(list_id, edit=True)
    form = _task_form(task_list)
    if form.validate_on_submit():
        task = add_task(task_list, _task_data(form))
        db.session.commit()
        flash(_("Task “%(title)s” added.", title=task.title), "success")
        if request.form.get("again"):
            return redirect(url_for("tasklists.new_task", list_id=task_list.id, week=task.week))
        return redirect(
            url_for("tasklists.detail", list_id=task_list.id, _anchor=f"task-{task.id}")
        )
    return render_template("tasklists/task_form.html", form=form, task_list=task_list, task=None)


@bp.route("/<int:list_id>/tasks/<int:task_id>/edit", methods=["GET", "POST"])
@staff_required
def edit_task(list_id: int, task_id: int):
    task = _load_task(list_id, task_id)
    form = _task_form(task.task_list, task)
    if form.validate_on_submit():
        update_task(task, _task_data(form))
        db.session.commit()
        flash(_("Task “%(title)s” saved. Ticks already made stay.", title=task.title), "success")
        return redirect(url_for("tasklists.detail", list_id=list_id, _anchor=f"task-{task.id}"))
    return render_template(
        "tasklists/task_form.html", form=form, task_list=task.task_list, task=task
    )


@bp.post("/<int:list_id>/tasks/<int:task_id>/remove")
@staff_required
def remove(list_id: int, task_id: int):
    task = _load_task(list_id, task_id)
    remove_task(task)
    db.session.commit()
    flash(
        _("Task “%(title)s” removed. Its ticks are kept but no longer count.", title=task.title),
        "success",
    )
    return redirect(url_for("tasklists.detail", list_id=list_id, _anchor="removed"))


@bp.post("/<int:list_id>/tasks/<int:task_id>/restore")
@staff_required
def restore(list_id: int, task_id: int):
    task = _load_task(list_id, task_id)
    try:
        restore_task(task)
    except TaskListError:
        flash(_("This task's week is outside the period. Lengthen the period first."), "error")
        return redirect(url_for("tasklists.detail", list_id=list_id, _anchor="removed"))
    db.session.commit()
    flash(_("Task “%(title)s” restored.", title=task.title), "success")
    return redirect(url_for("tasklists.detail", list_id=list_id, _anchor=f"task-{task.id}"))


@bp.post("/<int:list_id>/tasks/<int:task_id>/move")
@staff_required
def move(list_id: int, task_id: int):
    task = _load_task(list_id, task_id)
    if not task.is_counting:
        abort(404)
    offset = {"up": -1, "down": 1}.get(request.form.get("direction", ""))
    if offset is None:
        abort(400)
    if move_task(task, offset):
        db.session.commit()
    return redirect(url_for("tasklists.detail", list_id=list_id, _anchor=f"task-{task.id}"))
