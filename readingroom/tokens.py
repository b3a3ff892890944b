"""Secret links derived from a nonce: the household feed and the cancellation link.

Each link carries a token derived from a nonce of 192 bits from :mod:`secrets`
with the app's secret key (HMAC-SHA256). The database keeps the nonce and the
token's SHA-256 digest, never the token: a leaked database reveals no working
link (that needs the secret key too), while the app can still show a family
its own links again. Tokens are found by digest and compared in constant time
(:func:`readingroom.security.token_matches`). A new nonce invalidates the old link.

One-time links (password reset) use :func:`readingroom.security.new_token`
instead: shown once, only the digest is stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from flask import current_app

from .security import TOKEN_BYTES, token_digest

FEED = "household-feed"
CANCEL = "registration-cancel"


def new_nonce() -> str:
    return secrets.token_hex(TOKEN_BYTES)


def derive(purpose: str, nonce: str) -> str:
    """The URL-safe token for ``nonce`` (43 characters, 256 bits)."""
    key = current_app.config["SECRET_KEY"]
    if isinstance(key, str):
        key = key.encode("utf-8")
    mac = hmac.new(key, f"{purpose}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def issue(purpose: str) -> tuple[str, str]:
    """A fresh ``(nonce, digest)`` pair to store; the token is ``derive(purpose, nonce)``."""
    nonce = new_nonce()
    return nonce, token_digest(derive(purpose, nonce))


def looks_like_token(value: str) -> bool:
    """Cheap shape check before touching the database (43 URL-safe characters)."""
    return len(value) == 43 and all(c.isalnum() or c in "-_" for c in value)
