"""Feed validators without a query on PostgreSQL: change notifications (calendars/changes.py).

The rules of :func:`changes.reuse` are tested with a stand-in listener on any
database. The PostgreSQL tests (TEST_DATABASE_URL) use the real listener: a
change made elsewhere (raw SQL on another connection, another process, another
gunicorn worker) reaches the next feed request within a short wait; a 304
still comes while nothing changed; a lost listener connection or a disabled
trigger means querying on every request until it is sound again; the warm
path sends no SQL at all.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text, update
from sqlalchemy.engine import make_url

from readingroom import create_app
from readingroom.calendars import changes
from readingroom.extensions import db
from readingroom.schedule.models import ReadingSession
from readingroom.schedule.operations import series_data, update_session
from readingroom.timeutil import BEIJING, beijing_today
from tests.conftest import PASSWORD, PASSWORD_HASH, TEST_DATABASE_URL, at, base_config
from tests.fixtures_calendars import parse_ics
from tests.servers import gunicorn, scratch_postgres

FEED = "/feeds/all.ics"
needs_postgres = pytest.mark.skipif(not TEST_DATABASE_URL, reason="TEST_DATABASE_URL not set")


def wait_until(condition: Callable[[], object], timeout: float = 2.0, step: float = 0.01):
    """Poll ``condition`` until it returns something true; that value, or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"not true within {timeout} s: {condition}")
        time.sleep(step)


# --- the rules of reuse, with a stand-in listener (any database) ----------------------------


class StandIn:
    """Plays the listener: a generation the test bumps, and whether it is trusted."""

    def __init__(self) -> None:
        self.generation = 0
        self.trusted = True

    def token(self) -> int | None:
        return self.generation if self.trusted else None


@pytest.fixture
def stand_in(app) -> StandIn:
    listener = StandIn()
    app.extensions[changes._EXTENSION] = changes._Watch(listener)  # type: ignore[arg-type]
    return listener


class Computations:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> int:
        self.count += 1
        return self.count


def test_reuse_keeps_a_value_only_while_the_listener_vouches_for_it(stand_in, monkeypatch):
    compute = Computations()
    assert changes.reuse("a", compute) == 1
    assert changes.reuse("a", compute) == 1  # nothing changed
    stand_in.generation += 1  # a notification
    assert changes.reuse("a", compute) == 2
    assert changes.reuse("b", compute) == 3  # another key (the next day)
    assert changes.reuse("b", compute) == 3
    stand_in.trusted = False  # connection lost, or triggers missing
    assert changes.reuse("b", compute) == 4
    assert changes.reuse("b", compute) == 5
    stand_in.trusted = True  # the same connection checked again: nothing went astray
    assert changes.reuse("b", compute) == 3
    stand_in.trusted = False
    assert changes.reuse("b", compute) == 6
    stand_in.generation += 1  # a new connection: the listener bumps before it is trusted
    stand_in.trusted = True
    assert changes.reuse("b", compute) == 7
    assert changes.reuse("b", compute) == 7
    monkeypatch.setattr(changes, "REUSE_AT_MOST", 0.0)  # the safety net
    assert changes.reuse("b", compute) == 8


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(lambda s: setattr(s, "title", "改了"), id="orm-flush"),
        pytest.param(
            lambda s: db.session.execute(
                update(ReadingSession).where(ReadingSession.id == s.id).values(capacity=3)
            ),
            id="bulk-update",
        ),
        pytest.param(
            lambda s: db.session.execute(text("UPDATE room SET seats = seats + 1")),
            id="text-sql",
        ),
    ],
)
def test_a_commit_of_this_process_that_wrote_counts_as_a_change(stand_in, make, write):
    s = make.session()
    compute = Computations()
    changes.reuse("a", compute)
    db.session.get(ReadingSession, s.id)
    db.session.commit()  # read only: no change
    assert changes.reuse("a", compute) == 1
    write(s)
    db.session.rollback()  # undone: no change
    db.session.commit()
    assert changes.reuse("a", compute) == 1
    write(s)
    assert changes.reuse("a", compute) == 1  # not committed yet: others cannot see it
    db.session.commit()
    assert changes.reuse("a", compute) == 2


def test_a_savepoint_is_not_yet_a_change(stand_in, make):
    s = make.session()
    compute = Computations()
    changes.reuse("a", compute)
    with db.session.begin_nested():
        s.title = "保存点"
    assert changes.reuse("a", compute) == 1
    db.session.commit()
    assert changes.reuse("a", compute) == 2


@pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="SQLite only")
def test_sqlite_has_no_listener_and_asks_every_time(client, world, count_queries):
    first = client.get(FEED)
    with count_queries() as warm:
        assert client.get(FEED, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert changes.listener() is None
    assert warm.count >= 1


# --- PostgreSQL: the real listener ------------------------------------------------------------


def conninfo(url: str | None = None) -> str:
    return (
        make_url(url or TEST_DATABASE_URL)
        .set(drivername="postgresql")
        .render_as_string(hide_password=False)
    )


@contextmanager
def other_connection(url: str | None = None) -> Iterator:
    """A connection of its own, as another program would have (autocommit)."""
    import psycopg

    with psycopg.connect(conninfo(url), autocommit=True) as connection:
        yield connection


def sync(listener: changes.Listener) -> None:
    """Wait until the listener has taken in every notification committed so far
    (PostgreSQL delivers them in commit order: ours comes last)."""
    payload = uuid.uuid4().hex
    with other_connection() as connection:
        connection.execute("SELECT pg_notify(%s, %s)", (changes.CHANNEL, payload))
    wait_until(lambda: listener.last_payload == payload)


def ready(client) -> changes.Listener:
    """Start this process's listener (first feed request), wait until it is trusted, settle."""
    client.get(FEED)
    listener = changes.listener()
    assert listener is not None
    wait_until(lambda: listener.trusted, timeout=10)
    sync(listener)
    return listener


def fresh(client, etag: str, timeout: float = 2.0):
    """Poll the feed with If-None-Match until it is no longer a 304; that response."""

    def changed():
        response = client.get(FEED, headers={"If-None-Match": etag})
        return response if response.status_code == 200 else None

    response = wait_until(changed, timeout=timeout)
    assert response.headers["ETag"] != etag
    return response


@pytest.mark.postgres
@needs_postgres
def test_a_warm_feed_and_a_304_send_no_sql(client, world, count_queries):
    ready(client)
    first = client.get(FEED)
    with count_queries() as warm:
        again = client.get(FEED)
    with count_queries() as not_modified:
        conditional = client.get(FEED, headers={"If-None-Match": first.headers["ETag"]})
    assert again.data == first.data
    assert conditional.status_code == 304
    assert (warm.count, not_modified.count) == (0, 0)
    client.get("/feeds/community/yaozhuang.ics")
    with count_queries() as community:
        client.get("/feeds/community/yaozhuang.ics")
    assert community.count == 0  # its slug is remembered, its validators kept


RAW_CHANGES = {
    "session-update": (
        "UPDATE reading_session SET title = '原始SQL改的标题', "
        "updated_at = (now() AT TIME ZONE 'utc') WHERE id = %(id)s"
    ),
    "session-delete": "DELETE FROM reading_session WHERE id = %(id)s",
    "room-update": "UPDATE room SET updated_at = (now() AT TIME ZONE 'utc') + interval '1 minute'",
}


@pytest.mark.postgres
@needs_postgres
@pytest.mark.parametrize("change", list(RAW_CHANGES))
def test_raw_sql_on_another_connection_reaches_the_next_request(client, world, change):
    ready(client)
    first = client.get(FEED)
    assert client.get(FEED, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    s = world.sessions[0]
    uid = s.ical_uid()
    with other_connection() as connection:
        connection.execute(RAW_CHANGES[change], {"id": s.id})
    after = fresh(client, first.headers["ETag"])
    uids = {e.uid for e in parse_ics(after.data).events}
    if change == "session-update":
        assert "原始SQL改的标题" in after.get_data(as_text=True)
    assert (uid in uids) == (change != "session-delete")
    again = client.get(FEED, headers={"If-None-Match": after.headers["ETag"]})
    assert again.status_code == 304


CANCEL_ELSEWHERE = """
import sys
from readingroom import create_app
from readingroom.extensions import db
from readingroom.schedule.models import ReadingSession
from readingroom.schedule.operations import cancel_session
from tests.conftest import base_config

app = create_app(base_config(sys.argv[1]))
with app.app_context():
    cancel_session(db.session.get(ReadingSession, int(sys.argv[2])), "另一个进程取消的")
    db.session.commit()
"""


@pytest.mark.postgres
@needs_postgres
def test_a_change_by_another_app_process_reaches_the_next_request(client, world):
    ready(client)
    first = client.get(FEED)
    s = world.sessions[0]
    subprocess.run(
        [sys.executable, "-c", CANCEL_ELSEWHERE, TEST_DATABASE_URL, str(s.id)],
        check=True,
        cwd=Path(__file__).parents[1],
        timeout=120,
    )
    after = fresh(client, first.headers["ETag"])
    event = next(e for e in parse_ics(after.data).events if e.uid == s.ical_uid())
    assert event.status.value == "CANCELLED"


@pytest.mark.postgres
@needs_postgres
def test_an_edit_in_this_process_is_seen_at_once_without_the_notification(
    client, world, monkeypatch
):
    """The notification comes a moment after the commit; the process's own commit does not
    wait for it. (Notifications are ignored here, so only the local bump can refresh.)"""
    listener = ready(client)
    first = client.get(FEED)
    monkeypatch.setattr(listener, "_bump", lambda: None)
    s = world.sessions[3]
    data = series_data(world.series).occurrence(s.starts_at.astimezone(BEIJING).date())
    update_session(s, replace(data, title="绘本共读：本进程改的"))
    db.session.commit()
    after = client.get(FEED, headers={"If-None-Match": first.headers["ETag"]})
    assert after.status_code == 200
    assert "绘本共读：本进程改的" in after.get_data(as_text=True)
    monkeypatch.undo()
    sync(listener)


def terminate(backend_pid: int) -> None:
    with other_connection() as connection:
        connection.execute("SELECT pg_terminate_backend(%s)", (backend_pid,))


@pytest.mark.postgres
@needs_postgres
def test_a_lost_listener_means_querying_until_it_is_back(client, world, count_queries):
    listener = ready(client)
    first = client.get(FEED)
    etag = first.headers["ETag"]
    lost = listener.backend_pid
    listener._delay = 1.5  # reconnect only after the checks below
    terminate(lost)
    wait_until(lambda: not listener.trusted)

    with count_queries() as unchanged:
        assert client.get(FEED, headers={"If-None-Match": etag}).status_code == 304
    assert unchanged.count == 1  # asked the database: no notification can vouch for it
    with other_connection() as connection:
        connection.execute(RAW_CHANGES["session-update"], {"id": world.sessions[0].id})
    after = client.get(FEED, headers={"If-None-Match": etag})  # no waiting: it queried
    assert after.status_code == 200
    etag = after.headers["ETag"]

    wait_until(lambda: listener.trusted, timeout=10)
    assert listener.backend_pid != lost
    sync(listener)
    client.get(FEED)
    with count_queries() as warm:
        assert client.get(FEED, headers={"If-None-Match": etag}).status_code == 304
    assert warm.count == 0


@pytest.mark.postgres
@needs_postgres
def test_what_changed_while_nobody_listened_counts_on_reconnecting(client, world):
    """No request while the listener is away: the value kept from before must not come back."""
    listener = ready(client)
    first = client.get(FEED)
    listener._delay = 1.5
    terminate(listener.backend_pid)
    wait_until(lambda: not listener.trusted)
    with other_connection() as connection:  # its notification reaches nobody
        connection.execute(RAW_CHANGES["session-update"], {"id": world.sessions[0].id})
    wait_until(lambda: listener.trusted, timeout=10)
    after = client.get(FEED, headers={"If-None-Match": first.headers["ETag"]})
    assert after.status_code == 200
    assert "原始SQL改的标题" in after.get_data(as_text=True)


@pytest.mark.postgres
@needs_postgres
def test_notifications_that_go_astray_end_the_trust(client, world, count_queries):
    """As behind a pooler in transaction mode: connected, triggers there, nothing arrives.
    The listener's own check does not come back, so it stops vouching, then reconnects."""
    listener = ready(client)
    first = client.get(FEED)
    real_take = listener._take
    lost = listener.backend_pid

    def astray(connection, timeout):
        for _notice in connection.notifies(timeout=timeout):
            pass  # lost on the way

    listener._take = astray
    try:
        wait_until(lambda: not listener.trusted, timeout=changes.TRUSTED_FOR + 3)
        with other_connection() as connection:
            connection.execute(RAW_CHANGES["session-update"], {"id": world.sessions[0].id})
        with count_queries() as counted:
            after = client.get(FEED, headers={"If-None-Match": first.headers["ETag"]})
        assert after.status_code == 200
        assert counted.count >= 1
    finally:
        listener._take = real_take
    wait_until(lambda: listener.trusted and listener.backend_pid != lost, timeout=15)


@pytest.mark.postgres
@needs_postgres
def test_a_disabled_trigger_means_querying(client, world, count_queries):
    listener = ready(client)
    first = client.get(FEED)
    try:
        with other_connection() as connection:
            connection.execute(f"ALTER TABLE program DISABLE TRIGGER {changes.TRIGGER}")
        wait_until(lambda: not listener.trusted, timeout=changes.HEARTBEAT + 3)
        with other_connection() as connection:  # unannounced: the trigger is off
            connection.execute(
                "UPDATE program SET updated_at = (now() AT TIME ZONE 'utc') + interval '1 minute'"
            )
        with count_queries() as counted:
            after = client.get(FEED, headers={"If-None-Match": first.headers["ETag"]})
        assert after.status_code == 200
        assert counted.count >= 1
    finally:
        with other_connection() as connection:
            connection.execute(f"ALTER TABLE program ENABLE TRIGGER {changes.TRIGGER}")
    listener._delay = 0.1
    wait_until(lambda: listener.trusted, timeout=changes.RETRY_MAX + 5)


@pytest.mark.postgres
@needs_postgres
@pytest.mark.parametrize("app_config", [{"FEED_LISTEN": False}])
def test_feed_listen_false_asks_every_time(client, world, count_queries):
    first = client.get(FEED)
    assert changes.listener() is None
    with count_queries() as counted:
        client.get(FEED, headers={"If-None-Match": first.headers["ETag"]})
    assert counted.count == 1


# --- the migration ----------------------------------------------------------------------------


TRIGGER_REVISION = "a4298736621e"  # readingroom/migrations/versions/a4298736621e_calendars_…


@pytest.mark.postgres
@needs_postgres
def test_the_migration_creates_and_drops_the_triggers():
    with scratch_postgres("rr_feed_triggers") as url:
        app = create_app(base_config(url))
        runner = app.test_cli_runner()
        try:
            assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
            with other_connection(url) as connection:
                assert changes.missing_triggers(connection) == set()
            result = runner.invoke(args=["db", "downgrade", f"{TRIGGER_REVISION}-1"])
            assert result.exit_code == 0, result.output
            with other_connection(url) as connection:
                assert changes.missing_triggers(connection) == set(changes.TABLES)
                (functions,) = connection.execute(
                    "SELECT count(*) FROM pg_proc WHERE proname = %s", (changes.TRIGGER,)
                ).fetchone()
                assert functions == 0
            assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
            with other_connection(url) as connection:
                assert changes.missing_triggers(connection) == set()
        finally:
            with app.app_context():
                db.engine.dispose()


# --- gunicorn: several workers, an edit through one of them -------------------------------------

WORKER_HEADER_HOOK = '''
def post_worker_init(worker):
    """Say which worker answered (to see every worker serve the feed)."""
    import os

    @worker.wsgi.after_request
    def _worker(response):
        response.headers["X-Worker"] = str(os.getpid())
        return response
'''
WORKERS = 3


def _seed(url: str) -> int:
    from readingroom.places.models import Community, Room
    from readingroom.schedule.models import Program
    from readingroom.staff.models import Role, StaffUser

    app = create_app(base_config(url))
    with app.app_context():
        db.create_all()
        community = Community(slug="gu", name="多进程社区", name_en="Workers")
        room = Room(community=community, slug="gu-room", name="书房", address="1号", seats=20)
        program = Program(slug="all", name="大家读", min_age=0, adult_required=False)
        start = at(beijing_today() + timedelta(days=3), 9)
        sessions = [
            ReadingSession(
                program=program,
                room=room,
                title=f"活动{n}",
                starts_at=start + timedelta(days=n),
                ends_at=start + timedelta(days=n, hours=1),
                capacity=10,
            )
            for n in range(5)
        ]
        admin = StaffUser(
            login="chief", name="管理员", password_hash=PASSWORD_HASH, role=Role.ADMIN
        )
        db.session.add_all([*sessions, admin])
        db.session.commit()
        session_id = sessions[2].id
        db.session.remove()
        db.engine.dispose()
    return session_id


def _listeners_connected(url: str) -> int:
    with other_connection(url) as connection:
        (count,) = connection.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE application_name = %s AND datname = current_database()",
            (changes.APPLICATION_NAME,),
        ).fetchone()
    return count


@pytest.mark.slow
@pytest.mark.postgres
@needs_postgres
def test_gunicorn_workers_give_the_new_etag_right_after_an_edit_in_another_worker(tmp_path):
    import requests

    with scratch_postgres("rr_feed_workers") as url:
        session_id = _seed(url)
        config = {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "feed-changes-test",
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
        }
        served = gunicorn(
            config, tmp_path, workers=WORKERS, threads=2, ready=FEED, hook=WORKER_HEADER_HOOK
        )
        with served as base:

            def get(headers=None):  # a new connection each time: any worker may answer
                r = requests.get(f"{base}{FEED}", headers=headers or {}, timeout=30)
                return r.headers["X-Worker"], r

            seen: dict[str, int] = {}
            for _ in range(300):
                worker, response = get()
                seen[worker] = seen.get(worker, 0) + 1
                if len(seen) == WORKERS and min(seen.values()) >= 2:
                    break
            assert len(seen) == WORKERS, seen
            wait_until(lambda: _listeners_connected(url) == WORKERS, timeout=10)
            etag = response.headers["ETag"]
            time.sleep(0.3)  # let every worker take in the notifications of its own start

            staff = requests.Session()
            login = staff.post(
                f"{base}/staff/login",
                data={"login": "chief", "password": PASSWORD},
                allow_redirects=False,
                timeout=30,
            )
            assert login.status_code == 302
            answers: list[tuple[str, int, str, float]] = []
            before = set()
            for _ in range(60):  # every worker answers 304 while nothing changed
                worker, response = get({"If-None-Match": etag})
                assert response.status_code == 304
                before.add(worker)
            assert len(before) == WORKERS

            cancel = staff.post(
                f"{base}/staff/sessions/{session_id}/cancel",
                data={"reason": "老师生病"},
                allow_redirects=False,
                timeout=30,
            )
            assert cancel.status_code == 302, cancel.text[-500:]
            edited = time.monotonic()
            editor = cancel.headers["X-Worker"]
            while (
                len({a[0] for a in answers}) < WORKERS
                or len(answers) < 30
                or time.monotonic() - edited < 0.3
            ):
                worker, response = get({"If-None-Match": etag})
                answers.append(
                    (
                        worker,
                        response.status_code,
                        response.headers["ETag"],
                        time.monotonic() - edited,
                    )
                )
                assert len(answers) < 3000, answers[:20]
            # A notification takes ~0.1 ms (a few ms on a loaded machine) to reach the
            # other workers: an answer in the first 50 ms may still be the old one.
            stale = [a for a in answers if a[1] != 200 and a[3] > 0.05]
            assert not stale, (editor, stale)
            fresh = [a for a in answers if a[1] == 200]
            assert len({a[2] for a in fresh}) == 1  # one new ETag, the same in every worker
            assert {a[0] for a in fresh} == {a[0] for a in answers}
            assert {a[0] for a in answers} - {editor}  # workers other than the editor too
            new = fresh[0][2]
            for _ in range(20):
                worker, response = get({"If-None-Match": new})
                assert response.status_code == 304
