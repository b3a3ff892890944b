"""``backup FILE`` / ``restore FILE``: a backup taken during a burst of sign-ups restores
into a fresh database that is consistent and that the app starts on."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask_migrate import stamp
from sqlalchemy import create_engine, text

from readingroom import create_app
from readingroom.domain import DomainError
from readingroom.extensions import db
from readingroom.ops.backup import BackupError, backup, restore
from readingroom.registrations.operations import sign_up
from tests.conftest import TEST_DATABASE_URL, base_config
from tests.fixtures_families import member_ids
from tests.servers import scratch_postgres

FAMILIES = 60
CAPACITY = 12


@contextmanager
def fresh_database(tmp_path: Path):
    """An empty database of the same kind as the test's, to restore into."""
    if db.engine.dialect.name == "postgresql":
        with scratch_postgres("rr_ops_restore") as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"


def consistency(url: str) -> dict[str, int]:
    """Integrity, attendees per registration, seats per session; fails on any breach."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                assert conn.scalar(text("PRAGMA integrity_check")) == "ok"
                assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
            mismatched = conn.execute(
                text(
                    "SELECT r.id FROM registration r LEFT JOIN registration_attendee a"
                    " ON a.registration_id = r.id GROUP BY r.id, r.seats"
                    " HAVING count(a.id) <> r.seats"
                )
            ).all()
            assert mismatched == [], "registrations without their attendees"
            overbooked = conn.execute(
                text(
                    "SELECT s.id FROM reading_session s JOIN registration r"
                    " ON r.session_id = s.id AND r.status = 'confirmed'"
                    " GROUP BY s.id, s.capacity HAVING sum(r.seats) > s.capacity"
                )
            ).all()
            assert overbooked == [], "more seats taken than the session has"
            return {
                "registrations": conn.scalar(text("SELECT count(*) FROM registration")),
                "notices": conn.scalar(text("SELECT count(*) FROM household_notice")),
                "outbox": conn.scalar(text("SELECT count(*) FROM notice_outbox")),
            }
    finally:
        engine.dispose()


@pytest.mark.slow
def test_a_backup_during_a_burst_of_sign_ups_restores_consistently(app, make, family, tmp_path):
    stamp()  # the test schema stands for head: restore checks it is a readingroom database
    reading_session = make.session(capacity=CAPACITY)
    households = [family.household() for _ in range(FAMILIES)]
    plan = [(h.id, member_ids(h)) for h in households]  # 2 seats each
    session_id = reading_session.id
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()

    signed_up = threading.Event()
    errors: list[BaseException] = []

    def burst(part: list[tuple[int, list[int]]]) -> None:
        for household_id, members in part:
            with app.app_context():
                try:
                    sign_up(session_id, household_id, members)
                    db.session.commit()
                except DomainError:
                    db.session.rollback()
                except BaseException as exc:  # pragma: no cover - reported below
                    errors.append(exc)
                finally:
                    db.session.remove()
            signed_up.set()
            time.sleep(0.002)

    threads = [threading.Thread(target=burst, args=(plan[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    try:
        signed_up.wait(timeout=30)
        time.sleep(0.05)
        target = tmp_path / "readingroom.backup"
        summary = backup(uri, target)  # in the middle of the burst
        assert str(target) in summary
    finally:
        for thread in threads:
            thread.join(timeout=60)
    assert not errors, errors
    assert not any(t.is_alive() for t in threads)

    live = consistency(uri)
    assert live["registrations"] == FAMILIES
    with fresh_database(tmp_path) as fresh:
        restore(fresh, target)
        restored = consistency(fresh)
        assert 0 < restored["registrations"] <= FAMILIES  # a state from the middle
        assert restored["notices"] == restored["outbox"] == restored["registrations"]

        config = {**base_config(fresh), "FEED_LISTEN": False}
        restored_app = create_app(config)
        with restored_app.app_context():
            client = restored_app.test_client()
            assert client.get("/").status_code == 200
            assert client.get(f"/sessions/{session_id}").status_code == 200
            assert client.get("/readyz").status_code == 200
            db.session.remove()  # the requests shared this context: give their connection back
            db.engine.dispose()


def test_backup_and_restore_through_the_cli(app, runner, make, tmp_path):
    stamp()
    make.session(title="备份测试")
    target = tmp_path / "copy.backup"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert target.stat().st_size > 0
    db.session.execute(text("DELETE FROM reading_session"))
    db.session.commit()
    result = runner.invoke(args=["restore", str(target)], input="y\n")
    assert result.exit_code == 0, result.output
    assert "restored" in result.output
    assert db.session.scalar(text("SELECT title FROM reading_session")) == "备份测试"


def test_restore_asks_first(app, runner, tmp_path):
    stamp()
    target = tmp_path / "copy.backup"
    assert runner.invoke(args=["backup", str(target)]).exit_code == 0
    result = runner.invoke(args=["restore", str(target)], input="n\n")
    assert result.exit_code == 1 and "Aborted" in result.output


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "There is no file"),
        (b"not a database at all", "not"),
        (b"", "not"),
    ],
)
def test_restore_refuses_what_is_not_a_backup(app, runner, tmp_path, content, message):
    source = tmp_path / "bad.backup"
    if content is not None:
        source.write_bytes(content)
    result = runner.invoke(args=["restore", "--yes", str(source)])
    assert result.exit_code == 1
    assert "Error:" in result.output and message in result.output
    assert "Traceback" not in result.output


def test_restore_refuses_an_sqlite_file_that_is_not_readingroom(app, tmp_path):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's check")
    import sqlite3

    other = tmp_path / "other.sqlite3"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(BackupError, match="not a readingroom database"):
        restore(app.config["SQLALCHEMY_DATABASE_URI"], other)


def test_backup_into_a_missing_folder_is_a_clear_error(app, runner, tmp_path):
    result = runner.invoke(args=["backup", str(tmp_path / "nowhere" / "x.backup")])
    assert result.exit_code == 1 and "does not exist" in result.output


@pytest.mark.postgres
def test_postgres_backup_is_pg_dump_custom_format(app, tmp_path):
    if not TEST_DATABASE_URL:
        pytest.skip("TEST_DATABASE_URL not set")
    target = tmp_path / "pg.backup"
    backup(app.config["SQLALCHEMY_DATABASE_URI"], target)
    assert target.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom archive


def test_a_backup_of_the_other_kind_is_refused_clearly(app, tmp_path):
    source = tmp_path / "other-kind.backup"
    if db.engine.dialect.name == "sqlite":
        source.write_bytes(b"PGDMP\x01\x0e\x00")
        expected = "is a PostgreSQL backup"
    else:
        source.write_bytes(b"SQLite format 3\x00" + bytes(100))
        expected = "is not a PostgreSQL backup"
    with pytest.raises(BackupError, match=expected):
        restore(app.config["SQLALCHEMY_DATABASE_URI"], source)
