"""Staff screens for courses: the list, a course and its lessons, hosts and partners,
and the one form that schedules a course in several book rooms at once.

Who may do what: the administrator everything; community staff create courses
for their own communities, edit those, see the subdistrict's courses, and
schedule any course they see in their own book rooms. A session of a course
is moved or cancelled on its own, from the ordinary session screens.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from ..auth.permissions import community_ids_of, scope_to_user, staff_required
from ..domain import DomainError
from ..extensions import db
from ..formutil import with_none
from ..i18n import localized
from ..places.models import Community, Room
from ..places.operations import managed_communities
from .course_access import courses_visible_to, hosts_visible_to, may_edit_course, may_see_course
from .course_forms import (
    CourseForm,
    HostForm,
    LessonForm,
    PartnerForm,
    ScheduleCourseForm,
    parse_holidays,
)
from .course_operations import (
    CourseData,
    CourseError,
    LessonData,
    RunData,
    add_host,
    add_lesson,
    add_partner,
    plan_course,
    save_course,
    schedule_course,
    update_lesson,
)
from .courses import Course, Host, Lesson, Partner
from .models import Program

bp = Blueprint("courses", __name__, url_prefix="/staff/courses")


# --- access ----------------------------------------------------------------------------------


def can_edit(course: Course) -> bool:
    return may_edit_course(community_ids_of(current_user), course)


def _load(course_id: int, *, edit: bool = False) -> Course:
    course = db.get_or_404(Course, course_id)
    if not may_see_course(community_ids_of(current_user), course):
        abort(403)
    if edit and not can_edit(course):
        abort(403)
    return course


# --- choices ---------------------------------------------------------------------------------


def _hosts() -> list[Host]:
    """Hosts of every partner and of the user's communities."""
    return list(db.session.scalars(hosts_visible_to(community_ids_of(current_user))))


def _host_choices() -> list[Any]:
    return with_none([SelectChoice(h.id, h.label) for h in _hosts()])


def _course_choices(form: CourseForm) -> None:
    programs = db.session.scalars(select(Program).where(Program.active).order_by(Program.id))
    form.program.choices = [SelectChoice(p.id, localized(p)) for p in programs]
    partners = db.session.scalars(select(Partner).order_by(Partner.name))
    form.partner.choices = with_none([SelectChoice(p.id, p.name) for p in partners])


def _my_rooms() -> list[Room]:
    stmt = select(Room).where(Room.active).order_by(Room.community_id, Room.id)
    return list(db.session.scalars(scope_to_user(stmt, Room.community_id)))


# --- pages -----------------------------------------------------------------------------------


@bp.get("/")
@staff_required
def index():
    courses = db.session.scalars(courses_visible_to(community_ids_of(current_user))).all()
    return render_template("schedule/courses.html", courses=courses, can_edit=can_edit)


def _course_data(form: CourseForm) -> CourseData:
    return CourseData(
        title=form.title.data.strip(),
        program=db.session.get(Program, form.program.data),
        partner=db.session.get(Partner, form.partner.data) if form.partner.data else None,
        first_date=form.first_date.data,
        last_date=form.last_date.data,
        description=(form.description.data or "").strip(),
    )


def _owner_choices(form: CourseForm) -> None:
    """The administrator's courses may be the subdistrict's; staff's belong to a community."""
    choices = [SelectChoice(c.id, localized(c)) for c in managed_communities()]
    if community_ids_of(current_user) is None:
        choices = with_none(choices, _("The whole subdistrict"))
    form.owner.choices = choices


@bp.route("/new", methods=["GET", "POST"])
@staff_required
def create():
    form = CourseForm()
    _course_choices(form)
    _owner_choices(form)
    if not form.is_submitted() and community_ids_of(current_user) is not None:
        form.owner.data = form.owner.choices[0].value if form.owner.choices else None
    if form.is_submitted() and community_ids_of(current_user) is not None and not form.owner.data:
        form.owner.data = -1  # staff must choose one of their communities
    if form.validate_on_submit():
        course = save_course(_course_data(form), community_id=form.owner.data)
        db.session.commit()
        flash(_("Course “%(title)s” saved. Now add its lessons.", title=course.title), "success")
        return redirect(url_for("courses.detail", course_id=course.id))
    return render_template("schedule/course_form.html", form=form, course=None)


@bp.route("/<int:course_id>/edit", methods=["GET", "POST"])
@staff_required
def edit(course_id: int):
    course = _load(course_id, edit=True)
    form = CourseForm(obj=course)
    _course_choices(form)
    del form.owner  # who owns a course does not change
    if not form.is_submitted():
        form.program.data, form.partner.data = course.program_id, course.partner_id
    if form.validate_on_submit():
        try:
            save_course(_course_data(form), course)
        except DomainError as error:
            form.last_date.errors = [*form.last_date.errors, *error.messages]
        else:
            db.session.commit()
            flash(_("Course “%(title)s” saved.", title=course.title), "success")
            return redirect(url_for("courses.detail", course_id=course.id))
    return render_template("schedule/course_form.html", form=form, course=course)


@bp.get("/<int:course_id>")
@staff_required
def detail(course_id: int):
    course = _load(course_id)
    ids = community_ids_of(current_user)
    runs = [r for r in course.runs if ids is None or r.room.community_id in ids]
    return render_template(
        "schedule/course_detail.html",
        course=course,
        runs=runs,
        other_runs=[r for r in course.runs if r not in runs],
        editable=can_edit(course),
    )


def _lesson_data(form: LessonForm) -> LessonData:
    return LessonData(
        topic=form.topic.data,
        description=form.description.data or "",
        suggested_books=form.suggested_books.data or "",
        materials=form.materials.data or "",
        host=db.session.get(Host, form.host.data) if form.host.data else None,
    )


@bp.route("/<int:course_id>/lessons/new", methods=["GET", "POST"])
@staff_required
def add_lesson_view(course_id: int):
    course = _load(course_id, edit=True)
    form = LessonForm()
    form.host.choices = _host_choices()
    if form.validate_on_submit():
        lesson = add_lesson(course, _lesson_data(form))
        db.session.commit()
        flash(_("Lesson %(number)d saved.", number=lesson.number), "success")
        return redirect(url_for("courses.detail", course_id=course.id))
    return render_template("schedule/lesson_form.html", form=form, course=course, lesson=None)


@bp.route("/lessons/<int:lesson_id>/edit", methods=["GET", "POST"])
@staff_required
def edit_lesson(lesson_id: int):
    lesson = db.get_or_404(Lesson, lesson_id)
    course = _load(lesson.course_id, edit=True)
    form = LessonForm(obj=lesson)
    form.host.choices = _host_choices()
    if not form.is_submitted():
        form.host.data = lesson.host_id
    if form.validate_on_submit():
        changed = update_lesson(lesson, _lesson_data(form))
        db.session.commit()
        flash(
            _(
                "Lesson %(number)d saved; %(count)d session(s) in every community show it now.",
                number=lesson.number,
                count=len(changed),
            ),
            "success",
        )
        return redirect(url_for("courses.detail", course_id=course.id))
    return render_template("schedule/lesson_form.html", form=form, course=course, lesson=lesson)


def _runs(form: ScheduleCourseForm) -> list[RunData]:
    chosen = form.chosen()
    first = chosen[0].form
    runs = []
    for entry in chosen:
        f = entry.form
        host = db.session.get(Host, f.host.data) if f.host.data else None
        runs.append(
            RunData(
                room=entry.room,
                weekday=f.weekday.data if f.weekday.data is not None else first.weekday.data,
                start_time=f.start_time.data or first.start_time.data,
                end_time=f.end_time.data or first.end_time.data,
                capacity=f.capacity.data or first.capacity.data or entry.room.seats,
                host=host,
            )
        )
    return runs


@bp.route("/<int:course_id>/schedule", methods=["GET", "POST"])
@staff_required
def schedule(course_id: int):
    course = _load(course_id)
    form = ScheduleCourseForm()
    form.set_rooms(_my_rooms(), _host_choices(), capacity=16)
    plan = None
    error = None
    if form.validate_on_submit():
        runs = _runs(form)
        holidays, _bad = parse_holidays(form.holidays.data)
        try:
            plan = plan_course(course, runs, holidays)
        except DomainError as refused:
            error = refused.message
        if plan is not None and not plan.problems and form.may_save(plan.clashes):
            series = schedule_course(course, runs, holidays)
            db.session.commit()
            flash(
                _(
                    "“%(title)s” scheduled in %(rooms)d book room(s), %(count)d sessions.",
                    title=course.title,
                    rooms=len(series),
                    count=sum(len(s.sessions) for s in series),
                ),
                "success",
            )
            return redirect(url_for("courses.detail", course_id=course.id))
    return render_template(
        "schedule/course_schedule.html", form=form, course=course, plan=plan, error=error
    )


@bp.route("/hosts", methods=["GET", "POST"])
@staff_required
def hosts():
    """Hosts and partners: hosts are people, so clashes find them in any community."""
    form = HostForm(prefix="host")
    partner_form = PartnerForm(prefix="partner")
    partners = db.session.scalars(select(Partner).order_by(Partner.name)).all()
    communities: list[Community] = managed_communities()
    form.belongs_to.choices = [(f"p:{p.id}", p.name) for p in partners] + [
        (f"c:{c.id}", localized(c)) for c in communities
    ]
    is_admin = community_ids_of(current_user) is None
    if "partner-name" in request.form and partner_form.validate_on_submit():
        if not is_admin:
            abort(403)  # partners are the subdistrict's
        try:
            add_partner(partner_form.name.data, partner_form.contact.data)
        except CourseError as exc:
            partner_form.name.errors = [*partner_form.name.errors, *exc.messages]
        else:
            db.session.commit()
            flash(_("Partner saved."), "success")
            return redirect(url_for("courses.hosts"))
    elif "host-name" in request.form and form.validate_on_submit():
        kind, ident = form.owner()
        owner = {"partner_id": ident} if kind == "p" else {"community_id": ident}
        add_host(form.name.data, **owner)
        db.session.commit()
        flash(_("Host saved."), "success")
        return redirect(url_for("courses.hosts"))
    return render_template(
        "schedule/hosts.html",
        form=form,
        partner_form=partner_form,
        hosts=_hosts(),
        partners=partners,
        is_admin=is_admin,
    )
