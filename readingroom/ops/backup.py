"""``backup FILE`` / ``restore FILE``: a consistent copy of the database, and back.

SQLite: the online backup API (:meth:`sqlite3.Connection.backup`) copies every page in one
step under a read transaction, so the copy is one consistent state, committed WAL frames
included, while the app keeps serving (WAL lets writers go on). The copy is checked with
``PRAGMA integrity_check`` before it replaces ``FILE``. Restoring copies the file's pages
back into the live database the same way (stop the app and the worker first).

PostgreSQL: ``pg_dump --format=custom`` (a consistent snapshot of its own) and
``pg_restore --clean --if-exists --no-owner --single-transaction``; the password, if the
URL has one, goes to them in ``PGPASSWORD``, never on the command line.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL, make_url


class BackupError(Exception):
    """What went wrong, in a sentence an operator can act on."""


def backup(database_uri: str, target: Path) -> str:
    """Write a backup of the database to ``target`` (atomically); returns a summary."""
    url = make_url(database_uri)
    target = target.resolve()
    if not target.parent.is_dir():
        raise BackupError(f"The folder {target.parent} does not exist.")
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        if url.get_backend_name() == "sqlite":
            _sqlite_backup(_sqlite_path(url), partial)
        elif url.get_backend_name() == "postgresql":
            _run(["pg_dump", "--format=custom", "--file", str(partial)], url)
        else:
            raise BackupError(f"No backup for {url.get_backend_name()} databases.")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return f"backup of {url.render_as_string()} written to {target} ({target.stat().st_size} bytes)"


def restore(database_uri: str, source: Path) -> str:
    """Replace the database's contents with the backup in ``source``; returns a summary."""
    url = make_url(database_uri)
    if not source.is_file():
        raise BackupError(f"There is no file {source}.")
    if url.get_backend_name() == "sqlite":
        _check_sqlite_backup(source)
        destination = _sqlite_path(url)
        src, dst = _connect(source), _connect(destination)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
    elif url.get_backend_name() == "postgresql":
        if _header(source, 5) != b"PGDMP":
            raise BackupError(
                f"{source} is not a PostgreSQL backup (pg_dump custom format, as `backup` "
                "writes on PostgreSQL)."
            )
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--exit-on-error",
                str(source),
            ],
            url,
            database_flag=True,
        )
    else:
        raise BackupError(f"No restore for {url.get_backend_name()} databases.")
    return f"{url.render_as_string()} restored from {source}"


def _sqlite_path(url: URL) -> Path:
    if url.database in (None, "", ":memory:"):
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return Path(url.database)


def _connect(path: Path) -> sqlite3.Connection:
    # isolation_level=None: no implicit transactions around the backup; a generous busy
    # timeout, since the app may be writing.
    return sqlite3.connect(path, timeout=30, isolation_level=None)


def _sqlite_backup(database: Path, partial: Path) -> None:
    if not database.is_file():
        raise BackupError(f"There is no database at {database}.")
    src = _connect(database)
    dst = _connect(partial)
    try:
        src.backup(dst)  # pages=-1: everything in one step, one consistent snapshot
        status = dst.execute("PRAGMA integrity_check").fetchone()[0]
        if status != "ok":
            raise BackupError(f"The copy failed its integrity check: {status}")
    finally:
        dst.close()
        src.close()


def _header(path: Path, size: int) -> bytes:
    with path.open("rb") as handle:
        return handle.read(size)


def _check_sqlite_backup(source: Path) -> None:
    header = _header(source, 16)
    if header.startswith(b"PGDMP"):
        raise BackupError(f"{source} is a PostgreSQL backup; this database is SQLite.")
    if header != b"SQLite format 3\x00":
        raise BackupError(f"{source} is not an SQLite backup of readingroom.")
    conn = _connect(source)
    try:
        status = conn.execute("PRAGMA integrity_check").fetchone()[0]
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{source} cannot be read: {exc}") from None
    finally:
        conn.close()
    if status != "ok":
        raise BackupError(f"{source} failed its integrity check: {status}")
    if "alembic_version" not in tables or "reading_session" not in tables:
        raise BackupError(f"{source} is an SQLite file, but not a readingroom database.")


def _run(command: list[str], url: URL, *, database_flag: bool = False) -> None:
    program = shutil.which(command[0])
    if program is None:
        raise BackupError(
            f"{command[0]} is not installed (Debian: apt-get install postgresql-client)."
        )
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    libpq = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    args = (
        [program, *command[1:], "--dbname", libpq]
        if database_flag
        else [
            program,
            *command[1:],
            libpq,
        ]
    )
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[-800:]}")
