"""The sign-up commands: sending due notices, purging old personal data."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from readingroom.extensions import db
from readingroom.notices.models import Notice, OutboxMessage, OutboxStatus
from readingroom.registrations import operations as ops
from readingroom.registrations.models import Attendee, Registration
from readingroom.timeutil import utcnow

from .fixtures_families import member_ids


def test_deliver_notices_sends_what_is_due(runner, make, family, caplog):
    s = make.session(program=make.program(min_age=3, max_age=12))
    h = family.household(s.room.community)
    ops.sign_up(s.id, h.id, member_ids(h))
    db.session.commit()
    caplog.set_level("INFO", logger="readingroom.notices.operations")
    result = runner.invoke(args=["signups", "deliver-notices"])
    assert "sent 1" in result.output
    assert db.session.scalars(select(OutboxMessage.status)).one() is OutboxStatus.SENT
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert h.mobile[:3] + "****" + h.mobile[7:] in logged and h.mobile not in logged


def test_purge_keeps_counts_and_drops_who(runner, make, family):
    program = make.program(min_age=3, max_age=12)
    now = utcnow()
    old = make.session(program=program, start=now - timedelta(days=400))
    recent = make.session(program=program, start=now + timedelta(days=2))
    h = family.household(old.room.community)
    for s in (old, recent):
        db.session.add(
            Registration(
                session_id=s.id,
                household_id=h.id,
                status=ops.RegistrationStatus.CONFIRMED,
                seats=2,
                attendees=[Attendee(member_id=m.id, kind=m.kind, age=6) for m in h.members],
            )
        )
    db.session.add(
        Notice(
            household_id=h.id, kind=ops.NoticeKind.CONFIRMED, created_at=now - timedelta(days=400)
        )
    )
    db.session.commit()
    result = runner.invoke(args=["signups", "purge", "--months", "12"])
    assert "1 registrations" in result.output
    db.session.expire_all()
    purged = db.session.scalars(select(Registration).where(Registration.session_id == old.id)).one()
    kept = db.session.scalars(
        select(Registration).where(Registration.session_id == recent.id)
    ).one()
    assert purged.household_id is None and purged.seats == 2
    assert [a.member_id for a in purged.attendees] == [None, None]
    assert sorted(a.kind.value for a in purged.attendees) == ["adult", "child"]
    assert kept.household_id == h.id
    assert db.session.scalar(select(func.count(Notice.id))) == 0


class Recorder:
    def __init__(self):
        self.sent = []

    def send(self, message):
        self.sent.append(message)


def test_notices_go_out_right_after_the_response_also_for_schedule_changes(
    app, client, make, family
):
    from .conftest import login

    s = make.session(program=make.program(min_age=3, max_age=12))
    h = family.household(s.room.community)
    ops.sign_up(s.id, h.id, member_ids(h))
    db.session.commit()
    recorder = app.extensions["notice_sender"] = Recorder()
    login(client, make.staff(s.room.community))
    response = client.post(f"/staff/sessions/{s.id}/cancel", data={"reason": "停电"})
    assert response.status_code == 302
    response.close()  # the server closes the response once it is sent
    db.session.rollback()
    bodies = [m.body for m in recorder.sent]
    assert any("停电" in body for body in bodies)  # the cancellation, with its reason
    statuses = db.session.scalars(select(OutboxMessage.status)).all()
    assert statuses == [OutboxStatus.SENT, OutboxStatus.SENT]
