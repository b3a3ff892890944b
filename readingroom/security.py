"""Small security helpers shared by the domains: redirects and secrets."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Any
from urllib.parse import urlsplit

from werkzeug.routing import IntegerConverter, Map

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


#: The largest id the database's integer primary keys hold (PostgreSQL ``integer``).
MAX_DATABASE_ID = 2**31 - 1


class DatabaseIdConverter(IntegerConverter):
    """``<int:…>`` that matches only ids the database can hold: a larger number is a 404,
    not an overflow in the driver (SQLite) or a wasted query (PostgreSQL)."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_DATABASE_ID)
        super().__init__(map, *args, **kwargs)


def database_id(value: Any) -> int | None:
    """A query-string or form value as a database id (``None``: missing, not a number, or
    out of range), e.g. ``request.args.get("child", type=database_id)``."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_DATABASE_ID else None


#: Paths whose last part is a secret token (cancellation link, password reset, household feed).
_TOKEN_PATH = re.compile(r"(/(?:cancel|family/reset|feeds/household)/)[A-Za-z0-9_\-]+")


def redact_tokens(text: str) -> str:
    """``text`` with the token of every secret link cut out, for logs."""
    return _TOKEN_PATH.sub(r"\1…", text)
