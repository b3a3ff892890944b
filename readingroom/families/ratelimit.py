"""Keys for the login limits: per address and per account (Flask-Limiter).

With ``REDIS_URL`` / ``RATELIMIT_STORAGE_URI`` set, the counters live in Redis
and hold across processes and machines; otherwise in memory (one process).
"""

from __future__ import annotations

from flask import Response, current_app, request
from flask_limiter.util import get_remote_address
from flask_login import current_user

from .phones import normalise_mobile


def address_key() -> str:
    return get_remote_address()


def account_key() -> str:
    """The number being logged into, whoever tries it and from wherever."""
    return "household:" + (normalise_mobile(request.form.get("mobile")) or "-")


def logged_in_account_key() -> str:
    """The logged-in family's number: wrong passwords on the delete page count against the
    account under the same key as at login."""
    mobile = getattr(current_user, "mobile", None) if current_user else None
    return "household:" + (mobile or address_key())


def failed_login(response: Response) -> bool:
    """Only failed attempts count against an account (a success redirects)."""
    return response.status_code != 302


def login_limit_address() -> str:
    return current_app.config["HOUSEHOLD_LOGIN_LIMIT_PER_ADDRESS"]


def login_limit_account() -> str:
    """Failed logins per number; the delete page's password check counts against it too."""
    return current_app.config["HOUSEHOLD_LOGIN_LIMIT_PER_ACCOUNT"]
