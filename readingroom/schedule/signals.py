"""Signals the schedule sends; higher domains listen (sign-ups tell households and settle
seats; calendars drop caches).

Receivers run inside the same transaction as the change and only flush; one may
refuse the change by raising a :class:`readingroom.domain.DomainError`.
"""

from blinker import Namespace

_signals = Namespace()

#: sender: the ReadingSession; kwargs: changes (set of field names), e.g. {"starts_at"}
session_changed = _signals.signal("session-changed")
#: sender: the ReadingSession; kwargs: reason
session_cancelled = _signals.signal("session-cancelled")
#: sender: the list of clashes.Candidate about to be saved; each receiver returns a list of
#: clashes.Clash of its own rules (e.g. a capacity below the seats taken).
checking_clashes = _signals.signal("checking-clashes")
