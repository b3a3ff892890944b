"""Addresses that leave the site: in notices, feeds, QR codes and subscribe buttons.

They are built here, from endpoint names, so that every domain (the outbox
included, which sits below registrations) makes the same link the same way.

Every absolute link starts with the configured ``PUBLIC_BASE_URL``, never with
the request's ``Host`` header: a forged header must not end up in a family's
notice (its cancellation link) or in a feed others subscribe to. Only on a
development or test set-up without ``PUBLIC_BASE_URL`` does the request's own
address stand in (production refuses to start without it, see config.py).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, has_request_context, request, url_for


def public_base_url() -> str:
    """Scheme and host (no trailing slash) that every outgoing link starts with."""
    configured = current_app.config.get("PUBLIC_BASE_URL")
    if configured:
        parts = urlsplit(configured)
        return f"{parts.scheme}://{parts.netloc}"
    if has_request_context():
        return request.host_url.rstrip("/")
    return "http://localhost"


def external_url(endpoint: str, **values: Any) -> str:
    """The absolute address of ``endpoint``: the public base URL and the app's own path."""
    return public_base_url() + url_for(endpoint, **values)


def webcal_url(url: str) -> str:
    """The same address with the ``webcal://`` scheme that opens a subscription dialogue."""
    return "webcal://" + url.split("://", 1)[1]


def public_session_url(s: Any) -> str:
    """The public page of a session (the calendar's), where families sign up."""
    return url_for("calendars.session_page", session_id=s.id)
