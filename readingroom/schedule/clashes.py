"""Clash rules for sessions, checked before anything is saved.

* another session in the same room overlapping in time: blocks saving;
* capacity above the room's seats: blocks saving;
* the host already busy elsewhere at that time: a warning;
* outside the room's opening hours: a warning;
* whatever the domains listening to :data:`.signals.checking_clashes` add (sign-ups:
  a capacity below the seats families already hold blocks saving).

Intervals are half-open: 09:00–10:00 and 10:00–11:00 do not clash.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import or_, select

from ..extensions import db
from ..places.models import Room
from ..timeutil import format_clock, format_span, to_beijing, weekday_name
from .models import ReadingSession, SessionStatus
from .signals import checking_clashes


class ClashKind(enum.StrEnum):
    ROOM = "room"
    CAPACITY = "capacity"
    HOST = "host"
    HOURS = "hours"


class Severity(enum.Enum):
    BLOCK = "block"
    WARN = "warn"


@dataclass(frozen=True)
class Candidate:
    """A session as it would be saved (one occurrence of a series, or a single session)."""

    room: Room
    starts_at: datetime
    ends_at: datetime
    capacity: int
    host: str = ""
    # The host as a person (courses): matched by id across communities, whatever the typed name.
    host_id: int | None = None
    ignore_ids: frozenset[int] = field(default_factory=frozenset)
    # The existing session this candidate would become (edits): its seats taken bound the capacity.
    session_id: int | None = None


@dataclass(frozen=True)
class Clash:
    kind: ClashKind
    severity: Severity
    candidate: Candidate
    message: str
    other: ReadingSession | None = None

    @property
    def blocks(self) -> bool:
        return self.severity is Severity.BLOCK


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Half-open intervals [start, end) overlap; touching ones do not."""
    return a_start < b_end and b_start < a_end


def normalise_host(host: str) -> str:
    return "".join(host.split()).casefold()


def same_host(candidate: Candidate, other_host_id: int | None, other_host: str) -> bool:
    """Whether the other session is led by the candidate's host (person first, then name)."""
    if candidate.host_id is not None and other_host_id == candidate.host_id:
        return True
    host = normalise_host(candidate.host)
    return bool(host) and normalise_host(other_host) == host


def within_opening_hours(room: Room, starts_at: datetime, ends_at: datetime) -> bool | None:
    """Whether the session fits one opening interval of its weekday.

    ``None`` when the room has no opening hours recorded at all (nothing to check).
    """
    if not room.opening_hours:
        return None
    start, end = to_beijing(starts_at), to_beijing(ends_at)
    if start.date() != end.date():
        return False  # no book room is open across midnight
    return any(
        hours.opens <= start.time() and end.time() <= hours.closes
        for hours in room.hours_on(start.weekday())
    )


def clashes_with(candidate: Candidate, others: Iterable[ReadingSession]) -> list[Clash]:
    """All clashes of one candidate against the given existing sessions (no database access)."""
    found: list[Clash] = []
    room = candidate.room
    span = format_span(candidate.starts_at, candidate.ends_at)

    if candidate.capacity > room.seats:
        found.append(
            Clash(
                ClashKind.CAPACITY,
                Severity.BLOCK,
                candidate,
                _(
                    "Capacity %(capacity)d is more than the %(seats)d seats of %(room)s.",
                    capacity=candidate.capacity,
                    seats=room.seats,
                    room=room.name,
                ),
            )
        )

    for other in others:
        if other.id in candidate.ignore_ids or other.status is not SessionStatus.SCHEDULED:
            continue
        if not overlaps(candidate.starts_at, candidate.ends_at, other.starts_at, other.ends_at):
            continue
        other_span = format_span(other.starts_at, other.ends_at)
        if other.room_id == room.id:
            found.append(
                Clash(
                    ClashKind.ROOM,
                    Severity.BLOCK,
                    candidate,
                    _(
                        "%(room)s is already booked at %(span)s: %(title)s (%(other_span)s).",
                        room=room.name,
                        span=span,
                        title=other.title,
                        other_span=other_span,
                    ),
                    other,
                )
            )
        elif same_host(candidate, other.host_id, other.host):
            found.append(
                Clash(
                    ClashKind.HOST,
                    Severity.WARN,
                    candidate,
                    _(
                        "%(host)s is already hosting %(title)s (%(other_span)s) at %(place)s.",
                        host=candidate.host,
                        title=other.title,
                        other_span=other_span,
                        place=other.room.name,
                    ),
                    other,
                )
            )

    fits = within_opening_hours(room, candidate.starts_at, candidate.ends_at)
    if fits is False:
        weekday = to_beijing(candidate.starts_at).weekday()
        intervals = room.hours_on(weekday)
        if intervals:
            hours = ", ".join(
                f"{format_clock(h.opens)}–{format_clock(h.closes)}" for h in intervals
            )
            message = _(
                "%(span)s is outside the opening hours of %(room)s (%(day)s: %(hours)s).",
                span=span,
                room=room.name,
                day=weekday_name(weekday),
                hours=hours,
            )
        else:
            message = _(
                "%(room)s is closed on %(day)s (%(span)s).",
                room=room.name,
                day=weekday_name(weekday),
                span=span,
            )
        found.append(Clash(ClashKind.HOURS, Severity.WARN, candidate, message))
    return found


def find_clashes(candidates: Sequence[Candidate]) -> list[Clash]:
    """Clashes of every candidate, with one query for all of them."""
    if not candidates:
        return []
    earliest = min(c.starts_at for c in candidates)
    latest = max(c.ends_at for c in candidates)
    room_ids = {c.room.id for c in candidates}
    hosts = {normalise_host(c.host) for c in candidates if c.host.strip()}
    host_ids = {c.host_id for c in candidates if c.host_id is not None}
    conditions = [ReadingSession.room_id.in_(room_ids)]
    if hosts:
        conditions.append(ReadingSession.host != "")
    if host_ids:
        conditions.append(ReadingSession.host_id.in_(host_ids))
    stmt = (
        select(ReadingSession)
        .where(
            ReadingSession.status == SessionStatus.SCHEDULED,
            ReadingSession.starts_at < latest,
            ReadingSession.ends_at > earliest,
            or_(*conditions),
        )
        .order_by(ReadingSession.starts_at)
    )
    existing = [
        s
        for s in db.session.scalars(stmt)
        if s.room_id in room_ids or normalise_host(s.host) in hosts or s.host_id in host_ids
    ]
    clashes: list[Clash] = []
    for candidate in candidates:
        clashes.extend(clashes_with(candidate, existing))
    for _receiver, found in checking_clashes.send(candidates):
        clashes.extend(found or ())
    return clashes
