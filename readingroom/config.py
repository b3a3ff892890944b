"""Configuration: defaults here, then ``instance/config.py``, then the environment."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

from .database import engine_options, normalise_database_url


class DefaultConfig:
    # Language and time
    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"

    # Sessions and cookies
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # a form left open on a phone must still submit

    # Rate limits (Flask-Limiter): memory unless RATELIMIT_STORAGE_URI / REDIS_URL is set
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    STAFF_LOGIN_LIMIT = "10 per minute;50 per hour"

    # Calendars: the domain part of every event UID; fixed for the life of the data.
    ICAL_UID_DOMAIN = "readingroom.binhe.dingtao"
    # PostgreSQL: each process listens for the database's change notifications and answers
    # feed requests and 304s without a query while nothing changed (calendars/changes.py).
    FEED_LISTEN = True
    # Feeds carry sessions from this many days before today to this many after (13 months).
    FEED_DAYS_BEFORE = 90
    FEED_DAYS_AHEAD = 396
    # A feed with more sessions than this (a whole city's) answers 413 and names the
    # feeds to take instead: no calendar app holds it, and rendering it would not fit
    # a worker's memory. None: no limit.
    FEED_MAX_EVENTS = 20_000

    # Rendered feeds, pages and API answers (calendars/cache.py): each process keeps its
    # own; with REDIS_URL (or CACHE_REDIS_URL) they are shared through Redis (Flask-Caching).
    CACHE_TYPE = "NullCache"
    CACHE_NO_NULL_WARNING = True  # NullCache is the per-process mode, not a mistake
    CACHE_KEY_PREFIX = "readingroom:"
    CACHE_DEFAULT_TIMEOUT = 24 * 3600  # keys are content digests: the timeout only frees Redis
    # Responses gzip-compressed by the app (Flask-Compress); compressed bytes are cached.
    COMPRESS_ALGORITHM = "gzip"
    COMPRESS_MIMETYPES = ("text/html", "text/calendar", "application/json")
    COMPRESS_STREAMS = False  # static files (small, cached by browsers) are sent as they are
    COMPRESS_LEVEL = 6
    COMPRESS_MIN_SIZE = 500

    SQLALCHEMY_RECORD_QUERIES = False

    # Sign-ups (readingroom/signups): registration window, no-show rule, accounts, notices
    SIGNUP_OPENS_DAYS_BEFORE = 7
    SIGNUP_CLOSES_HOURS_BEFORE = 2
    NOSHOW_LIMIT = 3  # no-shows ...
    NOSHOW_WINDOW_DAYS = 60  # ... within this many days ...
    NOSHOW_BLOCK_DAYS = 30  # ... block new registrations for this many days
    HOUSEHOLD_LOGIN_LIMIT_PER_ADDRESS = "20 per minute;200 per day"
    HOUSEHOLD_LOGIN_LIMIT_PER_ACCOUNT = "5 per minute;20 per hour"  # failed attempts
    HOUSEHOLD_REGISTER_LIMIT = "10 per hour"
    PASSWORD_RESET_HOURS = 48
    # Notices: "log" (default), "smtp", or "package.module:factory" (called with the app)
    NOTICE_SENDER = "log"
    NOTICE_DELIVER_INLINE = True  # try to send right after the response; the CLI retries
    NOTICE_MAX_ATTEMPTS = 8
    NOTICE_SMTP_HOST = "localhost"
    NOTICE_SMTP_PORT = 25
    NOTICE_SMTP_USERNAME = ""
    NOTICE_SMTP_PASSWORD = ""
    NOTICE_SMTP_STARTTLS = False
    NOTICE_SMTP_FROM = "readingroom@localhost"
    NOTICE_SMTP_TO = "{mobile}@sms.invalid"  # e.g. an e-mail-to-SMS gateway address
    PUBLIC_BASE_URL = ""  # for links in notices sent outside a request (CLI)


ENVIRONMENT_KEYS = (
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "CACHE_REDIS_URL",
    "RATELIMIT_STORAGE_URI",
    "SERVER_NAME",
    "PREFERRED_URL_SCHEME",
    "ICAL_UID_DOMAIN",
    "NOTICE_SENDER",
    "NOTICE_SMTP_HOST",
    "NOTICE_SMTP_PORT",
    "NOTICE_SMTP_USERNAME",
    "NOTICE_SMTP_PASSWORD",
    "NOTICE_SMTP_FROM",
    "NOTICE_SMTP_TO",
    "PUBLIC_BASE_URL",
)


def load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    app.config.from_object(DefaultConfig)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        for key in ENVIRONMENT_KEYS:
            if os.environ.get(key):
                app.config[key] = os.environ[key]
    else:
        app.config.from_mapping(test_config)

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(Path(app.instance_path))

    uri = app.config.get("SQLALCHEMY_DATABASE_URI") or app.config.get("DATABASE_URL")
    if not uri:
        uri = "sqlite:///" + str(Path(app.instance_path) / "readingroom.sqlite3")
    uri = normalise_database_url(uri)
    app.config["SQLALCHEMY_DATABASE_URI"] = uri
    options = engine_options(uri)
    options.update(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options

    if app.config.get("REDIS_URL") and app.config["RATELIMIT_STORAGE_URI"] == "memory://":
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
    redis_url = app.config.get("CACHE_REDIS_URL") or app.config.get("REDIS_URL")
    if redis_url and app.config["CACHE_TYPE"] == "NullCache":
        app.config["CACHE_TYPE"] = "RedisCache"
        app.config["CACHE_REDIS_URL"] = redis_url


def _instance_secret_key(instance: Path) -> str:
    """The secret key kept in ``instance/secret_key``, generated once on first start."""
    path = instance / "secret_key"
    if not path.exists():
        tmp = instance / f".secret_key.{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            # link() is atomic and refuses to overwrite: when several workers
            # start at once, exactly one key wins and every worker reads it.
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()
