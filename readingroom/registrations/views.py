"""The family's side of registrations: sign up, see, change and cancel; my sessions.

Each view: load (404), check access (404 for another family's things), validate
the form, call one operation, commit once, flash, redirect. GET never changes
anything; cancelling by link opens a confirmation page and cancels on POST.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.permissions import current_household, household_required
from ..database import reads_first
from ..extensions import db
from ..families import operations as accounts
from ..families.models import Household
from ..formutil import ActionForm
from ..links import external_url, webcal_url
from ..schedule.models import ReadingSession
from ..timeutil import utcnow
from . import operations as ops
from . import queries
from .forms import SignupForm
from .models import CancelledBy, Registration
from .panel import member_ids, my_registrations, panel_for, signup_choices
from .queries import cancel_url, registration_by_cancel_token

bp = Blueprint("registrations", __name__)


def _own_registration(registration_id: int) -> Registration:
    """Another family's registration is "not found" (its existence is not revealed)."""
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.household_id != current_user.id:
        abort(404)
    return registration


# --- sign-up ---------------------------------------------------------------------------------


def _load_session(session_id: int) -> ReadingSession:
    reading_session = queries.session_for_signup(session_id)
    if reading_session is None:
        abort(404)
    return reading_session


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
@reads_first  # SQLite: the write lock from the session's lock to the commit only
@household_required
def signup(session_id: int):
    household = current_household()
    form = None
    if request.method == "POST":
        # Decided under the session's lock, from the row ops.sign_up locks: the session is
        # loaded here only for a page to show (a refusal).
        form = SignupForm()
        form.members.choices = member_ids(household)
        if form.validate_on_submit():
            try:
                outcome = ops.sign_up(session_id, household.id, list(form.members.data))
            except LookupError:
                abort(404)
            except ops.SignupError as exc:
                db.session.rollback()
                form.members.errors = [*form.members.errors, *exc.messages]
            else:
                db.session.commit()
                # A new registration: the page it leads to says "confirmed" or "waiting list"
                # in its status box; a second message would say it twice.
                if not outcome.created:
                    flash(_("Your registration is changed."), "success")
                return redirect(
                    url_for("registrations.registration", registration_id=outcome.registration_id)
                )
    s = _load_session(session_id)
    existing = queries.live_registration(s.id, household.id)
    if form is None:
        form = _members_form(household, s, existing)
    else:  # what was sent, with its errors, and the labels with the ages on the day
        form.members.choices = signup_choices(household, s)
    panel = panel_for(s)
    return render_template(
        "registrations/signup.html", s=s, form=form, existing=existing, panel=panel
    )


@bp.get("/family/registrations/<int:registration_id>")
@household_required
def registration(registration_id: int):
    registration = _own_registration(registration_id)
    s = registration.session
    household = current_household()
    form = _members_form(household, s, registration)
    now = utcnow()
    return render_template(
        "registrations/registration.html",
        r=registration,
        s=s,
        calendar=calendar_links(household),
        seats_free=panel_for(s, now).seats_left if registration.is_waitlisted else 0,
        position=queries.waitlist_position(registration),
        can_change=registration.is_live and queries.signup_state(s, now) == "open",
        can_cancel=registration.is_live and queries.cancel_open(s, CancelledBy.HOUSEHOLD, now),
        cancel_url=cancel_url(registration),
        form=form,
    )


@bp.route("/family/registrations/<int:registration_id>/cancel", methods=["GET", "POST"])
@household_required
def cancel(registration_id: int):
    registration = _own_registration(registration_id)
    form = ActionForm()
    if form.validate_on_submit():
        return _do_cancel(registration, CancelledBy.HOUSEHOLD, url_for("registrations.my_sessions"))
    return _cancel_confirm(registration, CancelledBy.HOUSEHOLD, form)


@bp.route("/cancel/<token>", methods=["GET", "POST"])
def cancel_by_link(token: str):
    """Cancel without logging in: GET shows what would be cancelled; POST cancels."""
    registration = registration_by_cancel_token(token)
    if registration is None:
        abort(404)
    form = ActionForm()
    if form.validate_on_submit():
        return _do_cancel(
            registration,
            CancelledBy.LINK,
            url_for("registrations.cancel_by_link", token=token),
        )
    return _cancel_confirm(registration, CancelledBy.LINK, form)


def _cancel_confirm(registration: Registration, by: CancelledBy, form: ActionForm):
    """The page that asks first (or says why there is nothing to cancel)."""
    s = registration.session
    return render_template(
        "registrations/cancel_confirm.html",
        r=registration,
        s=s,
        form=form,
        by_link=by is CancelledBy.LINK,
        can_cancel=registration.is_live and queries.cancel_open(s, by, utcnow()),
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


# --- my sessions ------------------------------------------------------------------------------


def calendar_links(household: Household) -> dict[str, str] | None:
    """The household's private feed (https and webcal), or ``None`` until it made one."""
    if household.feed_nonce is None:
        return None
    feed = external_url("feeds.household", token=accounts.feed_token(household))
    return {"https": feed, "webcal": webcal_url(feed)}


@bp.get("/family/sessions")
@household_required
def my_sessions():
    household = current_household()
    upcoming, history = my_registrations(household, utcnow())
    links = calendar_links(household) or {}
    return render_template(
        "registrations/my_sessions.html",
        upcoming=upcoming,
        history=history,
        feed_url=links.get("https"),
        webcal_url=links.get("webcal"),
        positions={r.id: queries.waitlist_position(r) for r, _s in upcoming},
        action=ActionForm(),
    )
