"""Rules for book rooms: opening hours and saving."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from itertools import pairwise

from sqlalchemy import select

from ..auth.permissions import scope_to_user
from ..extensions import db
from .models import Community, OpeningHours, Room

_INTERVAL = re.compile(r"^\s*(\d{1,2})[:：](\d{2})\s*[-–—~～至到]\s*(\d{1,2})[:：](\d{2})\s*$")


class HoursError(ValueError):
    """Opening hours text that cannot be read; ``args[0]`` is the bad part."""


def parse_hours(text: str) -> list[tuple[time, time]]:
    """Read "09:00-12:00, 14:00-17:30" (Chinese punctuation accepted) into intervals.

    Empty text means closed that day. Intervals must not overlap.
    """
    intervals: list[tuple[time, time]] = []
    for part in re.split(r"[,，;；、\s]+(?=\d)", text.strip()):
        if not part.strip():
            continue
        match = _INTERVAL.match(part)
        if not match:
            raise HoursError(part.strip())
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2 != 0):
            raise HoursError(part.strip())
        opens = time(h1, m1)
        closes = time(23, 59) if h2 == 24 else time(h2, m2)
        if opens >= closes:
            raise HoursError(part.strip())
        intervals.append((opens, closes))
    intervals.sort()
    for (_, end), (start, _) in pairwise(intervals):
        if start < end:
            raise HoursError(text.strip())
    return intervals


def format_hours(intervals: list[tuple[time, time]]) -> str:
    return ", ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in intervals)


def hours_by_weekday(room: Room) -> dict[int, list[tuple[time, time]]]:
    return {d: [(h.opens, h.closes) for h in room.hours_on(d)] for d in range(7)}


@dataclass(frozen=True)
class RoomData:
    community: Community
    name: str
    slug: str
    address: str
    seats: int
    name_en: str = ""
    accessibility: str = ""
    notes: str = ""
    hours: tuple[tuple[tuple[time, time], ...], ...] = ((),) * 7  # index = weekday


def save_room(data: RoomData, room: Room | None = None) -> Room:
    """Create a room, or update one (its opening hours are replaced as a whole)."""
    if room is None:
        room = Room()
        db.session.add(room)
    room.community = data.community
    room.name, room.name_en, room.slug = data.name, data.name_en or None, data.slug
    room.address, room.seats = data.address, data.seats
    room.accessibility, room.notes = data.accessibility, data.notes
    room.opening_hours.clear()
    db.session.flush()
    for weekday, intervals in enumerate(data.hours):
        for opens, closes in intervals:
            room.opening_hours.append(OpeningHours(weekday=weekday, opens=opens, closes=closes))
    db.session.flush()
    return room


def slug_taken(slug: str, exclude_id: int | None = None) -> bool:
    stmt = select(Room.id).where(Room.slug == slug)
    if exclude_id is not None:
        stmt = stmt.where(Room.id != exclude_id)
    return db.session.scalars(stmt).first() is not None


def managed_communities() -> list[Community]:
    """The communities the logged-in staff member manages (all for the administrator)."""
    stmt = scope_to_user(select(Community).order_by(Community.id), Community.id)
    return list(db.session.scalars(stmt))
