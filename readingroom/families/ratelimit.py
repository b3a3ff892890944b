"""Login limits (Flask-Limiter) that stop guessing without locking a family out.

Three limits on ``POST /family/login``:

* per address: every attempt from one address (``HOUSEHOLD_LOGIN_LIMIT_PER_ADDRESS``);
* per account *and* address, strictly: failed attempts at one number from one
  address (``HOUSEHOLD_LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS``);
* per account, with a high ceiling, and only for addresses that already failed
  at this number (``HOUSEHOLD_LOGIN_LIMIT_PER_ACCOUNT``): someone hammering a
  family's number from many addresses cannot lock its owner out, whose login
  from an address with no failures still works.

After ``HOUSEHOLD_LOGIN_ALERT_AFTER`` failed logins at one number (per hour), the
household is told in its notices (once every six hours at most), through the
``many_failed_logins`` signal.

With ``REDIS_URL`` / ``RATELIMIT_STORAGE_URI`` set, every counter lives in Redis
and holds across processes and machines; otherwise in memory (one process).
"""

from __future__ import annotations

from flask import Response, current_app, request
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits import parse

from ..extensions import limiter
from .phones import normalise_mobile

ALERT_EVERY = parse("1 per 6 hours")


def address_key() -> str:
    return get_remote_address()


def _mobile() -> str:
    return normalise_mobile(request.form.get("mobile")) or "-"


def account_key() -> str:
    """The number being logged into, whoever tries it and from wherever."""
    return "household:" + _mobile()


def account_address_key() -> str:
    return f"household:{_mobile()}@{address_key()}"


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


def login_limit_account_address() -> str:
    return current_app.config["HOUSEHOLD_LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS"]


def login_limit_account() -> str:
    """Failed logins per number (the high ceiling); the delete page counts against it too."""
    return current_app.config["HOUSEHOLD_LOGIN_LIMIT_PER_ACCOUNT"]


def _failure_window():
    return parse(current_app.config["HOUSEHOLD_LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS"])


def address_is_clean() -> bool:
    """No failed login at this number from this address lately: the account-wide ceiling
    does not apply (``exempt_when``)."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return True
    window = _failure_window()
    stats = limiter.limiter.get_window_stats(window, "login-failures", account_address_key())
    return stats.remaining >= window.amount


def note_failed_login() -> bool:
    """Count a failed login; True when the household should now be told (many failures)."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return False
    strategy = limiter.limiter
    strategy.hit(_failure_window(), "login-failures", account_address_key())
    alert = parse(f"{current_app.config['HOUSEHOLD_LOGIN_ALERT_AFTER']} per hour")
    if strategy.hit(alert, "login-failures-account", account_key()):
        return False
    return strategy.hit(ALERT_EVERY, "login-failures-alert", account_key())
