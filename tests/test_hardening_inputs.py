"""No input gives a 500: ids beyond the database's range, NUL bytes, 400-digit numbers,
partly posted forms, a lost connection, a write racing a deletion, SQLite's write lock."""

from __future__ import annotations

import os
import sqlite3
import threading
import time

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from readingroom.extensions import db
from readingroom.places.models import Room
from readingroom.privacy import operations as privacy_ops
from readingroom.privacy.models import PhoneReveal
from readingroom.schedule.models import ReadingSession
from readingroom.timeutil import BEIJING

from .conftest import at, login
from .fixtures_families import household_login
from .test_schedule_views import SATURDAY, session_form

POSTGRES = bool(os.environ.get("TEST_DATABASE_URL"))
HUGE = "9223372036854775808"  # 2**63: beyond SQLite's and PostgreSQL's bigint
DIGITS_400 = "9" * 400


@pytest.fixture
def world(make, family):
    community = make.community()
    room = make.room(community)
    program = make.program(min_age=3, max_age=12)
    reading_session = make.session(room, program=program, start=at(SATURDAY, 9))
    staff = make.staff(community)
    household = family.household(community)
    return community, room, program, reading_session, staff, household


@pytest.mark.parametrize(
    "path",
    [
        f"/sessions/{HUGE}",
        f"/sessions/{HUGE}.ics",
        f"/sessions/{2**31}",
        f"/staff/sessions/{HUGE}",
        f"/staff/sessions/{HUGE}/roster",
        f"/staff/households/{HUGE}",
        f"/staff/rooms/{HUGE}/edit",
    ],
)
def test_ids_beyond_the_database_range_are_404(client, world, path):
    login(client, world[4])
    assert client.get(path).status_code == 404


def test_family_pages_with_huge_ids_are_404(client, world):
    household_login(client, world[5])
    for path in (f"/family/registrations/{HUGE}", f"/family/tasklists/{HUGE}"):
        assert client.get(path).status_code == 404
    assert client.get(f"/sessions/{HUGE}/signup").status_code == 404


def test_huge_ids_in_query_strings_are_ignored(client, world):
    login(client, world[4])
    assert client.get(f"/staff/sessions/new?room={HUGE}").status_code == 200
    household_login(client, world[5])
    assert client.get(f"/family/tasklists/?child={HUGE}").status_code < 500


def test_a_nul_byte_in_a_text_field_gets_a_message_by_the_field(client, world):
    community, _, _, _, staff, _ = world
    login(client, staff)
    before = db.session.scalar(select(func.count()).select_from(Room))
    response = client.post(
        "/staff/rooms/new",
        data={
            "community": community.id,
            "name": "牡丹\x00书房",
            "slug": "peony-nul",
            "address": "滨河街道1号",
            "seats": "20",
        },
    )
    assert response.status_code == 200
    assert "NUL" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Room)) == before


def test_a_nul_byte_in_a_query_string_or_path_is_refused(client, world):
    for path in ("/?community=a%00b", "/staff/households?mobile=1%00", "/poster?month=%00"):
        login(client, world[4])
        assert client.get(path).status_code in (200, 400, 404), path
    assert client.get("/feeds/community/a%00b.ics").status_code == 404


@pytest.mark.parametrize("value", [DIGITS_400, "-" + DIGITS_400, HUGE, str(2**31)])
def test_a_huge_number_gets_the_fields_range_message(client, world, value):
    _, room, program, _, staff, _ = world
    login(client, staff)
    response = client.post("/staff/sessions/new", data=session_form(room, program, capacity=value))
    assert response.status_code == 200
    assert "名额应在 1 到 500 之间。" in response.get_data(as_text=True)


def test_a_huge_number_in_every_whole_number_field_of_the_roster(client, world):
    reading_session, staff = world[3], world[4]
    login(client, staff)
    for path, field in (
        (f"/staff/sessions/{reading_session.id}/capacity", "capacity"),
        (f"/staff/sessions/{reading_session.id}/walk-in", "children"),
    ):
        assert client.post(path, data={field: DIGITS_400}).status_code < 500


def test_a_partly_posted_form_gets_the_field_messages(client, world):
    _, room, program, reading_session, staff, _ = world
    login(client, staff)
    data = session_form(room, program, signup_opens_at=f"{SATURDAY}T08:00")
    del data["starts_at"]
    response = client.post(f"/staff/sessions/{reading_session.id}/edit", data=data)
    assert response.status_code == 200
    db.session.refresh(reading_session)
    assert reading_session.starts_at.astimezone(BEIJING).hour == 9  # unchanged
    response = client.post(f"/staff/sessions/{reading_session.id}/edit", data={})
    assert response.status_code == 200


def test_a_lost_connection_is_503_with_retry_after_and_nothing_written(client, world, make):
    reading_session, household = make.session(world[1], program=world[2]), world[5]
    household_login(client, household)

    def lose_connection(conn, cursor, statement, parameters, context, executemany):
        if "INSERT INTO REGISTRATION " in statement.upper():  # PostgreSQL: in a CTE
            raise OperationalError(
                statement, parameters, Exception("server closed"), connection_invalidated=True
            )

    event.listen(db.engine, "before_cursor_execute", lose_connection)
    try:
        response = client.post(
            f"/sessions/{reading_session.id}/signup",
            data={"members": [m.id for m in household.members]},
        )
    finally:
        event.remove(db.engine, "before_cursor_execute", lose_connection)
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    from readingroom.registrations.models import Registration

    assert db.session.scalar(select(func.count()).select_from(Registration)) == 0


@pytest.mark.skipif(not POSTGRES, reason="a real backend termination needs PostgreSQL")
def test_a_terminated_backend_is_503(client, world, make):
    from sqlalchemy import create_engine, text

    reading_session, household = make.session(world[1], program=world[2]), world[5]
    household_login(client, household)
    killer = create_engine(db.engine.url)

    def terminate(conn, cursor, statement, parameters, context, executemany):
        if "INSERT INTO REGISTRATION " in statement.upper():  # PostgreSQL: in a CTE
            pid = conn.connection.dbapi_connection.info.backend_pid
            with killer.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    event.listen(db.engine, "before_cursor_execute", terminate)
    try:
        response = client.post(
            f"/sessions/{reading_session.id}/signup",
            data={"members": [m.id for m in household.members]},
        )
    finally:
        event.remove(db.engine, "before_cursor_execute", terminate)
        killer.dispose()
    assert response.status_code == 503
    assert response.headers["Retry-After"]


def test_a_write_that_refers_to_a_deleted_row_is_409_not_500(client, world, monkeypatch):
    """An account deleted at the same instant as a staff "show number": the reveal refers to a
    household that is gone (forced here by pointing it at one that never existed)."""
    household, staff = world[5], world[4]
    login(client, staff)
    original = privacy_ops.reveal_phone

    def racing(h, staff_id, **kw):
        db.session.add(PhoneReveal(staff_id=staff_id, household_id=h.id + 10_000))
        db.session.flush()
        return original(h, staff_id, **kw)

    monkeypatch.setattr(privacy_ops, "reveal_phone", racing)
    response = client.post(f"/staff/households/{household.id}/phone")
    assert response.status_code == 409
    assert db.session.scalar(select(func.count()).select_from(PhoneReveal)) == 0


@pytest.mark.skipif(POSTGRES, reason="SQLite's write lock")
def test_sqlite_staff_edit_waits_for_the_write_lock(app, client, world):
    """A sign-up holds the write lock and commits while a staff edit is under way: the edit
    waits for the lock and saves (a deferred transaction would get 'database is locked')."""
    _, room, program, reading_session, staff, _ = world
    login(client, staff)
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    held, community_id = threading.Event(), world[0].id

    def writer():
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE community SET name = name || '' WHERE id = ?", (community_id,))
        held.set()
        time.sleep(0.6)
        conn.execute("COMMIT")
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    assert held.wait(5)
    try:
        response = client.post(
            f"/staff/sessions/{reading_session.id}/edit",
            data=session_form(
                room, program, starts_at=f"{SATURDAY}T14:00", ends_at=f"{SATURDAY}T15:00"
            ),
        )
    finally:
        thread.join()
    assert response.status_code == 302
    saved = db.session.get(ReadingSession, reading_session.id)
    assert saved.starts_at.astimezone(BEIJING).hour == 14
