"""``/healthz`` and ``/readyz`` for load balancers and systemd: cheap, no secrets.

``/healthz``: the process answers (touches nothing). ``/readyz``: the database answers, its
schema is at the migrations' head, and Redis answers when ``REDIS_URL`` is set; 503 with
the names of what fails otherwise. Neither says which versions run, and neither counts
against rate limits.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ..extensions import db, limiter

log = logging.getLogger(__name__)

bp = Blueprint("ops", __name__)


def _no_store(response: Any) -> Any:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
@limiter.exempt
def healthz() -> ResponseReturnValue:
    return _no_store(jsonify(status="ok"))


@bp.get("/readyz")
@limiter.exempt
def readyz() -> ResponseReturnValue:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    failing = database_problems(app) + redis_problems(app)
    if failing:
        return _no_store(jsonify(status="not ready", failing=failing)), 503
    return _no_store(jsonify(status="ready"))


def migration_heads(app: Flask) -> set[str]:
    """The head revisions of the packaged migrations (read once per process)."""
    heads = app.extensions.get("readingroom_migration_heads")
    if heads is None:
        from alembic.script import ScriptDirectory

        directory = Path(__file__).resolve().parents[1] / "migrations"  # the package's own
        heads = set(ScriptDirectory(str(directory)).get_heads())
        app.extensions["readingroom_migration_heads"] = heads
    return heads


def database_problems(app: Flask) -> list[str]:
    """``["database"]`` if unreachable, ``["migrations"]`` if not at head (one short query)."""
    try:
        with db.engine.connect() as conn:
            current = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    except DBAPIError as exc:
        if "alembic_version" not in str(exc.orig):
            log.warning("readyz: database unreachable: %s", type(exc.orig).__name__)
            return ["database"]
        current = set()  # reachable, but no alembic_version table: never migrated
    if current != migration_heads(app):
        log.warning("readyz: the database schema is not at the migrations' head")
        return ["migrations"]
    return []


def redis_problems(app: Flask) -> list[str]:
    url = app.config.get("REDIS_URL")
    if not url:
        return []
    import redis

    client = app.extensions.get("readingroom_health_redis")
    if client is None:
        client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        app.extensions["readingroom_health_redis"] = client
    try:
        client.ping()
    except redis.RedisError as exc:
        log.warning("readyz: redis unreachable: %s", type(exc).__name__)
        return ["redis"]
    return []
