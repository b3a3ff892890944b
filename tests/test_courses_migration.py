"""The courses migration upgrades a database that already holds series and sessions:
they stay, unlinked, and keep working (edits, feeds)."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import select, text

from readingroom import create_app
from readingroom.extensions import db
from readingroom.schedule.models import ReadingSession, Series
from readingroom.schedule.operations import series_data, update_series_from
from tests.servers import scratch_postgres

from .conftest import TEST_DATABASE_URL, base_config

BEFORE_COURSES = "a4298736621e"

ROWS = [
    "INSERT INTO community (id, slug, name) VALUES (1, 'yaozhuang', '姚庄社区')",
    "INSERT INTO room (id, community_id, slug, name, address, seats, accessibility, notes, active,"
    " created_at, updated_at) VALUES (1, 1, 'peony', '牡丹书房', '姚庄', 20, '', '', true,"
    " '2026-07-01 00:00:00', '2026-07-01 00:00:00')",
    "INSERT INTO program (id, slug, name, colour, description, description_en, min_age,"
    " adult_required, active, created_at, updated_at) VALUES (1, 'parent-child', '亲子阅读',"
    " '#2f6f4e', '', '', 3, true, true, '2026-07-01 00:00:00', '2026-07-01 00:00:00')",
    "INSERT INTO series (id, program_id, room_id, title, description, host, capacity,"
    " suggested_books, weekdays, start_time, end_time, first_date, count, created_at, updated_at)"
    " VALUES (1, 1, 1, '绘本共读', '', '王老师', 12, '', '5', '09:30:00', '10:30:00',"
    " '2030-07-06', 2, '2026-07-01 00:00:00', '2026-07-01 00:00:00')",
    *(
        "INSERT INTO reading_session (id, program_id, room_id, series_id, title, description,"
        " starts_at, ends_at, capacity, host, suggested_books, status, cancel_reason, sequence,"
        f" created_at, updated_at) VALUES ({n}, 1, 1, 1, '绘本共读', '', '2030-07-{day} 01:30:00',"
        f" '2030-07-{day} 02:30:00', 12, '王老师', '', 'scheduled', '', 0,"
        " '2026-07-01 00:00:00', '2026-07-01 00:00:00')"
        for n, day in ((1, "06"), (2, "13"))
    ),
]


def _upgrade_with_old_rows(uri: str) -> None:
    # The rows sit in 2030: a feed window long enough to hold them.
    app = create_app({**base_config(uri), "FEED_DAYS_AHEAD": 3650})
    runner = app.test_cli_runner()
    result = runner.invoke(args=["db", "upgrade", BEFORE_COURSES])
    assert result.exit_code == 0, result.output
    with app.app_context(), db.engine.begin() as conn:
        for statement in ROWS:
            conn.execute(text(statement))
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        series = db.session.get(Series, 1)
        assert series.course_id is None and series.host_id is None
        sessions = db.session.scalars(select(ReadingSession).order_by(ReadingSession.id)).all()
        assert [(s.lesson_id, s.host_id, s.host) for s in sessions] == [(None, None, "王老师")] * 2
        # the old series still edits as before ("this and following")
        data = series_data(series)
        from dataclasses import replace

        update_series_from(
            series,
            date(2030, 7, 6),
            replace(data, start_time=time(10, 0), end_time=time(11, 0)),
            removed_reason="",
        )
        db.session.commit()
        assert [s.sequence for s in series.sessions] == [1, 1]
        feed = app.test_client().get("/feeds/room/peony.ics")
        assert feed.status_code == 200 and feed.get_data(as_text=True).count("BEGIN:VEVENT") == 2
        check = runner.invoke(args=["db", "check"])
        assert check.exit_code == 0, check.output
        db.session.remove()
        db.engine.dispose()


@pytest.mark.sqlite_file
def test_upgrade_keeps_existing_series_on_sqlite(tmp_path):
    _upgrade_with_old_rows(f"sqlite:///{tmp_path / 'old.sqlite3'}")


@pytest.mark.postgres
@pytest.mark.skipif(not TEST_DATABASE_URL, reason="TEST_DATABASE_URL not set")
def test_upgrade_keeps_existing_series_on_postgresql():
    with scratch_postgres("rr_courses_migration") as uri:
        _upgrade_with_old_rows(uri)
