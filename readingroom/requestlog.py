"""One log line per request, and a request id that follows it (also in error pages).

Each request gets an id: the front proxy's ``X-Request-Id`` (nginx's ``$request_id``) when
it looks like one, else a fresh one; it is returned in the ``X-Request-Id`` header, shown
on error pages and added to every log record written during the request. The line says
method, route, status, duration and time spent in the database (and how many statements).
The route is the URL *rule* (``/cancel/<token>``), never the path or the query string, so
no token, password or phone number reaches the log.

``LOG_FORMAT = "json"`` writes each record as one JSON object (for a log collector),
``"text"`` (default) as a plain line. ``LOG_REQUESTS = False`` turns the request lines off.
Outside tests the ``readingroom`` logger (the app's, the domains', the worker's) writes to
stderr (the journal under systemd).
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
import time
from typing import Any

from flask import Flask, Response, current_app, g, has_request_context, request
from sqlalchemy import event

from .extensions import db

log = logging.getLogger("readingroom.request")

_INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_FIELDS = ("method", "route", "status", "ms", "db_ms", "db_queries")


def request_id() -> str | None:
    return g.get("request_id") if has_request_context() else None


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id() or "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        for field in _FIELDS:
            if hasattr(record, field):
                entry[field] = getattr(record, field)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def make_handler(log_format: str) -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
    handler.addFilter(RequestIdFilter())
    return handler


def init_app(app: Flask) -> None:
    if not app.testing:
        logger = logging.getLogger("readingroom")
        if not logger.handlers:
            logger.addHandler(make_handler(str(app.config["LOG_FORMAT"])))
            logger.setLevel(logging.INFO)
            logger.propagate = False
    with app.app_context():
        _time_statements(db.engine)
    # First of all before_request hooks: a rate limit's 429 has an id too.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_finish)


def _time_statements(engine: Any) -> None:
    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: Any, *_args: Any) -> None:
        conn.info.setdefault("readingroom_started", []).append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn: Any, *_args: Any) -> None:
        started = conn.info.get("readingroom_started")
        if not started or not has_request_context():
            if started:
                started.pop()
            return
        g.db_seconds = g.get("db_seconds", 0.0) + time.perf_counter() - started.pop()
        g.db_queries = g.get("db_queries", 0) + 1


def _start() -> None:
    incoming = request.headers.get("X-Request-Id", "")
    g.request_id = incoming if _INCOMING_ID.match(incoming) else secrets.token_hex(8)
    g.request_started = time.perf_counter()


def _finish(response: Response) -> Response:
    rid = g.get("request_id")
    if rid is None:  # a before_request hook above ours answered first
        return response
    response.headers["X-Request-Id"] = rid
    if current_app.config["LOG_REQUESTS"]:
        fields = {
            "method": request.method,
            "route": request.url_rule.rule if request.url_rule is not None else "(no route)",
            "status": response.status_code,
            "ms": round((time.perf_counter() - g.request_started) * 1000, 1),
            "db_ms": round(g.get("db_seconds", 0.0) * 1000, 1),
            "db_queries": g.get("db_queries", 0),
        }
        log.info(
            "%(method)s %(route)s %(status)s %(ms)sms db %(db_ms)sms/%(db_queries)s",
            fields,
            extra={**fields, "request_id": rid},
        )
    return response
