"""The family side: account, members, sign-up, my sessions, cancellation, notices, feed.

Each view: load (404), check access (404 for another family's things), validate
the form, call one operation, commit once, flash, redirect. GET never changes
anything; cancelling by link opens a confirmation page and cancels on POST.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from wtforms import SelectChoice

from ..calendars.feeds import webcal_url
from ..extensions import db, limiter, login_manager
from ..i18n import localized
from ..places.models import Community
from ..schedule.models import ReadingSession
from ..security import safe_next_url
from ..timeutil import to_beijing, utcnow
from . import accounts, notices
from . import operations as ops
from . import privacy as our_data
from .cli import register_commands
from .forms import (
    ActionForm,
    AdultForm,
    ChildForm,
    ConsentForm,
    DeleteAccountForm,
    LoginForm,
    RegisterForm,
    ResetPasswordForm,
    SignupForm,
)
from .models import (
    AdultRole,
    CancelledBy,
    Household,
    Member,
    MemberKind,
    Notice,
    Registration,
)
from .panel import my_registrations, panel_for, public_session_url, signup_choices
from .ratelimit import account_key, address_key, failed_login, logged_in_account_key

bp = Blueprint("signups", __name__)
F = TypeVar("F", bound=Callable[..., Any])
register_commands(bp)


@bp.record_once
def _setup(state) -> None:
    app = state.app
    login_manager.blueprint_login_views["signups"] = "signups.login"
    app.jinja_env.globals["signup_panel"] = panel_for
    app.jinja_env.globals["public_session_url"] = public_session_url
    app.after_request(notices.deliver_after_response)


def household_required(view: F) -> F:
    """A logged-in family; staff get 403 (one login at a time)."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not getattr(current_user, "is_household", False):
            abort(403)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def _household() -> Household:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def _own_registration(registration_id: int) -> Registration:
    """Another family's registration is "not found" (its existence is not revealed)."""
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.household_id != current_user.id:
        abort(404)
    return registration


def _own_member(member_id: int) -> Member:
    member = db.session.get(Member, member_id)
    if member is None or member.household_id != current_user.id or member.removed_at:
        abort(404)
    return member


def _communities() -> list[SelectChoice]:
    communities = db.session.scalars(select(Community).order_by(Community.id))
    return [SelectChoice(c.id, localized(c)) for c in communities]


# --- account ---------------------------------------------------------------------------------


def _register_limit() -> str:
    return current_app.config["HOUSEHOLD_REGISTER_LIMIT"]


@bp.route("/family/register", methods=["GET", "POST"])
@limiter.limit(_register_limit, methods=["POST"], key_func=address_key)
def register():
    if current_user.is_authenticated:
        return redirect(url_for("signups.home"))
    form = RegisterForm(next=request.args.get("next", ""))
    form.community.choices = _communities()
    if form.validate_on_submit():
        try:
            household = accounts.register_household(
                guardian_name=form.guardian_name.data,
                mobile=form.mobile.data,
                password=form.password.data,
                community=db.session.get(Community, form.community.data),
                consent=form.consent.data,
            )
            db.session.commit()
        except (accounts.AccountError, IntegrityError):
            # Two sign-ups with one number in the same moment: the unique index decides.
            db.session.rollback()
            form.mobile.errors.append(
                _("This number already has a family account. Log in, or ask the staff.")
            )
        else:
            login_user(household)
            flash(_("Welcome, %(name)s. Now add the people of your family.", name=household.name))
            return redirect(url_for("signups.home", next=safe_next_url(request.args.get("next"))))
    return render_template("signups/register.html", form=form)


def _login_limit_address() -> str:
    return current_app.config["HOUSEHOLD_LOGIN_LIMIT_PER_ADDRESS"]


def _login_limit_account() -> str:
    return current_app.config["HOUSEHOLD_LOGIN_LIMIT_PER_ACCOUNT"]


@bp.route("/family/login", methods=["GET", "POST"])
@limiter.limit(
    _login_limit_address, methods=["POST"], key_func=address_key, scope="family-login-address"
)
@limiter.limit(
    _login_limit_account,
    methods=["POST"],
    key_func=account_key,
    deduct_when=failed_login,
    scope="family-login-account",
)
def login():
    if getattr(current_user, "is_household", False):
        return redirect(url_for("signups.home"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        household = accounts.authenticate(form.mobile.data, form.password.data)
        if household is None:
            form.password.errors.append(_("Mobile number or password is wrong."))
        else:
            login_user(household)
            flash(_("Welcome, %(name)s.", name=household.name), "success")
            return redirect(safe_next_url(form.next.data) or url_for("signups.home"))
    return render_template("signups/login.html", form=form)


@bp.post("/family/logout")
def logout():
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("signups.login"))


@bp.get("/family/privacy")
def privacy():
    return render_template("signups/privacy.html")


@bp.get("/family/")
@household_required
def home():
    household = _household()
    unread = db.session.scalar(
        select(func.count(Notice.id)).where(
            Notice.household_id == household.id, Notice.read_at.is_(None)
        )
    )
    next_url = safe_next_url(request.args.get("next"))
    return render_template(
        "signups/home.html",
        household=household,
        unread=unread or 0,
        next_url=next_url,
        action=ActionForm(),
    )


@bp.route("/family/consent", methods=["GET", "POST"])
@household_required
def consent():
    household = _household()
    form = ConsentForm()
    if form.validate_on_submit():
        accounts.give_consent(household)
        db.session.commit()
        flash(_("Thank you. You can now add your children."), "success")
        return redirect(
            safe_next_url(request.args.get("next")) or url_for("signups.add_member", kind="child")
        )
    return render_template("signups/consent.html", form=form)


@bp.route("/family/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    reset = accounts.find_reset(token)
    if reset is None:
        abort(404)
    form = ResetPasswordForm()
    if form.validate_on_submit() and form.check_new_password(mobile=reset.household.mobile):
        household = accounts.use_reset(reset, form.password.data)
        db.session.commit()
        logout_user()
        login_user(household)
        flash(_("Your new password is saved."), "success")
        return redirect(url_for("signups.home"))
    return render_template("signups/reset.html", form=form, household=reset.household)


# --- members ---------------------------------------------------------------------------------


def _member_data(form: ChildForm | AdultForm, kind: MemberKind) -> accounts.MemberData:
    return accounts.MemberData(
        kind=kind,
        given_name=form.given_name.data,
        birth_year=form.birth_year.data,
        birth_month=form.birth_month.data,
        role=AdultRole(form.role.data) if kind is MemberKind.ADULT else None,
    )


@bp.route("/family/members/new/<kind>", methods=["GET", "POST"])
@household_required
def add_member(kind: str):
    household = _household()
    try:
        member_kind = MemberKind(kind)
    except ValueError:
        abort(404)
    if member_kind is MemberKind.CHILD and not household.has_consent:
        return redirect(url_for("signups.consent", next=request.full_path))
    form = ChildForm() if member_kind is MemberKind.CHILD else AdultForm()
    if form.validate_on_submit():
        member = accounts.add_member(household, _member_data(form, member_kind))
        db.session.commit()
        flash(_("%(name)s is added.", name=member.given_name), "success")
        # Back to the family page (to add more people); it leads on to where they came from.
        return redirect(url_for("signups.home", next=safe_next_url(request.args.get("next"))))
    return render_template("signups/member_form.html", form=form, kind=member_kind, member=None)


@bp.route("/family/members/<int:member_id>/edit", methods=["GET", "POST"])
@household_required
def edit_member(member_id: int):
    member = _own_member(member_id)
    form = ChildForm(obj=member) if member.is_child else AdultForm(obj=member)
    if not form.is_submitted() and not member.is_child and member.role is not None:
        form.role.data = member.role.value
    if form.validate_on_submit():
        accounts.update_member(member, _member_data(form, member.kind))
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("signups.home"))
    return render_template(
        "signups/member_form.html", form=form, kind=member.kind, member=member, action=ActionForm()
    )


@bp.post("/family/members/<int:member_id>/remove")
@household_required
def remove_member(member_id: int):
    member = _own_member(member_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        accounts.remove_member(member)
    except accounts.AccountError as exc:
        flash(exc.message, "error")
        return redirect(url_for("signups.edit_member", member_id=member.id))
    db.session.commit()
    flash(_("%(name)s is removed from your family.", name=member.given_name), "success")
    return redirect(url_for("signups.home"))


# --- sign-up ---------------------------------------------------------------------------------


def _load_session(session_id: int) -> ReadingSession:
    return db.get_or_404(ReadingSession, session_id)


def _members_form(
    household: Household, s: ReadingSession, registration: Registration | None
) -> SignupForm:
    """The "who is coming" form; until it is sent, it shows who is signed up now."""
    form = SignupForm()
    form.members.choices = signup_choices(household, s)
    if not form.is_submitted() and registration is not None:
        form.members.data = [a.member_id for a in registration.attendees if a.member_id]
    return form


@bp.route("/sessions/<int:session_id>/signup", methods=["GET", "POST"])
@household_required
def signup(session_id: int):
    s = _load_session(session_id)
    household = _household()
    existing = ops.live_registration(s.id, household.id)
    form = _members_form(household, s, existing)
    if form.validate_on_submit():
        chosen = list(form.members.data)
        try:
            outcome = ops.sign_up(s.id, household.id, chosen)
        except ops.SignupError as exc:
            db.session.rollback()
            form.members.errors = [*form.members.errors, *exc.messages]
        else:
            registration = outcome.registration
            registration_id = registration.id
            if outcome.created and registration.is_confirmed:
                message = _("Signed up: your place is confirmed.")
            elif outcome.created:
                message = _("The session is full: you are on the waiting list.")
            else:
                message = _("Your registration is changed.")
            db.session.commit()
            flash(message, "success")
            return redirect(url_for("signups.registration", registration_id=registration_id))
    panel = panel_for(s)
    return render_template("signups/signup.html", s=s, form=form, existing=existing, panel=panel)


@bp.get("/family/registrations/<int:registration_id>")
@household_required
def registration(registration_id: int):
    registration = _own_registration(registration_id)
    s = registration.session
    form = _members_form(_household(), s, registration)
    now = utcnow()
    return render_template(
        "signups/registration.html",
        r=registration,
        s=s,
        position=ops.waitlist_position(registration),
        can_change=registration.is_live and ops.signup_state(s, now) == "open",
        can_cancel=registration.is_live and ops.cancel_open(s, CancelledBy.HOUSEHOLD, now),
        cancel_url=accounts.cancel_url(registration),
        form=form,
    )


@bp.route("/family/registrations/<int:registration_id>/cancel", methods=["GET", "POST"])
@household_required
def cancel(registration_id: int):
    registration = _own_registration(registration_id)
    form = ActionForm()
    if form.validate_on_submit():
        return _do_cancel(registration, CancelledBy.HOUSEHOLD, url_for("signups.my_sessions"))
    return _cancel_confirm(registration, CancelledBy.HOUSEHOLD, form)


@bp.route("/cancel/<token>", methods=["GET", "POST"])
def cancel_by_link(token: str):
    """Cancel without logging in: GET shows what would be cancelled; POST cancels."""
    registration = accounts.registration_by_cancel_token(token)
    if registration is None:
        abort(404)
    form = ActionForm()
    if form.validate_on_submit():
        return _do_cancel(
            registration,
            CancelledBy.LINK,
            url_for("signups.cancel_by_link", token=token),
        )
    return _cancel_confirm(registration, CancelledBy.LINK, form)


def _cancel_confirm(registration: Registration, by: CancelledBy, form: ActionForm):
    """The page that asks first (or says why there is nothing to cancel)."""
    s = registration.session
    return render_template(
        "signups/cancel_confirm.html",
        r=registration,
        s=s,
        form=form,
        by_link=by is CancelledBy.LINK,
        can_cancel=registration.is_live and ops.cancel_open(s, by, utcnow()),
    )


def _do_cancel(registration: Registration, by: CancelledBy, done_url: str):
    registration_id, session_id = registration.id, registration.session_id
    try:
        ops.cancel_registration(registration_id, by=by)
    except ops.SignupError as exc:
        db.session.rollback()
        for message in exc.messages:
            flash(message, "error")
        return redirect(done_url)
    db.session.commit()
    title = db.session.get(ReadingSession, session_id).title
    flash(_("Your registration for “%(title)s” is cancelled.", title=title), "success")
    return redirect(done_url)


# --- my sessions, notices, feed --------------------------------------------------------------


@bp.get("/family/sessions")
@household_required
def my_sessions():
    household = _household()
    upcoming, history = my_registrations(household, utcnow())
    feed = webcal = None
    if household.feed_nonce is not None:
        token = accounts.feed_token(household)
        feed = url_for("signups.household_feed", token=token, _external=True)
        webcal = webcal_url(feed)
    return render_template(
        "signups/my_sessions.html",
        upcoming=upcoming,
        history=history,
        feed_url=feed,
        webcal_url=webcal,
        positions={r.id: ops.waitlist_position(r) for r, _s in upcoming},
        action=ActionForm(),
    )


@bp.post("/family/feed/rotate")
@household_required
def rotate_feed():
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    accounts.rotate_feed_token(_household())
    db.session.commit()
    flash(
        _("You have a new calendar link. The old one no longer works: subscribe again."),
        "success",
    )
    return redirect(url_for("signups.my_sessions"))


@bp.get("/family/notices")
@household_required
def notices_page():
    household = _household()
    items = db.session.scalars(
        select(Notice)
        .where(Notice.household_id == household.id)
        .order_by(Notice.created_at.desc(), Notice.id.desc())
        .limit(100)
    ).all()
    return render_template(
        "signups/notices.html", items=items, text=notices.notice_text, action=ActionForm()
    )


@bp.post("/family/notices/read")
@household_required
def notices_read():
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    notices.mark_all_read(_household().id)
    db.session.commit()
    return redirect(url_for("signups.notices_page"))


@bp.get("/feeds/household/<token>.ics")
def household_feed(token: str):
    from .feed import household_calendar

    household = accounts.household_by_feed_token(token)
    if household is None:
        abort(404)
    return household_calendar(household)


# --- our data: read, download, delete (PRODUCT.md "Privacy") ---------------------------------


@bp.get("/family/data")
@household_required
def my_data():
    data = our_data.household_data(_household())
    return render_template(
        "signups/my_data.html", data=data, text=notices.notice_text, now=utcnow()
    )


@bp.get("/family/data.json")
@household_required
def my_data_json():
    now = utcnow()
    body = json.dumps(
        our_data.as_json(our_data.household_data(_household()), now=now),
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
    _login_limit_account,
    methods=["POST"],
    key_func=logged_in_account_key,
    deduct_when=failed_login,
    scope="family-login-account",
)
@household_required
def delete_account():
    household = _household()
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
    return render_template("signups/delete_account.html", form=form, upcoming=upcoming), status
