"""Password rules for family accounts: at least 8 characters, no composition rules,
common passwords refused (NIST SP 800-63B style)."""

from __future__ import annotations

from functools import cache
from itertools import pairwise
from pathlib import Path

from flask_babel import gettext as _

MIN_LENGTH = 8
MAX_LENGTH = 200
COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")


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
