"""Error pages: a clear, translated page for every error; never a stack trace.

Database "busy" errors (lock timeout, serialization failure, SQLite locked)
become 503 "busy, please try again" with everything rolled back.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, InternalServerError

from .database import is_busy_error
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
        db.session.rollback()
        return render_error(409, exc.message)

    @app.errorhandler(DBAPIError)
    def database_error(exc: DBAPIError):
        db.session.rollback()
        if is_busy_error(exc):
            log.warning("database busy: %s", exc.orig)
            body, code = render_error(503)
            return body, code, {"Retry-After": "2"}
        log.exception("database error")
        return render_error(500)

    @app.errorhandler(InternalServerError)
    def internal_error(exc: InternalServerError):
        original = getattr(exc, "original_exception", None)
        if isinstance(original, DBAPIError):
            return database_error(original)
        db.session.rollback()
        return render_error(500)
