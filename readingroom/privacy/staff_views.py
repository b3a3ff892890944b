"""Staff and families' personal data: find a household by its number, its page, the full
number on request (logged every time), password-reset links, and the reveal log.

Staff see the households of their own communities and those that signed up for
one of their sessions (:func:`.operations.households_visible_to`).
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from ..auth.permissions import can_manage, community_ids_of, require_community, staff_required
from ..extensions import db
from ..families.models import Household
from ..families.operations import create_reset_link
from ..formutil import ActionForm
from ..links import external_url
from ..notices.models import NoticeKind
from ..notices.operations import notify
from ..qr import qr_svg
from ..registrations.models import Registration
from ..registrations.queries import household_blocked_until
from ..schedule.models import ReadingSession
from ..security import database_id
from . import operations as ops
from .forms import HouseholdSearchForm
from .models import PhoneReveal

bp = Blueprint("privacy_staff", __name__, url_prefix="/staff")


# --- households ------------------------------------------------------------------------------


def _visible_households():
    return ops.households_visible_to(community_ids_of(current_user))


def _household(household_id: int) -> Household:
    household = db.session.scalars(
        _visible_households().where(Household.id == household_id)
    ).first()
    if household is None:
        if db.session.get(Household, household_id) is None:
            abort(404)
        abort(403)
    return household


def _home_household(household_id: int) -> Household:
    """A household whose home community is the staff member's (the administrator: any).

    Seeing a family that signed up for one's session is not enough to reveal its
    number or to issue a reset link for its account (403)."""
    h = _household(household_id)
    if not can_manage(current_user, h.community_id):
        abort(403)
    return h


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
    return render_template(
        "registrations/households.html", form=form, found=found, searched=searched
    )


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
        "registrations/household_staff.html",
        h=h,
        recent=recent,
        blocked_until=household_blocked_until(h.id),
        action=ActionForm(),
    )


@bp.post("/households/<int:household_id>/phone")
@staff_required
def reveal_phone(household_id: int):
    h = _home_household(household_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    session_id = request.form.get("session_id", type=database_id)
    if session_id is not None:
        require_community(db.get_or_404(ReadingSession, session_id).room.community_id)
    number = ops.reveal_phone(h, current_user.id, session_id=session_id)
    db.session.commit()
    back = (
        url_for("registrations_staff.roster", session_id=session_id)
        if session_id
        else url_for("privacy_staff.household", household_id=h.id)
    )
    response = render_template("privacy/phone.html", h=h, number=number, back=back)
    return response, 200, {"Cache-Control": "no-store"}


@bp.post("/households/<int:household_id>/reset-link")
@staff_required
def reset_link(household_id: int):
    h = _home_household(household_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    token = create_reset_link(h, current_user.id)  # recorded: who, when (PasswordReset)
    notify(h.id, NoticeKind.RESET_LINK_ISSUED, detail=current_user.name)
    db.session.commit()
    url = external_url("families.reset_password", token=token)
    return (
        render_template(
            "registrations/reset_link.html",
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
    return render_template("privacy/phone_reveals.html", reveals=db.session.scalars(stmt).all())
