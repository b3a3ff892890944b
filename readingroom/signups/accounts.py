"""Family accounts: registering, logging in, members, consent, password reset, feed link.

Functions flush and never commit (the caller commits once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import Select, or_, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..places.models import Community, Room
from ..schedule.models import ReadingSession
from ..security import new_token, token_digest, token_matches
from ..timeutil import utcnow
from . import tokens
from .models import (
    LIVE_STATUSES,
    AdultRole,
    Attendee,
    Household,
    Member,
    MemberKind,
    PasswordReset,
    PhoneReveal,
    Registration,
)
from .phones import normalise_mobile

# Bump when the privacy notice changes in substance (what is kept, why, how long).
CONSENT_VERSION = "2026-07"
# Compared against when the number is unknown, so both paths cost one hash check.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class AccountError(Exception):
    """A rule refused the change; ``field`` names the form field the message belongs to."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


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


def authenticate(mobile: str, password: str) -> Household | None:
    """The active household with this number and password, else ``None``.

    Reads only: a login must not wait for (or fail on) the write lock that
    sign-ups hold, so no "last login" time is kept (least data, too).
    """
    household = household_by_mobile(mobile)
    if household is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not household.check_password(password) or not household.active:
        return None
    return household


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


def upcoming_registrations_of(member: Member, now: datetime) -> list[Registration]:
    """Live registrations of sessions not yet over that include this member."""
    stmt = (
        select(Registration)
        .join(Attendee, Attendee.registration_id == Registration.id)
        .join(ReadingSession, ReadingSession.id == Registration.session_id)
        .where(
            Attendee.member_id == member.id,
            Registration.status.in_(LIVE_STATUSES),
            ReadingSession.ends_at > now,
        )
    )
    return list(db.session.scalars(stmt).unique())


def remove_member(member: Member, *, now: datetime | None = None) -> None:
    """Hide a member (history stays); refused while they are signed up for a coming session."""
    now = now or utcnow()
    if upcoming_registrations_of(member, now):
        raise AccountError(
            _(
                "%(name)s is signed up for a coming session. Change or cancel that sign-up first.",
                name=member.given_name,
            )
        )
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


def use_reset(reset: PasswordReset, password: str, *, now: datetime | None = None) -> Household:
    reset.used_at = now or utcnow()
    reset.household.set_password(password)
    db.session.flush()
    return reset.household


# --- the private calendar feed and the cancellation link -------------------------------------


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


def cancel_token(registration: Registration) -> str | None:
    if registration.cancel_nonce is None:
        return None
    return tokens.derive(tokens.CANCEL, registration.cancel_nonce)


def cancel_url(registration: Registration) -> str | None:
    """The link that cancels a live registration without logging in (``None`` when there is
    nothing to cancel); for the registration page and the notices."""
    token = cancel_token(registration)
    if token is None or not registration.is_live:
        return None
    return url_for("signups.cancel_by_link", token=token, _external=True)


def registration_by_cancel_token(token: str) -> Registration | None:
    if not tokens.looks_like_token(token):
        return None
    registration = db.session.scalars(
        select(Registration).where(Registration.cancel_token_digest == token_digest(token))
    ).first()
    if registration is None or not token_matches(token, registration.cancel_token_digest or ""):
        return None
    return registration


# --- staff: which families they see; the full number, on request, logged ----------------------


def households_visible_to(community_ids: set[int] | None) -> Select:
    """The households staff of these communities see (``None``: all, the administrator):
    those of their communities, and any that signed up for a session of theirs."""
    stmt = select(Household)
    if community_ids is None:
        return stmt
    registered = (
        select(Registration.household_id)
        .join(ReadingSession, ReadingSession.id == Registration.session_id)
        .join(Room, Room.id == ReadingSession.room_id)
        .where(Room.community_id.in_(community_ids))
    )
    return stmt.where(or_(Household.community_id.in_(community_ids), Household.id.in_(registered)))


def reveal_phone(household: Household, staff_id: int, *, session_id: int | None = None) -> str:
    """The full mobile number, after logging who looked and when."""
    db.session.add(
        PhoneReveal(
            staff_id=staff_id,
            household_id=household.id,
            session_id=session_id,
            revealed_at=utcnow(),
        )
    )
    db.session.flush()
    return household.mobile
