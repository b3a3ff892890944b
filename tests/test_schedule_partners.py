"""Partners and hosts as rules (schedule.course_operations) and through the hosts page."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from readingroom.extensions import db
from readingroom.schedule.course_operations import CourseError, add_host, add_partner
from readingroom.schedule.courses import Host, Partner

from .conftest import login


def test_a_partner_is_listed_once(app):
    assert add_partner(" 新华书店 ", "定陶店").name == "新华书店"
    db.session.commit()
    with pytest.raises(CourseError) as refused:
        add_partner("新华书店")
    assert refused.value.field == "name"
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Partner)) == 1


def test_a_host_belongs_to_one_partner_or_one_community(app, make):
    partner = add_partner("新华书店")
    community = make.community()
    assert add_host("故事姐姐", partner_id=partner.id).partner_id == partner.id
    assert add_host("王老师", community_id=community.id).community_id == community.id
    for owners in ({}, {"partner_id": partner.id, "community_id": community.id}):
        with pytest.raises(ValueError):
            add_host("谁", **owners)


def test_the_administrator_is_told_by_the_field_when_a_partner_exists(client, make):
    login(client, make.admin())
    assert client.post("/staff/courses/hosts", data={"partner-name": "新华书店"}).status_code == 302
    page = client.post("/staff/courses/hosts", data={"partner-name": "新华书店"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "该合作单位已在列表中" in html
    assert 'value="新华书店"' in html  # what was typed stays
    assert db.session.scalar(select(func.count()).select_from(Partner)) == 1
    assert db.session.scalar(select(func.count()).select_from(Host)) == 0
