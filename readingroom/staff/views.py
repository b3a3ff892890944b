"""Staff login and logout."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.login import login_page, logout_to
from ..auth.permissions import is_staff
from ..extensions import limiter
from .forms import LoginForm
from .operations import staff_by_login

bp = Blueprint("auth", __name__, url_prefix="/staff")


def _login_limit() -> str:
    return current_app.config["STAFF_LOGIN_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if is_staff(current_user):
        return redirect(url_for("schedule.dashboard"))
    return login_page(
        LoginForm(next=request.args.get("next", "")),
        lambda form: staff_by_login(form.login.data),
        wrong=_("Login name or password is wrong."),
        template="staff/login.html",
        home="schedule.dashboard",
    )


@bp.post("/logout")
def logout():
    return logout_to("auth.login")
