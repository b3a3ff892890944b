"""Our data (PRODUCT.md "Privacy"): a family reads, downloads and deletes what is kept."""

from __future__ import annotations

import json

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import logout_user

from ..auth.permissions import current_household, household_required
from ..extensions import db, limiter
from ..families.ratelimit import failed_login, logged_in_account_key, login_limit_account
from ..notices.operations import notice_text
from ..timeutil import to_beijing, utcnow
from . import operations as our_data
from .forms import DeleteAccountForm

bp = Blueprint("privacy", __name__)


# --- our data: read, download, delete (PRODUCT.md "Privacy") ---------------------------------


@bp.get("/family/data")
@household_required
def my_data():
    data = our_data.household_data(current_household())
    return render_template("privacy/my_data.html", data=data, text=notice_text, now=utcnow())


@bp.get("/family/data.json")
@household_required
def my_data_json():
    now = utcnow()
    body = json.dumps(
        our_data.as_json(our_data.household_data(current_household()), now=now),
        ensure_ascii=False,
        indent=2,
    )
    response = current_app.response_class(body, mimetype="application/json")
    filename = f"binhe-family-data-{to_beijing(now):%Y-%m-%d}.json"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/family/delete", methods=["GET", "POST"])
@limiter.limit(
    login_limit_account,
    methods=["POST"],
    key_func=logged_in_account_key,
    deduct_when=failed_login,
    scope="family-login-account",
)
@household_required
def delete_account():
    household = current_household()
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if household.check_password(form.password.data):
            name = household.guardian_name
            our_data.delete_household(household.id)
            db.session.commit()
            logout_user()
            flash(
                _(
                    "Goodbye, %(name)s. Your family account and your personal data are "
                    "deleted; only anonymous counts stay.",
                    name=name,
                ),
                "success",
            )
            return redirect(url_for("calendars.index"))
        form.password.errors.append(_("The password is wrong. Nothing was deleted."))
    upcoming = our_data.upcoming_registrations(household.id)
    status = 422 if form.errors else 200
    return render_template("privacy/delete_account.html", form=form, upcoming=upcoming), status
