"""Signals of the sign-up domain (other domains listen; receivers only flush).

``member_checked_in.send(member, reading_session=reading_session, household=household)``
is sent when staff check a household member in (签到). Walk-ins without an
account have no member and send nothing.
"""

from blinker import Namespace

_signals = Namespace()

#: sender: the Member; kwargs: reading_session (ReadingSession), household (Household)
member_checked_in = _signals.signal("member-checked-in")
