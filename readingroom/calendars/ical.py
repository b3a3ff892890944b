"""iCalendar for sessions: small pure functions on top of the ``icalendar`` package.

Rules every feed follows (and ``../shared/tools/check_ics`` checks):

* One VEVENT per session with the session's own UID (``ReadingSession.ical_uid``),
  also for occurrences of a series: occurrences are real rows, so a moved or
  cancelled occurrence is just a changed event, correct in every filtered feed.
* Deterministic bytes: DTSTAMP and LAST-MODIFIED come from the update time of
  what the event shows (session, room, strand), never from "now"; SEQUENCE is
  ``ReadingSession.sequence``. Two renders of unchanged data are identical.
* Times carry ``TZID=Asia/Shanghai`` with one VTIMEZONE built from zoneinfo.
* A cancelled session stays as ``STATUS:CANCELLED`` with 【已取消】 at the start
  of its title (Google hides cancelled events, Apple strikes them through).
* Text is Chinese, the language of the programme, whatever the UI language of
  the request, so that every subscriber of a feed gets the same bytes.
* Lines are folded here, not by icalendar: at 75 octets, never inside a UTF-8
  character or a TEXT escape such as ``\\n`` (collective/icalendar#1501).
  NAME/X-WR-CALNAME are set as escaped TEXT, REFRESH-INTERVAL with
  ``VALUE=DURATION`` and X-PUBLISHED-TTL as a duration (icalendar 7.3 pitfalls).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from icalendar import Calendar, Event, Timezone, TimezoneStandard, vDuration, vText

from ..timeutil import BEIJING, beijing_day_bounds

if TYPE_CHECKING:
    from ..places.models import Room
    from ..schedule.models import Program, ReadingSession

PRODID = "-//Binhe subdistrict//readingroom//ZH"
TZID = "Asia/Shanghai"
#: Feeds carry sessions that start on or after this many days before today (Beijing) ...
FEED_WINDOW_DAYS = 90
#: ... and at most this many days after it (13 months). Both: FEED_DAYS_BEFORE/AHEAD config.
FEED_DAYS_AHEAD = 396
#: How often clients are asked to refresh a subscription.
REFRESH_INTERVAL = timedelta(hours=6)
CANCELLED_PREFIX = "【已取消】"
FOLD_OCTETS = 75


# --- folding and serialising ------------------------------------------------------------------


def fold_line(line: str, limit: int = FOLD_OCTETS) -> bytes:
    """One content line folded to at most ``limit`` octets per physical line (RFC 5545 3.1).

    A continuation line starts with one space, so it carries ``limit - 1``
    octets of content. Cuts fall between UTF-8 characters and never inside a
    backslash escape such as ``\\n`` (a run of backslashes before the cut must
    be even, else the cut moves back one octet).
    """
    data = line.encode("utf-8")
    if len(data) <= limit:
        return data
    pieces: list[bytes] = []
    start, room = 0, limit
    while len(data) - start > room:
        cut = start + room
        while data[cut] & 0xC0 == 0x80:  # a UTF-8 continuation octet: inside a character
            cut -= 1
        first = cut
        while first > start and data[first - 1] == 0x5C:  # backslashes just before the cut
            first -= 1
        if (cut - first) % 2:
            cut -= 1
        pieces.append(data[start:cut])
        start, room = cut, limit - 1
    pieces.append(data[start:])
    return b"\r\n ".join(pieces)


def serialize(calendar: Calendar) -> bytes:
    """The calendar as iCalendar bytes: CRLF line ends, folded by :func:`fold_line`."""
    lines = calendar.content_lines(sorted=False)
    return b"".join(fold_line(str(line)) + b"\r\n" for line in lines if line)


# --- time zone --------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _beijing_rule() -> tuple[date, timedelta, str]:
    """Since when Asia/Shanghai has had one fixed offset, which offset, and its name.

    Read from zoneinfo (China last observed daylight saving in 1991); if the
    zone ever changes again this raises instead of writing a wrong VTIMEZONE.
    """
    years = range(1970, 2101)
    probes = [datetime(year, month, 1, 12, tzinfo=BEIJING) for year in years for month in (1, 7)]
    current = probes[-1].utcoffset()
    assert current is not None
    changed = [i for i, probe in enumerate(probes) if probe.utcoffset() != current]
    since = changed[-1] + 1 if changed else 0
    if since >= len(probes) - 2 or any(probe.dst() for probe in probes[since:]):
        raise RuntimeError("Asia/Shanghai has no fixed offset now: revisit beijing_vtimezone()")
    first = probes[since].date()
    return first, current, probes[-1].tzname() or "CST"


def beijing_vtimezone() -> Timezone:
    """VTIMEZONE for Asia/Shanghai: one STANDARD block (+0800), the form Outlook handles best."""
    since, offset, name = _beijing_rule()
    standard = TimezoneStandard()
    standard.add("DTSTART", datetime(since.year, since.month, since.day))
    standard.add("TZOFFSETFROM", offset)
    standard.add("TZOFFSETTO", offset)
    standard.add("TZNAME", name)
    zone = Timezone()
    zone.add("TZID", TZID)
    zone.add_component(standard)
    return zone


# --- texts ------------------------------------------------------------------------------------


def session_url(base_url: str, session_id: int) -> str:
    return f"{base_url.rstrip('/')}/sessions/{session_id}"


def audience_text(program: Program) -> str:
    """Who a strand is for, in Chinese: 3–12岁，每个孩子需一位大人陪同."""
    if program.max_age is not None and program.min_age > 0:
        ages = f"{program.min_age}–{program.max_age}岁"
    elif program.max_age is not None:
        ages = f"{program.max_age}岁及以下"
    elif program.min_age > 0:
        ages = f"{program.min_age}岁及以上"
    else:
        ages = "不限年龄"
    if program.adult_required:
        return f"{ages}的孩子，每个孩子需一位大人陪同"
    return ages


def location_text(room: Room) -> str:
    """LOCATION: the room and its address (the address names the community's academy)."""
    return "，".join(part for part in (room.name, room.address) if part)


def summary_text(reading_session: ReadingSession, note: str | None = None) -> str:
    """SUMMARY: 【已取消】 first when cancelled, then the caller's note, then the title."""
    prefix = CANCELLED_PREFIX if reading_session.is_cancelled else ""
    return f"{prefix}{note or ''}{reading_session.title}"


def description_text(
    reading_session: ReadingSession, *, base_url: str, note: str | None = None
) -> str:
    lines: list[str] = []
    if note:
        lines.append(note)
    if reading_session.is_cancelled:
        reason = reading_session.cancel_reason.strip()
        lines.append("本场活动已取消。" + (f"原因：{reason}" if reason else ""))
    lines.append(f"阅读板块：{reading_session.program.name}")
    lines.append(f"适合对象：{audience_text(reading_session.program)}")
    if reading_session.host:
        lines.append(f"主持人：{reading_session.host}")  # the page's word for a host
    lines.append(f"名额：{reading_session.capacity}个座位")
    if reading_session.book_list:
        lines.append("推荐书目：" + "".join(reading_session.book_list))
    if reading_session.description.strip():
        lines.append("")
        lines.append(reading_session.description.strip())
    lines.append("")
    lines.append(f"详情和报名：{session_url(base_url, reading_session.id)}")
    return "\n".join(lines)


# --- events and calendars ---------------------------------------------------------------------


def modified_at(reading_session: ReadingSession) -> datetime:
    """When what the event shows last changed: the session, its room or its strand."""
    stamps = [
        reading_session.updated_at,
        reading_session.room.updated_at,
        reading_session.program.updated_at,
    ]
    return max(s for s in stamps if s is not None).astimezone(UTC).replace(microsecond=0)


def session_event(
    reading_session: ReadingSession,
    *,
    base_url: str,
    note: str | None = None,
    tentative: bool = False,
) -> Event:
    """The VEVENT of one session.

    ``base_url`` (e.g. ``https://host``) makes the URL back to the session page.
    ``note`` (e.g. "【候补】") goes at the start of SUMMARY (after 【已取消】) and
    into DESCRIPTION. Seat counts stay out: the bytes (and the feeds' validators)
    depend only on the session, its room and its strand. ``tentative`` (the household
    feed's waiting-list entries) makes a session that is not cancelled ``STATUS:TENTATIVE``.
    """
    stamp = modified_at(reading_session)
    event = Event()
    event.add("UID", reading_session.ical_uid())
    event.add("DTSTAMP", stamp)
    event.add("LAST-MODIFIED", stamp)
    event.add("CREATED", reading_session.created_at.astimezone(UTC).replace(microsecond=0))
    event.add("SEQUENCE", reading_session.sequence)
    event.add("DTSTART", reading_session.starts_at.astimezone(BEIJING).replace(microsecond=0))
    event.add("DTEND", reading_session.ends_at.astimezone(BEIJING).replace(microsecond=0))
    event.add("SUMMARY", summary_text(reading_session, note))
    event.add("LOCATION", location_text(reading_session.room))
    event.add(
        "DESCRIPTION",
        description_text(reading_session, base_url=base_url, note=note),
    )
    event.add("CATEGORIES", [reading_session.program.name])
    event.add("URL", session_url(base_url, reading_session.id))
    if reading_session.is_cancelled:
        event.add("STATUS", "CANCELLED")
    else:
        event.add("STATUS", "TENTATIVE" if tentative else "CONFIRMED")
    event.add("TRANSP", "OPAQUE")
    return event


def escape_char(text: str) -> str:
    """RFC 5545 TEXT escaping, in icalendar's order (its vText; tests compare the two)."""
    return (
        text.replace("\\N", "\n")
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _utc_text(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _beijing_text(value: datetime) -> str:
    return value.astimezone(BEIJING).strftime("%Y%m%dT%H%M%S")


def event_bytes(reading_session: ReadingSession, *, base_url: str) -> bytes:
    """``serialize(session_event(...))`` written directly, without icalendar objects.

    The same bytes (tests compare the two on awkward texts), at a fraction of
    the cost: a feed's first render writes thousands of these. TEXT values are
    escaped by :func:`escape_char` as icalendar does; lines folded by :func:`fold_line`.
    """
    stamp = _utc_text(modified_at(reading_session))
    cancelled = reading_session.is_cancelled
    lines = (
        "BEGIN:VEVENT",
        "UID:" + escape_char(reading_session.ical_uid()),
        "DTSTAMP:" + stamp,
        "LAST-MODIFIED:" + stamp,
        "CREATED:" + _utc_text(reading_session.created_at),
        f"SEQUENCE:{reading_session.sequence}",
        f"DTSTART;TZID={TZID}:" + _beijing_text(reading_session.starts_at),
        f"DTEND;TZID={TZID}:" + _beijing_text(reading_session.ends_at),
        "SUMMARY:" + escape_char(summary_text(reading_session)),
        "LOCATION:" + escape_char(location_text(reading_session.room)),
        "DESCRIPTION:" + escape_char(description_text(reading_session, base_url=base_url)),
        "CATEGORIES:" + escape_char(reading_session.program.name),
        "URL:" + session_url(base_url, reading_session.id),
        "STATUS:" + ("CANCELLED" if cancelled else "CONFIRMED"),
        "TRANSP:OPAQUE",
        "END:VEVENT",
    )
    return b"".join(fold_line(line) + b"\r\n" for line in lines)


_END = b"END:VCALENDAR\r\n"


def build_calendar(
    events: Iterable[Event],
    *,
    name: str,
    description: str = "",
    url: str | None = None,
    subscription: bool = True,
) -> bytes:
    """A whole calendar as bytes, named ``name`` (NAME and X-WR-CALNAME).

    ``subscription=False`` is for a one-off download to import (one session):
    it leaves out the refresh interval, which only a subscribed feed needs.
    """
    return assemble_calendar(
        [serialize(event) for event in events],
        name=name,
        description=description,
        url=url,
        subscription=subscription,
    )


def assemble_calendar(
    event_chunks: list[bytes],
    *,
    name: str,
    description: str = "",
    url: str | None = None,
    subscription: bool = True,
) -> bytes:
    """:func:`build_calendar` from events already serialised (feeds reuse unchanged ones)."""
    calendar = Calendar()
    calendar.add("VERSION", "2.0")
    calendar.add("PRODID", PRODID)
    calendar.add("CALSCALE", "GREGORIAN")
    if name:
        calendar.add("NAME", vText(name))
        calendar.add("X-WR-CALNAME", vText(name))
    if description:
        calendar.add("DESCRIPTION", vText(description))
        calendar.add("X-WR-CALDESC", vText(description))
    if url:
        calendar.add("URL", url)
    calendar.add("X-WR-TIMEZONE", TZID)
    if subscription:
        calendar.add(
            "REFRESH-INTERVAL", vDuration(REFRESH_INTERVAL), parameters={"VALUE": "DURATION"}
        )
        calendar.add("X-PUBLISHED-TTL", vDuration(REFRESH_INTERVAL))
    if event_chunks:
        calendar.add_component(beijing_vtimezone())
    head = serialize(calendar)
    return head[: -len(_END)] + b"".join(event_chunks) + _END


def feed_window_start(today: date, days_before: int = FEED_WINDOW_DAYS) -> datetime:
    """The first instant a feed carries: Beijing midnight ``days_before`` days ago."""
    return beijing_day_bounds(today - timedelta(days=days_before))[0]


def feed_window(
    today: date, days_before: int = FEED_WINDOW_DAYS, days_ahead: int = FEED_DAYS_AHEAD
) -> tuple[datetime, datetime]:
    """[start, end) of what a feed carries: from Beijing midnight ``days_before`` days ago to
    the Beijing midnight that ends the day ``days_ahead`` days from ``today``."""
    return (
        feed_window_start(today, days_before),
        beijing_day_bounds(today + timedelta(days=days_ahead))[1],
    )
