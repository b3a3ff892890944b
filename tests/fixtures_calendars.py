"""Fixtures and factories for the calendars tests (a pytest plugin loaded by conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import delete, update

from readingroom.calendars.cache import clear_all as clear_calendar_caches
from readingroom.calendars.queries import counting_statements
from readingroom.extensions import db
from readingroom.places.models import Community, Room
from readingroom.registrations.models import Registration, RegistrationStatus
from readingroom.registrations.occupancy import Occupancy
from readingroom.schedule.models import Program, ReadingSession, Series
from readingroom.schedule.operations import (
    SeriesData,
    cancel_session,
    create_series,
    series_data,
    update_session,
)
from readingroom.timeutil import BEIJING, beijing_today
from tests.conftest import at


@dataclass
class CalendarWorld:
    """Two communities, three rooms, two strands and a weekly series of six Saturdays
    (in room ``peony``) whose second occurrence is cancelled and third moved to ``garden``."""

    yaozhuang: Community
    sunzhuang: Community
    peony: Room
    garden: Room
    sun_room: Room
    parent_child: Program
    senior: Program
    series: Series
    sessions: list[ReadingSession]
    cancelled: ReadingSession
    moved: ReadingSession
    senior_session: ReadingSession


def next_saturday(today: date) -> date:
    return today + timedelta(days=(5 - today.weekday()) % 7 or 7)


@pytest.fixture
def world(make) -> CalendarWorld:
    yaozhuang = make.community("yaozhuang", "姚庄社区")
    sunzhuang = make.community("sunzhuang", "孙庄社区")
    peony = make.room(yaozhuang, slug="yaozhuang-peony", name="牡丹书房", seats=24)
    garden = make.room(yaozhuang, slug="yaozhuang-garden", name="花园书房", seats=24)
    sun_room = make.room(sunzhuang, slug="sunzhuang-academy", name="孙庄书房", seats=20)
    parent_child = make.program(
        "parent-child", name="亲子阅读", min_age=3, max_age=12, adult_required=True
    )
    senior = make.program("senior", name="长者悦读", min_age=60, max_age=None, adult_required=False)
    series, sessions = create_series(
        SeriesData(
            program=parent_child,
            room=peony,
            title="绘本共读",
            weekdays=(5,),
            start_time=time(9, 30),
            end_time=time(10, 30),
            first_date=next_saturday(beijing_today()),
            count=6,
            capacity=16,
            host="王老师",
            suggested_books="《团圆》\n《好饿的毛毛虫》",
            description="孩子和家长一起读绘本，讲一讲、画一画。",
        )
    )
    db.session.flush()
    cancelled, moved = sessions[1], sessions[2]
    cancel_session(cancelled, "书院设备检修，暂停一次。")
    data = series_data(series).occurrence(moved.starts_at.astimezone(BEIJING).date())
    update_session(moved, replace(data, room=garden, title="绘本共读（本周在花园书房）"))
    senior_session = make.session(
        sun_room,
        program=senior,
        start=at(beijing_today() + timedelta(days=2), 9, 30),
        minutes=90,
        capacity=12,
        title="长者悦读会",
    )
    db.session.commit()
    return CalendarWorld(
        yaozhuang=yaozhuang,
        sunzhuang=sunzhuang,
        peony=peony,
        garden=garden,
        sun_room=sun_room,
        parent_child=parent_child,
        senior=senior,
        series=series,
        sessions=sessions,
        cancelled=cancelled,
        moved=moved,
        senior_session=senior_session,
    )


def backdate(*sessions: ReadingSession, hours: int = 2) -> None:
    """Move the update times into the past, so that a later edit is visibly newer
    (HTTP dates have one-second resolution)."""
    past = datetime.now(UTC) - timedelta(hours=hours)
    ids = [s.id for s in sessions]
    db.session.execute(
        update(ReadingSession)
        .where(ReadingSession.id.in_(ids))
        .values(updated_at=past, created_at=past)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(update(Room).values(updated_at=past))
    db.session.execute(update(Program).values(updated_at=past))
    db.session.commit()
    db.session.expire_all()


@pytest.fixture(autouse=True)
def _empty_feed_cache() -> Iterator[None]:
    """Rendered feeds and pages are cached per process; each test starts without any."""
    clear_calendar_caches()
    yield
    clear_calendar_caches()


class SeatsTaken:
    """``seats[session_id] = Occupancy(...)`` stores real registrations with those seats
    (a confirmed and a waiting party without an account, replacing what the session had),
    counted by the real queries."""

    def __setitem__(self, session_id: int, wanted: Occupancy) -> None:
        db.session.execute(delete(Registration).where(Registration.session_id == session_id))
        for status, seats in (
            (RegistrationStatus.CONFIRMED, wanted.seats_taken),
            (RegistrationStatus.WAITLISTED, wanted.waitlist_count),
        ):
            if seats:
                db.session.add(
                    Registration(
                        session_id=session_id, household_id=None, status=status, seats=seats
                    )
                )
        db.session.commit()


@pytest.fixture
def seats_provider(app) -> SeatsTaken:
    return SeatsTaken()


@pytest.fixture
def count_queries(app):
    """``with count_queries() as counter:`` counts statements run inside the block."""
    return lambda: counting_statements(db.engine)


def parse_ics(body: bytes):
    """Parse with ``ical`` (a strict parser, independent of the icalendar package we write with)."""
    from ical.calendar_stream import IcsCalendarStream

    return IcsCalendarStream.calendar_from_ics(body.decode("utf-8"))


def occurrences(body: bytes, start: datetime, end: datetime) -> set[tuple[str, datetime, str]]:
    """(UID, start in UTC, STATUS) of what a client computes from the feed in [start, end).

    Two independent expansions (``ical``'s timeline and recurring-ical-events)
    must agree; the result is what a calendar app would show.
    """
    import icalendar
    import recurring_ical_events

    calendar = parse_ics(body)
    from_ical = {
        (e.uid, e.start.astimezone(UTC), e.status.value if e.status else "")
        for e in calendar.timeline_tz(UTC).overlapping(start, end)
    }
    from_rie = {
        (str(e["UID"]), e["DTSTART"].dt.astimezone(UTC), str(e.get("STATUS", "")))
        for e in recurring_ical_events.of(icalendar.Calendar.from_ical(body)).between(start, end)
    }
    assert from_ical == from_rie
    return from_ical


def expected(sessions: list[ReadingSession]) -> set[tuple[str, datetime, str]]:
    return {
        (s.ical_uid(), s.starts_at, "CANCELLED" if s.is_cancelled else "CONFIRMED")
        for s in sessions
    }
