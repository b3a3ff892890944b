"""Error pages: a clear, translated page for every error; never a stack trace.

Database "busy" errors (lock timeout, serialization failure, SQLite locked)
and a lost database connection become 503 "busy, please try again" with a
``Retry-After`` and everything rolled back. Input the database cannot take (a
NUL byte, a number out of range) is a 400, and a write that refers to a row
deleted at the same instant (a family deleting its account) a 409: never a 500.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, abort, jsonify, render_template, request
from flask.globals import request_ctx
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, DBAPIError, PendingRollbackError
from werkzeug.exceptions import HTTPException, InternalServerError

from .database import (
    is_busy_error,
    is_foreign_key_error,
    is_unavailable_error,
    read_only_from_now,
)
from .domain import DomainError
from .extensions import db
from .requestlog import request_id

log = logging.getLogger(__name__)


def _messages(code: int) -> tuple[str, str]:
    titles = {
        400: (_("Bad request"), _("The request could not be understood.")),
        403: (_("Not allowed"), _("You do not have access to this page.")),
        404: (_("Not found"), _("This page does not exist, or it has moved.")),
        405: (_("Not allowed"), _("This action is not possible here.")),
        409: (_("Not saved"), _("Something changed in the meantime. Nothing was saved.")),
        429: (_("Too many attempts"), _("Please wait a moment and try again.")),
        503: (_("Busy"), _("Many people are using the system right now. Please try again.")),
    }
    return titles.get(
        code,
        (_("Something went wrong"), _("Please try again. If it happens again, tell the staff.")),
    )


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.endswith(".json")


def render_error(code: int, detail: str | None = None):
    title, text = _messages(code)
    reference = request_id()  # a family can quote it to the staff; the log line has it
    if request_ctx.url_adapter is None:
        # No URLs can be built (e.g. a Host outside TRUSTED_HOSTS): a plain answer.
        return Response(f"{code} {title}\n{detail or text}\n", code, mimetype="text/plain")
    if _wants_json():
        error = {"code": code, "title": title, "message": detail or text, "request_id": reference}
        return jsonify(error=error), code
    page = render_template(
        "errors/error.html", code=code, title=title, text=detail or text, request_id=reference
    )
    return page, code


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return render_error(
            400, _("The form expired or was sent twice. Go back, reload the page and try again.")
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code is None or exc.code < 400:
            return exc
        response = render_error(exc.code)
        if exc.code == 405 and exc.valid_methods:
            body, code = response
            return body, code, {"Allow": ", ".join(exc.valid_methods)}
        return response

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        """A rule refused what no view expected to be refused (e.g. a race): nothing saved."""
        _rollback()
        return render_error(409, exc.message)

    @app.errorhandler(DBAPIError)
    def database_error(exc: DBAPIError):
        _rollback()
        if is_busy_error(exc) or is_unavailable_error(exc):
            log.warning("database busy or unavailable: %s", exc.orig)
            return _busy()
        if isinstance(exc, DataError):
            log.info("input the database refuses: %s", exc.orig)
            return render_error(400)
        if is_foreign_key_error(exc):
            log.info("refers to a row deleted meanwhile: %s", exc.orig)
            return render_error(409)
        log.exception("database error")
        return render_error(500)

    @app.errorhandler(PendingRollbackError)
    def pending_rollback(exc: PendingRollbackError):
        """A connection lost during a flush leaves the session waiting for a rollback."""
        _rollback()
        log.warning("database transaction lost: %s", exc)
        return _busy()

    @app.errorhandler(OverflowError)
    def overflow(exc: OverflowError):
        """SQLite's driver refuses integers beyond 64 bits before the database sees them."""
        _rollback()
        return render_error(400)

    @app.errorhandler(InternalServerError)
    def internal_error(exc: InternalServerError):
        original = getattr(exc, "original_exception", None)
        if isinstance(original, DBAPIError):
            return database_error(original)
        _rollback()
        return render_error(500)

    @app.before_request
    def refuse_nul_bytes():
        """No address has a NUL byte in it (PostgreSQL cannot even compare one). Query
        strings are each view's to check (the API names the parameter); a NUL that still
        reaches the database is a 400 (DataError above)."""
        if "\x00" in request.path:
            abort(404)


def _busy():
    body, code = render_error(503)
    return body, code, {"Retry-After": "2"}


def _rollback() -> None:
    """Roll back what the request did; a connection already lost is discarded quietly.
    What the error page still reads needs no write lock."""
    read_only_from_now()
    try:
        db.session.rollback()
    except Exception:  # the connection is gone: the pool replaces it
        log.warning("rollback failed", exc_info=True)
        db.session.close()
