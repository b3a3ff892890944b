"""Shared fixtures: a fresh database per test, factories, logged-in clients.

SQLite (a file in the test's tmp dir) by default; PostgreSQL when
TEST_DATABASE_URL is set (the schema is built once, tables are emptied after
every test). Set REQUIRE_POSTGRES=1 / REQUIRE_BROWSER=1 (as .ci/run does) to
turn the corresponding skips into failures.
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from itertools import count

import pytest
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import text
from werkzeug.security import generate_password_hash

from readingroom import create_app
from readingroom.auth.models import Role, StaffUser
from readingroom.extensions import db
from readingroom.places.models import Community, OpeningHours, Room
from readingroom.schedule.models import Program, ReadingSession
from readingroom.timeutil import BEIJING, beijing_today

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
PASSWORD = "correct horse battery"
# Hashed once (cheap parameters) instead of once per user per test.
PASSWORD_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")

_schema_ready = False


def base_config(database_uri: str) -> dict[str, object]:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": "readingroom.test",
        # Check-in opens 1 hour before the start in the app; most tests check people in at
        # sessions days ahead. tests/test_registrations_checkin_window.py tests the hour.
        "CHECK_IN_OPENS_MINUTES_BEFORE": 60 * 24 * 30,
    }


pytest_plugins = [
    "tests.fixtures_calendars",
    "tests.fixtures_signups",
    "tests.fixtures_tasklists",
]


@pytest.fixture
def app_config() -> dict[str, object]:
    """Per-test configuration overrides; override this fixture in a module or folder."""
    return {}


@pytest.fixture
def app(tmp_path, app_config) -> Iterator[Flask]:
    global _schema_ready
    uri = TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'test.sqlite3'}"
    config = base_config(uri)
    config.update(app_config)
    app = create_app(config)
    app.test_client_class = IsolatedClient
    with app.app_context():
        if TEST_DATABASE_URL:
            if not _schema_ready:
                db.drop_all()
                db.create_all()
                _schema_ready = True
        else:
            db.create_all()
        yield app
        db.session.remove()
        if TEST_DATABASE_URL:
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


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
