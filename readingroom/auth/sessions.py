"""Sessions that really end: the login cookie names the account *and* a session token.

Flask-Login keeps what ``get_id()`` returns in the signed session cookie (and
the remember cookie). Ours is ``"<kind>:<id>:<session token>"``; the user
loader accepts it only while the token matches the account's. A new token
(:meth:`SessionTokenMixin.end_sessions`) therefore logs the account out
everywhere at once, a cookie captured earlier included: on logout, on a
password change or reset, when the administrator edits or disables a staff
account. A deleted account has no row, so its cookies find nothing either.
This is Flask-Login's documented "alternative tokens" mechanism.
"""

from __future__ import annotations

import hmac
import secrets

from flask import has_request_context, session
from flask_login import current_user
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

SESSION_TOKEN_LENGTH = 32


def new_session_token() -> str:
    return secrets.token_hex(SESSION_TOKEN_LENGTH // 2)


class SessionTokenMixin:
    """A ``session_token`` column; ``get_id`` carries it (see the module docstring)."""

    id: Mapped[int]
    session_token: Mapped[str] = mapped_column(
        String(SESSION_TOKEN_LENGTH), default=new_session_token
    )

    #: "staff" or "household": the first part of the login id.
    login_kind: str = ""

    def get_id(self) -> str:
        if not self.session_token:
            self.session_token = new_session_token()
        return f"{self.login_kind}:{self.id}:{self.session_token}"

    def end_sessions(self) -> None:
        """Log this account out everywhere (takes effect when the change is committed)."""
        self.session_token = new_session_token()
        if _is_current(self):
            # The request that made the change stays logged in (a password change, an
            # administrator editing their own account); logout clears it afterwards.
            session["_user_id"] = self.get_id()


def _is_current(account: SessionTokenMixin) -> bool:
    if not has_request_context():  # the command line
        return False
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    return (
        user is not None
        and getattr(user, "is_authenticated", False)
        and type(user) is type(account)
        and user.id == account.id
    )


def parse_login_id(user_id: str) -> tuple[str, int, str] | None:
    """``(kind, id, token)`` from a login id, or ``None`` when it is malformed."""
    kind, _, rest = user_id.partition(":")
    ident, _, token = rest.partition(":")
    if not ident.isdigit() or not token or len(ident) > 12:
        return None
    return kind, int(ident), token


def token_matches(account: SessionTokenMixin, token: str) -> bool:
    return bool(account.session_token) and hmac.compare_digest(account.session_token, token)
