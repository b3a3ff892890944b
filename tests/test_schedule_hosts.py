"""Hosts as people on the ordinary session and series forms (issue "courses": "hosts are
people, not strings"): a host chosen from the list is saved as the person, found busy in
another community whatever name was typed there, kept through an edit; a host of another
community cannot be chosen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from readingroom.extensions import db
from readingroom.schedule.course_operations import add_host, add_partner
from readingroom.schedule.models import ReadingSession, Series
from readingroom.timeutil import beijing_today

from .conftest import at, login

SATURDAY = beijing_today() + timedelta(days=(5 - beijing_today().weekday()) % 7 or 7)


@pytest.fixture
def world(make):
    yaozhuang = make.community(slug="yaozhuang", name="姚庄社区")
    donghe = make.community(slug="donghe", name="董河社区")
    program = make.program(slug="parent-child", name="亲子阅读")
    partner = add_partner("新华书店", contact="0530-1234567")
    storyteller = add_host("张帆", partner_id=partner.id)
    donghe_host = add_host("董老师", community_id=donghe.id)
    db.session.commit()
    return {
        "room": make.room(yaozhuang, name="牡丹书房"),
        "donghe_room": make.room(donghe, name="董河书房"),
        "program": program,
        "storyteller": storyteller,
        "donghe_host": donghe_host,
        "staff": make.staff(yaozhuang, login="yz"),
    }


def _form(world, **overrides):
    return {
        "program": world["program"].id,
        "room": world["room"].id,
        "title": "绘本共读",
        "host": "",
        "capacity": "12",
        "starts_at": f"{SATURDAY}T09:30",
        "ends_at": f"{SATURDAY}T10:30",
        **overrides,
    }


def test_the_form_lists_the_partners_and_own_communitys_hosts(client, world):
    login(client, world["staff"])
    page = client.get("/staff/sessions/new").get_data(as_text=True)
    assert "从名单选择主持人" in page
    assert world["storyteller"].label in page  # the partner's storyteller
    assert "董老师" not in page  # another community's host


def test_a_host_from_the_list_is_saved_as_the_person(client, world):
    login(client, world["staff"])
    host = world["storyteller"]
    response = client.post(
        "/staff/sessions/new", data=_form(world, host_id=str(host.id), host="随便写的名字")
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    saved = db.session.scalar(select(ReadingSession))
    assert saved.host_id == host.id and saved.host == host.label  # the list wins
    detail = client.get(f"/sessions/{saved.id}").get_data(as_text=True)
    assert host.label in detail
    # an edit shows the person chosen and keeps it
    form = client.get(f"/staff/sessions/{saved.id}/edit").get_data(as_text=True)
    assert f'<option selected value="{host.id}">' in form
    response = client.post(
        f"/staff/sessions/{saved.id}/edit",
        data=_form(world, host_id=str(host.id), title="绘本共读（改）"),
    )
    assert response.status_code == 302
    db.session.refresh(saved)
    assert saved.host_id == host.id and saved.title == "绘本共读（改）"


def test_the_same_person_in_another_community_at_that_time_is_a_warning(client, world, make):
    host = world["storyteller"]
    elsewhere = make.session(
        world["donghe_room"], program=world["program"], start=at(SATURDAY, 9), title="董河故事会"
    )
    elsewhere.host, elsewhere.host_id = "张老师", host.id  # typed otherwise over there
    db.session.commit()
    login(client, world["staff"])
    page = client.post("/staff/sessions/new", data=_form(world, host_id=str(host.id)))
    html = page.get_data(as_text=True)
    assert "请注意" in html and "董河故事会" in html  # a warning naming the other session
    assert not db.session.scalar(select(ReadingSession).where(ReadingSession.title == "绘本共读"))
    # someone else (a typed name, no person): no warning
    other = client.post("/staff/sessions/new", data=_form(world, host="李老师"))
    assert other.status_code == 302


def test_another_communitys_host_is_refused_by_the_field(client, world):
    login(client, world["staff"])
    data = _form(world, host_id=str(world["donghe_host"].id), title="不该保存")
    html = client.post("/staff/sessions/new", data=data).get_data(as_text=True)
    assert "请从列表中选择一项。" in html
    assert 'value="不该保存"' in html  # what was typed is kept
    assert db.session.scalar(select(ReadingSession)) is None
    bad = client.post("/staff/sessions/new", data=_form(world, host_id="9" * 30))
    assert bad.status_code == 200 and db.session.scalar(select(ReadingSession)) is None


def test_a_series_with_a_host_from_the_list_gives_every_session_the_person(client, world):
    login(client, world["staff"])
    host = world["storyteller"]
    response = client.post(
        "/staff/series/new",
        data={
            "program": world["program"].id,
            "room": world["room"].id,
            "title": "周六故事会",
            "host_id": str(host.id),
            "host": "",
            "capacity": "16",
            "weekdays": ["5"],
            "start_time": "09:30",
            "end_time": "10:30",
            "first_date": SATURDAY.isoformat(),
            "count": "4",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    series = db.session.scalar(select(Series))
    assert series.host_id == host.id
    assert [s.host_id for s in series.sessions] == [host.id] * 4
    assert {s.host for s in series.sessions} == {host.label}
