"""Seat rules against the database, without HTTP: sign-up, waiting list, promotion,
change of members, cancellation, capacity, walk-ins, check-in, no-shows, notices."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from readingroom.extensions import db
from readingroom.notices import operations as notices
from readingroom.notices.models import Notice, NoticeKind, OutboxMessage, OutboxStatus
from readingroom.registrations import attendance, queries
from readingroom.registrations import operations as ops
from readingroom.registrations.models import CancelledBy, Registration, RegistrationStatus
from readingroom.registrations.signals import member_checked_in
from readingroom.schedule.models import SessionStatus
from readingroom.timeutil import utcnow

from .fixtures_families import member_ids


@pytest.fixture
def open_program(make):
    return make.program(min_age=0, max_age=None, adult_required=False)


@pytest.fixture
def reading_session(make, open_program):
    return make.session(capacity=4, program=open_program)


def family_of(family, reading_session, adults=2):
    names = ("妈妈", "爸爸", "奶奶", "爷爷")[:adults]
    return family.household(reading_session.room.community, children=(), adults=names)


def sign(reading_session, household, ids=None):
    outcome = ops.sign_up(reading_session.id, household.id, ids or member_ids(household))
    db.session.commit()
    return outcome


def status(reading_session, household):
    registration = queries.live_registration(reading_session.id, household.id)
    return registration.status if registration else None


def notice_kinds(household):
    return db.session.scalars(
        select(Notice.kind).where(Notice.household_id == household.id).order_by(Notice.id)
    ).all()


def test_confirmed_while_seats_fit_then_waiting_list_in_order(reading_session, family):
    a, b, c, d = (family_of(family, reading_session) for _ in range(4))
    assert sign(reading_session, a).registration.is_confirmed
    assert sign(reading_session, b).registration.is_confirmed
    assert sign(reading_session, c).registration.is_waitlisted
    assert sign(reading_session, d).registration.is_waitlisted
    assert queries.seats_taken(reading_session.id) == 4
    assert [r.household_id for r in queries.waiting_list(reading_session.id)] == [c.id, d.id]
    assert queries.waitlist_position(queries.live_registration(reading_session.id, d.id)) == 2
    assert notice_kinds(a) == [NoticeKind.CONFIRMED]
    assert notice_kinds(c) == [NoticeKind.WAITLISTED]
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 4


def test_signing_up_again_changes_the_registration(reading_session, family):
    a = family_of(family, reading_session)
    first = sign(reading_session, a, member_ids(a)[:1]).registration
    again = sign(reading_session, a)
    assert not again.created
    assert again.registration.id == first.id
    assert again.registration.seats == 2
    assert db.session.scalar(select(func.count(Registration.id))) == 1


def test_database_refuses_two_live_registrations_of_one_family(reading_session, family):
    a = family_of(family, reading_session)
    sign(reading_session, a)
    for status_ in (RegistrationStatus.WAITLISTED, RegistrationStatus.CONFIRMED):
        db.session.add(
            Registration(session_id=reading_session.id, household_id=a.id, status=status_, seats=1)
        )
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
    # a cancelled one does not count: cancel, then sign up again
    ops.cancel_registration(
        queries.live_registration(reading_session.id, a.id).id, by=CancelledBy.HOUSEHOLD
    )
    db.session.commit()
    assert sign(reading_session, a).created


def test_adding_members_beyond_the_free_seats_is_refused_and_nothing_changes(
    reading_session, family
):
    a = family_of(family, reading_session, adults=2)
    b = family_of(family, reading_session, adults=1)
    extra = family.adult(a, "爷爷")
    sign(reading_session, a, member_ids(a)[:2])
    sign(reading_session, b)
    sign(reading_session, family_of(family, reading_session, adults=1))  # 4 of 4 taken
    with pytest.raises(ops.SignupError) as error:
        ops.sign_up(reading_session.id, a.id, [*member_ids(a)[:2], extra.id])
    db.session.rollback()
    assert "空位" in " ".join(error.value.messages)  # "only 0 more seats are free"
    assert queries.live_registration(reading_session.id, a.id).seats == 2


def test_removing_members_frees_seats_and_promotes(reading_session, family):
    a = family_of(family, reading_session, adults=2)
    b = family_of(family, reading_session, adults=2)
    c = family_of(family, reading_session, adults=1)
    sign(reading_session, a)
    sign(reading_session, b)
    sign(reading_session, c)
    assert status(reading_session, c) is RegistrationStatus.WAITLISTED
    outcome = sign(reading_session, a, member_ids(a)[:1])
    assert [r.household_id for r in outcome.promoted] == [c.id]
    assert status(reading_session, c) is RegistrationStatus.CONFIRMED
    assert notice_kinds(c)[-1] is NoticeKind.PROMOTED


def test_a_waiting_family_that_shrinks_to_fit_is_promoted(reading_session, family):
    a = family_of(family, reading_session, adults=3)
    b = family_of(family, reading_session, adults=2)
    sign(reading_session, a)  # 3 of 4
    sign(reading_session, b)  # needs 2: waits
    assert status(reading_session, b) is RegistrationStatus.WAITLISTED
    sign(reading_session, b, member_ids(b)[:1])
    assert status(reading_session, b) is RegistrationStatus.CONFIRMED


def test_cancellation_promotes_the_first_that_fits_in_order(reading_session, family):
    a = family_of(family, reading_session, adults=2)
    b = family_of(family, reading_session, adults=2)
    c = family_of(family, reading_session, adults=3)  # waits first, but needs 3
    d = family_of(family, reading_session, adults=2)  # waits second, needs 2
    e = family_of(family, reading_session, adults=1)  # waits third
    for h in (a, b, c, d, e):
        sign(reading_session, h)
    _, promoted = ops.cancel_registration(
        queries.live_registration(reading_session.id, a.id).id, by=CancelledBy.HOUSEHOLD
    )
    db.session.commit()
    assert [r.household_id for r in promoted] == [d.id]
    assert status(reading_session, c) is RegistrationStatus.WAITLISTED
    assert status(reading_session, e) is RegistrationStatus.WAITLISTED
    assert queries.seats_taken(reading_session.id) == 4
    assert notice_kinds(a)[-1] is NoticeKind.CANCELLED


def test_families_cancel_until_the_start_staff_until_the_end(reading_session, family):
    a = family_of(family, reading_session)
    b = family_of(family, reading_session)
    sign(reading_session, a)
    sign(reading_session, b)
    during = reading_session.starts_at + timedelta(minutes=5)
    with pytest.raises(ops.SignupError):
        ops.cancel_registration(
            queries.live_registration(reading_session.id, a.id).id, by=CancelledBy.LINK, now=during
        )
    db.session.rollback()
    registration, _ = ops.cancel_registration(
        queries.live_registration(reading_session.id, b.id).id,
        by=CancelledBy.STAFF,
        reason="生病请假",
        now=during,
    )
    db.session.commit()
    assert registration.cancel_reason == "生病请假"
    assert notice_kinds(b)[-1] is NoticeKind.CANCELLED_BY_STAFF
    with pytest.raises(ops.SignupError):
        ops.cancel_registration(registration.id, by=CancelledBy.STAFF)


def test_capacity_cannot_drop_below_seats_taken_and_raising_promotes(reading_session, family):
    families = [family_of(family, reading_session) for _ in range(3)]
    for h in families:
        sign(reading_session, h)
    with pytest.raises(ops.SignupError):
        ops.change_capacity(reading_session.id, 3)
    db.session.rollback()
    with pytest.raises(ops.SignupError):
        ops.change_capacity(reading_session.id, reading_session.room.seats + 1)
    db.session.rollback()
    sequence = reading_session.sequence
    promoted = ops.change_capacity(reading_session.id, 6)
    db.session.commit()
    assert [r.household_id for r in promoted] == [families[2].id]
    db.session.refresh(reading_session)
    assert reading_session.capacity == 6
    assert reading_session.sequence == sequence + 1


def test_walk_ins_take_free_seats_only_and_are_checked_in(reading_session, family):
    sign(reading_session, family_of(family, reading_session, adults=3))
    with pytest.raises(ops.SignupError):
        attendance.add_walk_in(reading_session.id, name="李阿姨", adults=1, children=1)
    db.session.rollback()
    registration = attendance.add_walk_in(reading_session.id, name="李阿姨", adults=1, children=0)
    db.session.commit()
    assert registration.is_confirmed and registration.household_id is None
    assert all(a.checked_in_at is not None for a in registration.attendees)
    assert queries.seats_taken(reading_session.id) == 4


def test_check_in_tells_the_task_lists_once(reading_session, family):
    a = family.household(reading_session.room.community, children=(("小明", 6),), adults=("妈妈",))
    registration = sign(reading_session, a).registration
    received = []

    def listener(member, **kwargs):
        received.append((member.id, kwargs["reading_session"].id, kwargs["household"].id))

    member_checked_in.connect(listener)
    try:
        child = next(x for x in registration.attendees if x.member.is_child)
        assert attendance.check_in(child) is True
        assert attendance.check_in(child) is False  # already in: no second signal
        db.session.commit()
    finally:
        member_checked_in.disconnect(listener)
    assert received == [(child.member_id, reading_session.id, a.id)]


def test_three_no_shows_block_new_registrations(make, family, open_program):
    home = make.community()
    h = family.household(home, children=(), adults=("妈妈",))
    now = utcnow()
    for days_ago in (40, 20, 5):
        past = make.session(
            make.room(home),
            program=open_program,
            start=now - timedelta(days=days_ago),
            signup_opens_at=now - timedelta(days=days_ago + 7),
            signup_closes_at=now - timedelta(days=days_ago, hours=1),
        )
        ops.sign_up(past.id, h.id, member_ids(h), now=past.starts_at - timedelta(hours=3))
        db.session.commit()
        registration = queries.live_registration(past.id, h.id)
        with pytest.raises(ops.SignupError):
            attendance.mark_no_show(registration, now=past.starts_at - timedelta(minutes=1))
        attendance.mark_no_show(registration, now=past.starts_at + timedelta(minutes=30))
        db.session.commit()
    until = queries.household_blocked_until(h.id)
    assert until is not None
    assert until == now - timedelta(days=5) + timedelta(days=30)
    upcoming = make.session(make.room(home), program=open_program)
    with pytest.raises(ops.SignupError) as error:
        ops.sign_up(upcoming.id, h.id, member_ids(h))
    assert "未到场" in " ".join(error.value.messages)  # "after several no-shows …"


def test_no_show_is_refused_when_someone_came(reading_session, family):
    a = family_of(family, reading_session)
    registration = sign(reading_session, a).registration
    attendance.check_in(registration.attendees[0])
    with pytest.raises(ops.SignupError):
        attendance.mark_no_show(registration, now=reading_session.starts_at + timedelta(minutes=10))


@pytest.mark.parametrize(
    ("shift", "word"), [(timedelta(days=8), "开始"), (timedelta(hours=1), "截止")]
)
def test_sign_up_outside_the_window_is_refused(make, family, open_program, shift, word):
    s = make.session(program=open_program, start=utcnow() + shift)
    h = family_of(family, s)
    with pytest.raises(ops.SignupError) as error:
        ops.sign_up(s.id, h.id, member_ids(h))
    assert word in error.value.messages[0]  # "opens on …" / "closed on …"


def test_cancelled_session_takes_no_sign_ups(reading_session, family):
    reading_session.status = SessionStatus.CANCELLED
    db.session.commit()
    h = family_of(family, reading_session)
    with pytest.raises(ops.SignupError):
        ops.sign_up(reading_session.id, h.id, member_ids(h))


def test_members_of_another_family_are_refused(reading_session, family):
    a = family_of(family, reading_session)
    b = family_of(family, reading_session)
    with pytest.raises(ops.SignupError):
        ops.sign_up(reading_session.id, a.id, [*member_ids(a), member_ids(b)[0]])
    db.session.rollback()
    assert queries.live_registration(reading_session.id, a.id) is None


def test_a_notice_is_written_with_its_pending_outbox_row(reading_session, family):
    """One statement on PostgreSQL, two elsewhere: the same rows."""
    a = family_of(family, reading_session)
    before = utcnow()
    notice_id = notices.notify(
        a.id, NoticeKind.CONFIRMED, reading_session=reading_session, detail="书" * 400
    )
    other_id = notices.notify(a.id, NoticeKind.WAITLISTED)
    db.session.commit()
    notice = db.session.get(Notice, notice_id)
    assert (notice.household_id, notice.kind, notice.session_id) == (
        a.id,
        NoticeKind.CONFIRMED,
        reading_session.id,
    )
    assert notice.detail == "书" * 300 and notice.read_at is None
    assert before <= notice.created_at <= utcnow()
    message = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.notice_id == notice_id)
    ).one()
    assert (message.status, message.attempts, message.last_error) == (OutboxStatus.PENDING, 0, "")
    assert message.next_attempt_at == message.created_at == notice.created_at
    assert message.sent_at is None
    other = db.session.scalars(select(OutboxMessage).where(OutboxMessage.notice_id == other_id))
    assert other.one().notice.session_id is None


class FailingSender:
    def __init__(self, failures: int):
        self.failures = failures
        self.sent = []

    def send(self, message):
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError("gateway down")
        self.sent.append(message)


def test_outbox_retries_until_sent_and_gives_up_at_the_limit(app, reading_session, family):
    a = family_of(family, reading_session)
    sign(reading_session, a)
    sender = FailingSender(failures=2)
    app.extensions["notice_sender"] = sender
    now = utcnow()
    report = notices.deliver_pending(now=now)
    assert (report.sent, report.retry) == (0, 1)
    message = db.session.scalars(select(OutboxMessage)).one()
    assert message.status is OutboxStatus.PENDING and "gateway down" in message.last_error
    assert notices.deliver_pending(now=now).sent == 0  # not due yet: backing off
    later = message.next_attempt_at
    notices.deliver_pending(now=later)
    report = notices.deliver_pending(now=later + timedelta(hours=1))
    assert report.sent == 1
    db.session.refresh(message)
    assert message.status is OutboxStatus.SENT and message.attempts == 3
    assert "/cancel/" in sender.sent[0].body  # the link to cancel
    assert sender.sent[0].mobile == a.mobile

    app.config["NOTICE_MAX_ATTEMPTS"] = 1
    b = family_of(family, reading_session)
    sign(reading_session, b)
    app.extensions["notice_sender"] = FailingSender(failures=5)
    report = notices.deliver_pending(now=utcnow() + timedelta(days=1))
    assert report.failed == 1
    # the notice stays in the app even when sending gave up
    assert notice_kinds(b) == [NoticeKind.CONFIRMED]


def test_a_claimed_message_is_not_sent_twice(app, reading_session, family):
    sign(reading_session, family_of(family, reading_session))
    now = utcnow()
    assert notices._claim(now, 10)  # another process took it and is sending
    sender = FailingSender(failures=0)
    app.extensions["notice_sender"] = sender
    assert notices.deliver_pending(now=now).sent == 0
    assert sender.sent == []
    # if that process died, the lease runs out and the message is sent
    assert notices.deliver_pending(now=now + notices.LEASE + timedelta(seconds=1)).sent == 1


def test_what_can_be_done_when(reading_session, family):
    """Sign-ups and changes until the window closes, never after the start; families cancel
    until the start, staff until the end; no-shows from the start; nothing once cancelled."""
    before, during = (
        reading_session.starts_at - timedelta(hours=3),
        reading_session.starts_at + timedelta(minutes=5),
    )
    after = reading_session.ends_at + timedelta(minutes=1)
    assert queries.signup_state(reading_session, before) == "open"
    assert (
        queries.signup_state(reading_session, reading_session.starts_at - timedelta(hours=1))
        == "closed"
    )
    assert (
        queries.signup_state(reading_session, reading_session.starts_at - timedelta(days=8))
        == "before"
    )
    assert queries.signup_state(reading_session, during) == "over"
    assert queries.cancel_open(reading_session, CancelledBy.HOUSEHOLD, before)
    assert not queries.cancel_open(reading_session, CancelledBy.LINK, during)
    assert queries.cancel_open(reading_session, CancelledBy.STAFF, during)
    assert not queries.cancel_open(reading_session, CancelledBy.STAFF, after)
    assert not queries.no_show_open(reading_session, before)
    assert queries.no_show_open(reading_session, during) and queries.no_show_open(
        reading_session, after
    )
    reading_session.status = SessionStatus.CANCELLED
    assert queries.signup_state(reading_session, before) == "cancelled"
    assert not queries.cancel_open(reading_session, CancelledBy.STAFF, during)
    assert not queries.no_show_open(reading_session, during)


def test_no_sign_up_after_the_start_even_with_a_late_window(reading_session, family):
    h = family_of(family, reading_session)
    reading_session.signup_closes_at = reading_session.ends_at
    db.session.commit()
    with pytest.raises(ops.SignupError):
        ops.sign_up(
            reading_session.id,
            h.id,
            member_ids(h),
            now=reading_session.starts_at + timedelta(minutes=1),
        )


def test_no_show_is_refused_on_a_cancelled_session(reading_session, family):
    registration = sign(reading_session, family_of(family, reading_session)).registration
    reading_session.status = SessionStatus.CANCELLED
    db.session.commit()
    with pytest.raises(ops.SignupError):
        attendance.mark_no_show(registration, now=reading_session.starts_at + timedelta(minutes=10))
    assert registration.no_show_at is None
