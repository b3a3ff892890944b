"""Every test starts on the template's database: rows, ids and schema of the test before
it are gone. On PostgreSQL the database is emptied in place after most tests and replaced
by a copy after one that changed the schema (tests/conftest.py, PostgresTemplate); these
tests run in this order and each checks what the one before it left."""

from __future__ import annotations

from sqlalchemy import func, inspect, select, text

from readingroom.extensions import db
from readingroom.places.models import Community


def test_a_test_leaves_rows_behind(make):
    make.community("left-behind")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Community)) == 1


def test_the_next_test_starts_empty_with_ids_from_one(make):
    assert db.session.scalar(select(func.count()).select_from(Community)) == 0
    assert make.community("first").id == 1


def test_a_test_changes_the_schema(app):
    db.session.execute(text("ALTER TABLE community ADD COLUMN left_behind INTEGER"))
    db.session.commit()
    assert "left_behind" in {c["name"] for c in inspect(db.engine).get_columns("community")}


def test_the_next_test_has_the_template_schema(app):
    assert "left_behind" not in {c["name"] for c in inspect(db.engine).get_columns("community")}
