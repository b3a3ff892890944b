"""The staff side of registrations: roster (printable), walk-ins, check-in, no-shows,
cancellation with a reason, capacity.

Staff see and change only sessions and households of their own communities.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..auth.permissions import require_community, staff_required
from ..extensions import db
from ..formutil import ActionForm
from ..schedule.models import ReadingSession
from ..timeutil import utcnow
from . import attendance, queries
from . import operations as ops
from .forms import CapacityForm, StaffCancelForm, WalkInForm
from .models import Attendee, CancelledBy, Registration

bp = Blueprint("registrations_staff", __name__, url_prefix="/staff")


def _session(session_id: int) -> ReadingSession:
    s = db.get_or_404(ReadingSession, session_id)
    require_community(s.room.community_id)
    return s


def _registration(registration_id: int) -> Registration:
    registration = db.get_or_404(Registration, registration_id)
    require_community(registration.session.room.community_id)
    return registration


def _attendee(attendee_id: int) -> Attendee:
    attendee = db.get_or_404(Attendee, attendee_id)
    require_community(attendee.registration.session.room.community_id)
    return attendee


def _to_roster(session_id: int):
    return redirect(url_for("registrations_staff.roster", session_id=session_id))


def _roster_page(s: ReadingSession, **forms):
    forms.setdefault("walk_in", WalkInForm(prefix="walkin"))
    forms.setdefault("capacity", CapacityForm(prefix="cap", capacity=s.capacity))
    return render_template(
        "registrations/roster.html",
        s=s,
        roster=queries.roster_of(s, utcnow()),
        action=ActionForm(),
        **forms,
    )


@bp.get("/sessions/<int:session_id>/roster")
@staff_required
def roster(session_id: int):
    return _roster_page(_session(session_id))


@bp.post("/sessions/<int:session_id>/walk-in")
@staff_required
def walk_in(session_id: int):
    s = _session(session_id)
    form = WalkInForm(prefix="walkin")
    if form.validate_on_submit():
        try:
            attendance.add_walk_in(
                s.id,
                name=form.name.data or "",
                adults=form.adults.data,
                children=form.children.data,
            )
        except ops.SignupError as exc:
            db.session.rollback()
            form.adults.errors = [*form.adults.errors, *exc.messages]
        else:
            db.session.commit()
            flash(_("Walk-in added and checked in."), "success")
            return _to_roster(session_id)
    return _roster_page(db.session.get(ReadingSession, session_id), walk_in=form), 422


@bp.post("/sessions/<int:session_id>/capacity")
@staff_required
def capacity(session_id: int):
    s = _session(session_id)
    form = CapacityForm(prefix="cap")
    if form.validate_on_submit():
        try:
            promoted = ops.change_capacity(s.id, form.capacity.data)
        except ops.SignupError as exc:
            db.session.rollback()
            form.capacity.errors = [*form.capacity.errors, *exc.messages]
        else:
            count = len(promoted)
            db.session.commit()
            flash(
                _(
                    "Capacity saved. %(count)d registration(s) moved up from the waiting list.",
                    count=count,
                ),
                "success",
            )
            return _to_roster(session_id)
    return _roster_page(db.session.get(ReadingSession, session_id), capacity=form), 422


@bp.route("/registrations/<int:registration_id>/cancel", methods=["GET", "POST"])
@staff_required
def cancel_registration(registration_id: int):
    registration = _registration(registration_id)
    form = StaffCancelForm()
    if form.validate_on_submit():
        session_id = registration.session_id
        try:
            ops.cancel_registration(registration.id, by=CancelledBy.STAFF, reason=form.reason.data)
        except ops.SignupError as exc:
            db.session.rollback()
            form.reason.errors = [*form.reason.errors, *exc.messages]
        else:
            db.session.commit()
            flash(_("Registration cancelled; the family is told."), "success")
            return _to_roster(session_id)
        registration = db.session.get(Registration, registration_id)
    return render_template(
        "registrations/staff_cancel.html", r=registration, s=registration.session, form=form
    )


def _post_action(func, obj, session_id: int, done: str):
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        func(obj)
    except ops.SignupError as exc:
        db.session.rollback()
        for message in exc.messages:
            flash(message, "error")
    else:
        db.session.commit()
        flash(done, "success")
    anchor = request.form.get("anchor", "")
    return redirect(
        url_for("registrations_staff.roster", session_id=session_id)
        + (f"#{anchor}" if anchor else "")
    )


@bp.post("/attendees/<int:attendee_id>/check-in")
@staff_required
def check_in(attendee_id: int):
    attendee = _attendee(attendee_id)
    return _post_action(
        attendance.check_in, attendee, attendee.registration.session_id, _("Checked in.")
    )


@bp.post("/attendees/<int:attendee_id>/undo-check-in")
@staff_required
def undo_check_in(attendee_id: int):
    attendee = _attendee(attendee_id)
    return _post_action(
        attendance.undo_check_in, attendee, attendee.registration.session_id, _("Check-in undone.")
    )


@bp.post("/registrations/<int:registration_id>/no-show")
@staff_required
def no_show(registration_id: int):
    registration = _registration(registration_id)
    return _post_action(
        attendance.mark_no_show, registration, registration.session_id, _("Marked as no-show.")
    )


@bp.post("/registrations/<int:registration_id>/clear-no-show")
@staff_required
def clear_no_show(registration_id: int):
    registration = _registration(registration_id)
    return _post_action(
        attendance.clear_no_show, registration, registration.session_id, _("No-show removed.")
    )
