"""Small security helpers shared by the domains: redirects and secrets."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

TOKEN_BYTES = 24  # 192 bits from `secrets`, above the 128 the product asks for


def safe_next_url(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else ``None`` (no open redirects)."""
    if not target:
        return None
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


def new_token() -> str:
    """An unguessable URL-safe token for private links."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    """What is stored for a token: its SHA-256, so a database leak does not reveal the link."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(token: str, digest: str) -> bool:
    """Constant-time comparison of a presented token with a stored digest."""
    return hmac.compare_digest(token_digest(token), digest)
