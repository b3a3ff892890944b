"""Book rooms through HTTP: list, create, edit, opening hours, permissions."""

from __future__ import annotations

from datetime import time

import pytest
from sqlalchemy import select

from readingroom.extensions import db
from readingroom.places.models import Room
from readingroom.places.operations import HoursError, parse_hours

from .conftest import login


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("09:00-12:00", [(time(9), time(12))]),
        ("09:00-12:00, 14:30-17:30", [(time(9), time(12)), (time(14, 30), time(17, 30))]),
        ("14:30—17:30，9:00~12:00", [(time(9), time(12)), (time(14, 30), time(17, 30))]),
        ("19:00-24:00", [(time(19), time(23, 59))]),
    ],
)
def test_parse_hours(text, expected):
    assert parse_hours(text) == expected


@pytest.mark.parametrize(
    "text", ["9-12", "12:00-09:00", "25:00-26:00", "09:00-12:00, 11:00-13:00", "morning"]
)
def test_parse_hours_refuses_nonsense(text):
    with pytest.raises(HoursError):
        parse_hours(text)


@pytest.fixture
def setup(make, client):
    community = make.community(slug="yaozhuang", name="姚庄社区")
    other = make.community(slug="donghe", name="董河社区")
    staff = make.staff(community)
    login(client, staff)
    return community, other


def room_form(community_obj, **overrides):
    data = {
        "community": community_obj.id,
        "name": "牡丹书房",
        "name_en": "Peony Book Room",
        "slug": "yaozhuang-peony",
        "address": "姚庄社区文化书院一楼",
        "seats": "24",
        "accessibility": "无台阶",
        "notes": "",
        "hours_1": "09:00-12:00, 14:30-17:30",
        "hours_5": "09:00-17:30",
    }
    data.update(overrides)
    return data


def test_create_and_edit_room_with_opening_hours(client, setup):
    community, _ = setup
    response = client.post("/staff/rooms/new", data=room_form(community))
    assert response.status_code == 302
    room = db.session.scalars(select(Room)).one()
    assert room.seats == 24
    assert [(h.weekday, h.opens, h.closes) for h in room.opening_hours] == [
        (1, time(9), time(12)),
        (1, time(14, 30), time(17, 30)),
        (5, time(9), time(17, 30)),
    ]
    form = client.get(f"/staff/rooms/{room.id}/edit").get_data(as_text=True)
    assert 'value="09:00-12:00, 14:30-17:30"' in form
    client.post(f"/staff/rooms/{room.id}/edit", data=room_form(community, seats="30", hours_1=""))
    db.session.refresh(room)
    assert room.seats == 30
    assert [h.weekday for h in room.opening_hours] == [5]
    listing = client.get("/staff/rooms/").get_data(as_text=True)
    assert "牡丹书房" in listing and "30 个座位" in listing


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"seats": "-1"}, "seats", "座位数应在 1 到 500 之间"),
        ({"seats": "many"}, "seats", "请填写整数"),
        ({"name": ""}, "name", "请填写书房名称"),
        ({"slug": "Peony Room"}, "slug", "小写字母"),
        ({"hours_2": "9 to 12"}, "hours_2", "无法识别"),
        ({"community": "999"}, "community", "请从列表中选择"),
    ],
)
def test_bad_room_input(client, setup, overrides, field, message):
    community, _ = setup
    html = client.post("/staff/rooms/new", data=room_form(community, **overrides)).get_data(
        as_text=True
    )
    assert message in html.split(f'id="{field}-error">')[1].split("</p>")[0]
    assert 'value="姚庄社区文化书院一楼"' in html
    assert db.session.scalars(select(Room)).first() is None


def test_duplicate_slug_is_refused(client, setup, make):
    community, _ = setup
    make.room(community, slug="yaozhuang-peony")
    html = client.post("/staff/rooms/new", data=room_form(community)).get_data(as_text=True)
    assert "已有其他书房使用这个简称" in html


def test_staff_cannot_create_or_edit_rooms_of_another_community(client, setup, make):
    _, other = setup
    html = client.post("/staff/rooms/new", data=room_form(other)).get_data(as_text=True)
    assert 'id="community-error"' in html
    assert db.session.scalars(select(Room)).first() is None
    foreign = make.room(other)
    assert client.get(f"/staff/rooms/{foreign.id}/edit").status_code == 403
    assert (
        client.post(
            f"/staff/rooms/{foreign.id}/edit", data=room_form(other, name="改名")
        ).status_code
        == 403
    )
    db.session.refresh(foreign)
    assert foreign.name != "改名"
    assert "董河" not in client.get("/staff/rooms/").get_data(as_text=True)


def test_unknown_room_is_404(client, setup):
    assert client.get("/staff/rooms/424242/edit").status_code == 404
