"""ISBN-10 and ISBN-13: normalise what people type and check the check digit."""

from __future__ import annotations

_SEPARATORS = str.maketrans("", "", " -‐‑–—")


class InvalidIsbn(ValueError):
    """The text is not a valid ISBN-10 or ISBN-13."""


def normalise_isbn(text: str) -> str:
    """Digits only (and a final X for ISBN-10), or ``""`` for empty input.

    Raises :class:`InvalidIsbn` for a wrong length, stray characters or a
    wrong check digit. Hyphens and spaces, as printed on books, are allowed.
    """
    value = (text or "").translate(_SEPARATORS).upper()
    if value.startswith("ISBN"):
        value = value[4:].lstrip(":：")
    if value == "":
        return ""
    if len(value) == 10 and _isbn10_ok(value):
        return value
    if len(value) == 13 and _isbn13_ok(value):
        return value
    raise InvalidIsbn(text)


def _isbn10_ok(value: str) -> bool:
    body, check = value[:9], value[9]
    if not body.isdigit() or not (check.isdigit() or check == "X"):
        return False
    digits = [int(c) for c in body] + [10 if check == "X" else int(check)]
    return sum((10 - i) * d for i, d in enumerate(digits)) % 11 == 0


def _isbn13_ok(value: str) -> bool:
    if not value.isdigit() or value[:3] not in ("978", "979"):
        return False
    total = sum((3 if i % 2 else 1) * int(c) for i, c in enumerate(value))
    return total % 10 == 0
