"""Knowing without a query that the calendar data has not changed (PostgreSQL).

Every feed request, and every ``304``, needs the validators of
:func:`~readingroom.calendars.queries.feed_state`: one aggregate query. On
PostgreSQL that is a network round trip per request, most of the cost of a
``304``. So the database says when the data changes, instead of being asked:

* A statement-level trigger on ``reading_session``, ``room``, ``program`` and
  ``community`` runs ``pg_notify('readingroom_feeds', '')`` after every
  INSERT, UPDATE, DELETE or TRUNCATE, whoever runs it (the app, a script, raw
  SQL in ``psql``). The migration creates it; :func:`_create_with_tables`
  does for ``create_all`` (tests, the benchmark).
* Each process runs one listener thread, started on first use (so after
  gunicorn has forked), on a connection of its own that ``LISTEN``s. Every
  notification bumps a generation number. Every two seconds it checks that
  the triggers are there and enabled and that a notification of its own
  comes back through the database.
* :func:`reuse` hands out the value it computed last for the same key only
  while the listener is connected and has recently checked, and the
  generation is the one the value was computed at. Anything else (no
  listener yet, a lost connection, missing triggers, SQLite, ``FEED_LISTEN =
  False``) means computing afresh, as before. On reconnecting, the listener
  bumps the generation: what changed while nobody listened counts as changed.
* A commit of this process that wrote anything bumps a local generation at
  once (the notification arrives a moment later), so an edit followed by a
  request in the same process never sees the old validators.

What remains is the notification's own latency (measured 0.1 ms after the
commit, a few milliseconds in a busy process): a request that another
process serves in that moment gets the old validators. A kept value is
recomputed after :data:`REUSE_AT_MOST` seconds in any case, for writes no
trigger sees (``session_replication_role = replica``, disabled triggers
until the next check).
"""

from __future__ import annotations

import atexit
import itertools
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy import DDL, Engine, event
from sqlalchemy.orm import ORMExecuteState, Session

from ..extensions import db
from ..places.models import Community, Room
from ..schedule.models import Program, ReadingSession

log = logging.getLogger(__name__)

CHANNEL = "readingroom_feeds"
TRIGGER = "readingroom_feeds_notify"  # the trigger on each table, and its function
TABLES = ("reading_session", "room", "program", "community")
APPLICATION_NAME = "readingroom-feed-listener"  # as shown in pg_stat_activity

HEARTBEAT = 2.0  # seconds between the listener's checks (triggers there, notifications arrive)
TRUSTED_FOR = 5.0  # without a check come back for this long, the listener is not trusted
REUSE_AT_MOST = 60.0  # seconds; a safety net for changes no trigger sees (replication role)
RETRY_FIRST = 0.5  # seconds before reconnecting after a failure, doubling up to RETRY_MAX
RETRY_MAX = 30.0

FUNCTION_SQL = f"""\
CREATE OR REPLACE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('{CHANNEL}', '');
  RETURN NULL;
END
$$"""


def trigger_sql(table: str) -> str:
    return (
        f"CREATE TRIGGER {TRIGGER} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {TRIGGER}()"
    )


_CHECK_SQL = """\
SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE t.tgname = %s AND t.tgenabled IN ('O', 'A') AND pg_table_is_visible(c.oid)"""


def missing_triggers(connection: Any) -> set[str]:
    """Tables without an enabled notification trigger (``connection``: psycopg 3)."""
    found = {row[0] for row in connection.execute(_CHECK_SQL, (TRIGGER,))}
    return set(TABLES) - found


def _create_with_tables() -> None:
    """``create_all`` on PostgreSQL creates the triggers too (production uses the migration)."""
    for model in (ReadingSession, Room, Program, Community):
        table = model.__table__
        for sql in (FUNCTION_SQL, trigger_sql(table.name)):
            event.listen(table, "after_create", DDL(sql).execute_if(dialect="postgresql"))


_create_with_tables()


class NotSound(RuntimeError):
    """Notifications cannot be relied on: triggers missing, or our own check never came back."""


class Listener:
    """A daemon thread with a connection that LISTENs; counts the notifications.

    Every :data:`HEARTBEAT` seconds it checks that the triggers are there and
    sends a notification of its own on the channel; it is trusted while such a
    check came back within the last :data:`TRUSTED_FOR` seconds. A check that
    comes back proves the whole way (a pooler in transaction mode, for one,
    silently loses notifications), and that every change committed before it
    has been counted: PostgreSQL delivers notifications in commit order.
    """

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self.generation = 0
        self.backend_pid: int | None = None  # of the listening connection (diagnostics, tests)
        self.last_payload: str | None = None  # of the last notification that counted
        self._counter = itertools.count(1)
        self._checks = itertools.count(1)
        self._pending: tuple[str, float] | None = None  # a check sent: its payload, when
        self._listening = False
        self._checked_at = float("-inf")  # when the last check that came back was sent
        self._delay = RETRY_FIRST
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=APPLICATION_NAME, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    @property
    def trusted(self) -> bool:
        """Listening, and a check came back within the last :data:`TRUSTED_FOR` seconds."""
        return self._listening and time.monotonic() - self._checked_at < TRUSTED_FOR

    def token(self) -> int | None:
        """The generation, or ``None`` while notifications may be going astray."""
        generation = self.generation  # read first: a reconnection in between bumps it
        return generation if self.trusted else None

    def _bump(self) -> None:
        self.generation = next(self._counter)  # next() on a count is atomic under the GIL

    def _run(self) -> None:
        try:
            import psycopg  # noqa: F401  (the PostgreSQL driver the app uses)
        except ImportError:
            log.warning("feed listener: psycopg 3 is not installed; validators are always queried")
            return
        while not self._stop.is_set():
            try:
                self._listen()
            except Exception as exc:  # any failure: stop trusting, try again later
                self._listening = False
                log.warning(
                    "feed listener: %s; feed validators are queried on every request "
                    "until it reconnects (next attempt in %.1f s)",
                    str(exc).strip() or type(exc).__name__,
                    self._delay,
                )
                if self._stop.wait(self._delay):
                    break
                self._delay = min(self._delay * 2, RETRY_MAX)
        self._listening = False

    def _listen(self) -> None:
        import psycopg

        with psycopg.connect(
            self.conninfo,
            autocommit=True,
            application_name=APPLICATION_NAME,
            connect_timeout=10,
            # a silently dead link fails within seconds instead of minutes
            keepalives=1,
            keepalives_idle=10,
            keepalives_interval=5,
            keepalives_count=3,
            tcp_user_timeout=10_000,
        ) as connection:
            connection.execute(f"LISTEN {CHANNEL}")
            self.backend_pid = connection.info.backend_pid
            self._pending = None
            self._check(connection)
            while self._pending is not None:  # trust nothing before the first check is back
                self._take(connection, timeout=0.1)
                self._overdue()
            self._bump()  # whatever changed while nobody listened
            self._listening = True
            self._delay = RETRY_FIRST
            log.info("feed listener: listening (backend %s)", self.backend_pid)
            try:
                while not self._stop.is_set():
                    self._take(connection, timeout=min(1.0, HEARTBEAT))
                    self._overdue()
                    if self._pending is None and time.monotonic() - self._checked_at >= HEARTBEAT:
                        self._check(connection)
            finally:
                self._listening = False

    def _take(self, connection: Any, timeout: float) -> None:
        """Count the notifications that arrive within ``timeout`` seconds."""
        for notice in connection.notifies(timeout=timeout):
            if notice.payload.startswith(_CHECK):
                if self._pending is not None and notice.payload == self._pending[0]:
                    self._checked_at = self._pending[1]
                    self._pending = None
                continue  # our check, or another process's: not a change
            self._bump()
            self.last_payload = notice.payload

    def _check(self, connection: Any) -> None:
        """Check the triggers, and send a notification that must come back."""
        missing = missing_triggers(connection)
        if missing:
            raise NotSound(
                "no enabled notification trigger on "
                + ", ".join(sorted(missing))
                + " (run `flask --app readingroom db upgrade`)"
            )
        payload = f"{_CHECK}{self.backend_pid}:{next(self._checks)}"
        self._pending = (payload, time.monotonic())
        connection.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload))

    def _overdue(self) -> None:
        if self._pending is not None and time.monotonic() - self._pending[1] > TRUSTED_FOR:
            raise NotSound("its own notification did not come back (a pooler in between?)")


_CHECK = "check:"  # payload prefix of the listeners' own checks (the triggers send "")


_listeners: dict[str, Listener] = {}
_lock = threading.Lock()


def listener_for(engine: Engine) -> Listener:
    """This process's listener for the engine's database (started on first use)."""
    conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with _lock:
        listener = _listeners.get(conninfo)
        if listener is None:
            listener = _listeners[conninfo] = Listener(conninfo)
            listener.start()
    return listener


def stop_listeners() -> None:
    """Stop every listener of this process (at exit; tests)."""
    with _lock:
        listeners = list(_listeners.values())
        _listeners.clear()
    for listener in listeners:
        listener._stop.set()
    for listener in listeners:
        listener.stop()


def _forget_after_fork() -> None:
    """A forked child has none of the parent's threads: start its own listeners."""
    global _lock
    _lock = threading.Lock()
    _listeners.clear()


os.register_at_fork(after_in_child=_forget_after_fork)
atexit.register(stop_listeners)  # close the connection properly rather than drop it


# --- this process's own commits -----------------------------------------------------------------

_WROTE = "readingroom_calendars_wrote"
_local_counter = itertools.count(1)
_local_generation = 0


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: Any) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if not state.is_select:  # bulk UPDATE/DELETE/INSERT, and text() of any kind
        state.session.info[_WROTE] = True


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    global _local_generation
    if session.in_nested_transaction():
        return  # a savepoint: the outer transaction may still roll back
    if session.info.pop(_WROTE, False):
        _local_generation = next(_local_counter)


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_WROTE, None)


# --- reuse ----------------------------------------------------------------------------------------

V = TypeVar("V")


@dataclass(frozen=True)
class _Kept:
    key: Hashable
    token: tuple[int, int]
    value: Any
    at: float


#: Values kept per app (one per scope and day of the feeds and pages asked for).
KEEP_AT_MOST = 4096


class _Watch:
    """Per app: its listener (``None``: never reuse) and the values kept, by key."""

    def __init__(self, listener: Listener | None) -> None:
        self.listener = listener
        self.kept: OrderedDict[Hashable, _Kept] = OrderedDict()
        self.lock = threading.Lock()

    def token(self) -> tuple[int, int] | None:
        if self.listener is None:
            return None
        local = _local_generation
        generation = self.listener.token()
        return None if generation is None else (generation, local)

    def get(self, key: Hashable) -> _Kept | None:
        with self.lock:
            return self.kept.get(key)

    def keep(self, kept: _Kept) -> None:
        with self.lock:
            self.kept[kept.key] = kept
            self.kept.move_to_end(kept.key)
            while len(self.kept) > KEEP_AT_MOST:
                self.kept.popitem(last=False)


_EXTENSION = "readingroom.calendars.changes"


def _watch() -> _Watch:
    app = current_app
    watch = app.extensions.get(_EXTENSION)
    if watch is None:
        engine = db.engine
        on = app.config.get("FEED_LISTEN", True) and engine.dialect.name == "postgresql"
        watch = app.extensions.setdefault(_EXTENSION, _Watch(listener_for(engine) if on else None))
    return watch


def listener() -> Listener | None:
    """The current app's listener, or ``None`` (SQLite, ``FEED_LISTEN = False``)."""
    return _watch().listener


def reuse(key: Hashable, compute: Callable[[], V]) -> V:
    """``compute()``, or what it returned for ``key`` while nothing can have changed since."""
    watch = _watch()
    token = watch.token()  # taken before computing: a change during the query bumps it
    now = time.monotonic()
    if token is None:
        return compute()
    kept = watch.get(key)
    if kept is not None and kept.token == token and now - kept.at < REUSE_AT_MOST:
        return kept.value
    value = compute()
    watch.keep(_Kept(key, token, value, now))
    return value
