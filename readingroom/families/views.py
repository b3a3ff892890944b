"""The family's own pages: account, login, consent, members, the private feed link.

Each view: load (404), check access (404 for another family's things), validate
the form, call one operation, commit once, flash, redirect. GET never changes
anything.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from wtforms import SelectChoice

from ..auth.login import login_page, logout_to
from ..auth.permissions import current_household, household_required
from ..extensions import db, limiter
from ..formutil import ActionForm
from ..i18n import localized
from ..places.models import Community
from ..security import safe_next_url
from . import operations as accounts
from .forms import AdultForm, ChildForm, ConsentForm, LoginForm, RegisterForm, ResetPasswordForm
from .models import AdultRole, Member, MemberKind
from .ratelimit import (
    account_address_key,
    account_key,
    address_is_clean,
    address_key,
    failed_login,
    login_limit_account,
    login_limit_account_address,
    login_limit_address,
    note_failed_login,
)
from .signals import home_extras, many_failed_logins

bp = Blueprint("families", __name__)


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
        return redirect(url_for("families.home"))
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
            # Came from a sign-up: straight back to it (it offers "add a child / an adult").
            return redirect(safe_next_url(request.args.get("next")) or url_for("families.home"))
    return render_template("families/register.html", form=form)


@bp.route("/family/login", methods=["GET", "POST"])
@limiter.limit(
    login_limit_address, methods=["POST"], key_func=address_key, scope="family-login-address"
)
@limiter.limit(
    login_limit_account_address,
    methods=["POST"],
    key_func=account_address_key,
    deduct_when=failed_login,
    scope="family-login-account-address",
)
@limiter.limit(
    login_limit_account,
    methods=["POST"],
    key_func=account_key,
    deduct_when=failed_login,
    exempt_when=address_is_clean,
    scope="family-login-account",
)
def login():
    if getattr(current_user, "is_household", False):
        return redirect(url_for("families.home"))
    form = LoginForm(next=request.args.get("next", ""))
    response = login_page(
        form,
        lambda form: accounts.household_by_mobile(form.mobile.data),
        wrong=_("Mobile number or password is wrong."),
        template="families/login.html",
        home="families.home",
    )
    if form.is_submitted() and form.password.errors and note_failed_login():
        household = accounts.household_by_mobile(form.mobile.data or "")
        if household is not None:
            many_failed_logins.send(household)
            db.session.commit()
    return response


@bp.post("/family/logout")
def logout():
    return logout_to("families.login")


@bp.get("/family/privacy")
def privacy():
    return render_template("families/privacy.html")


@bp.get("/family/")
@household_required
def home():
    household = current_household()
    return render_template(
        "families/home.html",
        household=household,
        next_url=safe_next_url(request.args.get("next")),
        action=ActionForm(),
        **home_extras(household),
    )


@bp.route("/family/consent", methods=["GET", "POST"])
@household_required
def consent():
    household = current_household()
    form = ConsentForm()
    if form.validate_on_submit():
        accounts.give_consent(household)
        db.session.commit()
        flash(_("Thank you. You can now add your children."), "success")
        return redirect(
            safe_next_url(request.args.get("next")) or url_for("families.add_member", kind="child")
        )
    return render_template("families/consent.html", form=form)


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
        return redirect(url_for("families.home"))
    return render_template("families/reset.html", form=form, household=reset.household)


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
    household = current_household()
    try:
        member_kind = MemberKind(kind)
    except ValueError:
        abort(404)
    if member_kind is MemberKind.CHILD and not household.has_consent:
        return redirect(url_for("families.consent", next=request.full_path))
    form = ChildForm() if member_kind is MemberKind.CHILD else AdultForm()
    if form.validate_on_submit():
        member = accounts.add_member(household, _member_data(form, member_kind))
        db.session.commit()
        flash(_("%(name)s is added.", name=member.given_name), "success")
        # Back to where they came from (a sign-up, which offers to add more people), else to
        # the family page: fewer pages between a new family and its first sign-up.
        return redirect(safe_next_url(request.args.get("next")) or url_for("families.home"))
    return render_template("families/member_form.html", form=form, kind=member_kind, member=None)


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
        return redirect(url_for("families.home"))
    return render_template(
        "families/member_form.html", form=form, kind=member.kind, member=member, action=ActionForm()
    )


@bp.route("/family/members/<int:member_id>/remove", methods=["GET", "POST"])
@household_required
def remove_member(member_id: int):
    """GET asks first (a page, so it works without JavaScript); POST removes."""
    member = _own_member(member_id)
    form = ActionForm()
    if request.method == "GET":
        return render_template(
            "families/confirm.html",
            form=form,
            heading=_("Remove %(name)s from your family?", name=member.given_name),
            lines=[
                _(
                    "%(name)s can then no longer be signed up. Past sessions stay in your history.",
                    name=member.given_name,
                )
            ],
            button=_("Yes, remove %(name)s", name=member.given_name),
            back_url=url_for("families.edit_member", member_id=member.id),
        )
    if not form.validate_on_submit():
        abort(400)
    try:
        accounts.remove_member(member)
    except accounts.AccountError as exc:
        flash(exc.message, "error")
        return redirect(url_for("families.edit_member", member_id=member.id))
    db.session.commit()
    flash(_("%(name)s is removed from your family.", name=member.given_name), "success")
    return redirect(url_for("families.home"))


@bp.route("/family/feed/rotate", methods=["GET", "POST"])
@household_required
def rotate_feed():
    """The family's private calendar link: made the first time, replaced after asking (GET
    asks: every phone subscribed to the old link stops getting updates)."""
    household = current_household()
    form = ActionForm()
    replacing = household.feed_nonce is not None
    if request.method == "GET":
        if not replacing:
            return redirect(url_for("registrations.my_sessions"))
        return render_template(
            "families/confirm.html",
            form=form,
            heading=_("Replace your calendar link?"),
            lines=[
                _(
                    "Do this if the link reached someone it should not. The old link stops "
                    "working at once: phones and calendars subscribed to it get no more "
                    "updates, and you subscribe again with the new link on each of them."
                )
            ],
            button=_("Yes, make a new link"),
            back_url=url_for("registrations.my_sessions"),
        )
    if not form.validate_on_submit():
        abort(400)
    accounts.rotate_feed_token(household)
    db.session.commit()
    if replacing:
        flash(
            _("You have a new calendar link. The old one no longer works: subscribe again."),
            "success",
        )
    else:
        flash(_("Your calendar link is ready: subscribe to it below."), "success")
    return redirect(url_for("registrations.my_sessions", _anchor="my-calendar"))
