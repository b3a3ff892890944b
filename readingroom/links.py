"""Addresses that leave the site: in notices, feeds, QR codes and subscribe buttons.

They are built here, from endpoint names, so that every domain (the outbox
included, which sits below registrations) makes the same link the same way.
"""

from __future__ import annotations

from typing import Any

from flask import url_for

from . import tokens


def webcal_url(url: str) -> str:
    """The same address with the ``webcal://`` scheme that opens a subscription dialogue."""
    return "webcal://" + url.split("://", 1)[1]


def public_session_url(s: Any) -> str:
    """The public page of a session (the calendar's), where families sign up."""
    return url_for("calendars.session_page", session_id=s.id)


def cancel_token(registration: Any) -> str | None:
    """The token of a registration's cancellation link (``None`` until one was issued)."""
    if registration.cancel_nonce is None:
        return None
    return tokens.derive(tokens.CANCEL, registration.cancel_nonce)


def cancel_url(registration: Any) -> str | None:
    """The link that cancels a live registration without logging in (``None`` when there is
    nothing to cancel); for the registration page and the notices."""
    token = cancel_token(registration)
    if token is None or not registration.is_live:
        return None
    return url_for("registrations.cancel_by_link", token=token, _external=True)
