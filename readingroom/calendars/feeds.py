"""Calendar feeds over HTTP: ``text/calendar`` responses with ETag/Last-Modified and 304.

:func:`ics_response` is shared with the sign-ups domain (the household feed).
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask import Response, request

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
