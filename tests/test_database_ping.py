"""PostgreSQL: a pooled connection is tested before use only after a pause, and one cut while
it waited in the pool is replaced before a request gets it (``database._ping_after_idle``)."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from readingroom import database
from readingroom.extensions import db

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL (PostgreSQL)"
)


@pytest.fixture
def engine(app):
    """An engine of its own (one connection) on the tests' database, set up as the app's."""
    url = db.engine.url.render_as_string(hide_password=False)
    engine = create_engine(url, pool_size=1, max_overflow=0, **database.engine_options(url))
    database.configure_engine(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def pings(engine, monkeypatch):
    seen: list[int] = []
    real = engine.dialect.do_ping

    def counted(dbapi_connection):
        seen.append(dbapi_connection.info.backend_pid)
        return real(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return seen


def backend_pid(connection) -> int:
    return connection.connection.dbapi_connection.info.backend_pid


def test_a_connection_back_a_moment_ago_is_not_pinged(engine, pings):
    for _ in range(3):
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar() == 1
    assert pings == []  # the first one had just connected; the others were in use just now
    assert "pool_pre_ping" not in database.engine_options("postgresql+psycopg://x/y")


def test_a_connection_idle_longer_is_pinged_first(engine, pings, monkeypatch):
    with engine.connect() as connection:
        pid = backend_pid(connection)
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)
    with engine.connect() as connection:
        assert backend_pid(connection) == pid  # the same connection, alive
    assert pings == [pid]


def test_a_connection_cut_while_idle_is_replaced_before_use(engine, pings, monkeypatch):
    with engine.connect() as connection:
        pid = backend_pid(connection)
    other = create_engine(engine.url, poolclass=NullPool)
    with other.connect() as killer:  # as a restart of the server or a firewall would
        assert killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    other.dispose()
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1
        assert backend_pid(connection) != pid
    assert pings[0] == pid  # the cut one was found out by its ping, then replaced
