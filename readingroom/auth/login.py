"""Logging in and out, the same way for staff and for families.

Each kind of account has its own page (``/staff/login``, ``/family/login``)
and its own way to find the account (login name, mobile number); what happens
then is written once here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm

from ..extensions import db
from ..security import safe_next_url
from .passwords import authenticate


def login_page(
    form: FlaskForm,
    find_account: Callable[[FlaskForm], Any],
    *,
    wrong: str,
    template: str,
    home: str,
) -> Any:
    """Show ``template`` with ``form``; on a valid POST log the account in and go on.

    ``find_account`` looks the account up from the form (``None`` when unknown);
    ``wrong`` is the message under the password field; ``home`` the endpoint to
    go to when the form carries no (safe) ``next``.
    """
    if form.validate_on_submit():
        account = authenticate(find_account(form), form.password.data)
        if account is None:
            form.password.errors.append(wrong)
        else:
            login_user(account)
            flash(_("Welcome, %(name)s.", name=account.name), "success")
            return redirect(safe_next_url(form.next.data) or url_for(home))
    return render_template(template, form=form)


def logout_to(endpoint: str) -> Any:
    """Log out here and everywhere else: the session token changes (auth/sessions.py)."""
    if current_user.is_authenticated:
        current_user.end_sessions()
        db.session.commit()
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for(endpoint))
