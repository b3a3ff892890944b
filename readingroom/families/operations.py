"""Family accounts: registering, logging in, members, consent, password reset, feed link.

Functions flush and never commit (the caller commits once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select

from .. import tokens
from ..auth.passwords import authenticate
from ..domain import DomainError
from ..extensions import db
from ..places.models import Community
from ..security import new_token, token_digest, token_matches
from ..timeutil import utcnow
from .models import AdultRole, Household, Member, MemberKind, PasswordReset, PasswordResetCode
from .phones import normalise_mobile
from .signals import member_removing

# Bump when the privacy notice changes in substance (what is kept, why, how long).
CONSENT_VERSION = "2026-07"


class AccountError(DomainError):
    """A rule of family accounts refused the change."""


def household_by_mobile(mobile: str) -> Household | None:
    return db.session.scalars(
        select(Household).where(Household.mobile == normalise_mobile(mobile))
    ).first()


def register_household(
    *,
    guardian_name: str,
    mobile: str,
    password: str,
    community: Community,
    consent: bool,
    now: datetime | None = None,
) -> Household:
    """A new family account; the number must not belong to another household."""
    mobile = normalise_mobile(mobile)
    if household_by_mobile(mobile) is not None:
        raise AccountError(
            _("This number already has a family account. Log in, or ask the staff."),
            "mobile",
        )
    now = now or utcnow()
    household = Household(
        guardian_name=guardian_name.strip(),
        mobile=mobile,
        community=community,
        consent_at=now if consent else None,
        consent_version=CONSENT_VERSION if consent else "",
    )
    household.set_password(password)
    household.feed_nonce, household.feed_token_digest = tokens.issue(tokens.FEED)
    db.session.add(household)
    db.session.flush()
    return household


def authenticate_household(mobile: str, password: str) -> Household | None:
    """The active household with this number and password, else ``None``.

    Reads only: a login must not wait for (or fail on) the write lock that
    sign-ups hold, so no "last login" time is kept (least data, too).
    """
    return authenticate(household_by_mobile(mobile), password)


def give_consent(household: Household, *, now: datetime | None = None) -> None:
    household.consent_at = now or utcnow()
    household.consent_version = CONSENT_VERSION
    db.session.flush()


# --- members ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberData:
    kind: MemberKind
    given_name: str
    birth_year: int | None = None
    birth_month: int | None = None
    role: AdultRole | None = None


def _apply_member(member: Member, data: MemberData) -> None:
    member.kind = data.kind
    member.given_name = data.given_name.strip()
    member.birth_year = data.birth_year
    member.birth_month = data.birth_month if data.birth_year is not None else None
    member.role = data.role if data.kind is MemberKind.ADULT else None


def add_member(household: Household, data: MemberData) -> Member:
    if data.kind is MemberKind.CHILD and not household.has_consent:
        raise AccountError(
            _("Please agree to the privacy notice before adding a child."), "consent"
        )
    member = Member(household_id=household.id)
    _apply_member(member, data)
    db.session.add(member)
    db.session.flush()
    return member


def update_member(member: Member, data: MemberData) -> None:
    if data.kind is not member.kind:
        raise AccountError(_("A child cannot become an adult here; add a new member instead."))
    _apply_member(member, data)
    db.session.flush()


def remove_member(member: Member, *, now: datetime | None = None) -> None:
    """Hide a member (history stays); refused while they are signed up for a coming session."""
    now = now or utcnow()
    member_removing.send(member, now=now)  # registrations refuse while signed up
    member.removed_at = now
    db.session.flush()


# --- one-time password reset links (handed over by staff) ------------------------------------


def create_reset_link(household: Household, staff_id: int, *, now: datetime | None = None) -> str:
    """A new one-time token (shown once to the staff member); older unused ones stop working."""
    now = now or utcnow()
    for old in db.session.scalars(
        select(PasswordReset).where(
            PasswordReset.household_id == household.id, PasswordReset.used_at.is_(None)
        )
    ):
        old.used_at = now
    token = new_token()
    hours = current_app.config["PASSWORD_RESET_HOURS"]
    db.session.add(
        PasswordReset(
            household_id=household.id,
            token_digest=token_digest(token),
            created_by_id=staff_id,
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    db.session.flush()
    return token


def find_reset(token: str, *, now: datetime | None = None) -> PasswordReset | None:
    """The unused, unexpired reset for this token, else ``None``."""
    now = now or utcnow()
    reset = db.session.scalars(
        select(PasswordReset).where(PasswordReset.token_digest == token_digest(token))
    ).first()
    if reset is None or not token_matches(token, reset.token_digest):
        return None
    if reset.used_at is not None or reset.expires_at <= now:
        return None
    return reset


def use_reset(
    reset: PasswordReset | PasswordResetCode, password: str, *, now: datetime | None = None
) -> Household:
    """Spend a reset (a staff's link or a code by SMS) and set the new password; every other
    session of the family ends with it."""
    reset.used_at = now or utcnow()
    reset.household.set_password(password)
    db.session.flush()
    return reset.household


def delete_expired_resets(*, now: datetime | None = None) -> int:
    """Remove the reset links past their expiry, used or not (no digest kept longer than
    it could work; a job of the worker). Returns how many; flushes."""
    deleted = db.session.execute(
        delete(PasswordReset).where(PasswordReset.expires_at <= (now or utcnow()))
    ).rowcount
    db.session.flush()
    return deleted


# --- the private calendar feed -------------------------------------


def feed_token(household: Household) -> str | None:
    """The household's feed token (``None`` until a link was made)."""
    if household.feed_nonce is None:
        return None
    return tokens.derive(tokens.FEED, household.feed_nonce)


def rotate_feed_token(household: Household) -> None:
    """A new feed link; the old one stops working at once."""
    household.feed_nonce, household.feed_token_digest = tokens.issue(tokens.FEED)
    db.session.flush()


def household_by_feed_token(token: str) -> Household | None:
    if not tokens.looks_like_token(token):
        return None
    household = db.session.scalars(
        select(Household).where(Household.feed_token_digest == token_digest(token))
    ).first()
    if household is None or not token_matches(token, household.feed_token_digest or ""):
        return None
    return household if household.active else None
