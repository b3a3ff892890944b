"""Household screens: the lists that apply, ticking per child, reading log, print, certificate.

Access: a logged-in household sees a list when it is published, meant for
its home community and begun (``access.household_may_see``); a draft or an
unknown list is 404, another community's list is 403, another household's
child is 404. Ticks are states (done=1 / done=0), never toggles, so a reload
or a double tap cannot count twice.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ..auth.permissions import current_household, household_required
from ..extensions import db
from ..families.models import Member
from ..timeutil import beijing_today
from .access import household_may_see, lists_for_community
from .forms import LogForm, TickForm, clean_book_title
from .models import ReadingLogEntry, Task, TaskList, TaskTick
from .operations import (
    add_log_entry,
    delete_log_entry,
    set_tick,
)
from .presenting import render_printable, weeks_of
from .progress import Progress, completed_at, progress

bp = Blueprint("family_tasklists", __name__, url_prefix="/family/tasklists")


# --- loading with access checks --------------------------------------------------------------


def _load_list(list_id: int) -> TaskList:
    task_list = db.get_or_404(TaskList, list_id)
    if task_list.is_draft:
        abort(404)  # drafts do not exist outside the staff desk
    if not household_may_see(task_list, current_household().community_id, beijing_today()):
        abort(403)
    return task_list


def _children() -> list[Member]:
    return [m for m in current_household().members if m.is_child]


def _load_child(member_id: int) -> Member:
    member = db.session.get(Member, member_id)
    if (
        member is None
        or member.household_id != current_household().id
        or not member.is_child
        or member.removed_at is not None
    ):
        abort(404)
    return member


def _load_task(task_list: TaskList, task_id: int) -> Task:
    task = db.session.get(Task, task_id)
    if task is None or task.task_list_id != task_list.id or not task.is_counting:
        abort(404)
    return task


def _chosen_child(children: list[Member]) -> Member | None:
    wanted = request.args.get("child", type=int)
    if wanted is not None:
        return _load_child(wanted)
    return children[0] if children else None


def _ticks(task_list: TaskList, member_ids: list[int]) -> dict[int, dict[int, TaskTick]]:
    """member id -> task id -> tick, for the list's tasks (removed ones included)."""
    found: dict[int, dict[int, TaskTick]] = {m: {} for m in member_ids}
    if not member_ids:
        return found
    rows = db.session.scalars(
        select(TaskTick)
        .join(Task)
        .where(Task.task_list_id == task_list.id, TaskTick.member_id.in_(member_ids))
    )
    for tick in rows:
        found[tick.member_id][tick.task_id] = tick
    return found


def _progress_of(task_list: TaskList, child: Member) -> tuple[Progress, dict[int, TaskTick]]:
    ticks = _ticks(task_list, [child.id])[child.id]
    return progress(task_list, ticks.keys()), ticks


def _weeks(task_list: TaskList) -> list[tuple[int, str, list[Task]]]:
    """Only the weeks that have tasks (a family needs no empty headings)."""
    return [week for week in weeks_of(task_list) if week[2]]


def _tick_form(task: Task, *, formdata: Any = None, tick: TaskTick | None = None) -> TickForm:
    """The form of one task (prefixed, so that every task's fields have their own ids)."""
    form = TickForm(formdata=formdata, prefix=f"t{task.id}")
    if formdata is None and tick is not None:
        form.note.data, form.minutes.data = tick.note, tick.minutes
    return form


def _log_form(task_list: TaskList, *, formdata: Any = None) -> LogForm:
    form = LogForm(formdata=formdata, prefix="log")
    form.period = (task_list.starts_on, task_list.ends_on)
    form.today = beijing_today()
    if formdata is None:
        form.read_on.data = min(beijing_today(), task_list.ends_on)
    return form


def _show_context(
    task_list: TaskList,
    child: Member | None,
    *,
    log_form: LogForm | None = None,
    bad_tick: tuple[int, TickForm] | None = None,
) -> dict[str, Any]:
    """What the list page needs; a refused log entry or tick is shown with its errors."""
    context: dict[str, Any] = {
        "task_list": task_list,
        "children": _children(),
        "child": child,
        "weeks": _weeks(task_list),
        "community": current_household().community,
        "log_form": log_form or _log_form(task_list),
        "bad_tick": bad_tick,
        "tick_form": _tick_form,
        "today": beijing_today(),
    }
    if child is not None:
        prog, ticks = _progress_of(task_list, child)
        context["progress"], context["ticks"] = prog, ticks
        context["log"] = db.session.scalars(
            select(ReadingLogEntry)
            .where(
                ReadingLogEntry.task_list_id == task_list.id,
                ReadingLogEntry.member_id == child.id,
            )
            .order_by(ReadingLogEntry.read_on.desc(), ReadingLogEntry.id.desc())
        ).all()
    return context


def _back_to_list(task_list: TaskList, child: Member, anchor: str | None = None):
    return redirect(
        url_for("family_tasklists.show", list_id=task_list.id, child=child.id, _anchor=anchor)
    )


# --- pages -----------------------------------------------------------------------------------


@bp.get("/")
@household_required
def index():
    household = current_household()
    today = beijing_today()
    lists = db.session.scalars(lists_for_community(household.community_id, today)).all()
    children = _children()
    summary = {}
    for task_list in lists:
        ticks = _ticks(task_list, [c.id for c in children])
        summary[task_list.id] = [(c, progress(task_list, ticks[c.id].keys())) for c in children]
    return render_template(
        "tasklists/family_index.html",
        lists=lists,
        children=children,
        summary=summary,
        today=today,
    )


@bp.get("/<int:list_id>")
@household_required
def show(list_id: int):
    task_list = _load_list(list_id)
    child = _chosen_child(_children())
    return render_template("tasklists/family_list.html", **_show_context(task_list, child))


@bp.post("/<int:list_id>/children/<int:member_id>/tasks/<int:task_id>")
@household_required
def tick(list_id: int, member_id: int, task_id: int):
    """Tick or untick one task for one child; answers JSON to the page's script, else HTML."""
    task_list = _load_list(list_id)
    child = _load_child(member_id)
    task = _load_task(task_list, task_id)
    form = _tick_form(task, formdata=request.form)
    if not form.validate():
        if _wants_json():
            return jsonify(errors=form.errors), 400
        context = _show_context(task_list, child, bad_tick=(task.id, form))
        return render_template("tasklists/family_list.html", **context), 400
    set_tick(task, child, done=form.wants_done, details=form.details())
    db.session.commit()
    message = _tick_message(task, child, form.wants_done)
    if _wants_json():
        context = _show_context(task_list, child)
        return jsonify(
            task_id=task.id,
            done=form.wants_done,
            message=message,
            task_html=render_template("tasklists/_family_task.html", t=task, **context),
            progress_html=render_template("tasklists/_progress.html", **context),
        )
    flash(message, "success")
    return _back_to_list(task_list, child, f"task-{task.id}")


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _tick_message(task: Task, child: Member, done: bool) -> str:
    if done:
        return _("“%(task)s” done for %(name)s.", task=task.title, name=child.given_name)
    return _("“%(task)s” is no longer ticked for %(name)s.", task=task.title, name=child.given_name)


@bp.post("/<int:list_id>/children/<int:member_id>/log")
@household_required
def add_log(list_id: int, member_id: int):
    task_list = _load_list(list_id)
    child = _load_child(member_id)
    form = _log_form(task_list, formdata=request.form)
    if not form.validate():
        context = _show_context(task_list, child, log_form=form)
        return render_template("tasklists/family_list.html", **context), 400
    add_log_entry(
        task_list,
        child,
        title=clean_book_title(form.title.data),
        minutes=form.minutes.data,
        read_on=form.read_on.data,
    )
    db.session.commit()
    flash(_("Added to %(name)s's reading log.", name=child.given_name), "success")
    return _back_to_list(task_list, child, "log")


@bp.post("/<int:list_id>/log/<int:entry_id>/delete")
@household_required
def delete_log(list_id: int, entry_id: int):
    task_list = _load_list(list_id)
    entry = db.session.get(ReadingLogEntry, entry_id)
    if (
        entry is None
        or entry.household_id != current_household().id
        or entry.task_list_id != list_id
    ):
        abort(404)
    child = _load_child(entry.member_id)
    delete_log_entry(entry)
    db.session.commit()
    flash(_("Removed from the reading log."), "success")
    return _back_to_list(task_list, child, "log")


@bp.get("/<int:list_id>/print")
@household_required
def print_list(list_id: int):
    task_list = _load_list(list_id)
    child = _chosen_child(_children())
    ticked = _ticks(task_list, [child.id])[child.id] if child is not None else {}
    return render_printable(
        task_list,
        child=child,
        community=current_household().community,
        ticked=ticked.keys(),
        back_url=url_for(
            "family_tasklists.show", list_id=task_list.id, child=child.id if child else None
        ),
    )


@bp.get("/<int:list_id>/children/<int:member_id>/certificate")
@household_required
def certificate(list_id: int, member_id: int):
    task_list = _load_list(list_id)
    child = _load_child(member_id)
    prog, ticks = _progress_of(task_list, child)
    if not prog.complete:
        flash(
            _(
                "The certificate is ready when all tasks are done (%(done)d of %(total)d so far).",
                done=prog.done,
                total=prog.total,
            ),
            "info",
        )
        return _back_to_list(task_list, child)
    return render_template(
        "tasklists/certificate.html",
        task_list=task_list,
        child=child,
        community=current_household().community,
        progress=prog,
        completed_at=completed_at(task_list, {i: t.ticked_at for i, t in ticks.items()}),
    )
