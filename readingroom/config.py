"""Configuration: defaults here, then ``instance/config.py``, then the environment."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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
    # A page filtered to one community lists every community in its filter up to this many;
    # beyond (a city), only its own, so that its cost stays in proportion to that community.
    CALENDAR_FILTER_COMMUNITIES = 60

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
    # Family logins (families/ratelimit.py): all attempts per address; failed attempts per
    # number and address (strict); failed attempts per number from addresses that failed
    # before (a high ceiling, so nobody can lock a family out); tell the family after many.
    CHECK_IN_OPENS_MINUTES_BEFORE = 60  # check-in from 1 hour before the start ...
    CHECK_IN_CLOSES_DAYS_AFTER = 0  # ... to the end of the session's (Beijing) day
    HOUSEHOLD_LOGIN_LIMIT_PER_ADDRESS = "20 per minute;200 per day"
    HOUSEHOLD_LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS = "5 per minute;20 per hour"
    HOUSEHOLD_LOGIN_LIMIT_PER_ACCOUNT = "100 per hour;500 per day"
    HOUSEHOLD_LOGIN_ALERT_AFTER = 10  # failed logins at one number within an hour
    HOUSEHOLD_REGISTER_LIMIT = "10 per hour"
    PASSWORD_RESET_HOURS = 48
    # Forgotten password by a 6-digit SMS code (families/reset_codes.py; needs an SMS sender)
    RESET_CODE_MINUTES = 10
    RESET_CODE_TRIES = 5
    RESET_CODE_LIMIT_PER_NUMBER = "3 per hour;6 per day"
    RESET_CODE_LIMIT_PER_ADDRESS = "10 per hour;30 per day"
    RESET_CODE_CHECK_LIMIT = "20 per hour"  # code entries per address
    # Notices: "log" (default), "smtp", or "package.module:factory" (called with the app)
    NOTICE_SENDER = "log"
    NOTICE_DELIVER_INLINE = True  # try to send right after the response; the CLI retries
    NOTICE_MAX_ATTEMPTS = 8
    NOTICE_RETRY_SECONDS = 60  # first retry after this, then doubling (at most 6 hours)
    NOTICE_SMTP_HOST = "localhost"
    NOTICE_SMTP_PORT = 25
    NOTICE_SMTP_USERNAME = ""
    NOTICE_SMTP_PASSWORD = ""
    NOTICE_SMTP_STARTTLS = False
    NOTICE_SMTP_FROM = "readingroom@localhost"
    NOTICE_SMTP_TO = "{mobile}@sms.invalid"  # e.g. an e-mail-to-SMS gateway address
    # Security (README, "Security"): the one address every outgoing link starts with
    # (required in production), the Host names answered (default: PUBLIC_BASE_URL's),
    # cookies over https only (default: when PUBLIC_BASE_URL is https), and how many
    # front proxies set X-Forwarded-For / -Proto / -Host (werkzeug's ProxyFix; 0: none).
    PUBLIC_BASE_URL = ""
    TRUSTED_HOSTS: list[str] | None = None
    SESSION_COOKIE_SECURE: bool | None = None
    REMEMBER_COOKIE_SECURE: bool | None = None
    PROXY_FIX_COUNT = 0
    # Alibaba Cloud SMS (NOTICE_SENDER = "aliyun", notices/aliyun.py): every ALIYUN_SMS_* key
    # is also read from the environment, the template codes ALIYUN_SMS_TEMPLATE_<KIND> too.
    ALIYUN_SMS_ENDPOINT = "dysmsapi.aliyuncs.com"
    ALIYUN_SMS_PROTOCOL = "https"

    # The worker (`flask --app readingroom worker`, readingroom/ops): what runs on a clock
    WORKER_DELIVER_SECONDS = 10  # look for due notices this often
    WORKER_REMINDER_HOUR = 10  # Beijing hour from which the day-before reminders go out
    WORKER_PURGE_HOUR = 3  # Beijing hour of the nightly retention purge
    RETENTION_MONTHS = 12  # personal data of registrations older than this is purged

    # Logs (readingroom/requestlog.py): one line per request, "text" or "json"
    LOG_FORMAT = "text"
    LOG_REQUESTS = True


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
    "TRUSTED_HOSTS",
    "SESSION_COOKIE_SECURE",
    "REMEMBER_COOKIE_SECURE",
    "PROXY_FIX_COUNT",
    "LOG_FORMAT",
)
# Families of keys read from the environment as they are (the SMS sender's template codes).
ENVIRONMENT_PREFIXES = ("ALIYUN_SMS_",)


LOOPBACK_HOSTS = ("localhost", "127.0.0.1")


class ConfigurationError(RuntimeError):
    """The configuration cannot run safely; the message says what to set."""


def load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    app.config.from_object(DefaultConfig)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        for key in ENVIRONMENT_KEYS:
            if os.environ.get(key):
                app.config[key] = os.environ[key]
        for key, value in os.environ.items():
            if key.startswith(ENVIRONMENT_PREFIXES) and value:
                app.config[key] = value
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

    _security_settings(app)


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def _security_settings(app: Flask) -> None:
    """PUBLIC_BASE_URL, TRUSTED_HOSTS, secure cookies, the proxy count (see DefaultConfig)."""
    base = str(app.config.get("PUBLIC_BASE_URL") or "").strip().rstrip("/")
    if base:
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigurationError(
                f"PUBLIC_BASE_URL must be an http(s) address such as "
                f"https://reading.binhe.example, not {base!r}"
            )
    elif not app.debug and not app.testing:
        raise ConfigurationError(
            "PUBLIC_BASE_URL is not set. Links in notices, feeds, QR codes and posters are "
            "built from it (never from the request's Host header): set it to the site's "
            "public address, e.g. PUBLIC_BASE_URL=https://reading.binhe.example "
            "(environment or instance/config.py)."
        )
    app.config["PUBLIC_BASE_URL"] = base

    hosts = app.config.get("TRUSTED_HOSTS")
    if isinstance(hosts, str):
        hosts = [h.strip() for h in hosts.split(",") if h.strip()]
    if not hosts and base:
        # The public host, and this machine's own names (a front proxy's health check, a
        # local test): links never come from the Host header anyway (links.py).
        hosts = [
            urlsplit(base).hostname,
            *(h for h in LOOPBACK_HOSTS if h != urlsplit(base).hostname),
        ]
    app.config["TRUSTED_HOSTS"] = hosts or None

    https = base.startswith("https://")
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        value = app.config.get(key)
        app.config[key] = https if value is None or value == "" else _flag(value)
    app.config["PROXY_FIX_COUNT"] = int(app.config.get("PROXY_FIX_COUNT") or 0)


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
