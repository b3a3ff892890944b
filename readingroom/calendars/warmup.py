"""Warming a fresh worker up before it serves: the code paths, not the data.

A process that has just started pays, on its first feed, for what Python and
SQLAlchemy do once per process: configuring the mappers (about 230 ms with
this many models), compiling the statements, importing what the views import
lazily, compiling templates, opening the database connections and starting
the feed listener. Measured at 1,600 sessions: 239 ms for the first render of
one community's feed right after a start, 31 ms for another community's in a
warm process, against a plain-icalendar floor of 41 ms.

:func:`warm_up` runs, in the worker itself (gunicorn's ``post_worker_init``,
so every worker stays independent and nothing is shared across a fork), the
public requests of the calendar through the test client: one community's
feed (gzip), its month page, the API's month and a session page. The shared
store (Redis) is bypassed while it runs and every in-process cache is
emptied afterwards, so no rendered feed, page, event or answer is left
behind: the first real request still renders everything from the database,
in a process whose code is warm (and whose connections to the database and
to Redis are open). A failure is logged, never fatal.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import configure_mappers

from ..extensions import cache, db
from ..links import public_base_url
from ..places.models import Community, Room
from ..schedule.models import ReadingSession
from ..timeutil import beijing_today
from .cache import clear_all

log = logging.getLogger(__name__)


def warm_up_paths(app: Flask) -> list[str]:
    """The requests that warm the calendar: for the first community that has sessions."""
    with app.app_context():
        row = db.session.execute(
            select(Community.slug, ReadingSession.id)
            .join(Room, Room.community_id == Community.id)
            .join(ReadingSession, ReadingSession.room_id == Room.id)
            .order_by(Community.id)
            .limit(1)
        ).first()
        db.session.remove()
    if row is None:
        return ["/feeds/all.ics", "/"]
    slug, session_id = row
    first = beijing_today().replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return [
        f"/feeds/community/{slug}.ics",
        f"/?community={slug}&view=month",
        f"/api/v1/sessions?community={slug}&start={first}&end={last}",
        f"/sessions/{session_id}",
    ]


def warm_up(app: Flask) -> float:
    """Run the calendar's code paths once in this process; returns the milliseconds taken."""
    started = time.perf_counter()
    cache_type = app.config.get("CACHE_TYPE")
    try:
        configure_mappers()
        with app.app_context():
            base = public_base_url()
            if cache_type != "NullCache":  # open the shared store's connection (Redis)
                cache.get("warm-up")
        app.config["CACHE_TYPE"] = "NullCache"  # read by calendars.cache: no shared store
        client = app.test_client()
        for path in warm_up_paths(app):
            response = client.get(path, base_url=base, headers={"Accept-Encoding": "gzip"})
            response.close()
    except Exception:  # a worker that cannot warm up still serves, only slower at first
        log.warning("warm-up failed", exc_info=True)
    finally:
        app.config["CACHE_TYPE"] = cache_type
        clear_all()  # nothing rendered during the warm-up is served afterwards
    return (time.perf_counter() - started) * 1000
