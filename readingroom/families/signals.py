"""Signals of the families domain; higher domains (notices, registrations) listen.

Receivers run inside the caller's transaction and only flush.
"""

from __future__ import annotations

from typing import Any

from blinker import Namespace

_signals = Namespace()

#: sender: the Member about to be hidden; kwargs: now. A receiver refuses by raising
#: :class:`readingroom.families.operations.AccountError` (e.g. still signed up for a session).
member_removing = _signals.signal("member-removing")

#: sender: the Household whose home page is shown; each receiver returns a dict of extra
#: template values (e.g. notices: ``unread``).
family_home = _signals.signal("family-home")


#: sender: the Household whose number saw many failed logins lately (families/ratelimit.py);
#: the notices domain tells the family.
many_failed_logins = _signals.signal("many-failed-logins")


def home_extras(household: Any) -> dict[str, Any]:
    """What the higher domains add to the family's home page."""
    extras: dict[str, Any] = {}
    for _receiver, values in family_home.send(household):
        extras.update(values or {})
    return extras


#: sender: the app. A receiver that can reach families' phones (notices, with an SMS
#: sender configured) returns a callable ``send(mobile, code)``; else ``None``. The
#: forgotten-password page offers a code by SMS only when one answers (reset_codes.py).
phone_code_sender = _signals.signal("phone-code-sender")


def code_sender(app: Any) -> Any:
    """The first way to send a code to a phone that a higher domain offers, else ``None``."""
    for _receiver, send in phone_code_sender.send(app):
        if send is not None:
            return send
    return None
