"""The subdistrict administrator's screens for staff accounts."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from ..auth.permissions import admin_required
from ..extensions import db
from ..i18n import localized
from ..places.models import Community
from .forms import StaffUserForm
from .models import Role, StaffUser
from .operations import all_staff, create_staff, update_staff

bp = Blueprint("staff_admin", __name__, url_prefix="/staff/users")


def _form(user: StaffUser | None = None) -> StaffUserForm:
    form = StaffUserForm(obj=user, user_id=user.id if user else None)
    communities = db.session.scalars(select(Community).order_by(Community.id))
    form.communities.choices = [SelectChoice(c.id, localized(c)) for c in communities]
    if user is not None and not form.is_submitted():
        form.role.data = user.role.value
        form.communities.data = [c.id for c in user.communities]
    return form


def _values(form: StaffUserForm) -> dict:
    chosen = form.communities.data or []
    communities = db.session.scalars(select(Community).where(Community.id.in_(chosen))).all()
    return {
        "login": form.login.data,
        "name": form.name.data,
        "role": Role(form.role.data),
        "communities": communities,
    }


@bp.get("/")
@admin_required
def index():
    return render_template("staff/staff_list.html", users=all_staff())


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def create():
    form = _form()
    if form.validate_on_submit():
        values = _values(form)
        user = create_staff(
            values["login"],
            values["name"],
            form.password.data,
            role=values["role"],
            communities=values["communities"] if values["role"] is Role.STAFF else [],
        )
        user.active = form.active.data
        db.session.commit()
        flash(_("Staff account %(login)s created.", login=user.login), "success")
        return redirect(url_for("staff_admin.index"))
    form.password.label.text = _("Password")  # nothing to keep: not "new password"
    return render_template("staff/staff_form.html", form=form, user=None)


@bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
@admin_required
def edit(user_id: int):
    user = db.get_or_404(StaffUser, user_id)
    form = _form(user)
    if form.validate_on_submit():
        values = _values(form)
        if user.id == current_user.id and (
            values["role"] is not Role.ADMIN or not form.active.data
        ):
            form.role.errors = [
                *form.role.errors,
                _("You cannot remove your own administrator access."),
            ]
        else:
            update_staff(
                user, active=form.active.data, password=form.password.data or None, **values
            )
            db.session.commit()
            flash(_("Staff account %(login)s saved.", login=user.login), "success")
            return redirect(url_for("staff_admin.index"))
    return render_template("staff/staff_form.html", form=form, user=user)
