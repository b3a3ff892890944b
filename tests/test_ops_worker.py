"""The worker: its jobs as plain functions, one round through the CLI, the SQLite refusal
and SIGTERM with a real process."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from readingroom.extensions import db
from readingroom.families.models import PasswordReset
from readingroom.families.operations import create_reset_link, delete_expired_resets
from readingroom.notices.models import Notice, NoticeKind, OutboxMessage, OutboxStatus
from readingroom.notices.operations import deliver_pending
from readingroom.ops.models import JobRun
from readingroom.ops.worker import (
    ADVISORY_NAMESPACE,
    JOBS,
    Worker,
    WorkerRefused,
    advisory_key,
    run_job,
)
from readingroom.registrations.operations import sign_up
from readingroom.registrations.reminders import send_reminders
from readingroom.schedule.models import SessionStatus
from readingroom.timeutil import beijing_today, from_beijing, utcnow
from tests.conftest import at
from tests.fixtures_families import member_ids

FLASK = Path(sys.executable).with_name("flask")


class Recorder:
    def __init__(self):
        self.sent = []

    def send(self, message):
        self.sent.append(message)


@pytest.fixture
def recorder(app):
    app.extensions["notice_sender"] = sender = Recorder()
    return sender


def tomorrow_session(make, **kw):
    return make.session(start=at(beijing_today() + timedelta(days=1), 15, 0), **kw)


def job(name):
    return next(j for j in JOBS if j.name == name)


def reminders():
    return db.session.scalars(select(Notice).where(Notice.kind == NoticeKind.REMINDER)).all()


# --- the jobs as functions -------------------------------------------------------------------


def test_reminders_once_per_confirmed_registration_of_tomorrow(make, family, recorder):
    tomorrow = tomorrow_session(make, capacity=2)
    later = make.session(start=at(beijing_today() + timedelta(days=3), 15, 0))
    confirmed, waiting, other = (family.household() for _ in range(3))
    for reading_session, h in ((tomorrow, confirmed), (tomorrow, waiting), (later, other)):
        sign_up(reading_session.id, h.id, member_ids(h))  # 2 seats: the second waits
        db.session.commit()
    noon = from_beijing(beijing_today(), datetime.min.time().replace(hour=12))
    early = from_beijing(beijing_today(), datetime.min.time().replace(hour=6))

    assert send_reminders(now=early, from_hour=10) == 0  # nobody is woken at dawn
    assert send_reminders(now=noon, from_hour=10) == 1
    db.session.commit()
    assert send_reminders(now=noon + timedelta(hours=1), from_hour=10) == 0  # only once
    (notice,) = reminders()
    assert notice.household_id == confirmed.id and notice.session_id == tomorrow.id
    assert db.session.scalar(
        select(func.count(OutboxMessage.id)).where(OutboxMessage.notice_id == notice.id)
    )

    deliver_pending()
    body = next(m.body for m in recorder.sent if m.notice_id == notice.id)
    assert "明天" in body and tomorrow.title in body and "/cancel/" in body


def test_no_reminder_for_a_cancelled_session(make, family):
    tomorrow = tomorrow_session(make)
    h = family.household()
    sign_up(tomorrow.id, h.id, member_ids(h))
    tomorrow.status = SessionStatus.CANCELLED
    db.session.commit()
    noon = from_beijing(beijing_today(), datetime.min.time().replace(hour=12))
    assert send_reminders(now=noon) == 0


def test_expired_reset_links_are_removed(make, family):
    staff = make.admin()
    h = family.household()
    now = utcnow()
    create_reset_link(h, staff.id, now=now - timedelta(days=3))  # expired (48 hours)
    create_reset_link(h, staff.id, now=now)  # still valid
    db.session.commit()
    assert delete_expired_resets(now=now) == 1
    assert db.session.scalar(select(func.count(PasswordReset.id))) == 1


def test_a_scheduled_job_runs_once_until_it_is_due_again(app, make, family):
    staff = make.admin()
    create_reset_link(family.household(), staff.id, now=utcnow() - timedelta(days=3))
    db.session.commit()
    now = utcnow()
    assert run_job(app, job("expired-links"), now=now) == "1 expired password reset links removed"
    assert run_job(app, job("expired-links"), now=now + timedelta(minutes=30)) is None
    assert run_job(app, job("expired-links"), now=now + timedelta(minutes=61)) is not None
    row = db.session.get(JobRun, "expired-links")
    assert row.last_result.startswith("0 expired")


def test_the_purge_runs_nightly_from_the_configured_hour(app):
    app.config["WORKER_PURGE_HOUR"] = 3
    day = beijing_today()

    def beijing(hour, days=0):
        return from_beijing(day + timedelta(days=days), datetime.min.time().replace(hour=hour))

    purge = job("purge")
    assert run_job(app, purge, now=beijing(1)) is not None  # never ran: at once
    assert run_job(app, purge, now=beijing(4)) is None  # already ran this Beijing day
    assert run_job(app, purge, now=beijing(2, days=1)) is None  # next night, before 03:00
    assert "older than 12 months" in run_job(app, purge, now=beijing(3, days=1))
    assert run_job(app, purge, now=beijing(23, days=1)) is None


def test_a_failing_job_is_logged_and_tried_again(app, caplog):
    from readingroom.ops.worker import Job, every

    def broken(_app, _now):
        raise RuntimeError("disk full")

    flaky = Job("broken", broken, every(timedelta(hours=1)))
    with caplog.at_level(logging.INFO, logger="readingroom.worker"):
        assert run_job(app, flaky) is None
    assert "broken: failed" in caplog.text and "disk full" in caplog.text
    assert db.session.get(JobRun, "broken") is None  # nothing recorded: due again


def test_stopping_hands_back_the_rest_of_the_batch(app, make, family):
    reading_session = make.session()
    for _ in range(4):
        h = family.household()
        sign_up(reading_session.id, h.id, member_ids(h))
        db.session.commit()
    sent = []

    class OneThenStop:
        def send(self, message):
            sent.append(message.notice_id)

    app.extensions["notice_sender"] = OneThenStop()
    report = deliver_pending(should_stop=lambda: bool(sent))
    assert (report.sent, report.released) == (1, 3)
    rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [r.status for r in rows] == [OutboxStatus.SENT] + [OutboxStatus.PENDING] * 3
    assert [r.attempts for r in rows[1:]] == [0, 0, 0]  # as if never claimed
    assert all(r.next_attempt_at <= utcnow() for r in rows[1:])  # due again at once
    report = deliver_pending()
    assert report.sent == 3 and len(set(sent)) == 4


@pytest.mark.postgres
def test_a_job_another_worker_is_running_is_skipped(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's")
    other = db.engine.connect()  # another worker, in the middle of the purge
    try:
        other.execute(
            text("SELECT pg_advisory_xact_lock(:ns, :key)"),
            {"ns": ADVISORY_NAMESPACE, "key": advisory_key("purge")},
        )
        assert run_job(app, job("purge")) is None
        assert db.session.get(JobRun, "purge") is None
    finally:
        other.rollback()
        other.close()
    assert run_job(app, job("purge")) is not None


def test_advisory_keys_are_stable_signed_32_bit():
    keys = {advisory_key(j.name) for j in JOBS}
    assert len(keys) == len(JOBS)
    assert all(-(2**31) <= k < 2**31 for k in keys)
    assert advisory_key("purge") == advisory_key("purge")


# --- through the CLI -------------------------------------------------------------------------


def test_worker_once_through_the_cli_logs_one_line_per_job(app, runner, make, family, caplog):
    h = family.household()
    mobile = h.mobile
    sign_up(make.session().id, h.id, member_ids(h))
    db.session.commit()
    with caplog.at_level(logging.INFO, logger="readingroom.worker"):
        result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    lines = [r.getMessage() for r in caplog.records if r.name == "readingroom.worker"]
    assert any(line.startswith("deliver-notices: 1 sent") and " ms" in line for line in lines)
    for name in ("reminders", "expired-links", "purge"):
        assert sum(line.startswith(f"{name}: ") for line in lines) == 1, lines
    assert mobile not in caplog.text  # the sender's log line masks it
    db.session.expire_all()
    assert db.session.scalar(select(OutboxMessage.status)) is OutboxStatus.SENT


def test_a_second_worker_on_the_same_sqlite_file_is_refused(app, tmp_path):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL runs several workers")
    first = Worker(app)
    first.hold_single_worker_lock()
    try:
        with pytest.raises(WorkerRefused, match="One worker is enough on SQLite"):
            Worker(app).hold_single_worker_lock()
    finally:
        first.release_single_worker_lock()
    again = Worker(app)
    again.hold_single_worker_lock()  # free again
    again.release_single_worker_lock()


@pytest.mark.slow
def test_worker_processes_refusal_and_sigterm(app, tmp_path):
    """Real processes: the second is refused with the message, SIGTERM ends the first."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the refusal is SQLite's")
    env = {**os.environ, "DATABASE_URL": str(db.engine.url), "NOTICE_SENDER": "log"}
    env.pop("TEST_DATABASE_URL", None)
    command = [str(FLASK), "--app", "readingroom", "worker"]
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as log:
        first = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while "started" not in log_path.read_text():
                assert first.poll() is None and time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.1)
            second = subprocess.run(
                command, env=env, capture_output=True, text=True, timeout=60, check=False
            )
            assert second.returncode == 1
            assert f"Another worker (pid {first.pid}) is already running" in second.stderr
            first.send_signal(signal.SIGTERM)
            assert first.wait(timeout=30) == 0
        finally:
            if first.poll() is None:
                first.kill()
                first.wait()
    assert "stopped" in log_path.read_text()
