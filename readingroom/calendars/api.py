"""Read-only public JSON API for the subdistrict's other channels (documented in openapi.json).

Bad parameters get ``400`` with a JSON error naming the parameter, never a 500:
every value is checked before it reaches the database.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, request
from flask_babel import gettext as _

from ..links import external_url
from ..registrations.occupancy import Occupancy, occupancy, seats_left
from ..schedule.models import ReadingSession
from ..timeutil import beijing_today, to_beijing
from .grid import parse_day
from .params import ParamError, refuse_unknown, scope_from_args, single
from .queries import beijing_range, sessions_between

bp = Blueprint("api", __name__, url_prefix="/api/v1")

OPENAPI_PATH = Path(__file__).with_name("openapi.json")
PARAMETERS = ("start", "end", "community", "room", "program")
DEFAULT_DAYS = 31
MAX_DAYS = 366


def _json(payload: Any, status: int = 200) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    response = Response(body, status=status, mimetype="application/json")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=60" if status == 200 else "no-store"
    return response


def _error(exc: ParamError) -> Response:
    return _json(
        {
            "error": {
                "code": 400,
                "title": _("Bad request"),
                "message": exc.message,
                "parameter": exc.parameter,
            }
        },
        400,
    )


def _day(name: str) -> date | None:
    raw = single(request.args, name)
    if raw is None:
        return None
    day = parse_day(raw.strip())
    if day is None:
        raise ParamError(name, _("%(name)s must be a date as YYYY-MM-DD.", name=name))
    return day


def _place(obj: Any, *extra: str) -> dict[str, Any]:
    out = {"slug": obj.slug, "name": obj.name, "name_en": obj.name_en or None}
    for attribute in extra:
        out[attribute] = getattr(obj, attribute)
    return out


def session_json(s: ReadingSession, seats: Occupancy) -> dict[str, Any]:
    return {
        "id": s.id,
        "title": s.title,
        "status": s.status.value,
        "cancel_reason": s.cancel_reason if s.is_cancelled else None,
        "program": _place(s.program, "colour"),
        "community": _place(s.room.community),
        "room": _place(s.room, "address"),
        "start": to_beijing(s.starts_at).isoformat(),
        "end": to_beijing(s.ends_at).isoformat(),
        "host": s.host or None,
        "capacity": s.capacity,
        "seats_taken": seats.seats_taken,
        "waitlist_count": seats.waitlist_count,
        "seats_left": seats_left(s.capacity, seats.seats_taken),
        "url": external_url("calendars.session_page", session_id=s.id),
        "ics_url": external_url("feeds.session_ics", session_id=s.id),
    }


@bp.get("/sessions")
def sessions():
    """Sessions starting between two Beijing dates (both included), narrowed by slugs."""
    try:
        refuse_unknown(request.args, PARAMETERS)
        start = _day("start")
        end = _day("end")
        if start is None:
            start = beijing_today() if end is None else end - timedelta(days=DEFAULT_DAYS - 1)
        if end is None:
            end = start + timedelta(days=DEFAULT_DAYS - 1)
        if end < start:
            raise ParamError("end", _("end must not be before start."))
        if (end - start).days + 1 > MAX_DAYS:
            raise ParamError("end", _("Ask for at most %(days)d days at once.", days=MAX_DAYS))
        scope = scope_from_args(request.args, with_age=False)
    except ParamError as exc:
        return _error(exc)
    found = sessions_between(scope, *beijing_range(start, end))
    seats = occupancy(s.id for s in found)
    return _json(
        {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "timezone": "Asia/Shanghai",
            "count": len(found),
            "sessions": [session_json(s, seats[s.id]) for s in found],
        }
    )


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI description of this API."""
    response = Response(OPENAPI_PATH.read_bytes(), mimetype="application/json")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
