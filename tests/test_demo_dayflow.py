"""seed-demo (issue 12): adds what is missing to a database that already has the demo
sessions, and gives the same families and sign-ups whatever the day or hour it runs."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from readingroom import create_app
from readingroom.demo import families as demo_families
from readingroom.demo import seed_demo
from readingroom.extensions import db
from readingroom.families.models import Household
from readingroom.registrations.models import Registration
from readingroom.schedule.models import ReadingSession
from readingroom.tasklists.models import TaskTick
from readingroom.timeutil import BEIJING, beijing_today

from .conftest import base_config


def test_an_older_demo_database_gets_its_families_and_ticks(app, monkeypatch):
    with monkeypatch.context() as patch:  # as seed-demo was before it made families
        patch.setattr("readingroom.demo.seed_households", lambda today: "")
        patch.setattr("readingroom.demo.seed_household_activity", lambda today: "")
        seed_demo()
        db.session.commit()
    assert db.session.scalars(select(Household)).all() == []
    sessions = len(db.session.scalars(select(ReadingSession)).all())

    summary = seed_demo()
    db.session.commit()
    assert "added what was missing" in summary
    assert len(db.session.scalars(select(Household)).all()) == 6
    assert db.session.scalars(select(Registration)).all()
    assert db.session.scalars(select(TaskTick)).all()
    assert len(db.session.scalars(select(ReadingSession)).all()) == sessions  # none twice
    assert "nothing added" in seed_demo()


def test_the_seed_clock_does_not_depend_on_the_hour():
    today = date(2026, 12, 1)
    assert demo_families.seed_now(today).astimezone(BEIJING).hour == 0
    assert demo_families.seed_now(today).astimezone(BEIJING).date() == today


def _shape(tmp_path, today: date, name: str) -> list[tuple]:
    app = create_app(base_config(f"sqlite:///{tmp_path / name}"))
    with app.app_context():
        db.create_all()
        seed_demo(today)
        db.session.commit()
        rows = db.session.execute(
            select(Household.mobile, ReadingSession.title, Registration.status, Registration.seats)
            .join(Registration, Registration.household_id == Household.id)
            .join(ReadingSession, ReadingSession.id == Registration.session_id)
            .order_by(Household.mobile, ReadingSession.starts_at)
        ).all()
        db.session.remove()
        db.engine.dispose()
    return [tuple(r) for r in rows]


def test_the_same_families_and_sign_ups_on_any_day(tmp_path):
    today = beijing_today()
    shapes = {
        offset: _shape(tmp_path, today + timedelta(days=offset), f"demo{offset}.sqlite3")
        for offset in range(7)
    }
    reference = shapes[0]
    assert len({m for m, *_ in reference}) >= 5 and len(reference) >= 6
    for offset, shape in shapes.items():
        assert [(m, s, n) for m, _t, s, n in shape] == [(m, s, n) for m, _t, s, n in reference], (
            offset
        )
