"""Calendar feeds over HTTP: ``text/calendar`` responses with ETag/Last-Modified and 304.

:func:`ics_response` is shared with the sign-ups domain (the household feed).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, abort, current_app, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.http import is_resource_modified

from ..families.operations import household_by_feed_token
from ..links import external_url, public_base_url
from ..schedule.models import ReadingSession
from ..timeutil import beijing_today
from .cache import LRUCache, SharedCache, compress_as, digest
from .ical import (
    CANCELLED_PREFIX,
    assemble_calendar,
    build_calendar,
    event_bytes,
    modified_at,
    session_event,
)
from .params import ParamError, current_scope
from .queries import (
    Scope,
    current_feed_window,
    feed_days,
    feed_state,
    load_session,
    sessions_between,
)

ICS_MIMETYPE = "text/calendar"  # Werkzeug adds "; charset=utf-8" to text/* types
FEED_MAX_AGE = 300  # seconds a client may reuse a feed before asking again (with validators)


def ics_response(
    body: bytes,
    *,
    last_modified: datetime,
    filename: str | None = None,
    etag: str | None = None,
    private: bool = False,
) -> Response:
    """A ``text/calendar; charset=utf-8`` response that answers conditional requests.

    ``etag`` defaults to a digest of ``body`` (strong: same bytes, same tag).
    ``last_modified`` must move forward whenever the body changes, else a
    client sending only If-Modified-Since keeps a stale copy. A request whose
    If-None-Match (or, without it, If-Modified-Since) matches gets ``304 Not
    Modified`` with no body. ``filename`` makes it a download (attachment).
    ``private`` is for feeds behind a secret URL (no shared caches).
    """
    response = Response(body, mimetype=ICS_MIMETYPE)
    response.set_etag(etag or hashlib.sha256(body).hexdigest()[:32])
    response.last_modified = last_modified
    scope = "private" if private else "public"
    response.headers["Cache-Control"] = f"{scope}, max-age={FEED_MAX_AGE}"
    if filename:
        response.headers.set("Content-Disposition", "attachment", filename=filename)
    return response.make_conditional(request)


# --- public feeds -----------------------------------------------------------------------------

bp = Blueprint("feeds", __name__)

#: Bump when the rendering changes, so that clients' cached copies are not taken as current.
FEED_FORMAT = "1"
ALL_NAME = "滨河街道阅读活动日历"


#: Rendered feeds by ETag: 32 MB in each process, and shared through Redis when configured.
body_cache: SharedCache[bytes] = SharedCache("feed", max_size=32 * 1024 * 1024)
#: Serialised events by what they show (session, room and strand update times), so
#: that after one change a feed re-renders one event, not the whole year (16 MB).
event_cache: LRUCache[bytes] = LRUCache(max_size=16 * 1024 * 1024)


def event_chunk(reading_session: ReadingSession, base: str) -> bytes:
    """The VEVENT bytes of a public feed's session (from the cache when unchanged).

    Every change of a row sets its ``updated_at``; the event shows the session,
    its room and its strand, so those three times (and the site address) key it.
    """
    key = digest(
        FEED_FORMAT,
        base,
        reading_session.id,
        reading_session.updated_at,
        reading_session.room.updated_at,
        reading_session.program.updated_at,
    )
    chunk = event_cache.get(key)
    if chunk is None:
        chunk = event_bytes(reading_session, base_url=base)
        event_cache.put(key, chunk)
    return chunk


def feed_url(scope: Scope, *, external: bool = True) -> str:
    """The feed of a scope: a path of its own for one community, room, strand or course,
    else all.ics with the filters."""
    params = scope.params(with_seats=False)
    if len(params) == 1 and "age" not in params:
        ((kind, value),) = params.items()
        argument = "number" if kind == "course" else "slug"
        return _link(f"feeds.{kind}_feed", external, **{argument: value})
    return _link("feeds.all_feed", external, **params)


def _link(endpoint: str, external: bool, **values: Any) -> str:
    return external_url(endpoint, **values) if external else url_for(endpoint, **values)


def feed_name(scope: Scope) -> str:
    """The calendar name a client shows (Chinese, the language of the feeds)."""
    if scope.is_empty:
        return ALL_NAME
    parts = []
    if scope.room is not None:
        parts.append(f"{scope.room.name}（{scope.room.community.name}）")
    elif scope.community is not None:
        parts.append(scope.community.name)
    if scope.room is not None and scope.community not in (None, scope.room.community):
        parts.append(scope.community.name)
    if scope.program is not None:
        parts.append(scope.program.name)
    if scope.course is not None:
        parts.append(scope.course.title)
    if scope.age is not None:
        parts.append(f"适合{scope.age}岁")
    if scope.community is None and scope.room is None:
        parts.append("滨河街道")
    return " · ".join(parts) + " · 阅读活动"


def feed_description(page_url: str) -> str:
    before, ahead = feed_days()
    return (
        "滨河街道社区阅读项目的活动日历，时间均为北京时间。"
        f"包含{before}天前至{ahead}天后的全部活动；已取消的活动仍保留，"
        f"标题前标有{CANCELLED_PREFIX}。详情和报名：{page_url}"
    )


def not_modified(etag: str, last_modified: datetime) -> str | None:
    """The ETag to answer ``304`` with, or ``None`` when the client's copy is not current.

    Flask-Compress sends a gzipped body's ETag as ``<etag>:gzip``; a client
    sends back whichever it got, and both name the same current content.
    """
    if request.if_none_match:
        for candidate in (etag, f"{etag}:gzip"):
            if request.if_none_match.contains(candidate):
                return candidate
        return None
    if not is_resource_modified(request.environ, last_modified=last_modified):
        return etag
    return None


def too_large(count: int, limit: int) -> Response:
    """A feed no calendar app could hold (a whole city): say which feeds to take instead."""
    text = (
        f"这个订阅包含{count}场活动，超过了{limit}场的上限，日历应用无法使用。"
        "请订阅一个社区、一个书房或一个阅读板块的日历。\n"
        f"This feed would hold {count} sessions, more than the {limit} a calendar app can "
        "take: subscribe to one community, book room or strand instead.\n"
    )
    response = Response(text, status=413, mimetype="text/plain")
    response.headers["Cache-Control"] = f"public, max-age={FEED_MAX_AGE}"
    return response


def _feed_for(args: MultiDict[str, str]) -> Response:
    """The feed of the scope that ``args`` name (slugs, an age); 400/404 when they are bad."""
    today = beijing_today()
    try:
        scope, state = current_scope(args, lambda scope: feed_state(scope, today))
    except ParamError as exc:
        abort(exc.status, exc.message)
    limit = current_app.config.get("FEED_MAX_EVENTS")
    if limit and state.count > limit:
        return too_large(state.count, limit)
    base = public_base_url()
    name = feed_name(scope)
    scope_key = sorted(scope.params().items())
    etag = digest(FEED_FORMAT, base, request.path, scope_key, name, feed_days(), state.fingerprint)
    matched = not_modified(etag, state.last_modified)
    if matched is not None:
        return ics_response(b"", last_modified=state.last_modified, etag=matched)  # 304
    body = body_cache.get(etag)
    if body is None:
        page_url = external_url("calendars.index", **scope.params(with_seats=False))
        sessions = sessions_between(scope, *current_feed_window(today))
        chunks = [event_chunk(s, base) for s in sessions]
        body = assemble_calendar(
            chunks, name=name, description=feed_description(page_url), url=page_url
        )
        body_cache.set(etag, body)
    compress_as(etag)
    return ics_response(body, last_modified=state.last_modified, etag=etag)


@bp.get("/feeds/all.ics")
def all_feed():
    """Every session; ``?community=&room=&program=&course=&age=`` narrow it (the calendar's
    filters)."""
    return _feed_for(request.args)


@bp.get("/feeds/community/<slug>.ics")
def community_feed(slug: str):
    return _feed_for(MultiDict({"community": slug}))


@bp.get("/feeds/room/<slug>.ics")
def room_feed(slug: str):
    return _feed_for(MultiDict({"room": slug}))


@bp.get("/feeds/program/<slug>.ics")
def program_feed(slug: str):
    return _feed_for(MultiDict({"program": slug}))


@bp.get("/feeds/course/<number>.ics")
def course_feed(number: str):
    """Every session of a course's runs, in every community (``number``: the course's id;
    checked as the ``course`` parameter is, so that a bad one gets 400 or 404, not a 500)."""
    return _feed_for(MultiDict({"course": number}))


@bp.get("/sessions/<int:session_id>.ics")
def session_ics(session_id: int):
    """One session as a file to open or import (not a subscription: no refresh interval)."""
    reading_session = load_session(session_id)
    event = session_event(reading_session, base_url=public_base_url())
    body = build_calendar([event], name=reading_session.title, subscription=False)
    filename = f"session-{reading_session.id}.ics"
    return ics_response(body, last_modified=modified_at(reading_session), filename=filename)


@bp.get("/feeds/household/<token>.ics")
def household(token: str):
    """A family's private feed of its own registrations (the token is its key)."""
    from .household import household_calendar

    found = household_by_feed_token(token)
    if found is None:
        abort(404)
    return household_calendar(found)
