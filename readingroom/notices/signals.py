"""Signals of the notices domain; the domains above it (registrations) answer.

Receivers run inside the caller's transaction and only read.
"""

from blinker import Namespace

_signals = Namespace()

#: sender: the Notice being sent; a receiver returns the link that cancels the registration
#: the notice is about (``Notice.registration_id``), or ``None``.
cancel_link_wanted = _signals.signal("cancel-link-wanted")
