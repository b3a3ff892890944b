"""Signals other domains listen to (sign-ups tell households; calendars drop caches).

Receivers run inside the same transaction as the change and must only flush.
"""

from blinker import Namespace

_signals = Namespace()

#: sender: the ReadingSession; kwargs: changes (set of field names), e.g. {"starts_at"}
session_changed = _signals.signal("session-changed")
#: sender: the ReadingSession; kwargs: reason
session_cancelled = _signals.signal("session-cancelled")
