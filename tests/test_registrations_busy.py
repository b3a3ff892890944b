"""When the session's lock cannot be had in time, the family gets 503 "busy, please try
again", and nothing of the attempt is written; a retry then works."""

from __future__ import annotations

import os
import sqlite3
import threading

import pytest
from sqlalchemy import create_engine, func, select, text

from readingroom import database
from readingroom.extensions import db
from readingroom.notices.models import Notice, OutboxMessage
from readingroom.registrations.models import Registration

from .fixtures_families import household_login, member_ids

POSTGRES = bool(os.environ.get("TEST_DATABASE_URL"))


@pytest.fixture
def app_config():
    if POSTGRES:
        return {"SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": "-c lock_timeout=300"}}}
    return {}


@pytest.fixture
def short_sqlite_wait(monkeypatch, app):
    if not POSTGRES:
        monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 200)
        db.engine.dispose()  # new connections get the short busy timeout


def _hold_lock(app, session_id: int, release: threading.Event, held: threading.Event):
    """Another process holds the session's write lock until ``release``."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if POSTGRES:
        engine = create_engine(uri)
        with engine.connect() as conn:
            conn.execute(
                text("SELECT id FROM reading_session WHERE id = :id FOR UPDATE"), {"id": session_id}
            )
            held.set()
            release.wait(10)
            conn.rollback()
        engine.dispose()
    else:
        path = uri.removeprefix("sqlite:///")
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        held.set()
        release.wait(10)
        conn.execute("ROLLBACK")
        conn.close()


def counts():
    return tuple(
        db.session.scalar(select(func.count()).select_from(m))
        for m in (Registration, Notice, OutboxMessage)
    )


def test_lock_timeout_is_503_with_nothing_half_written(
    app, client, make, family, short_sqlite_wait
):
    s = make.session(program=make.program(min_age=3, max_age=12))
    household = family.household(s.room.community)
    household_login(client, household)
    release, held = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_lock, args=(app, s.id, release, held))
    holder.start()
    try:
        assert held.wait(5)
        response = client.post(
            f"/sessions/{s.id}/signup",
            data={"members": member_ids(household)},
            headers={"Accept-Language": "en"},
        )
    finally:
        release.set()
        holder.join(10)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert "Please try again" in response.get_data(as_text=True)
    assert counts() == (0, 0, 0)
    retry = client.post(f"/sessions/{s.id}/signup", data={"members": member_ids(household)})
    assert retry.status_code == 302
    assert counts() == (1, 1, 1)
