"""The migration chain itself, on SQLite and PostgreSQL.

* File names sort in chain order (``YYYYMMDD_HHMM_<rev>_<slug>.py``, from
  each revision's Create Date), and ``flask db revision`` names new ones so.
* ``upgrade`` -> ``downgrade base`` -> ``upgrade`` works, leaves nothing behind
  at the base (tables, triggers, functions, types) and ends with the models'
  schema; each downgrade restores exactly the schema of the revision before.
* A downgrade keeps the rows of the tables it does not drop (SQLite's batch
  mode copies tables: with foreign keys on, that used to delete the rows
  referring to them), and refuses to commit broken foreign keys.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.config import Config
from alembic.script import Script, ScriptDirectory
from flask import Flask
from sqlalchemy import inspect, text

from readingroom import MIGRATIONS_DIRECTORY, create_app
from readingroom.extensions import db

from .conftest import TEST_DATABASE_URL, base_config
from .servers import scratch_postgres
from .test_cli_and_migrations import _schema_diff

VERSIONS = Path(MIGRATIONS_DIRECTORY) / "versions"
CREATE_DATE = re.compile(r"^Create Date: (\S+ \S+)$", re.MULTILINE)


# --- file names ---------------------------------------------------------------------------------


def chain(directory: str | Path = MIGRATIONS_DIRECTORY) -> list[Script]:
    """The revisions from base to head (one line of them: a second head is an error)."""
    config = Config(str(Path(directory) / "alembic.ini"))
    config.set_main_option("script_location", str(directory))
    scripts = ScriptDirectory.from_config(config)
    assert len(scripts.get_heads()) == 1, f"several heads, merge them: {scripts.get_heads()}"
    revisions = list(reversed(list(scripts.walk_revisions())))
    assert revisions[0].down_revision is None
    return revisions


def file_names(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.glob("*.py"))


def test_file_names_sort_in_chain_order():
    assert file_names(VERSIONS) == [Path(script.path).name for script in chain()]


def test_file_names_begin_with_the_create_date():
    for script in chain():
        created = datetime.fromisoformat(CREATE_DATE.search(script.module.__doc__)[1])
        expected = f"{created:%Y%m%d_%H%M}_{script.revision}_"
        assert Path(script.path).name.startswith(expected), script.path


def test_a_new_revision_is_named_to_sort_last(tmp_path):
    """``flask db revision`` (and ``db migrate``, the same template) names by alembic.ini."""
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIRECTORY, directory, ignore=shutil.ignore_patterns("__pycache__"))
    head = chain(directory)[-1].revision
    app = create_app(base_config(f"sqlite:///{tmp_path / 'unused.sqlite3'}"))
    message = "families: a new table"
    result = app.test_cli_runner().invoke(
        args=["db", "revision", "--directory", str(directory), "-m", message]
    )
    assert result.exit_code == 0, result.output
    new = chain(directory)[-1]
    assert new.down_revision == head
    name = Path(new.path).name
    assert re.fullmatch(rf"\d{{8}}_\d{{4}}_{new.revision}_families_a_new_table\.py", name)
    assert file_names(directory / "versions")[-1] == name


# --- round trips --------------------------------------------------------------------------------

needs_postgres = pytest.mark.skipif(not TEST_DATABASE_URL, reason="TEST_DATABASE_URL not set")


@pytest.fixture(
    params=[
        pytest.param("sqlite", marks=pytest.mark.sqlite_file),
        pytest.param("postgresql", marks=[pytest.mark.postgres, needs_postgres]),
    ]
)
def empty_app(request, tmp_path) -> Iterator[Flask]:
    """An app on an empty database of its own (not the template the other tests copy)."""
    if request.param == "sqlite":
        yield from _app_on(f"sqlite:///{tmp_path / 'migrations.sqlite3'}")
    else:
        with scratch_postgres("rr_migrations") as url:
            yield from _app_on(url)


def _app_on(url: str) -> Iterator[Flask]:
    app = create_app(base_config(url))
    try:
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()


def migrate(app: Flask, command: str, revision: str = "head") -> None:
    result = app.test_cli_runner().invoke(args=["db", command, revision])
    assert result.exit_code == 0, (result.output, result.exception)


def _rows(rows: Any) -> list[tuple]:
    return sorted(tuple(row) for row in rows)


def describe(app: Flask) -> dict[str, Any]:
    """What the schema holds: tables with every column, key, index and check (through the
    inspector, for both dialects), and on PostgreSQL the triggers, functions, sequences
    and types (enum types would be left behind by a downgrade that drops their tables)."""
    with app.app_context(), db.engine.connect() as conn:
        insp = inspect(conn)
        tables = {}
        for table in insp.get_table_names():
            tables[table] = {
                "columns": sorted(
                    (c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
                    for c in insp.get_columns(table)
                ),
                "primary key": insp.get_pk_constraint(table),
                "foreign keys": sorted(
                    (
                        fk["name"],
                        tuple(fk["constrained_columns"]),
                        fk["referred_table"],
                        tuple(fk["referred_columns"]),
                        (fk.get("options") or {}).get("ondelete"),
                    )
                    for fk in insp.get_foreign_keys(table)
                ),
                "indexes": sorted(
                    (
                        i["name"],
                        tuple(i["column_names"]),
                        bool(i["unique"]),
                        # the partial index's WHERE (sqlite_where / postgresql_where)
                        sorted((k, str(v)) for k, v in (i.get("dialect_options") or {}).items()),
                    )
                    for i in insp.get_indexes(table)
                ),
                "unique": sorted(
                    (u["name"], tuple(u["column_names"]))
                    for u in insp.get_unique_constraints(table)
                ),
                "checks": sorted(
                    (c["name"], " ".join(c["sqltext"].split()))
                    for c in insp.get_check_constraints(table)
                ),
            }
        schema: dict[str, Any] = {"tables": tables}
        if conn.dialect.name == "postgresql":
            schema["triggers"] = _rows(
                conn.execute(
                    text(
                        "SELECT tgrelid::regclass::text, tgname, tgenabled::text "
                        "FROM pg_trigger WHERE NOT tgisinternal"
                    )
                )
            )
            schema["functions"] = _rows(
                conn.execute(
                    text(
                        "SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p "
                        "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'"
                    )
                )
            )
            schema["sequences"] = _rows(
                conn.execute(
                    text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")
                )
            )
            # enums, domains, ranges, composite types; not the row types of tables
            schema["types"] = _rows(
                conn.execute(
                    text(
                        "SELECT t.typname, t.typtype::text FROM pg_type t "
                        "JOIN pg_namespace n ON n.oid = t.typnamespace "
                        "LEFT JOIN pg_class c ON c.oid = t.typrelid "
                        "WHERE n.nspname = 'public' AND t.typcategory <> 'A' "
                        "AND (t.typrelid = 0 OR c.relkind = 'c')"
                    )
                )
            )
        return schema


def assert_empty(schema: dict[str, Any]) -> None:
    """At the base nothing is left but Alembic's own (empty) version table."""
    assert set(schema["tables"]) == {"alembic_version"}
    for kind in ("triggers", "functions", "sequences", "types"):
        assert schema.get(kind, []) == [], kind


def test_upgrade_downgrade_base_upgrade_ends_with_the_models_schema(empty_app):
    migrate(empty_app, "upgrade")
    at_head = describe(empty_app)
    assert _schema_diff(empty_app) == []
    migrate(empty_app, "downgrade", "base")
    assert_empty(describe(empty_app))
    migrate(empty_app, "upgrade")
    assert describe(empty_app) == at_head
    assert _schema_diff(empty_app) == []


def test_each_downgrade_restores_the_schema_before_its_upgrade(empty_app):
    schemas = {}
    for script in chain():
        migrate(empty_app, "upgrade", script.revision)
        schemas[script.revision] = describe(empty_app)
    for script in reversed(chain()):
        migrate(empty_app, "downgrade", script.down_revision or "base")
        if script.down_revision is None:
            assert_empty(describe(empty_app))
        else:
            assert describe(empty_app) == schemas[script.down_revision], script.revision


def row_counts(app: Flask) -> dict[str, int]:
    with app.app_context(), db.engine.connect() as conn:
        tables = [t for t in inspect(conn).get_table_names() if t != "alembic_version"]
        return {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in tables}


def test_downgrades_keep_the_rows_of_the_tables_they_keep(empty_app):
    migrate(empty_app, "upgrade")
    result = empty_app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    counts = row_counts(empty_app)
    assert counts["registration_attendee"] > 0 and counts["household_notice"] > 0
    for script in reversed(chain()):
        migrate(empty_app, "downgrade", script.down_revision or "base")
        left = row_counts(empty_app)
        assert left == {t: n for t, n in counts.items() if t in left}, script.revision
    assert row_counts(empty_app) == {}


@pytest.mark.sqlite_file
def test_a_migration_that_leaves_broken_foreign_keys_is_rolled_back_on_sqlite(tmp_path):
    path = tmp_path / "broken.sqlite3"
    app = create_app(base_config(f"sqlite:///{path}"))
    migrate(app, "upgrade")
    head = chain()[-1]
    orphan = sqlite3.connect(path)  # foreign keys are off on a plain connection
    orphan.execute(
        "INSERT INTO room (community_id, slug, name, address, seats, accessibility, notes, "
        "active, created_at, updated_at) "
        "VALUES (999, 'orphan', '孤儿', '无', 1, '', '', 1, '2026-01-01', '2026-01-01')"
    )
    orphan.commit()
    orphan.close()
    result = app.test_cli_runner().invoke(args=["db", "downgrade", head.down_revision])
    assert result.exit_code != 0
    assert "broken foreign keys" in result.output
    with app.app_context(), db.engine.connect() as conn:
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        foreign_keys = conn.execute(text("PRAGMA foreign_keys")).scalar_one()
        db.engine.dispose()
    assert version == head.revision  # nothing of the failed run was committed
    assert foreign_keys == 1  # and the pooled connection has its foreign keys back on


# --- the tests' own databases -------------------------------------------------------------------


@pytest.mark.parametrize("attempt", [1, 2])
def test_each_test_gets_a_fresh_copy_of_the_migrated_template(app, make, attempt):
    """The second attempt would see the community the first one left, were it shared."""
    with db.engine.connect() as conn:
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    assert version == chain()[-1].revision
    assert set(row_counts(app).values()) == {0}
    community = make.community()
    assert community.id == 1  # sequences start afresh too
