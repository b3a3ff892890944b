"""The figures as plain functions: a data set built through the real operations, whose
figures are known by hand; checked against independent SQL counts; unchanged by account
deletion and by the purge."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, text, update

from readingroom.extensions import db
from readingroom.families.models import MemberKind
from readingroom.privacy.operations import delete_household, purge_before
from readingroom.registrations import attendance
from readingroom.registrations import operations as ops
from readingroom.registrations.attendance import add_walk_in
from readingroom.registrations.models import Attendee, Registration
from readingroom.reports.figures import (
    AgeGroup,
    age_group_of,
    cached_figures,
    figures,
    purge_day_within,
)
from readingroom.schedule.operations import cancel_session
from readingroom.timeutil import beijing_today, utcnow
from tests.conftest import at
from tests.fixtures_reports import KNOWN, last_month, member_ids, scope_of


def test_age_groups():
    assert age_group_of(0, MemberKind.CHILD) is AgeGroup.UNDER_7
    assert age_group_of(6, MemberKind.CHILD) is AgeGroup.UNDER_7
    assert age_group_of(7, MemberKind.CHILD) is AgeGroup.UNDER_13
    assert age_group_of(17, MemberKind.CHILD) is AgeGroup.UNDER_18
    assert age_group_of(35, MemberKind.ADULT) is AgeGroup.UNDER_36
    assert age_group_of(60, MemberKind.ADULT) is AgeGroup.SENIOR
    assert age_group_of(None, MemberKind.CHILD) is AgeGroup.CHILD
    assert age_group_of(None, MemberKind.ADULT) is AgeGroup.ADULT


def headline(f):
    t = f.total
    return {
        "held": t.sessions_held,
        "cancelled": t.sessions_cancelled,
        "capacity": t.capacity,
        "seats": t.seats_confirmed,
        "visits": t.visits,
        "walk_ins": t.walk_in_visits,
        "people": t.people,
        "households": t.households,
        "new": t.new_households,
        "family_confirmed": t.family_confirmed,
        "no_shows": t.no_shows,
        "waiting": (t.waiting_households, t.waiting_seats),
    }


def test_figures_known_by_hand(data):
    f = figures(scope_of())
    assert headline(f) == KNOWN
    assert f.total.fill_rate == pytest.approx(9 / 21)
    assert f.total.attendance_rate == pytest.approx(6 / 9)
    assert f.total.no_show_rate == pytest.approx(1 / 4)
    a, b = data["a"].id, data["b"].id
    assert list(f.by_community) == [a, b]
    ca, cb = f.by_community[a], f.by_community[b]
    assert (ca.sessions_held, ca.visits, ca.people, ca.households, ca.new_households) == (
        2,
        5,
        2,
        1,
        3,
    )
    assert (cb.sessions_held, cb.sessions_cancelled, cb.visits, cb.people) == (1, 1, 1, 1)
    assert {g: c.visits for g, c in f.by_age.items()} == {
        AgeGroup.UNDER_7: 2,
        AgeGroup.SENIOR: 1,
        AgeGroup.CHILD: 1,
        AgeGroup.ADULT: 2,
    }
    assert f.by_age[AgeGroup.UNDER_7].people == 1
    pc, senior = data["pc"].id, data["senior"].id
    assert f.by_strand[pc].visits == 5 and f.by_strand[senior].visits == 1
    assert f.by_strand[pc].fill_rate == pytest.approx(8 / 16)
    start, _end = last_month()
    assert list(f.by_month) == [f"{start:%Y-%m}"]
    assert sum(c.visits for c in f.by_week.values()) == 6
    assert f.by_community_strand[(a, pc)].people == 2
    assert f.by_month_strand[(f"{start:%Y-%m}", pc)].visits == 5


def test_figures_match_independent_sql(data):
    f = figures(scope_of())
    start, end = scope_of().bounds
    params = {"start": start.replace(tzinfo=None), "end": end.replace(tzinfo=None)}
    held = (
        "s.status = 'scheduled' AND s.starts_at >= :start AND s.starts_at < :end "
        "AND s.starts_at < CURRENT_TIMESTAMP"
    )

    def sql(query: str) -> int:
        return db.session.execute(text(query), params).scalar_one()

    assert f.total.sessions_held == sql(f"SELECT count(*) FROM reading_session s WHERE {held}")
    assert f.total.capacity == sql(
        f"SELECT coalesce(sum(capacity), 0) FROM reading_session s WHERE {held}"
    )
    joined = "FROM registration r JOIN reading_session s ON s.id = r.session_id"
    assert f.total.seats_confirmed == sql(
        f"SELECT sum(r.seats) {joined} WHERE {held} AND r.status = 'confirmed'"
    )
    visits = (
        f"FROM registration_attendee a JOIN registration r ON r.id = a.registration_id "
        f"JOIN reading_session s ON s.id = r.session_id WHERE {held} "
        "AND r.status = 'confirmed' AND a.checked_in_at IS NOT NULL"
    )
    assert f.total.visits == sql(f"SELECT count(*) {visits}")
    assert f.total.people == sql(f"SELECT count(DISTINCT a.member_id) {visits}")
    assert f.total.households == sql(f"SELECT count(DISTINCT r.household_id) {visits}")
    assert f.total.new_households == sql(
        "SELECT count(*) FROM (SELECT household_id, min(r.id) AS first FROM registration r "
        "GROUP BY household_id HAVING household_id IS NOT NULL) AS firsts "
        "JOIN registration r ON r.id = firsts.first "
        "JOIN reading_session s ON s.id = r.session_id "
        "WHERE s.starts_at >= :start AND s.starts_at < :end"
    )
    assert f.total.waiting_households == sql(
        f"SELECT count(*) {joined} WHERE {held} AND r.status = 'waitlisted'"
    )


def test_deleting_accounts_and_purging_change_no_figure(data):
    before = figures(scope_of())
    delete_household(data["h1"].id)
    delete_household(data["h2"].id)
    db.session.commit()
    after = figures(scope_of())
    assert headline(after) == headline(before) == KNOWN
    assert {g: (c.visits, c.people) for g, c in after.by_age.items()} == {
        g: (c.visits, c.people) for g, c in before.by_age.items()
    }
    assert after.by_community == before.by_community
    purge_before(utcnow())
    db.session.commit()
    assert headline(figures(scope_of())) == KNOWN


def test_staff_scope_and_strand_filter(data):
    only_b = figures(scope_of([data["b"].id]))
    assert list(only_b.by_community) == [data["b"].id]
    assert (only_b.total.sessions_held, only_b.total.visits, only_b.total.new_households) == (
        1,
        1,
        1,
    )
    senior = figures(scope_of(program_id=data["senior"].id))
    assert (senior.total.sessions_held, senior.total.visits, senior.total.people) == (1, 1, 1)


def test_statements_do_not_grow_with_sessions(data, make):
    def count_statements() -> int:
        statements = []
        listener = lambda *args: statements.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            figures(scope_of())
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    first = count_statements()
    start, _end = last_month()
    room = make.room(data["a"])
    for day in range(1, 20):
        make.session(room, program=data["pc"], start=at(start + timedelta(days=day), 15, 0))
    assert count_statements() == first


def test_cached_figures_follow_every_change(data, make, family):
    def same_as_fresh():
        cached, fresh = cached_figures(scope_of()), figures(scope_of())
        assert headline(cached) == headline(fresh)
        return headline(cached)

    assert same_as_fresh() == KNOWN
    attendee = db.session.scalars(
        db.select(Attendee)
        .where(Attendee.checked_in_at.is_not(None), Attendee.age.is_not(None))
        .order_by(Attendee.id.desc())
    ).first()
    attendance.undo_check_in(attendee)
    db.session.commit()
    assert same_as_fresh()["visits"] == KNOWN["visits"] - 1
    session = db.session.get(Registration, attendee.registration_id).session
    add_walk_in(session.id, name="", adults=0, children=1, now=session.starts_at)
    db.session.commit()
    assert same_as_fresh()["visits"] == KNOWN["visits"]
    cancel_session(session, "临时取消")
    db.session.commit()
    assert same_as_fresh()["cancelled"] == KNOWN["cancelled"] + 1
    delete_household(data["h1"].id)
    db.session.commit()
    same_as_fresh()


def test_cached_figures_cost_two_statements_on_a_hit(data):
    cached_figures(scope_of())
    statements = []
    listener = lambda *args: statements.append(1)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        cached_figures(scope_of())
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(statements) <= 4  # the version, and the labels (communities, rooms, strands)


def test_a_purge_inside_the_range_counts_a_returning_family_on_each_side(data):
    """小明's household came on day 9 and day 19 of last month. A purge whose cutoff lies
    between them gives the first visit new random numbers: across that day the family is
    counted once on each side (what the figures page says when a range runs across the
    purge), while visits, seats and sessions stay exact."""
    start, _end = last_month()
    cutoff = at(start + timedelta(days=12), 12, 0)
    purge_before(cutoff)
    db.session.commit()
    after = figures(scope_of())
    assert (after.total.households, after.total.people) == (
        KNOWN["households"] + 1,
        KNOWN["people"] + 1,  # 小明 came on both days; the parent only on day 9
    )
    assert {k: v for k, v in headline(after).items() if k not in ("households", "people")} == {
        k: v for k, v in KNOWN.items() if k not in ("households", "people")
    }
    assert purge_day_within(scope_of(), cutoff) == start + timedelta(days=12)


def test_the_purge_day_is_named_only_inside_the_range():
    start, end = last_month()
    inside = at(start + timedelta(days=3), 9, 0)
    assert purge_day_within(scope_of(), inside) == start + timedelta(days=3)
    assert purge_day_within(scope_of(), at(start, 9, 0)) is None  # nothing before it purged
    assert purge_day_within(scope_of(), at(start - timedelta(days=1), 9, 0)) is None
    assert purge_day_within(scope_of(), at(end, 9, 0)) == end
    assert purge_day_within(scope_of(), at(end + timedelta(days=1), 9, 0)) is None


def test_a_change_elsewhere_leaves_the_cached_figures_in_use(data, make):
    """Sign-ups and check-ins in community B, or for a session outside the range, do not
    make community A's figures (or last month's) be computed again; one in A does."""
    only_a = scope_of([data["a"].id])
    # The data set was made a moment ago: as if an hour ago (see LOOK_BACK_SECONDS).
    db.session.execute(update(Registration).values(updated_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    first = cached_figures(only_a)
    assert cached_figures(only_a).total is first.total  # the same result, reused

    today = at(beijing_today() + timedelta(days=3), 10, 0)
    later_b = make.session(make.room(data["b"]), program=data["senior"], start=today)
    later_a = make.session(make.room(data["a"]), program=data["pc"], start=today)
    db.session.commit()
    assert cached_figures(only_a).total is not first.total  # new sessions: computed again
    second = cached_figures(only_a)
    h4 = data["h4"]
    ops.sign_up(later_b.id, h4.id, [h4.members[0].id], now=utcnow())  # B's sign-up: reused
    db.session.commit()
    assert cached_figures(only_a).total is second.total
    assert headline(cached_figures(only_a)) == headline(figures(only_a))
    ops.sign_up(later_a.id, data["h3"].id, member_ids(data["h3"]), now=utcnow())
    db.session.commit()
    assert cached_figures(only_a).total is second.total  # A, but after the range: reused
    # A check-in in A within the range: computed again, and right.
    attendee = db.session.scalars(
        db.select(Attendee)
        .join(Registration)
        .where(Registration.household_id == data["h1"].id, Attendee.checked_in_at.is_(None))
    ).first()
    attendance.check_in(
        attendee, now=db.session.get(Registration, attendee.registration_id).session.starts_at
    )
    db.session.commit()
    third = cached_figures(only_a)
    assert third.total is not second.total
    assert third.total.visits == second.total.visits + 1
    assert headline(third) == headline(figures(only_a))
