"""The reports' data set: last month in two communities, built through the real operations
(sign-ups, walk-ins, check-ins, a no-show, a waiting list, a cancelled session), with
figures known by hand (``KNOWN``)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from readingroom.extensions import db
from readingroom.families.models import Household, MemberKind
from readingroom.registrations import attendance
from readingroom.registrations import operations as ops
from readingroom.registrations.attendance import add_walk_in
from readingroom.registrations.models import Registration
from readingroom.reports.figures import Scope
from readingroom.schedule.operations import cancel_session
from readingroom.timeutil import beijing_today, utcnow
from tests.conftest import at


def member_ids(household: Household) -> list[int]:
    """Every member (as the families' fixtures do; kept here so that renaming those files
    does not touch the reports' tests)."""
    return [m.id for m in household.members]


def last_month() -> tuple[date, date]:
    first = beijing_today().replace(day=1)
    end = first - timedelta(days=1)
    return end.replace(day=1), end


def scope_of(community_ids=None, program_id=None) -> Scope:
    start, end = last_month()
    return Scope(
        start=start,
        end=end,
        community_ids=None if community_ids is None else frozenset(community_ids),
        now=utcnow(),
        program_id=program_id,
    )


@pytest.fixture
def data(make, family):
    """Last month, two communities (known by hand, see the assertions)."""
    start, _end = last_month()
    a, b = make.community(), make.community()
    room_a, room_b = make.room(a), make.room(b)
    parent_child = make.program()
    senior = make.program(min_age=60, max_age=None, adult_required=False)

    def session(room, program, day, capacity):
        begins = at(start + timedelta(days=day), 9, 30)
        return make.session(
            room,
            program=program,
            start=begins,
            capacity=capacity,
            signup_opens_at=begins - timedelta(days=7),
            signup_closes_at=begins - timedelta(hours=1),
        )

    s1 = session(room_a, parent_child, 9, 6)
    s2 = session(room_a, parent_child, 19, 10)
    s3 = session(room_b, senior, 14, 5)
    s4 = session(room_b, parent_child, 15, 10)
    h1 = family.household(a, children=(("小明", 6),))
    h2 = family.household(a, children=(("小红", 8),))
    h3 = family.household(a, children=(("小刚", 5),))
    h4 = family.household(b, children=(), adults=("张奶奶",))
    family.adult(h4, "张爷爷", age=70)  # not signed up
    h4_self = h4.members[0]
    h4_self.birth_year, h4_self.birth_month = beijing_today().year - 66, 1
    db.session.commit()

    def sign_up(s, h, ids=None):
        ops.sign_up(s.id, h.id, ids or member_ids(h), now=s.starts_at - timedelta(hours=3))
        db.session.commit()
        return db.session.scalars(
            db.select(Registration).where(
                Registration.session_id == s.id, Registration.household_id == h.id
            )
        ).one()

    r1 = sign_up(s1, h1)
    r2 = sign_up(s1, h2)
    add_walk_in(s1.id, name="路过", adults=1, children=1, now=s1.starts_at)
    db.session.commit()
    sign_up(s1, h3)  # full: waiting, and still waiting when it started
    for attendee in r1.attendees:
        attendance.check_in(attendee, now=s1.starts_at)
    attendance.mark_no_show(r2, now=s1.starts_at + timedelta(minutes=30))
    db.session.commit()
    r5 = sign_up(s2, h1)
    attendance.check_in(next(x for x in r5.attendees if x.kind is MemberKind.CHILD))
    db.session.commit()
    r6 = sign_up(s3, h4, [h4_self.id])
    attendance.check_in(r6.attendees[0], now=s3.starts_at)
    cancel_session(s4, "停电")
    db.session.commit()
    return {
        "a": a,
        "b": b,
        "h1": h1,
        "h2": h2,
        "h3": h3,
        "h4": h4,
        "pc": parent_child,
        "senior": senior,
    }


KNOWN = {
    "held": 3,
    "cancelled": 1,
    "capacity": 21,
    "seats": 9,
    "visits": 6,
    "walk_ins": 2,
    "people": 3,
    "households": 2,
    "new": 4,
    "family_confirmed": 4,
    "no_shows": 1,
    "waiting": (1, 2),
}
