"""Database plumbing shared by every domain.

* :class:`UTCDateTime` stores instants as naive UTC and returns aware UTC.
* SQLite connections get foreign keys, WAL, a busy timeout and the
  SQLAlchemy-documented recipe that takes transaction control away from
  pysqlite, so that a write transaction can start with ``BEGIN IMMEDIATE``.
* :func:`lock_row` starts the write transaction that every seat-counting rule
  needs: ``SELECT … FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite
  (where ``with_for_update()`` renders nothing).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from flask import current_app, g, has_request_context, request
from sqlalchemy import CTE, DateTime, Engine, Table, bindparam, event, insert, select
from sqlalchemy.exc import DBAPIError, DisconnectionError, IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from .extensions import db

SQLITE_BUSY_TIMEOUT_MS = 15_000
POSTGRES_LOCK_TIMEOUT_MS = 10_000
_IMMEDIATE = "readingroom_sqlite_immediate"

M = TypeVar("M")
V = TypeVar("V")


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime, kept in the database as naive UTC (one convention, no ambiguity)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("refusing to store a naive datetime: its time zone is unknown")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def configure_engine(engine: Engine) -> None:
    """Install the per-connection settings for the engine's dialect."""
    if engine.dialect.name == "postgresql":
        _ping_after_idle(engine)
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, emit BEGIN (SQLAlchemy's pysqlite
        # "serializable isolation / savepoints" recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get(_IMMEDIATE, False) or _may_write()
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
        conn.info[_IMMEDIATE] = immediate  # for begin_write(keep_reads=True)


#: PostgreSQL: a pooled connection idle longer than this is pinged before it is handed out.
PING_AFTER_IDLE_SECONDS = 1.0
_IDLE_SINCE = "readingroom_idle_since"


def _ping_after_idle(engine: Engine) -> None:
    """A connection that comes back from the pool after a pause is tested first (a round
    trip, ``SELECT 1``): one that a restart of the server, a proxy or a firewall cut is
    replaced before a request uses it. SQLAlchemy's ``pool_pre_ping`` does this at every
    checkout, a round trip in each request; one back in the pool for less than
    :data:`PING_AFTER_IDLE_SECONDS` was in use a moment ago and is handed out as it is
    (SQLAlchemy's documented recipe: a ``checkout`` listener that raises
    ``DisconnectionError``, and the pool connects afresh). A server restart within that
    moment costs each worker one request, answered 503 "try again" (``errors.py``), and
    SQLAlchemy then replaces the whole pool."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get(_IDLE_SINCE)
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return  # just connected, or in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError("the pooled connection is gone") from exc


def _may_write() -> bool:
    """SQLite: a transaction that may write takes the write lock when it begins.

    A deferred transaction that read before another one committed cannot write
    any more (SQLITE_BUSY at once, without waiting), so a staff edit during a
    burst of sign-ups would fail. Transactions of POST (and other unsafe)
    requests wait for the lock instead, as sign-ups do through
    :func:`begin_write`; GET requests read without it (and the command line
    asks for it through :func:`begin_write` where it writes). A view marked
    :func:`reads_first` reads without it too, until its rule's :func:`begin_write`.
    """
    if not has_request_context() or g.get(_READ_ONLY):
        return False
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    return not getattr(view, _READS_FIRST, False)


_READS_FIRST = "readingroom_reads_first"


def reads_first(view: V) -> V:
    """Mark a view whose POST only reads until one rule takes the write lock through
    :func:`begin_write` with ``keep_reads`` (a sign-up): on SQLite its transaction begins
    without the lock, so other requests' reads and checks run while it reads, and the lock
    is held from the rule's ``begin_write`` to the commit. Put it right under the route."""
    setattr(view, _READS_FIRST, True)
    return view


_READ_ONLY = "readingroom_read_only"


def read_only_from_now() -> None:
    """The rest of this request only reads (an error page): no write lock on SQLite."""
    if has_request_context():
        setattr(g, _READ_ONLY, True)


def engine_options(uri: str) -> dict[str, Any]:
    """Engine options for the database URI (timeouts that turn waiting into a clear error)."""
    if uri.startswith("sqlite"):
        return {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}}
    if uri.startswith("postgresql"):
        return {
            "connect_args": {
                "options": f"-c lock_timeout={POSTGRES_LOCK_TIMEOUT_MS}",
                "connect_timeout": 5,  # an unreachable server is an error, not a hang
            },
        }
    return {}


def normalise_database_url(url: str) -> str:
    """Accept the URLs hosting platforms hand out and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def begin_write(*, keep_reads: bool = False) -> None:
    """Start a fresh transaction that holds the database's write lock from its first statement.

    Anything read before in this request is expired and read again, so counts
    are taken under the lock. Changes made before in the transaction (pending,
    or already flushed) would be lost, so they are refused: rules call this
    before they change anything.

    ``keep_reads``: keep the transaction, and what it loaded: on PostgreSQL as it is
    (READ COMMITTED, its default and ours: every later statement sees what others
    committed before it, and the rule's lock is its own ``SELECT … FOR UPDATE``); on
    SQLite as it is when it began with the write lock (a POST does), else taking the lock
    from here on (:func:`reads_first`). For a rule that checks what needs no lock first
    and then counts only with fresh queries.
    """
    session = db.session()
    if session.new or session.dirty or session.deleted or session.info.get(_FLUSHED):
        raise RuntimeError("begin_write() must run before any change in the transaction")
    if session.in_transaction():
        if keep_reads:
            _keep_transaction_with_write_lock(session)
            return
        session.rollback()
    session.connection(execution_options={_IMMEDIATE: True})


def _keep_transaction_with_write_lock(session: Session) -> None:
    """The transaction goes on, holding the write lock from now on, with what it loaded.

    PostgreSQL: nothing to do (see :func:`begin_write`). SQLite, a transaction that began
    without the lock and has only read (a :func:`reads_first` view, the command line):
    end its read snapshot and begin ``IMMEDIATE`` on the same connection, behind the ORM's
    back, so nothing is expired (what it read may be older than what it now locks, as
    under READ COMMITTED; the rule counts afresh). SQLAlchemy's commit or rollback ends
    the new transaction (pysqlite commits whatever transaction is open)."""
    connection = session.connection()
    if connection.dialect.name != "sqlite" or connection.info.get(_IMMEDIATE, False):
        return
    connection.exec_driver_sql("COMMIT")
    connection.exec_driver_sql("BEGIN IMMEDIATE")
    connection.info[_IMMEDIATE] = True


_FLUSHED = "readingroom_flushed_in_transaction"


@event.listens_for(Session, "after_flush")
def _remember_flush(session: Session, _flush_context: Any) -> None:
    session.info[_FLUSHED] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_flush(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_FLUSHED, None)


def on_postgresql() -> bool:
    """Whether the session's database is PostgreSQL (for a statement only it can run)."""
    return db.session.get_bind().dialect.name == "postgresql"


def inserted_row(table: Table, columns: Sequence[str], name: str) -> CTE:
    """PostgreSQL: ``INSERT`` of one row into ``table``, its values the bind parameters named
    as ``columns``, ``RETURNING`` its id, as a CTE ``name``: a second INSERT selects from it,
    so that a row and the rows that refer to it are written in one statement."""
    return (
        insert(table)
        .values({column: bindparam(column) for column in columns})
        .returning(table.c.id)
        .cte(name)
    )


def lock_row(
    model: type[M], ident: int, *, keep_reads: bool = False, options: Sequence[Any] = ()
) -> M | None:
    """Begin a write transaction and lock one row of ``model`` (``None`` if it does not exist).

    ``keep_reads`` as in :func:`begin_write`; ``options``: loader options, such as the
    ``joinedload`` of what the caller reads next (a row read again reads its relationships
    again too, each with a query of its own otherwise); only ``model``'s row is locked.
    """
    begin_write(keep_reads=keep_reads)
    stmt = (
        select(model)
        .where(model.id == ident)  # type: ignore[attr-defined]
        .options(*options)
        .with_for_update(of=model)
        .execution_options(populate_existing=True)
    )
    return db.session.scalars(stmt).one_or_none()


# serialization failure, deadlock, lock timeout, statement timeout
_BUSY_PGCODES = {"40001", "40P01", "55P03", "57014"}


def is_busy_error(exc: BaseException) -> bool:
    """True for errors that mean "the database is busy, try again", not a bug."""
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    pgcode = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if pgcode in _BUSY_PGCODES:
        return True
    if isinstance(exc, OperationalError):
        message = str(orig).lower()
        return "database is locked" in message or "database is busy" in message
    return False


# connection exceptions (08xxx), the server shutting down or terminating the backend
_UNAVAILABLE_PGCODES = {"57P01", "57P02", "57P03"}


def is_unavailable_error(exc: BaseException) -> bool:
    """True when the database connection was lost or refused (try again shortly)."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    pgcode = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None) or ""
    return pgcode.startswith("08") or pgcode in _UNAVAILABLE_PGCODES


def is_foreign_key_error(exc: BaseException) -> bool:
    """True when a row this write refers to is gone (deleted in the meantime)."""
    if not isinstance(exc, IntegrityError):
        return False
    pgcode = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return pgcode == "23503" or "foreign key constraint failed" in str(exc.orig).lower()


def render_migration_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Alembic autogenerate: write UTCDateTime as the plain DateTime column it is."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False
