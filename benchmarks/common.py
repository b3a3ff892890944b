"""What the benchmarks share: the app configured as they measure it.

Outside debug and tests the app refuses to start without PUBLIC_BASE_URL (links are built
from it, and it sets the trusted host): the in-process benchmarks answer as
``http://bench.local`` (the test client's SERVER_NAME); gunicorn (benchmarks/wsgi.py) as
the loopback address it is bound to.
"""

from __future__ import annotations

from flask import Flask

from readingroom import create_app

BENCH_BASE_URL = "http://bench.local"


def bench_app(uri: str, base_url: str = BENCH_BASE_URL, **config: object) -> Flask:
    """The app on the database ``uri``, with ``config`` on top of the benchmarks' settings."""
    settings: dict[str, object] = {
        "SQLALCHEMY_DATABASE_URI": uri,
        "SECRET_KEY": "benchmark",
        "PUBLIC_BASE_URL": base_url,
        "SERVER_NAME": base_url.split("://", 1)[1],
    }
    return create_app(settings | config)


def with_ping(app: Flask, path: str = "/_bench/ping") -> Flask:
    """Add the trivial endpoint (returns "ok"): the cost of Flask itself, every figure's unit."""
    app.add_url_rule(path, "bench_ping", lambda: "ok")
    return app
