"""Property-based tests (hypothesis): random sequences of sign-up, change of members,
cancellation and capacity change keep the seat invariants, against the database.

After every step: seats taken <= capacity; no family holds two live
registrations; the waiting list is in the order families joined it and nobody
waits who would fit into the free seats; a registration is confirmed only when
its seats were free. The database must also agree, step by step, with a small
reference model of the rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import count

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from readingroom.extensions import db
from readingroom.registrations import operations as ops
from readingroom.registrations import queries
from readingroom.registrations.models import CancelledBy, Registration, RegistrationStatus
from readingroom.registrations.seats import first_that_fit

from .fixtures_families import member_ids

FAMILIES = 5

steps = st.lists(
    st.one_of(
        st.tuples(st.just("sign_up"), st.integers(0, FAMILIES - 1), st.integers(1, 3)),
        st.tuples(st.just("cancel"), st.integers(0, FAMILIES - 1), st.just(0)),
        st.tuples(st.just("capacity"), st.integers(1, 8), st.just(0)),
    ),
    min_size=1,
    max_size=30,
)


@dataclass
class Entry:
    seats: int
    confirmed: bool
    order: int


@dataclass
class Model:
    """The rules, said once more in the plainest way."""

    capacity: int
    live: dict[int, Entry] = field(default_factory=dict)
    orders: count = field(default_factory=count)

    @property
    def taken(self) -> int:
        return sum(e.seats for e in self.live.values() if e.confirmed)

    def promote(self) -> list[int]:
        waiting = sorted((e.order, f) for f, e in self.live.items() if not e.confirmed)
        chosen = first_that_fit(
            self.capacity - self.taken, [(f, self.live[f].seats) for _, f in waiting]
        )
        for f in chosen:
            self.live[f].confirmed = True
        return chosen

    def sign_up(self, f: int, seats: int) -> bool:
        entry = self.live.get(f)
        free = self.capacity - self.taken
        if entry is None:
            self.live[f] = Entry(seats, seats <= free, next(self.orders))
            return True
        if entry.confirmed and seats - entry.seats > free:
            return False
        entry.seats = seats
        self.promote()
        return True

    def cancel(self, f: int) -> bool:
        if f not in self.live:
            return False
        del self.live[f]
        self.promote()
        return True

    def set_capacity(self, capacity: int) -> bool:
        if capacity < self.taken:
            return False
        self.capacity = capacity
        self.promote()
        return True


def _live_rows(session_id: int) -> list[Registration]:
    return list(
        db.session.scalars(
            select(Registration)
            .where(
                Registration.session_id == session_id,
                Registration.status != RegistrationStatus.CANCELLED,
            )
            .order_by(Registration.id)
        )
    )


def _check(reading_session, model: Model, households, waiting_before: set[int]) -> set[int]:
    db.session.expire_all()
    rows = _live_rows(reading_session.id)
    capacity = reading_session.capacity
    taken = sum(r.seats for r in rows if r.is_confirmed)
    free = capacity - taken
    # seats never exceed capacity
    assert taken <= capacity
    # no family twice
    families = [r.household_id for r in rows]
    assert len(families) == len(set(families))
    # FIFO: waiting rows in joining order, and nobody waits who fits the free seats
    waiting = [r for r in rows if r.is_waitlisted]
    assert [r.id for r in waiting] == sorted(r.id for r in waiting)
    assert all(r.seats > free for r in waiting)
    # promotions only into free seats: a waiting registration that became confirmed is
    # marked promoted, and (with the model below) it was first in line among those that fit
    was_waiting = waiting_before
    for r in rows:
        if r.id in was_waiting and r.is_confirmed:
            assert r.promoted_at is not None
    # the database agrees with the model
    index = {h.id: i for i, h in enumerate(households)}
    assert capacity == model.capacity
    actual = {index[r.household_id]: (r.seats, r.is_confirmed) for r in rows}
    expected = {f: (e.seats, e.confirmed) for f, e in model.live.items()}
    assert actual == expected
    return {r.id for r in rows if r.is_waitlisted}


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(capacity=st.integers(1, 6), script=steps)
def test_random_sequences_keep_the_invariants(make, family, capacity, script):
    program = make.program(min_age=0, max_age=None, adult_required=False)
    room = make.room(seats=8)
    reading_session = make.session(room, program=program, capacity=capacity)
    households = [
        family.household(room.community, children=(), adults=("甲", "乙", "丙"))
        for _ in range(FAMILIES)
    ]
    model = Model(capacity)
    waiting: set[int] = set()
    for action, a, b in script:
        if action == "sign_up":
            h = households[a]
            try:
                ops.sign_up(reading_session.id, h.id, member_ids(h)[:b])
                done = True
            except ops.SignupError:
                done = False
            assert done == model.sign_up(a, b)
        elif action == "cancel":
            registration = queries.live_registration(reading_session.id, households[a].id)
            done = registration is not None
            if done:
                ops.cancel_registration(registration.id, by=CancelledBy.HOUSEHOLD)
            assert done == model.cancel(a)
        else:
            try:
                ops.change_capacity(reading_session.id, a)
                done = True
            except ops.SignupError:
                done = False
            assert done == model.set_capacity(a)
        if done:
            db.session.commit()
        else:
            db.session.rollback()
        db.session.refresh(reading_session)
        waiting = _check(reading_session, model, households, waiting)


@given(
    free=st.integers(-3, 10),
    waiting=st.lists(st.integers(1, 5), max_size=12),
)
def test_first_that_fit_respects_order_and_room(free, waiting):
    entries = list(enumerate(waiting))
    chosen = first_that_fit(free, entries)
    assert chosen == sorted(chosen)  # in order
    assert sum(waiting[i] for i in chosen) <= max(free, 0)  # never more than free
    left = max(free, 0) - sum(waiting[i] for i in chosen)
    # everybody skipped did not fit at the moment it was looked at
    remaining = max(free, 0)
    for i, seats in entries:
        if i in chosen:
            remaining -= seats
        elif remaining > 0:
            assert seats > remaining
    assert left >= 0
