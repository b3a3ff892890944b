"""Staff points of the walk-through (issue 12): the check-in window, walk-ins that keep their
name and ask for the count, a split series named as a continuation, the room week's "add"
links only on open future days, the new-staff form's wording."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from sqlalchemy import select

from readingroom.extensions import db
from readingroom.registrations import attendance
from readingroom.registrations import operations as ops
from readingroom.registrations.checkin_window import check_in_refusal, check_in_window
from readingroom.registrations.models import Attendee, Registration
from readingroom.schedule.models import Series
from readingroom.schedule.series_names import series_label
from readingroom.timeutil import BEIJING, beijing_today, utcnow, week_start

from .conftest import at, login
from .fixtures_families import member_ids


@pytest.fixture
def app_config():
    return {"CHECK_IN_OPENS_MINUTES_BEFORE": 60, "CHECK_IN_CLOSES_DAYS_AFTER": 0}


@pytest.fixture
def program(make):
    return make.program(min_age=0, max_age=None, adult_required=False)


def test_check_in_opens_an_hour_before_and_closes_at_the_end_of_the_day(app, make, program):
    s = make.session(program=program, start=at(beijing_today() + timedelta(days=3), 9, 30))
    opens, closes = check_in_window(s)
    assert opens == s.starts_at - timedelta(hours=1)
    assert closes.astimezone(BEIJING).hour == 0
    assert closes.astimezone(BEIJING).date() == s.starts_at.astimezone(BEIJING).date() + (
        timedelta(days=1)
    )
    assert "签到将于" in check_in_refusal(s, opens - timedelta(minutes=1))
    assert check_in_refusal(s, opens) is None
    assert check_in_refusal(s, closes - timedelta(seconds=1)) is None
    assert "签到已于" in check_in_refusal(s, closes)


def test_the_roster_explains_and_ticks_nothing_outside_the_window(client, make, family, program):
    s = make.session(program=program, start=at(beijing_today() + timedelta(days=3), 9, 30))
    household = family.household(s.room.community, children=(), adults=("妈妈",))
    ops.sign_up(s.id, household.id, member_ids(household))
    db.session.commit()
    login(client, make.staff(s.room.community))
    html = client.get(f"/staff/sessions/{s.id}/roster").get_data(as_text=True)
    assert "签到将于" in html and "/check-in" not in html
    attendee = db.session.scalars(select(Attendee)).one()
    client.post(f"/staff/attendees/{attendee.id}/check-in")
    db.session.refresh(attendee)
    assert attendee.checked_in_at is None
    response = client.post(
        f"/staff/sessions/{s.id}/walk-in", data={"walkin-adults": "1", "walkin-children": "0"}
    )
    assert response.status_code == 422 and "签到将于" in response.get_data(as_text=True)


def test_walk_ins_keep_their_name_and_a_single_tap_saves_nothing(client, make, program):
    s = make.session(program=program, start=utcnow() + timedelta(minutes=20))
    login(client, make.staff(s.room.community))
    html = client.get(f"/staff/sessions/{s.id}/roster").get_data(as_text=True)
    assert 'name="walkin-adults" type="text" value=""' in html or (
        'id="walkin-adults"' in html and 'value="1"' not in html
    )
    tapped = client.post(f"/staff/sessions/{s.id}/walk-in", data={})
    assert tapped.status_code == 422
    assert db.session.scalars(select(Registration)).all() == []
    client.post(
        f"/staff/sessions/{s.id}/walk-in",
        data={"walkin-name": "赵奶奶", "walkin-adults": "1", "walkin-children": "1"},
    )
    html = client.get(f"/staff/sessions/{s.id}/roster").get_data(as_text=True)
    people = html[html.index('class="people"') :]
    assert people.count("赵奶奶") >= 1 and "来宾" not in people[: people.index("</td>")]


def test_walk_ins_through_the_rule_respect_the_window(app, make, program):
    s = make.session(program=program, start=at(beijing_today() + timedelta(days=3), 9, 30))
    with pytest.raises(ops.SignupError):
        attendance.add_walk_in(s.id, name="", adults=1, children=0)


def test_a_split_series_reads_as_a_continuation(app, make, program):
    room = make.room()
    first = beijing_today() - timedelta(days=30)
    common = dict(program=program, room=room, title="暑期阅读课程", weekdays="5", capacity=10)
    old = Series(
        **common,
        start_time=time(9, 30),
        end_time=time(10, 30),
        first_date=first,
        last_date=first + timedelta(days=14),
    )
    new = Series(
        **common,
        start_time=time(14),
        end_time=time(15),
        first_date=first + timedelta(days=21),
        last_date=first + timedelta(days=49),
    )
    db.session.add_all([old, new])
    db.session.commit()
    assert series_label(old) == "暑期阅读课程"
    assert series_label(new).startswith("暑期阅读课程（自 ") and series_label(new).endswith(" 起）")


def test_the_room_week_offers_add_only_on_open_future_days(client, make):
    monday = week_start(beijing_today())
    room = make.room(hours={0: [(time(9), time(17))], 5: [(time(9), time(12))]})
    login(client, make.staff(room.community))
    html = client.get(f"/staff/rooms/{room.id}/week?date={monday.isoformat()}").get_data(
        as_text=True
    )
    links = set(re.findall(r'class="add-link" href="[^"]*date=(\d{4}-\d\d-\d\d)"', html))
    saturday = monday + timedelta(days=5)
    expected = {d.isoformat() for d in (monday, saturday) if d >= beijing_today()}
    assert links == expected


def test_the_new_staff_form_does_not_talk_of_keeping_a_password(client, make):
    login(client, make.admin())
    html = client.get("/staff/users/new").get_data(as_text=True)
    assert "留空" not in html and "keep the current password" not in html
    assert "至少 8 个字符" in html
