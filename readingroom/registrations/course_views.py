"""Courses as families see them (the syllabus, where and when, seats left, 报名整个课程)
and the staff course overview (each community's run side by side).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..auth.permissions import (
    community_ids_of,
    current_household,
    household_required,
    staff_required,
)
from ..extensions import db
from ..formutil import ActionForm
from ..schedule.courses import Course
from ..schedule.models import Series
from ..timeutil import utcnow
from .course_signup import (
    cancel_course,
    coming_sessions,
    course_figures,
    household_course_registrations,
    run_of_household,
    sign_up_for_course,
)
from .forms import SignupForm
from .occupancy import occupancy, seats_left
from .operations import SignupError
from .panel import signup_choices
from .queries import waitlist_position

bp = Blueprint("course_signups", __name__)


def _load_run(course_id: int, series_id: int) -> tuple[Course, Series]:
    course = db.get_or_404(Course, course_id)
    run = db.get_or_404(Series, series_id)
    if run.course_id != course.id:
        abort(404)
    return course, run


def _signup_form(run: Series, now) -> SignupForm | None:
    """The "who is coming" form for the whole course, for a logged-in household."""
    if not getattr(current_user, "is_household", False):
        return None
    coming = coming_sessions(run, now)
    if not coming:
        return None
    form = SignupForm()
    form.members.choices = signup_choices(current_household(), coming[0])
    return form


@bp.get("/courses/")
def index():
    today_courses = db.session.scalars(
        select(Course).where(Course.runs.any()).order_by(Course.first_date.desc())
    ).all()
    return render_template("courses/index.html", courses=today_courses)


@bp.get("/courses/<int:course_id>")
def course_page(course_id: int):
    course = db.get_or_404(Course, course_id)
    now = utcnow()
    seats = occupancy(s.id for run in course.runs for s in run.sessions)
    household = current_household() if getattr(current_user, "is_household", False) else None
    following = run_of_household(course, household.id) if household else None
    forms = {run.id: _signup_form(run, now) for run in course.runs}
    return render_template(
        "courses/course.html",
        course=course,
        seats=seats,
        seats_left=seats_left,
        coming={run.id: {s.id for s in coming_sessions(run, now)} for run in course.runs},
        forms=forms,
        following=following,
    )


@bp.post("/courses/<int:course_id>/runs/<int:series_id>/signup")
@household_required
def signup(course_id: int, series_id: int):
    course, run = _load_run(course_id, series_id)
    form = _signup_form(run, utcnow())
    if form is None:
        flash(_("This course has no coming sessions to sign up for here."), "error")
        return redirect(url_for("course_signups.course_page", course_id=course.id))
    if form.validate_on_submit():
        try:
            outcomes = sign_up_for_course(run, current_household().id, form.members.data)
        except SignupError as refused:
            db.session.rollback()
            form.members.errors = [*form.members.errors, *refused.messages]
        else:
            waiting = sum(1 for o in outcomes if o.state == "waitlisted")
            confirmed = sum(1 for o in outcomes if o.state == "confirmed")
            db.session.commit()
            flash(
                _(
                    "Signed up for the course: %(confirmed)d session(s) confirmed, "
                    "%(waiting)d on the waiting list.",
                    confirmed=confirmed,
                    waiting=waiting,
                ),
                "success",
            )
            return redirect(url_for("course_signups.mine", course_id=course.id, series_id=run.id))
    return render_template("courses/signup_problem.html", course=course, run=run, form=form)


@bp.get("/courses/<int:course_id>/runs/<int:series_id>/mine")
@household_required
def mine(course_id: int, series_id: int):
    """Which sessions of the course the family is confirmed for, and which it waits for."""
    course, run = _load_run(course_id, series_id)
    registrations = household_course_registrations(run, current_household().id)
    positions = {
        session_id: waitlist_position(r)
        for session_id, r in registrations.items()
        if r.is_waitlisted
    }
    return render_template(
        "courses/mine.html",
        course=course,
        run=run,
        registrations=registrations,
        positions=positions,
        now=utcnow(),
    )


@bp.route("/courses/<int:course_id>/runs/<int:series_id>/cancel", methods=["GET", "POST"])
@household_required
def cancel(course_id: int, series_id: int):
    """A confirmation page first (GET changes nothing), then every coming session at once."""
    course, run = _load_run(course_id, series_id)
    form = ActionForm()
    if not form.validate_on_submit():
        live = household_course_registrations(run, current_household().id)
        return render_template(
            "courses/cancel_confirm.html", course=course, run=run, form=form, count=len(live)
        )
    try:
        cancelled = cancel_course(run, current_household().id)
    except SignupError as refused:
        db.session.rollback()
        flash(refused.message, "error")
    else:
        db.session.commit()
        flash(
            _("Course cancelled: %(count)d session(s).", count=len(cancelled)),
            "success",
        )
    return redirect(url_for("course_signups.mine", course_id=course.id, series_id=run.id))


@bp.get("/staff/courses/<int:course_id>/overview")
@staff_required
def overview(course_id: int):
    """Each community's run side by side; staff of a community see their own runs only."""
    course = db.get_or_404(Course, course_id)
    ids = community_ids_of(current_user)
    runs = [r for r in course.runs if ids is None or r.room.community_id in ids]
    if ids is not None and course.community_id is not None and course.community_id not in ids:
        abort(403)  # another community's own course
    return render_template(
        "courses/overview.html",
        course=course,
        figures=course_figures(runs),
        scoped=ids is not None and len(runs) < len(course.runs),
    )
