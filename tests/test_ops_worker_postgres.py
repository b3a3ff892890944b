"""Several workers on PostgreSQL: every notice is sent exactly once, none lost.

Two ``flask worker`` processes share a scratch database with 500 queued notices and a
sender that fails one send in five (``tests/ops_flaky_sender.py``, short retry back-off).
One of them gets SIGTERM in the middle and must stop cleanly (exit 0, its claimed batch
handed back); a third one starts. At the end every notice has exactly one successful send
and every outbox row is marked sent.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from readingroom import create_app
from readingroom.extensions import db
from readingroom.families.models import Household
from readingroom.notices.models import NoticeKind, OutboxMessage, OutboxStatus
from readingroom.notices.operations import notify
from readingroom.places.models import Community, Room
from readingroom.schedule.models import Program, ReadingSession
from readingroom.timeutil import utcnow
from tests.conftest import PASSWORD_HASH, TEST_DATABASE_URL
from tests.servers import scratch_postgres

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

NOTICES = 500
FLASK = Path(sys.executable).with_name("flask")
ROOT = Path(__file__).parents[1]


@pytest.fixture
def database():
    if not TEST_DATABASE_URL:
        if os.environ.get("REQUIRE_POSTGRES"):
            pytest.fail("TEST_DATABASE_URL is required")
        pytest.skip("TEST_DATABASE_URL not set")
    with scratch_postgres("rr_ops_workers") as url:
        yield url


def seed(url: str) -> None:
    from datetime import timedelta

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "TESTING": True})
    with app.app_context():
        db.create_all()
        community = Community(slug="binhe", name="滨河", name_en="Binhe")
        room = Room(community=community, slug="peony", name="牡丹书房", address="1号", seats=20)
        program = Program(slug="p", name="亲子阅读", min_age=3, max_age=12, adult_required=True)
        start = utcnow() + timedelta(days=3)
        reading_session = ReadingSession(
            program=program,
            room=room,
            title="绘本共读",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            capacity=10,
        )
        db.session.add(reading_session)
        households = [
            Household(
                guardian_name="王女士",
                mobile=f"139{n:08d}",
                password_hash=PASSWORD_HASH,
                community=community,
            )
            for n in range(NOTICES)
        ]
        db.session.add_all(households)
        db.session.flush()
        for household in households:
            notify(household.id, NoticeKind.SESSION_MOVED, reading_session=reading_session)
        db.session.commit()
        db.engine.dispose()


def start_worker(url: str, sent_log: Path, log_path: Path) -> subprocess.Popen:
    config = {
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test-secret-key",
        "NOTICE_SENDER": "tests.ops_flaky_sender:factory",
        "NOTICE_RETRY_SECONDS": 0.2,
        "NOTICE_MAX_ATTEMPTS": 30,
        "WORKER_DELIVER_SECONDS": 0.2,
        "PUBLIC_BASE_URL": "https://reading.binhe.example/",
        "FEED_LISTEN": False,
    }
    env = {**os.environ, "OPS_SENT_LOG": str(sent_log), "PYTHONPATH": str(ROOT)}
    command = [str(FLASK), "--app", f"readingroom:create_app({config!r})", "worker"]
    log = log_path.open("w")
    try:
        return subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    finally:
        log.close()


def sent_lines(sent_log: Path) -> list[tuple[int, int]]:
    if not sent_log.exists():
        return []
    return [tuple(map(int, line.split())) for line in sent_log.read_text().splitlines()]


def test_two_workers_send_every_notice_exactly_once(database, tmp_path):
    seed(database)
    sent_log = tmp_path / "sent.txt"
    engine = create_engine(database)
    workers = [start_worker(database, sent_log, tmp_path / f"worker{n}.log") for n in (1, 2)]
    try:
        deadline = time.monotonic() + 90
        while len(sent_lines(sent_log)) < NOTICES // 3:
            assert time.monotonic() < deadline, (tmp_path / "worker1.log").read_text()[-2000:]
            assert all(w.poll() is None for w in workers)
            time.sleep(0.05)
        first = workers[0]
        first.send_signal(signal.SIGTERM)  # in the middle of its work
        assert first.wait(timeout=30) == 0
        workers.append(start_worker(database, sent_log, tmp_path / "worker3.log"))

        deadline = time.monotonic() + 120
        while True:
            with engine.connect() as conn:
                left = conn.scalar(
                    select(func.count(OutboxMessage.id)).where(
                        OutboxMessage.status != OutboxStatus.SENT
                    )
                )
            if left == 0:
                break
            assert time.monotonic() < deadline, f"{left} notices never sent"
            time.sleep(0.2)
        for worker in workers[1:]:
            worker.send_signal(signal.SIGTERM)
        assert [w.wait(timeout=30) for w in workers[1:]] == [0, 0]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
        engine.dispose()

    lines = sent_lines(sent_log)
    per_notice = Counter(notice_id for notice_id, _pid in lines)
    assert len(per_notice) == NOTICES  # none lost
    assert max(per_notice.values()) == 1  # none twice
    senders = Counter(pid for _notice_id, pid in lines)
    assert len(senders) == 3 and min(senders.values()) > 0  # all three took a share
    engine = create_engine(database)
    with engine.connect() as conn:
        retried = conn.scalar(text("SELECT count(*) FROM notice_outbox WHERE attempts > 1"))
    engine.dispose()
    assert retried > NOTICES // 10  # the sender really failed, and those were retried
    logs = "".join((tmp_path / f"worker{n}.log").read_text() for n in (1, 2, 3))
    assert "deliver-notices:" in logs and "Traceback" not in logs
    assert "worker" in logs and "stopped" in logs
