"""Forgotten password: a 6-digit code by SMS (reset_codes.py), or how to get a link from staff.

``/family/forgot`` asks for the number and answers the same whether or not it
has an account; the code is sent after the response (so neither the answer nor
its timing tells). ``/family/forgot/code`` takes the code and the new password.
The number travels in the signed session cookie, not in the address.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ..extensions import db, limiter
from . import reset_codes
from .forms import ForgotPasswordForm, ResetCodeForm
from .phones import mask_mobile, normalise_mobile
from .ratelimit import address_key
from .signals import code_sender

bp = Blueprint("family_reset", __name__)

SESSION_KEY = "reset_mobile"


def _per_number_key() -> str:
    return "reset-code:" + (normalise_mobile(request.form.get("mobile")) or "-")


def _limit_per_number() -> str:
    return current_app.config["RESET_CODE_LIMIT_PER_NUMBER"]


def _limit_per_address() -> str:
    return current_app.config["RESET_CODE_LIMIT_PER_ADDRESS"]


def _check_limit() -> str:
    return current_app.config["RESET_CODE_CHECK_LIMIT"]


@bp.route("/family/forgot", methods=["GET", "POST"])
@limiter.limit(_limit_per_address, methods=["POST"], key_func=address_key, scope="reset-address")
@limiter.limit(_limit_per_number, methods=["POST"], key_func=_per_number_key, scope="reset-number")
def forgot():
    if getattr(current_user, "is_household", False):
        return redirect(url_for("families.home"))
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    send = code_sender(app)
    if send is None:
        return render_template("families/forgot.html", form=None)
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        issued = reset_codes.issue_code(form.mobile.data)
        db.session.commit()
        session[SESSION_KEY] = form.mobile.data
        if issued is not None:
            mobile, code = issued[0].mobile, issued[1]
            response = redirect(url_for("family_reset.enter_code"))
            response.call_on_close(lambda: _send_quietly(app, send, mobile, code))
            return response
        return redirect(url_for("family_reset.enter_code"))
    return render_template("families/forgot.html", form=form)


def _send_quietly(app, send, mobile: str, code: str) -> None:
    try:
        with app.test_request_context("/"):  # the SMS text in the default language
            send(mobile, code)
    except Exception:  # the family can ask again (rate-limited); never break a response
        app.logger.exception("reset code not sent")


@bp.route("/family/forgot/code", methods=["GET", "POST"])
@limiter.limit(_check_limit, methods=["POST"], key_func=address_key, scope="reset-check")
def enter_code():
    mobile = session.get(SESSION_KEY)
    if not mobile or code_sender(current_app._get_current_object()) is None:  # type: ignore[attr-defined]
        return redirect(url_for("family_reset.forgot"))
    form = ResetCodeForm()
    valid = form.validate_on_submit()
    # The password's problems are shown with the code's, not one after the other.
    if form.is_submitted() and form.password.data and not form.password.errors:
        valid = form.check_new_password(mobile=mobile) and valid
    if valid:
        reset = reset_codes.check_code(mobile, form.code.data)
        if reset is None:
            db.session.commit()  # the wrong try counts
            form.code.errors.append(
                _("This code is wrong or no longer valid. Check the SMS, or ask for a new code.")
            )
        else:
            household = reset_codes.use_code(reset, form.password.data)
            db.session.commit()
            session.pop(SESSION_KEY, None)
            logout_user()
            login_user(household)
            flash(_("Your new password is saved."), "success")
            return redirect(url_for("families.home"))
    return render_template("families/reset_code.html", form=form, masked=mask_mobile(mobile))
