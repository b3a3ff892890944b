"""Chinese mobile numbers: validation, normalisation, masking (138****5678)."""

from __future__ import annotations

import re

# 11 digits, starting with 1 and a network digit 3–9 (13x … 19x).
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_SEPARATORS = re.compile(r"[\s\-()（）]")


def normalise_mobile(raw: str | None) -> str:
    """Digits only: spaces, hyphens and a leading +86 / 0086 / 86 are dropped."""
    value = _SEPARATORS.sub("", raw or "")
    for prefix in ("+86", "0086"):
        if value.startswith(prefix):
            value = value[len(prefix) :]
    if len(value) == 13 and value.startswith("86"):
        value = value[2:]
    return value


def is_mobile(value: str) -> bool:
    return bool(_MOBILE.match(value))


def mask_mobile(value: str) -> str:
    """138****5678: enough to tell families apart on a roster, not enough to call."""
    if len(value) != 11:
        return "*" * len(value)
    return f"{value[:3]}****{value[7:]}"
