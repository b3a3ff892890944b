"""A forgotten password, by a 6-digit code sent by SMS to the family's number.

Only when a sender that reaches phones is configured (the notices domain
answers :data:`~readingroom.families.signals.phone_code_sender`); otherwise the
page says how to get a reset link from the community's staff (operations.py,
``create_reset_link``). The answer to "send me a code" is the same whether or
not the number has an account. A code is valid ``RESET_CODE_MINUTES`` (10) for
``RESET_CODE_TRIES`` (5) wrong tries, a new one replaces the old, and only a
keyed digest is kept. Requests are rate-limited per number and per address in
the views. Functions flush and never commit.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..timeutil import utcnow
from .models import Household, PasswordResetCode
from .operations import household_by_mobile, use_reset

DIGITS = 6


def _digest(household_id: int, code: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"reset-code:{household_id}:{code}".encode(), hashlib.sha256).hexdigest()


def new_code() -> str:
    return f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"


def issue_code(mobile: str, *, now: datetime | None = None) -> tuple[Household, str] | None:
    """A new code for the active household with this number (older codes stop working);
    ``None`` when there is no such household (the caller answers the same)."""
    household = household_by_mobile(mobile)
    if household is None or not household.active:
        return None
    now = now or utcnow()
    for old in _open_codes(household.id, now):
        old.used_at = now
    code = new_code()
    minutes = current_app.config["RESET_CODE_MINUTES"]
    db.session.add(
        PasswordResetCode(
            household_id=household.id,
            code_digest=_digest(household.id, code),
            created_at=now,
            expires_at=now + timedelta(minutes=minutes),
        )
    )
    db.session.flush()
    return household, code


def _open_codes(household_id: int, now: datetime) -> list[PasswordResetCode]:
    return list(
        db.session.scalars(
            select(PasswordResetCode)
            .where(
                PasswordResetCode.household_id == household_id,
                PasswordResetCode.used_at.is_(None),
                PasswordResetCode.expires_at > now,
            )
            .order_by(PasswordResetCode.id.desc())
        )
    )


def check_code(mobile: str, code: str, *, now: datetime | None = None) -> PasswordResetCode | None:
    """The open code of this number when ``code`` is it, else ``None`` (a wrong code counts
    one try; the last try closes the code)."""
    now = now or utcnow()
    household = household_by_mobile(mobile)
    if household is None or not household.active:
        return None
    codes = _open_codes(household.id, now)
    if not codes:
        return None
    current = codes[0]
    if hmac.compare_digest(current.code_digest, _digest(household.id, (code or "").strip())):
        return current
    current.attempts += 1
    if current.attempts >= current_app.config["RESET_CODE_TRIES"]:
        current.used_at = now
    db.session.flush()
    return None


def use_code(reset: PasswordResetCode, password: str, *, now: datetime | None = None) -> Household:
    """Set the new password; the code is spent (as a staff's reset link would be)."""
    return use_reset(reset, password, now=now)
