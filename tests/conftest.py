"""Shared fixtures: a fresh database per test, factories, logged-in clients.

The schema is built once per run, by the migrations, into a template; each
test gets a copy of it. SQLite by default: the template is a file, copied into
the test's tmp dir. PostgreSQL when TEST_DATABASE_URL is set: the template is
the database ``<name>_template`` next to it; the database TEST_DATABASE_URL
names starts every test in the template's state (emptied in place after a test,
replaced by a copy of the template after one that changed the schema), so that
what a test starts on TEST_DATABASE_URL (another app process, gunicorn,
connections of its own) sees that test's database. Set
REQUIRE_POSTGRES=1 / REQUIRE_BROWSER=1 (as .ci/run does) to turn the
corresponding skips into failures.
"""

from __future__ import annotations

import contextvars
import os
import shutil
import sqlite3
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from datetime import date, datetime, time, timedelta
from itertools import count
from pathlib import Path
from time import monotonic, sleep

import pytest
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool
from werkzeug.security import generate_password_hash

from readingroom import create_app
from readingroom.extensions import db
from readingroom.places.models import Community, OpeningHours, Room
from readingroom.schedule.models import Program, ReadingSession
from readingroom.staff.models import Role, StaffUser
from readingroom.timeutil import BEIJING, beijing_today

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
PASSWORD = "correct horse battery"
# Hashed once (cheap parameters) instead of once per user per test.
PASSWORD_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


def base_config(database_uri: str) -> dict[str, object]:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": "readingroom.test",
        "PUBLIC_BASE_URL": "http://readingroom.test",
        # Check-in opens 1 hour before the start in the app; most tests check people in at
        # sessions days ahead. tests/test_registrations_checkin_window.py tests the hour.
        "CHECK_IN_OPENS_MINUTES_BEFORE": 60 * 24 * 30,
        # ... and after the day (figures of past sessions); tests/test_staff_dayflow.py
        # sets the real window.
        "CHECK_IN_CLOSES_DAYS_AFTER": 365,
    }


pytest_plugins = [
    "tests.fixtures_calendars",
    "tests.fixtures_families",
    "tests.fixtures_tasklists",
    "tests.fixtures_reports",
]


@pytest.fixture(autouse=True)
def _public_base_url(monkeypatch) -> None:
    """``create_app()`` without a test config (production mode) needs PUBLIC_BASE_URL."""
    monkeypatch.setenv("PUBLIC_BASE_URL", os.environ.get("PUBLIC_BASE_URL", "http://localhost"))


@pytest.fixture
def app_config() -> dict[str, object]:
    """Per-test configuration overrides; override this fixture in a module or folder."""
    return {}


@pytest.fixture
def app(fresh_database, app_config, request) -> Iterator[Flask]:
    config = base_config(fresh_database)
    config.update(app_config)
    app = create_app(config)
    app.test_client_class = IsolatedClient
    with app.app_context():
        if TEST_DATABASE_URL and "count_queries" in request.fixturenames:
            _wait_for_the_feed_listener()
        yield app
        db.session.remove()
        db.engine.dispose()


def _wait_for_the_feed_listener() -> None:
    """Start the app's feed listener (PostgreSQL) and wait until it is trusted.

    For the tests that count queries: a request that finds it trusted queries less, so
    their counts must not depend on how fast it started in the test (when every test
    shared one database, one listener served the whole run). Starting takes ~0.1 s and
    stopping it at the end as much, so the other tests start it only if they use it.
    """
    from readingroom.calendars import changes

    listener = changes.listener()
    deadline = monotonic() + 30
    while listener is not None and not listener.trusted:
        if monotonic() > deadline:
            raise RuntimeError("the feed listener was not trusted within 30 s")
        sleep(0.002)


# --- the database: built once, copied for every test -------------------------------------------


def _migrate(uri: str) -> None:
    """``flask db upgrade`` on ``uri``, in this process."""
    app = create_app(base_config(uri))
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    with app.app_context():
        db.engine.dispose()
    if result.exit_code != 0:
        raise RuntimeError(f"the migrations failed on {uri}:\n{result.output}")


class SQLiteTemplate:
    """A database file built once; each test gets a copy of the file (about 0.5 ms)."""

    def __init__(self, path: Path) -> None:
        _migrate(f"sqlite:///{path}")
        # The app's connections use WAL. The last one closed folded the -wal file back into
        # the database; switching to a rollback journal makes sure the file alone is the
        # whole database (a copy without its -wal would miss the latest pages).
        with closing(sqlite3.connect(path)) as conn:
            conn.execute("PRAGMA journal_mode = DELETE")
        assert not any(path.with_name(path.name + s).exists() for s in ("-wal", "-shm"))
        self.path = path

    def fresh(self, tmp_path: Path) -> str:
        copy = tmp_path / "test.sqlite3"
        shutil.copyfile(self.path, copy)
        return f"sqlite:///{copy}"

    def discard(self) -> None:
        """Nothing to do: the copy goes with the test's tmp dir."""

    def close(self) -> None:
        """Nothing to do: the template goes with the run's tmp dir."""


class PostgresTemplate:
    """A database built once; each test starts on the database TEST_DATABASE_URL names in
    the template's state.

    After most tests that database is emptied in place: its rows deleted and its
    sequences restarted, about 25 ms. A test that changed the schema (a migration, a
    disabled trigger, a restore of another version) or dropped the database gets it
    replaced by a copy of the template (``CREATE DATABASE … TEMPLATE``; one is made
    ahead, because a copy takes 85 to 400 ms, and a dropped database waits for a
    checkpoint). A fingerprint of the schema (relations, columns, triggers and their
    state, functions, the migration) tells which.
    """

    # the public schema: every relation and column, the triggers (enabled or not), the
    # functions, and the migration the database is at
    FINGERPRINT = """
        SELECT md5(string_agg(item, ',' ORDER BY item)) FROM (
            SELECT concat_ws(':', c.relname, c.relkind::text, a.attname::text,
                             format_type(a.atttypid, a.atttypmod), a.attnotnull::text) AS item
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
                                     AND NOT a.attisdropped
            WHERE n.nspname = 'public'
            UNION ALL SELECT concat_ws(':', tgname, tgenabled::text, tgrelid::regclass::text)
            FROM pg_trigger WHERE NOT tgisinternal
            UNION ALL SELECT concat_ws(':', p.proname, md5(p.prosrc))
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = 'public'
            UNION ALL SELECT 'migration:' || version_num FROM alembic_version
        ) AS schema_items
    """

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self.name = self.url.database
        if not self.name or self.name in {"postgres", "template0", "template1"}:
            raise RuntimeError(f"TEST_DATABASE_URL must name a scratch database, not {self.name}")
        self.template = f"{self.name}_template"
        self.spare = f"{self.name}_next_"  # + a number: the copy made ahead
        self.used = f"{self.name}_used_"  # + a number: copies to drop
        self.server = create_engine(self.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        self.admin: Connection = self.server.connect()
        # the test's database, connected to only to empty it (no connection kept open)
        self.database = create_engine(self.url, poolclass=NullPool)
        self._copier = ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-db-copy")
        self._dropper = ThreadPoolExecutor(max_workers=2, thread_name_prefix="test-db-drop")
        self._numbers = count(1)
        self._drop_all([self.name, self.template, *self._leftovers()])  # a crashed run's too
        self.admin.execute(text(f'CREATE DATABASE "{self.template}"'))
        _migrate(self.url.set(database=self.template).render_as_string(hide_password=False))
        # PostgreSQL 15 copies a database through the WAL by default (260 ms for the
        # template here); copying its files takes 85 ms.
        version = self.admin.dialect.server_version_info or (0,)
        self._strategy = " STRATEGY FILE_COPY" if version >= (15,) else ""
        template = create_engine(self.url.set(database=self.template), poolclass=NullPool)
        with template.connect() as conn:
            self.fingerprint = conn.exec_driver_sql(self.FINGERPRINT).scalar()
            self._emptying = self._emptying_script(conn)
        template.dispose()
        self._copy_ahead: Future[str] = self._copier.submit(self._copy)
        self._drops: deque[Future[None]] = deque()

    def _emptying_script(self, conn: Connection) -> str:
        """SQL that deletes every row but the migration's and restarts every sequence.

        A superuser deletes with the foreign keys' triggers off (any order will do, 25 ms);
        anyone else truncates (the keys allow it, 180 ms).
        """
        tables = (
            conn.exec_driver_sql(
                "SELECT quote_ident(tablename) FROM pg_tables "
                "WHERE schemaname = 'public' AND tablename <> 'alembic_version' ORDER BY 1"
            )
            .scalars()
            .all()
        )
        sequences = (
            conn.exec_driver_sql(
                "SELECT quote_ident(sequencename) FROM pg_sequences WHERE schemaname = 'public'"
            )
            .scalars()
            .all()
        )
        restarts = "".join(f"ALTER SEQUENCE {name} RESTART;" for name in sequences)
        superuser = "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
        if conn.exec_driver_sql(superuser).scalar():
            deletes = "".join(f"DELETE FROM {name};" for name in tables)
            return f"SET LOCAL session_replication_role = replica;{deletes}{restarts}"
        return f"TRUNCATE {', '.join(tables)} CASCADE;{restarts}"

    def _drop(self, name: str) -> None:
        with self.server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def _drop_all(self, names: list[str]) -> None:
        for dropped in [self._dropper.submit(self._drop, name) for name in names]:
            dropped.result()

    def _leftovers(self) -> list[str]:
        found = self.admin.execute(
            text(
                "SELECT datname FROM pg_database "
                "WHERE starts_with(datname, :spare) OR starts_with(datname, :used)"
            ),
            {"spare": self.spare, "used": self.used},
        )
        return list(found.scalars())

    def _copy(self) -> str:
        name = f"{self.spare}{next(self._numbers)}"
        with self.server.connect() as conn:
            conn.execute(
                text(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"{self._strategy}')
            )
        return name

    def _exists(self) -> bool:
        found = self.admin.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": self.name}
        )
        return found.first() is not None

    def fresh(self, tmp_path: Path) -> str:
        if not self._exists():  # the first test, or the last one changed the schema
            copy = self._copy_ahead.result()
            self._copy_ahead = self._copier.submit(self._copy)
            self.admin.execute(text(f'ALTER DATABASE "{copy}" RENAME TO "{self.name}"'))
        return self.url.render_as_string(hide_password=False)

    def _end_connections(self) -> None:
        """End the connections still open on the test's database (waiting up to 5 s each)."""
        self.admin.execute(
            text(
                "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = :name"
            ),
            {"name": self.name},
        )

    def _empty(self) -> bool:
        """Back to the template's state in place; False if the schema is not the template's."""
        try:
            with self.database.connect() as conn:
                if conn.exec_driver_sql(self.FINGERPRINT).scalar() != self.fingerprint:
                    return False
                conn.exec_driver_sql(self._emptying)
                conn.commit()
        except DBAPIError:  # gone, or no longer migrated (no alembic_version)
            return False
        return True

    def discard(self) -> None:
        # This process's feed listener: its connection ended first, it stops at once
        # instead of at its next poll (up to a second).
        self._end_connections()
        from readingroom.calendars.changes import stop_listeners

        stop_listeners()
        self._end_connections()
        if not self._exists() or self._empty():
            return
        used = f"{self.used}{next(self._numbers)}"
        try:
            self.admin.execute(text(f'ALTER DATABASE "{self.name}" RENAME TO "{used}"'))
        except DBAPIError:  # still in use (a process the test left running): force it
            self._drop(self.name)
            return
        self._drops.append(self._dropper.submit(self._drop, used))
        while self._drops and self._drops[0].done():
            self._drops.popleft().result()

    def close(self) -> None:
        for pending in (self._copy_ahead, *self._drops):
            pending.result()
        self._drop_all([self.name, *self._leftovers(), self.template])
        self._copier.shutdown()
        self._dropper.shutdown()
        self.database.dispose()
        self.admin.close()
        self.server.dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory) -> Iterator[SQLiteTemplate | PostgresTemplate]:
    """The schema, built once per run by the migrations rather than ``create_all``: every
    test then runs on the schema production gets, and tests/test_migrations.py checks
    that it is the models' schema."""
    if TEST_DATABASE_URL:
        template: SQLiteTemplate | PostgresTemplate = PostgresTemplate(TEST_DATABASE_URL)
    else:
        template = SQLiteTemplate(tmp_path_factory.mktemp("template") / "template.sqlite3")
    yield template
    template.close()


@pytest.fixture
def fresh_database(database_template, tmp_path) -> Iterator[str]:
    """The URL of a database of this test's own, a copy of the template."""
    yield database_template.fresh(tmp_path)
    database_template.discard()


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in its own application context.

    The fixture keeps an app context open for the test's own database work; a
    plain test client would reuse it, so ``g`` (the logged-in user, the chosen
    locale) would leak from one request to the next. Each request here starts
    from an empty ``contextvars`` context, as in a real server. The test's own
    changes are committed first (the request sees them), and its objects are
    expired afterwards (the test sees what the request did).
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            db.session.commit()
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context():
            db.session.expire_all()
        return response


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


# --- factories -------------------------------------------------------------------------------

_seq = count(1)


class Factory:
    """Builds rows with sensible defaults; every call commits (servers in other threads see it)."""

    def community(self, slug: str | None = None, name: str | None = None) -> Community:
        n = next(_seq)
        c = Community(
            slug=slug or f"community-{n}", name=name or f"社区{n}", name_en=f"Community {n}"
        )
        db.session.add(c)
        db.session.commit()
        return c

    def room(
        self,
        community: Community | None = None,
        *,
        seats: int = 20,
        hours: dict[int, list[tuple[time, time]]] | None = None,
        **kw,
    ) -> Room:
        n = next(_seq)
        room = Room(
            community=community or self.community(),
            slug=kw.pop("slug", f"room-{n}"),
            name=kw.pop("name", f"书房{n}"),
            address=kw.pop("address", "滨河街道1号"),
            seats=seats,
            **kw,
        )
        for weekday, intervals in (hours or {}).items():
            for opens, closes in intervals:
                room.opening_hours.append(OpeningHours(weekday=weekday, opens=opens, closes=closes))
        db.session.add(room)
        db.session.commit()
        return room

    def program(self, slug: str | None = None, **kw) -> Program:
        n = next(_seq)
        values = {"name": f"板块{n}", "min_age": 3, "max_age": 12, "adult_required": True}
        values.update(kw)
        p = Program(slug=slug or f"program-{n}", **values)
        db.session.add(p)
        db.session.commit()
        return p

    def staff(
        self, *communities: Community, login: str | None = None, role: Role = Role.STAFF
    ) -> StaffUser:
        n = next(_seq)
        user = StaffUser(
            login=login or f"staff{n}",
            name=f"工作人员{n}",
            password_hash=PASSWORD_HASH,
            role=role,
            communities=list(communities),
        )
        db.session.add(user)
        db.session.commit()
        return user

    def admin(self) -> StaffUser:
        return self.staff(role=Role.ADMIN)

    def session(
        self,
        room: Room | None = None,
        *,
        program: Program | None = None,
        start: datetime | None = None,
        minutes: int = 60,
        capacity: int = 10,
        **kw,
    ) -> ReadingSession:
        if start is None:
            start = at(beijing_today() + timedelta(days=3), 9, 30)
        room = room or self.room()
        s = ReadingSession(
            program=program or self.program(),
            room=room,
            title=kw.pop("title", "绘本共读"),
            starts_at=start,
            ends_at=start + timedelta(minutes=minutes),
            capacity=capacity,
            **kw,
        )
        db.session.add(s)
        db.session.commit()
        return s


@pytest.fixture
def make(app: Flask) -> Factory:
    return Factory()


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """An aware Beijing datetime (the app converts to UTC when storing)."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BEIJING)


def login(client: FlaskClient, user: StaffUser, password: str = PASSWORD):
    db.session.commit()
    return client.post("/staff/login", data={"login": user.login, "password": password})


@pytest.fixture
def demo(app: Flask) -> None:
    """The demo data set, loaded around today."""
    from readingroom.demo import seed_demo

    seed_demo()
    db.session.commit()
