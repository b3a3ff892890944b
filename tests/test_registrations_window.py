"""The registration window and seats in the schedule's own screens and operations.

Staff set the window per session (times) or per series (offsets); a capacity
below the seats taken is a blocking clash; moving, re-sizing or cancelling a
session reaches the registered families.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from readingroom.extensions import db
from readingroom.notices.models import Notice, NoticeKind, OutboxMessage
from readingroom.registrations import operations as ops
from readingroom.registrations import queries
from readingroom.registrations.models import RegistrationStatus
from readingroom.schedule.models import ReadingSession, Series
from readingroom.schedule.operations import SessionData, cancel_session, update_session
from readingroom.timeutil import BEIJING, beijing_today

from .conftest import at, login
from .fixtures_families import member_ids

DAY = beijing_today() + timedelta(days=10)


@pytest.fixture
def desk(make, client):
    community = make.community()
    room = make.room(community, seats=24)
    program = make.program(min_age=0, max_age=None, adult_required=False)
    staff = make.staff(community)
    login(client, staff)
    return room, program


def form(room, program, **overrides):
    data = {
        "program": program.id,
        "room": room.id,
        "title": "绘本共读",
        "capacity": "12",
        "starts_at": f"{DAY}T09:30",
        "ends_at": f"{DAY}T10:30",
    }
    data.update(overrides)
    return data


def test_session_window_is_saved_in_beijing_time_and_shown_again(client, desk):
    room, program = desk
    opens = DAY - timedelta(days=3)
    response = client.post(
        "/staff/sessions/new",
        data=form(
            room,
            program,
            signup_opens_at=f"{opens}T20:00",
            signup_closes_at=f"{DAY}T08:00",
        ),
    )
    assert response.status_code == 302
    s = db.session.scalars(select(ReadingSession)).one()
    assert s.signup_opens_at == at(opens, 20, 0)
    assert s.signup_closes_at == at(DAY, 8, 0)
    window = queries.window_of(s)
    assert (window.opens_at, window.closes_at) == (at(opens, 20), at(DAY, 8))
    html = client.get(f"/staff/sessions/{s.id}/edit").get_data(as_text=True)
    assert f'value="{opens}T20:00"' in html  # Beijing wall clock, not UTC


def test_blank_window_means_the_defaults(client, desk, app):
    room, program = desk
    assert client.post("/staff/sessions/new", data=form(room, program)).status_code == 302
    s = db.session.scalars(select(ReadingSession)).one()
    assert s.signup_opens_at is None and s.signup_closes_at is None
    window = queries.window_of(s)
    assert window.opens_at == s.starts_at - timedelta(days=7)
    assert window.closes_at == s.starts_at - timedelta(hours=2)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"signup_opens_at": f"{DAY}T08:00", "signup_closes_at": f"{DAY}T07:00"},
            "signup_closes_at",
            "Registration must close after it opens.",
        ),
        (
            {"signup_closes_at": f"{DAY}T10:00"},
            "signup_closes_at",
            "Registration must close by the start of the session.",
        ),
        (
            {"signup_opens_at": f"{DAY}T09:30"},
            "signup_opens_at",
            "Registration must open before the session starts.",
        ),
        ({"signup_opens_at": "tomorrow"}, "signup_opens_at", "Not a valid datetime value."),
    ],
)
def test_bad_window_is_explained_by_the_field(client, desk, overrides, field, message):
    room, program = desk
    response = client.post(
        "/staff/sessions/new",
        data=form(room, program, **overrides),
        headers={"Accept-Language": "en"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="{field}-error"' in html
    if message != "Not a valid datetime value.":
        assert message in html
    assert db.session.scalars(select(ReadingSession)).first() is None


def series_form(room, program, opens: str, closes: str) -> dict:
    """A weekly series of three from DAY with these window offsets."""
    return {
        "program": program.id,
        "room": room.id,
        "title": "周六绘本",
        "capacity": "12",
        "weekdays": str(DAY.weekday()),
        "start_time": "09:30",
        "end_time": "10:30",
        "first_date": DAY.isoformat(),
        "count": "3",
        "signup_opens_days": opens,
        "signup_closes_hours": closes,
    }


def test_series_offsets_apply_to_every_occurrence(client, desk):
    room, program = desk
    response = client.post("/staff/series/new", data=series_form(room, program, "3", "24"))
    assert response.status_code == 302
    series = db.session.scalars(select(Series)).one()
    assert (series.signup_opens_days, series.signup_closes_hours) == (3, 24)
    for s in series.sessions:
        window = queries.window_of(s)
        assert window.opens_at == s.starts_at - timedelta(days=3)
        assert window.closes_at == s.starts_at - timedelta(hours=24)
    # "this and following" shows the offsets again
    html = client.get(f"/staff/sessions/{series.sessions[1].id}/edit-following").get_data(
        as_text=True
    )
    assert re.search(r'<input [^>]*name="signup_opens_days"[^>]* value="3"', html)
    assert re.search(r'<input [^>]*name="signup_closes_hours"[^>]* value="24"', html)


@pytest.mark.parametrize(
    ("opens", "closes", "field"),
    [
        ("-1", "", "signup_opens_days"),
        ("", "400", "signup_closes_hours"),
        ("1", "30", "signup_closes_hours"),
    ],
)
def test_bad_series_offsets(client, desk, opens, closes, field):
    room, program = desk
    response = client.post("/staff/series/new", data=series_form(room, program, opens, closes))
    assert response.status_code == 200
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert db.session.scalars(select(Series)).first() is None


def _fill(make, family, capacity=4, households=3):
    s = make.session(
        capacity=capacity, program=make.program(min_age=0, max_age=None, adult_required=False)
    )
    families = [
        family.household(s.room.community, children=(), adults=("妈妈", "爸爸"))
        for _ in range(households)
    ]
    for h in families:
        ops.sign_up(s.id, h.id, member_ids(h))
        db.session.commit()
    return s, families


def test_capacity_below_seats_taken_is_a_blocking_clash(client, make, family):
    s, _families = _fill(make, family)  # 4 seats taken, 1 family waiting
    staff = make.staff(s.room.community)
    login(client, staff)
    start = s.starts_at.astimezone(BEIJING)
    response = client.post(
        f"/staff/sessions/{s.id}/edit",
        data={
            "program": s.program_id,
            "room": s.room_id,
            "title": s.title,
            "capacity": "3",
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        },
        headers={"Accept-Language": "en"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "4 seats are already taken; the capacity cannot be lower." in html
    db.session.refresh(s)
    assert s.capacity == 4


def test_raising_capacity_in_the_schedule_promotes_from_the_waiting_list(make, family):
    s, families = _fill(make, family)
    waiting = queries.live_registration(s.id, families[2].id)
    assert waiting.status is RegistrationStatus.WAITLISTED
    data = SessionData(
        program=s.program,
        room=s.room,
        title=s.title,
        starts_at=s.starts_at,
        ends_at=s.ends_at,
        capacity=6,
    )
    update_session(db.session.get(ReadingSession, s.id), data)
    db.session.commit()
    db.session.refresh(waiting)
    assert waiting.status is RegistrationStatus.CONFIRMED
    assert waiting.promoted_at is not None
    kinds = db.session.scalars(
        select(Notice.kind).where(Notice.household_id == families[2].id)
    ).all()
    assert NoticeKind.PROMOTED in kinds


def test_moving_or_cancelling_a_session_tells_every_live_family(make, family):
    s, families = _fill(make, family)
    ops.cancel_registration(
        queries.live_registration(s.id, families[0].id).id, by=ops.CancelledBy.HOUSEHOLD
    )
    db.session.commit()
    data = SessionData(
        program=s.program,
        room=s.room,
        title=s.title,
        starts_at=s.starts_at + timedelta(hours=1),
        ends_at=s.ends_at + timedelta(hours=1),
        capacity=s.capacity,
    )
    update_session(db.session.get(ReadingSession, s.id), data)
    db.session.commit()
    cancel_session(db.session.get(ReadingSession, s.id), "下雨停电")
    db.session.commit()

    def kinds(h):
        return db.session.scalars(
            select(Notice.kind).where(Notice.household_id == h.id).order_by(Notice.id)
        ).all()

    # the family that cancelled before hears nothing about the move or the cancellation
    assert NoticeKind.SESSION_MOVED not in kinds(families[0])
    for h in families[1:]:
        assert kinds(h)[-2:] == [NoticeKind.SESSION_MOVED, NoticeKind.SESSION_CANCELLED]
    cancelled = db.session.scalars(
        select(Notice).where(Notice.kind == NoticeKind.SESSION_CANCELLED)
    ).all()
    assert {n.detail for n in cancelled} == {"下雨停电"}
    # every notice is queued for sending
    assert db.session.query(OutboxMessage).count() == db.session.query(Notice).count()
    # registrations stay as they were (history)
    assert queries.live_registration(s.id, families[1].id).is_confirmed
