"""The demo families of ``seed-demo``: real accounts through the real operations, a
waiting list, a check-in that ticks a "visit" task, and nothing twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from readingroom.demo import DEMO_PASSWORD, seed_demo
from readingroom.demo.families import (
    DEMO_MOBILES,
    seed_household_activity,
    seed_households,
    seed_now,
)
from readingroom.extensions import db
from readingroom.families.models import Household, Member, MemberKind
from readingroom.notices.models import Notice, NoticeKind
from readingroom.registrations import queries
from readingroom.registrations.models import Attendee, Registration
from readingroom.tasklists.models import ReadingLogEntry, TaskKind, TaskTick, TickSource
from readingroom.timeutil import age_on, beijing_today, to_beijing

# A fixed day away from today: the seed's clock is noon of that day, so every
# sign-up window the demo needs is open whatever the real time is.
DAY = beijing_today() + timedelta(days=45)
COUNTED = (Household, Member, Registration, Attendee, Notice, TaskTick, ReadingLogEntry)


@pytest.fixture
def seeded(app):
    summary = seed_demo(DAY)
    db.session.commit()
    return summary


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def household(mobile: str) -> Household:
    return db.session.scalars(select(Household).where(Household.mobile == mobile)).one()


def age(member: Member) -> int:
    return age_on(member.birth_year, member.birth_month, DAY)


def test_six_families_in_the_three_communities_can_log_in(seeded):
    households = db.session.scalars(select(Household).order_by(Household.mobile)).all()
    assert [h.mobile for h in households] == list(DEMO_MOBILES)
    assert {h.community.slug for h in households} == {"yaozhuang", "sunzhuang", "donghe"}
    for h in households:
        assert h.has_consent and h.check_password(DEMO_PASSWORD)
        assert len(h.mobile) == 11 and h.members
    assert "13800000001" in seeded and DEMO_PASSWORD in seeded


def test_the_families_fit_the_strands(seeded):
    children = db.session.scalars(select(Member).where(Member.kind == MemberKind.CHILD)).all()
    assert len(children) >= 4
    assert all(3 <= age(c) <= 12 for c in children)
    seniors = household("13800000005").members
    assert len(seniors) == 2 and all(age(m) >= 60 for m in seniors)
    (young,) = household("13800000006").members
    assert 16 <= age(young) <= 35
    for h in db.session.scalars(select(Household)):
        if any(m.is_child for m in h.members):
            assert any(not m.is_child for m in h.members)  # a child comes with an adult


def test_upcoming_sign_ups_a_full_session_and_its_waiting_family(seeded):
    now = seed_now(DAY)
    registrations = db.session.scalars(select(Registration)).all()
    upcoming = [r for r in registrations if r.session.starts_at > now]
    confirmed = [r for r in upcoming if r.is_confirmed]
    assert len(confirmed) >= 5
    assert {r.session.program.slug for r in confirmed} == {"parent-child", "senior", "youth-night"}
    (waiting,) = [r for r in registrations if r.is_waitlisted]
    assert waiting.household.mobile == "13800000003"
    assert queries.waitlist_position(waiting) == 1
    full = waiting.session
    assert queries.seats_taken(full.id) == full.capacity
    kinds = set(db.session.scalars(select(Notice.kind)))
    assert {NoticeKind.CONFIRMED, NoticeKind.WAITLISTED} <= kinds
    for r in registrations:  # made by sign_up: inside the window, with a cancellation link
        assert r.cancel_token_digest
        assert r.confirmed_at is None or r.confirmed_at <= now


def test_a_check_in_at_a_past_session_ticked_the_visit_task(seeded):
    now = seed_now(DAY)
    h = household("13800000004")
    past = [r for r in db.session.scalars(select(Registration)) if r.session.ends_at < now]
    (registration,) = past
    assert registration.household_id == h.id and registration.is_confirmed
    assert all(a.checked_in_at is not None for a in registration.attendees)
    (tick,) = db.session.scalars(select(TaskTick).where(TaskTick.source == TickSource.CHECK_IN))
    assert tick.member.household_id == h.id and tick.member.is_child
    assert tick.session_id == registration.session_id and tick.task.kind is TaskKind.VISIT
    assert to_beijing(registration.session.starts_at).date() >= tick.task.task_list.starts_on


def test_ticks_and_reading_log_through_the_operations(seeded):
    noted = db.session.scalars(select(TaskTick).where(TaskTick.note != "")).all()
    assert [t.member.given_name for t in noted] == ["甜甜"]
    assert noted[0].minutes == 20
    titles = {(e.member.given_name, e.title) for e in db.session.scalars(select(ReadingLogEntry))}
    assert ("豆豆", "好饿的毛毛虫") in titles
    # the task lists' own demo ticks found the families too
    assert count(TaskTick) > 2


def test_seeding_again_adds_nothing(seeded):
    counts = {m: count(m) for m in COUNTED}
    assert seed_households(DAY) == ""
    assert seed_household_activity(DAY) == ""
    db.session.commit()
    assert "nothing added" in seed_demo(DAY)
    db.session.commit()
    assert {m: count(m) for m in COUNTED} == counts


def test_households_are_completed_when_seeded_again_after_a_partial_run(seeded):
    h = household("13800000001")
    db.session.delete(db.session.scalars(select(Member).where(Member.given_name == "姥爷")).one())
    db.session.commit()
    assert seed_households(DAY) == "Families: 0 households, 1 members, 0 registrations."
    db.session.expire_all()
    assert "姥爷" in {m.given_name for m in h.members}
    assert count(Household) == len(DEMO_MOBILES)


def test_a_demo_parent_logs_in_and_sees_the_family(client, demo):
    response = client.post(
        "/family/login", data={"mobile": "13800000001", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    page = client.get("/family/").get_data(as_text=True)
    assert "乐乐" in page and "朵朵" in page
