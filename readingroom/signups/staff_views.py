"""The staff side: roster (printable), walk-ins, check-in, no-shows, cancellation with a
reason, capacity, the logged "show number", households and password-reset links.

Staff see and change only sessions and households of their own communities.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from ..auth.permissions import community_ids_of, require_community, staff_required
from ..extensions import db
from ..qr import qr_svg
from ..schedule.models import ReadingSession
from ..timeutil import utcnow
from . import accounts
from . import operations as ops
from .forms import ActionForm, CapacityForm, HouseholdSearchForm, StaffCancelForm, WalkInForm
from .models import (
    Attendee,
    CancelledBy,
    Household,
    PhoneReveal,
    Registration,
    RegistrationStatus,
)
from .phones import mask_mobile

bp = Blueprint("signups_staff", __name__, url_prefix="/staff")


@bp.app_template_filter("masked")
def masked(mobile: str) -> str:
    return mask_mobile(mobile)


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
    return redirect(url_for("signups_staff.roster", session_id=session_id))


def _roster_page(s: ReadingSession, **forms):
    registrations = db.session.scalars(
        select(Registration)
        .where(Registration.session_id == s.id)
        .options(
            selectinload(Registration.attendees).selectinload(Attendee.member),
            selectinload(Registration.household),
        )
        .order_by(Registration.id)
    ).all()
    confirmed = [r for r in registrations if r.status is RegistrationStatus.CONFIRMED]
    waiting = [r for r in registrations if r.status is RegistrationStatus.WAITLISTED]
    cancelled = [r for r in registrations if r.status is RegistrationStatus.CANCELLED]
    taken = sum(r.seats for r in confirmed)
    forms.setdefault("walk_in", WalkInForm(prefix="walkin"))
    forms.setdefault("capacity", CapacityForm(prefix="cap", capacity=s.capacity))
    checked_in = sum(1 for r in confirmed for a in r.attendees if a.checked_in_at)
    now = utcnow()
    return render_template(
        "signups/roster.html",
        s=s,
        confirmed=confirmed,
        waiting=waiting,
        cancelled=cancelled,
        taken=taken,
        checked_in=checked_in,
        now=now,
        may_cancel=ops.cancel_open(s, CancelledBy.STAFF, now),
        may_mark_no_show=ops.no_show_open(s, now),
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
            ops.add_walk_in(
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
        "signups/staff_cancel.html", r=registration, s=registration.session, form=form
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
        url_for("signups_staff.roster", session_id=session_id) + (f"#{anchor}" if anchor else "")
    )


@bp.post("/attendees/<int:attendee_id>/check-in")
@staff_required
def check_in(attendee_id: int):
    attendee = _attendee(attendee_id)
    return _post_action(ops.check_in, attendee, attendee.registration.session_id, _("Checked in."))


@bp.post("/attendees/<int:attendee_id>/undo-check-in")
@staff_required
def undo_check_in(attendee_id: int):
    attendee = _attendee(attendee_id)
    return _post_action(
        ops.undo_check_in, attendee, attendee.registration.session_id, _("Check-in undone.")
    )


@bp.post("/registrations/<int:registration_id>/no-show")
@staff_required
def no_show(registration_id: int):
    registration = _registration(registration_id)
    return _post_action(
        ops.mark_no_show, registration, registration.session_id, _("Marked as no-show.")
    )


@bp.post("/registrations/<int:registration_id>/clear-no-show")
@staff_required
def clear_no_show(registration_id: int):
    registration = _registration(registration_id)
    return _post_action(
        ops.clear_no_show, registration, registration.session_id, _("No-show removed.")
    )


# --- households ------------------------------------------------------------------------------


def _visible_households():
    return accounts.households_visible_to(community_ids_of(current_user))


def _household(household_id: int) -> Household:
    household = db.session.scalars(
        _visible_households().where(Household.id == household_id)
    ).first()
    if household is None:
        if db.session.get(Household, household_id) is None:
            abort(404)
        abort(403)
    return household


@bp.get("/households")
@staff_required
def households():
    form = HouseholdSearchForm(request.args)
    found = None
    searched = "mobile" in request.args
    if searched and form.validate():
        found = db.session.scalars(
            _visible_households().where(Household.mobile == form.mobile.data)
        ).first()
    return render_template("signups/households.html", form=form, found=found, searched=searched)


@bp.get("/households/<int:household_id>")
@staff_required
def household(household_id: int):
    h = _household(household_id)
    recent = db.session.scalars(
        select(Registration)
        .where(Registration.household_id == h.id)
        .options(selectinload(Registration.session))
        .order_by(Registration.id.desc())
        .limit(20)
    ).all()
    return render_template(
        "signups/household_staff.html",
        h=h,
        recent=recent,
        blocked_until=ops.household_blocked_until(h.id),
        action=ActionForm(),
    )


@bp.post("/households/<int:household_id>/phone")
@staff_required
def reveal_phone(household_id: int):
    h = _household(household_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    session_id = request.form.get("session_id", type=int)
    if session_id is not None:
        _session(session_id)
    number = accounts.reveal_phone(h, current_user.id, session_id=session_id)
    db.session.commit()
    back = (
        url_for("signups_staff.roster", session_id=session_id)
        if session_id
        else url_for("signups_staff.household", household_id=h.id)
    )
    response = render_template("signups/phone.html", h=h, number=number, back=back)
    return response, 200, {"Cache-Control": "no-store"}


@bp.post("/households/<int:household_id>/reset-link")
@staff_required
def reset_link(household_id: int):
    h = _household(household_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    token = accounts.create_reset_link(h, current_user.id)
    db.session.commit()
    url = url_for("signups.reset_password", token=token, _external=True)
    return (
        render_template(
            "signups/reset_link.html",
            h=h,
            url=url,
            qr=qr_svg(url, label=_("Password reset link")),
        ),
        200,
        {"Cache-Control": "no-store"},
    )


@bp.get("/phone-reveals")
@staff_required
def phone_reveals():
    """Who looked at which family's full number, and when (the last 200)."""
    ids = community_ids_of(current_user)
    stmt = (
        select(PhoneReveal)
        .options(selectinload(PhoneReveal.staff), selectinload(PhoneReveal.household))
        .order_by(PhoneReveal.revealed_at.desc(), PhoneReveal.id.desc())
        .limit(200)
    )
    if ids is not None:
        stmt = stmt.join(Household, Household.id == PhoneReveal.household_id).where(
            or_(
                Household.community_id.in_(ids),
                PhoneReveal.staff_id == current_user.id,
            )
        )
    return render_template("signups/phone_reveals.html", reveals=db.session.scalars(stmt).all())
