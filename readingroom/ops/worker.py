"""The worker: one long-running process for everything that happens on a clock.

``flask --app readingroom worker`` runs, every ``WORKER_DELIVER_SECONDS``:

* ``deliver-notices``: the outbox (``notices.operations.deliver_pending``), batch after
  batch until nothing is due. Each message is claimed with ``FOR UPDATE SKIP LOCKED`` and a
  lease, so several workers on PostgreSQL never send one twice;
* the scheduled jobs below, each only when it is due by its own row in ``ops_job_run``:
  ``reminders`` (every 10 minutes, from ``WORKER_REMINDER_HOUR``), ``expired-links``
  (hourly), ``purge`` (nightly from ``WORKER_PURGE_HOUR``, ``RETENTION_MONTHS``).

A scheduled job runs in one transaction that first takes a transaction-level advisory lock
of its own on PostgreSQL (``pg_try_advisory_xact_lock``; a worker that does not get it skips
the job) and then reads the job's row: a job that another worker has just run is no longer
due, so it runs once however many workers there are. On SQLite, one worker holds a file lock
next to the database for its whole life and a second one is refused (:class:`WorkerRefused`).

Each job logs one line when it runs: what, how many, how long (the delivery only when it
had something to send). SIGTERM or SIGINT stops the worker after the notice being sent;
the rest of the claimed batch is handed back at once.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from flask import Flask
from sqlalchemy import func, select

from ..database import begin_write
from ..extensions import db
from ..families.operations import delete_expired_resets
from ..notices.operations import DeliveryReport, deliver_pending
from ..privacy.operations import purge_before
from ..registrations.reminders import send_reminders
from ..registrations.retention import retention_cutoff
from ..timeutil import to_beijing, utcnow
from .models import JobRun

log = logging.getLogger("readingroom.worker")

ADVISORY_NAMESPACE = 0x5252  # "RR": the first key of pg_try_advisory_xact_lock(int, int)


class WorkerRefused(Exception):
    """A second worker on SQLite (the message says what to do)."""


# --- the scheduled jobs ----------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[Flask, datetime], str]  # flushes; returns "how many" for the log line
    is_due: Callable[[Flask, JobRun, datetime], bool]


def every(interval: timedelta) -> Callable[[Flask, JobRun, datetime], bool]:
    def is_due(_app: Flask, row: JobRun, now: datetime) -> bool:
        return row.last_started_at is None or now - row.last_started_at >= interval

    return is_due


def nightly(_hour_key: str) -> Callable[[Flask, JobRun, datetime], bool]:
    """Once per Beijing day, from the configured hour on (a missed night runs at start)."""

    def is_due(app: Flask, row: JobRun, now: datetime) -> bool:
        local = to_beijing(now)
        if row.last_started_at is None:
            return True
        if to_beijing(row.last_started_at).date() >= local.date():
            return False
        return local.hour >= int(app.config[_hour_key])

    return is_due


def _reminders(app: Flask, now: datetime) -> str:
    count = send_reminders(now=now, from_hour=int(app.config["WORKER_REMINDER_HOUR"]))
    return f"{count} reminders queued"


def _expired_links(_app: Flask, now: datetime) -> str:
    return f"{delete_expired_resets(now=now)} expired password reset links removed"


def _purge(app: Flask, now: datetime) -> str:
    months = int(app.config["RETENTION_MONTHS"])
    result = purge_before(retention_cutoff(months, now))
    return f"older than {months} months: " + ", ".join(f"{v} {k}" for k, v in result.items())


JOBS: tuple[Job, ...] = (
    Job("reminders", _reminders, every(timedelta(minutes=10))),
    Job("expired-links", _expired_links, every(timedelta(hours=1))),
    Job("purge", _purge, nightly("WORKER_PURGE_HOUR")),
)


def advisory_key(name: str) -> int:
    """A stable signed 32-bit key for a job name (the second key of the advisory lock)."""
    value = zlib.crc32(f"readingroom.job.{name}".encode())
    return value - (1 << 32) if value >= 1 << 31 else value


def run_job(app: Flask, job: Job, *, now: datetime | None = None) -> str | None:
    """Run ``job`` if it is due and no other worker is running it; commits.

    Returns the log line's "how many", or ``None`` when it did not run.
    """
    now = now or utcnow()
    begin_write()
    if db.engine.dialect.name == "postgresql":
        locked = db.session.scalar(
            select(func.pg_try_advisory_xact_lock(ADVISORY_NAMESPACE, advisory_key(job.name)))
        )
        if not locked:
            db.session.rollback()
            return None
    row = db.session.get(JobRun, job.name, populate_existing=True)
    if row is None:
        row = JobRun(name=job.name)
        db.session.add(row)
    if not job.is_due(app, row, now):
        db.session.rollback()
        return None
    started = time.monotonic()
    row.last_started_at = now
    try:
        result = job.run(app, now)
    except Exception:
        db.session.rollback()
        log.exception("%s: failed after %d ms (will try again)", job.name, _ms(started))
        return None
    row.last_finished_at = utcnow()
    row.last_result = result[:300]
    db.session.commit()  # the job's work and its row together, then the lock goes
    log.info("%s: %s in %d ms", job.name, result, _ms(started))
    return result


def deliver_all(should_stop: Callable[[], bool], *, batch: int = 50) -> DeliveryReport:
    """The outbox until nothing is due (or the worker is stopping); logs when it sent any."""
    started = time.monotonic()
    total = DeliveryReport()
    while not should_stop():
        report = deliver_pending(limit=batch, should_stop=should_stop)
        total += report
        if report.handled + report.released < batch:
            break
    if total.handled or total.released:
        log.info(
            "deliver-notices: %d sent, %d to retry, %d given up, %d handed back in %d ms",
            total.sent,
            total.retry,
            total.failed,
            total.released,
            _ms(started),
        )
    return total


def _ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


# --- the process -----------------------------------------------------------------------------


class Worker:
    """The loop; ``stop()`` (the signal handler) ends it after the current notice."""

    def __init__(self, app: Flask, jobs: tuple[Job, ...] = JOBS):
        self.app = app
        self.jobs = jobs
        self.stopping = False
        self._lock_file: IO[Any] | None = None

    def stop(self, *_args: Any) -> None:
        self.stopping = True

    def should_stop(self) -> bool:
        return self.stopping

    def hold_single_worker_lock(self) -> None:
        """SQLite: refuse to run next to another worker on the same database file."""
        url = db.engine.url
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return
        path = Path(f"{url.database}.worker-lock")
        handle = path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            other = handle.read().strip() or "?"
            handle.close()
            raise WorkerRefused(
                f"Another worker (pid {other}) is already running on the SQLite database "
                f"{url.database}. One worker is enough on SQLite: stop that one first "
                "(several workers need PostgreSQL)."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._lock_file = handle

    def release_single_worker_lock(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()  # closing the file drops the flock
            self._lock_file = None

    def tick(self) -> None:
        """One round: the outbox, then every scheduled job that is due."""
        deliver_all(self.should_stop)
        for job in self.jobs:
            if self.stopping:
                return
            run_job(self.app, job)
        db.session.remove()

    def run(self, *, once: bool = False) -> None:
        self.hold_single_worker_lock()
        try:
            self._loop(once)
        finally:
            self.release_single_worker_lock()

    def _loop(self, once: bool) -> None:
        interval = float(self.app.config["WORKER_DELIVER_SECONDS"])
        log.info("worker %d started (%s)", os.getpid(), db.engine.url.get_backend_name())
        while not self.stopping:
            try:
                self.tick()
            except Exception:  # the database went away, …: log, wait, try again
                db.session.remove()
                log.exception("worker round failed; trying again in %.0f s", interval)
            if once:
                break
            deadline = time.monotonic() + interval
            while not self.stopping and time.monotonic() < deadline:
                time.sleep(min(0.2, interval))
        db.session.remove()
        log.info("worker %d stopped", os.getpid())
