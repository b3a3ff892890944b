"""Read-only public JSON API for the subdistrict's other channels (documented in openapi.json).

Bad parameters get ``400`` with a JSON error naming the parameter, never a 500:
every value is checked before it reaches the database.

An answer covers at most :data:`PAGE_DAYS` days; a longer range gets its first
days and a ``next`` link to the following ones, so that no request ties up a
worker. Rows are read as plain columns (no ORM objects) and serialised
directly; answers are cached (shared through Redis when configured) under the
validators of their scope and days, for :data:`SEATS_TTL` seconds at most
because seat counts change without them, and answer ``If-None-Match`` with 304.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..links import external_url, public_base_url
from ..places.models import Community, Room
from ..registrations.occupancy import occupancy, seats_left
from ..schedule.models import Program, ReadingSession, SessionStatus
from ..timeutil import beijing_today, to_beijing
from .cache import SharedCache, compress_as, digest
from .feeds import not_modified
from .grid import parse_day
from .params import ParamError, current_scope, refuse_unknown, single
from .queries import Scope, beijing_range, range_state

bp = Blueprint("api", __name__, url_prefix="/api/v1")

OPENAPI_PATH = Path(__file__).with_name("openapi.json")
PARAMETERS = ("start", "end", "community", "room", "program", "course")
DEFAULT_DAYS = 31
MAX_DAYS = 366  # a request may ask for this many days ...
PAGE_DAYS = 93  # ... and is answered this many at a time, with a `next` link
SEATS_TTL = 30
ANSWER_FORMAT = "1"
_answers: SharedCache[bytes] = SharedCache("api", max_size=16 * 1024 * 1024, timeout=SEATS_TTL)


def _json(payload: Any, status: int = 200) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return _json_bytes(body.encode("utf-8"), status)


def _json_bytes(body: bytes, status: int = 200) -> Response:
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


_COLUMNS = (
    ReadingSession.id,
    ReadingSession.title,
    ReadingSession.status,
    ReadingSession.cancel_reason,
    ReadingSession.starts_at,
    ReadingSession.ends_at,
    ReadingSession.host,
    ReadingSession.capacity,
    Program.slug,
    Program.name,
    Program.name_en,
    Program.colour,
    Community.slug,
    Community.name,
    Community.name_en,
    Room.slug,
    Room.name,
    Room.name_en,
    Room.address,
)


def session_rows(scope: Scope, start, end) -> list[Any]:
    """The columns an answer shows, for the sessions of ``scope`` starting in [start, end)."""
    stmt = (
        select(*_COLUMNS)
        .join(Room, Room.id == ReadingSession.room_id)
        .join(Community, Community.id == Room.community_id)
        .join(Program, Program.id == ReadingSession.program_id)
        .where(ReadingSession.starts_at >= start, ReadingSession.starts_at < end)
        .order_by(ReadingSession.starts_at, ReadingSession.id)
    )
    return list(db.session.execute(scope.apply(stmt)))


def session_json(row: Any, taken: int, waiting: int, site: str) -> dict[str, Any]:
    (sid, title, status, reason, starts, ends, host, capacity) = row[:8]
    p_slug, p_name, p_en, colour, c_slug, c_name, c_en = row[8:15]
    r_slug, r_name, r_en, address = row[15:]
    cancelled = status is SessionStatus.CANCELLED
    return {
        "id": sid,
        "title": title,
        "status": status.value,
        "cancel_reason": reason if cancelled else None,
        "program": {"slug": p_slug, "name": p_name, "name_en": p_en or None, "colour": colour},
        "community": {"slug": c_slug, "name": c_name, "name_en": c_en or None},
        "room": {"slug": r_slug, "name": r_name, "name_en": r_en or None, "address": address},
        "start": to_beijing(starts).isoformat(),
        "end": to_beijing(ends).isoformat(),
        "host": host or None,
        "capacity": capacity,
        "seats_taken": taken,
        "waitlist_count": waiting,
        "seats_left": seats_left(capacity, taken),
        "url": f"{site}/sessions/{sid}",
        "ics_url": f"{site}/sessions/{sid}.ics",
    }


def _answer(scope: Scope, start: date, end: date, next_url: str | None) -> bytes:
    rows = session_rows(scope, *beijing_range(start, end))
    seats = occupancy(row[0] for row in rows)
    # the site's address once (session links are plain paths below it)
    site = public_base_url() + url_for("calendars.session_page", session_id=0).removesuffix(
        "/sessions/0"
    )
    items = []
    for row in rows:
        counted = seats[row[0]]
        items.append(session_json(row, counted.seats_taken, counted.waitlist_count, site))
    payload = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "timezone": "Asia/Shanghai",
        "count": len(items),
        "next": next_url,
        "sessions": items,
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


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
        next_url = None
        if (end - start).days + 1 > PAGE_DAYS:
            following = start + timedelta(days=PAGE_DAYS)
            args = {
                **request.args.to_dict(),
                "start": following.isoformat(),
                "end": end.isoformat(),
            }
            next_url = external_url("api.sessions") + "?" + urlencode(args)
            end = following - timedelta(days=1)
        bounds = beijing_range(start, end)
        scope, state = current_scope(
            request.args, lambda scope: range_state(scope, *bounds), with_age=False
        )
    except ParamError as exc:
        return _error(exc)
    key = digest(
        ANSWER_FORMAT, public_base_url(), scope.params(), start, end, next_url, state.fingerprint
    )
    body = _answers.get(key)
    if body is None:
        body = _answer(scope, start, end, next_url)
        _answers.set(key, body)
    etag = hashlib.sha256(body).hexdigest()[:32]
    matched = not_modified(etag, state.last_modified) if request.if_none_match else None
    if matched is not None:
        response = _json_bytes(b"", 304)
        response.set_etag(matched)
        response.headers["Cache-Control"] = "public, max-age=60"
        return response
    compress_as(f"api:{etag}")
    response = _json_bytes(body)
    response.set_etag(etag)
    return response


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI description of this API."""
    response = Response(OPENAPI_PATH.read_bytes(), mimetype="application/json")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
