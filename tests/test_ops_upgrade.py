"""Upgrading keeps data: the demo data, put in at the oldest migration that has each table,
survives every later migration up to head.

The demo data set is built once at head (through the domains' operations, as
``seed-demo`` does). A second database is then migrated one revision at a time; as each
table first appears, the demo rows of that table are copied in, with the columns it has
at that revision. At head every table has all its rows, and every value that was put in
is still there. Revisions are found by id through Alembic's script directory, never by
file name.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import MetaData, create_engine, inspect, select

from readingroom import MIGRATIONS_DIRECTORY, create_app
from readingroom.extensions import db
from tests.conftest import TEST_DATABASE_URL
from tests.servers import scratch_postgres

pytestmark = pytest.mark.slow


def revisions_in_order() -> list[str]:
    script = ScriptDirectory(MIGRATIONS_DIRECTORY)
    return [rev.revision for rev in reversed(list(script.walk_revisions("base", "heads")))]


def app_for(uri: str):
    return create_app(
        {"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "x", "TESTING": True, "FEED_LISTEN": False}
    )


def demo_at_head(uri: str) -> None:
    from readingroom.demo import seed_demo
    from readingroom.families.models import Household
    from readingroom.families.operations import create_reset_link
    from readingroom.families.reset_codes import issue_code
    from readingroom.ops.worker import JOBS, run_job
    from readingroom.privacy.operations import reveal_phone
    from readingroom.staff.models import StaffUser

    app = app_for(uri)
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIRECTORY)
        seed_demo()
        db.session.commit()
        # What the demo set leaves empty: a reset link and code, a number look-up, a job.
        household = db.session.scalars(select(Household).order_by(Household.id)).first()
        staff = db.session.scalars(select(StaffUser).order_by(StaffUser.id)).first()
        create_reset_link(household, staff.id)
        issue_code(household.mobile)
        reveal_phone(household, staff.id)
        db.session.commit()
        assert run_job(app, JOBS[0]) is not None
        db.session.remove()
        db.engine.dispose()


def rows(engine, table: str, columns: list[str]) -> list[tuple]:
    reflected = MetaData()
    reflected.reflect(engine, only=[table])
    t = reflected.tables[table]
    with engine.connect() as conn:
        order = [
            t.c[name] for name in inspect(engine).get_pk_constraint(table)["constrained_columns"]
        ]
        return [tuple(r) for r in conn.execute(select(*(t.c[c] for c in columns)).order_by(*order))]


def copy_rows(source, target, table: str) -> tuple[list[str], int]:
    """The demo rows of ``table`` into ``target``, with the columns ``target`` has now."""
    columns = [c["name"] for c in inspect(target).get_columns(table)]
    source_columns = {c["name"] for c in inspect(source).get_columns(table)}
    columns = [c for c in columns if c in source_columns]
    reflected = MetaData()
    reflected.reflect(target, only=[table])
    data = [dict(zip(columns, row, strict=True)) for row in rows(source, table, columns)]
    if data:
        with target.begin() as conn:
            conn.execute(reflected.tables[table].insert(), data)
    return columns, len(data)


@pytest.fixture(params=[pytest.param("sqlite", marks=pytest.mark.sqlite_file), "postgresql"])
def two_databases(request, tmp_path: Path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'reference.sqlite3'}", f"sqlite:///{tmp_path / 'old.sqlite3'}"
        return
    if not TEST_DATABASE_URL:
        pytest.skip("TEST_DATABASE_URL not set")
    with (
        scratch_postgres("rr_ops_upgrade_ref") as reference,
        scratch_postgres("rr_ops_upgrade_old") as old,
    ):
        yield reference, old


def test_demo_data_put_in_at_each_tables_first_migration_survives_to_head(two_databases):
    reference_uri, old_uri = two_databases
    demo_at_head(reference_uri)
    reference = create_engine(reference_uri)
    target = create_engine(old_uri)
    head_tables = [t.name for t in db.metadata.sorted_tables]  # parents before children
    put_in: dict[str, tuple[list[str], int]] = {}
    first_seen: dict[str, str] = {}
    app = app_for(old_uri)
    try:
        with app.app_context():
            for revision in revisions_in_order():
                upgrade(directory=MIGRATIONS_DIRECTORY, revision=revision)
                present = set(inspect(target).get_table_names())
                for table in head_tables:
                    if table in present and table not in put_in:
                        put_in[table] = copy_rows(reference, target, table)
                        first_seen[table] = revision
            db.session.remove()
            db.engine.dispose()

        assert set(put_in) == set(head_tables), "a table that no migration creates"
        empty = [table for table, (_cols, n) in put_in.items() if n == 0]
        assert not empty, f"no demo rows in {empty}"
        oldest = revisions_in_order()[0]
        assert any(rev == oldest for rev in first_seen.values())
        assert any(rev != oldest for rev in first_seen.values())  # some came later
        for table, (columns, count) in put_in.items():
            after = rows(target, table, columns)
            assert len(after) == count, f"{table}: {count} rows put in, {len(after)} at head"
            assert after == rows(reference, table, columns), f"{table}: values changed"
    finally:
        reference.dispose()
        target.dispose()
