"""One password mechanism for every kind of account (staff and families).

Hashing and checking (:class:`PasswordMixin`), logging in with one hash check
whether or not the account exists (:func:`authenticate`), and the rules for a
new family password: at least 8 characters, no composition rules, common
passwords refused (NIST SP 800-63B style).
"""

from __future__ import annotations

from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Protocol, TypeVar

from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 8
MAX_LENGTH = 200
COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")
# Compared against when the account is unknown, so both paths cost one hash check.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class PasswordMixin:
    """``set_password``/``check_password`` over a ``password_hash`` column of the model."""

    password_hash: str

    def set_password(self, password: str) -> None:
        """A new password also ends every session of the account (if it keeps sessions)."""
        self.password_hash = generate_password_hash(password)
        end_sessions = getattr(self, "end_sessions", None)
        if end_sessions is not None and getattr(self, "id", None) is not None:
            end_sessions()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


class Account(Protocol):
    """What logging in needs of an account (StaffUser, Household)."""

    @property
    def is_active(self) -> bool: ...

    def check_password(self, password: str) -> bool: ...


A = TypeVar("A", bound=Account)


def authenticate(account: A | None, password: str) -> A | None:
    """The account if it exists, is active and has this password, else ``None``.

    An unknown account costs the same one hash check as a known one, so the
    answer's timing does not tell which logins exist.
    """
    if account is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not account.check_password(password) or not account.is_active:
        return None
    return account


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip().casefold() for line in lines if line.strip() and not line.startswith("#")
    )


def _monotonous(password: str) -> bool:
    """One character repeated, or a run of consecutive keys like 12345678 / abcdefgh."""
    if len(set(password)) == 1:
        return True
    steps = {ord(b) - ord(a) for a, b in pairwise(password)}
    return steps in ({1}, {-1})


def password_problem(password: str, *, mobile: str = "", name: str = "") -> str | None:
    """Why a new password is refused (``None``: it is fine)."""
    if len(password) < MIN_LENGTH:
        return _("Use at least %(min)d characters.", min=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("Use at most %(max)d characters.", max=MAX_LENGTH)
    folded = password.casefold()
    if folded in common_passwords() or _monotonous(password):
        return _("This password is too common and easy to guess. Choose another one.")
    if mobile and mobile in password:
        return _("Do not use your mobile number in the password.")
    if name and folded == name.strip().casefold():
        return _("Do not use your name as the password.")
    return None
