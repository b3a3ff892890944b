"""CLI commands and the migrations: `db upgrade` builds the same schema as the models."""

from __future__ import annotations

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select

from readingroom import create_app
from readingroom.extensions import db
from readingroom.families.models import Household
from readingroom.places.models import Community, Room
from readingroom.registrations.models import Registration
from readingroom.schedule.models import Program, ReadingSession, Series, SessionStatus
from readingroom.staff.models import Role, StaffUser
from tests.servers import scratch_postgres

from .conftest import TEST_DATABASE_URL, base_config


def _fresh_app(uri: str):
    return create_app(base_config(uri))


def _schema_diff(app) -> list:
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


@pytest.mark.sqlite_file
def test_init_db_builds_the_models_schema_on_sqlite(tmp_path):
    app = _fresh_app(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert _schema_diff(app) == []
    check = app.test_cli_runner().invoke(args=["db", "check"])
    assert check.exit_code == 0, check.output
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
    assert {
        "community",
        "room",
        "program",
        "series",
        "reading_session",
        "staff_user",
        "alembic_version",
    } <= tables


def test_db_upgrade_equals_init_db(tmp_path):
    a = _fresh_app(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    b = _fresh_app(f"sqlite:///{tmp_path / 'b.sqlite3'}")
    assert a.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
    assert b.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0

    def describe(app):
        with app.app_context():
            insp = inspect(db.engine)
            return {
                t: sorted((c["name"], str(c["type"])) for c in insp.get_columns(t))
                for t in insp.get_table_names()
            }

    assert describe(a) == describe(b)


@pytest.mark.postgres
@pytest.mark.skipif(not TEST_DATABASE_URL, reason="TEST_DATABASE_URL not set")
def test_migrations_build_the_models_schema_on_postgresql():
    with scratch_postgres("rr_migrations") as uri:
        app = _fresh_app(uri)
        result = app.test_cli_runner().invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
        assert _schema_diff(app) == []
        with app.app_context():
            db.engine.dispose()


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_seed_demo_is_idempotent(app, runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    models = (Community, Room, Program, StaffUser, Series, ReadingSession, Household, Registration)
    counts = {m: _count(m) for m in models}
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert "nothing added" in second.output
    assert {m: _count(m) for m in counts} == counts
    assert counts[Community] == 3 and counts[Room] == 4 and counts[Program] == 3
    assert counts[Household] == 6 and "13800000001" in first.output
    slugs = set(db.session.scalars(select(Room.slug)))
    assert {"yaozhuang-peony", "sunzhuang-academy", "donghe-academy", "xinhua-bookstore"} == slugs
    assert set(db.session.scalars(select(Program.slug))) == {
        "parent-child",
        "senior",
        "youth-night",
    }


def test_demo_sessions_surround_today(app, demo):
    from readingroom.timeutil import utcnow

    now = utcnow()
    sessions = db.session.scalars(select(ReadingSession)).all()
    assert any(s.starts_at < now for s in sessions)
    future = [s for s in sessions if s.starts_at > now]
    assert len(future) >= 24
    # The summer course runs in all three communities at the same time.
    course = [s for s in future if s.title.startswith("暑期阅读课程")]
    assert len(course) == 24
    assert len({s.room.community_id for s in course}) == 3
    assert any(s.status is SessionStatus.CANCELLED for s in sessions)
    assert any("移至" in s.title for s in sessions)


def test_create_admin_with_options(app, runner):
    result = runner.invoke(
        args=[
            "create-admin",
            "--login",
            "chief",
            "--name",
            "街道管理员",
            "--password",
            "a long password",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalars(select(StaffUser).where(StaffUser.login == "chief")).one()
    assert user.role is Role.ADMIN
    assert user.check_password("a long password")
    again = runner.invoke(
        args=["create-admin", "--login", "chief", "--name", "x", "--password", "another long one"]
    )
    assert again.exit_code != 0
    short = runner.invoke(
        args=["create-admin", "--login", "b", "--name", "x", "--password", "short"]
    )
    assert short.exit_code != 0


def test_create_admin_prompts(app, runner):
    result = runner.invoke(
        args=["create-admin"], input="prompted\n管理员\nsecret password\nsecret password\n"
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalars(select(StaffUser).where(StaffUser.login == "prompted")).one()


@pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")), reason="instance SQLite default")
def test_default_database_is_sqlite_in_instance(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == (
        "sqlite:///" + os.path.join(app.instance_path, "readingroom.sqlite3")
    )
