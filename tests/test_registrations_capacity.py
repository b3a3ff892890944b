"""One capacity rule for every path that changes a session's seats (the schedule's edit,
the roster's form, a bare schedule operation), and promotion once per change."""

from __future__ import annotations

import pytest
from flask import Blueprint
from sqlalchemy import func, select

from readingroom.domain import DomainError
from readingroom.extensions import db
from readingroom.notices.models import Notice, NoticeKind
from readingroom.registrations import operations as ops
from readingroom.registrations import queries
from readingroom.registrations.models import RegistrationStatus
from readingroom.schedule.operations import set_capacity

from .fixtures_families import member_ids


@pytest.fixture
def reading_session(make):
    program = make.program(min_age=0, max_age=None, adult_required=False)
    return make.session(capacity=2, program=program)


def _sign(reading_session, household) -> None:
    ops.sign_up(reading_session.id, household.id, member_ids(household))
    db.session.commit()


def _pairs(family, reading_session, n):
    community = reading_session.room.community
    return [family.household(community, children=(), adults=("妈妈",)) for _ in range(n)]


def _promoted_notices() -> int:
    return db.session.scalar(
        select(func.count(Notice.id)).where(Notice.kind == NoticeKind.PROMOTED)
    )


def test_raising_capacity_on_the_roster_promotes_each_waiting_family_once(reading_session, family):
    households = _pairs(family, reading_session, 4)
    for h in households:
        _sign(reading_session, h)
    assert queries.seats_taken(reading_session.id) == 2
    promoted = ops.change_capacity(reading_session.id, 4)
    db.session.commit()
    assert sorted(r.household_id for r in promoted) == sorted(h.id for h in households[2:])
    # One notice per promoted family: the capacity rule ran once, not once per caller.
    assert _promoted_notices() == 2
    assert queries.waiting_list(reading_session.id) == []


def test_a_bare_schedule_change_below_the_seats_taken_is_refused_by_the_same_rule(
    reading_session, family
):
    for h in _pairs(family, reading_session, 2):
        _sign(reading_session, h)
    with pytest.raises(ops.CapacityBelowSeats) as refused:
        set_capacity(reading_session, 1)
    db.session.rollback()
    assert refused.value.taken == 2 and refused.value.field == "capacity"
    assert "2" in refused.value.message
    db.session.refresh(reading_session)
    assert reading_session.capacity == 2


def test_raising_capacity_through_the_schedule_promotes_too(reading_session, family):
    households = _pairs(family, reading_session, 3)
    for h in households:
        _sign(reading_session, h)
    set_capacity(reading_session, 3)
    db.session.commit()
    statuses = {
        r.household_id: r.status
        for r in [queries.live_registration(reading_session.id, h.id) for h in households]
    }
    assert set(statuses.values()) == {RegistrationStatus.CONFIRMED}
    assert _promoted_notices() == 1


def test_an_uncaught_domain_error_is_a_409_page_and_nothing_is_saved(app, make):
    community = make.community()
    bp = Blueprint("refusing", __name__)

    @bp.post("/test-refusal")
    def refuse():
        community.name = "改了名"
        db.session.flush()
        raise DomainError("这条规则拒绝了。")

    app.register_blueprint(bp)
    app.config["WTF_CSRF_ENABLED"] = False
    response = app.test_client().post("/test-refusal")
    assert response.status_code == 409
    assert "这条规则拒绝了。" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(community), community.id).name != "改了名"
