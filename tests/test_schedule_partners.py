"""Partners, hosts and who sees which course: as rules, and through the hosts page."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from readingroom.extensions import db
from readingroom.schedule.course_access import courses_visible_to, may_edit_course, may_see_course
from readingroom.schedule.course_operations import CourseError, add_host, add_partner
from readingroom.schedule.courses import Course, Host, Partner

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


def test_who_sees_and_changes_which_course(app, make):
    mine, theirs = make.community(), make.community()
    program = make.program()
    courses = {}
    for name, community in (("街道", None), ("本社区", mine), ("别的社区", theirs)):
        course = Course(title=name, program=program, community_id=community and community.id)
        course.first_date = course.last_date = date(2026, 7, 1)
        db.session.add(course)
        courses[name] = course
    db.session.flush()
    seen = {c.title for c in db.session.scalars(courses_visible_to({mine.id}))}
    assert seen == {"街道", "本社区"}
    assert {c.title for c in db.session.scalars(courses_visible_to(None))} == set(courses)
    assert [may_see_course({mine.id}, courses[n]) for n in courses] == [True, True, False]
    assert [may_edit_course({mine.id}, courses[n]) for n in courses] == [False, True, False]
    assert all(may_edit_course(None, c) for c in courses.values())
