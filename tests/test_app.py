"""The application factory, configuration, database connection settings, errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text

from readingroom import create_app
from readingroom.config import _instance_secret_key
from readingroom.database import begin_write, normalise_database_url
from readingroom.extensions import db

# --- configuration: defaults, then instance/config.py, then the environment -------------------

CONFIGURED_HERE = ("SECRET_KEY", "DATABASE_URL", "NOTICE_SENDER", "NOTICE_SMTP_HOST")


@pytest.fixture
def instance(tmp_path, monkeypatch) -> Path:
    """An empty instance folder of the test's own for ``create_app()``, and an environment
    without the settings these tests make."""
    folder = tmp_path / "instance"
    folder.mkdir()
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(folder))
    for key in CONFIGURED_HERE:
        monkeypatch.delenv(key, raising=False)
    return folder


def test_instance_config_overrides_defaults_and_the_environment_overrides_both(
    instance, monkeypatch
):
    (instance / "config.py").write_text(
        'SECRET_KEY = "from-the-instance"\n'
        'NOTICE_SENDER = "smtp"\n'
        'NOTICE_SMTP_HOST = "mail.instance.example"\n'
        'DATABASE_URL = "postgres://reader@db.instance.example/readingroom"\n'
    )
    monkeypatch.setenv("NOTICE_SMTP_HOST", "mail.environment.example")
    monkeypatch.setenv("NOTICE_SENDER", "")  # set but empty: does not count
    app = create_app()
    assert app.instance_path == str(instance)
    assert app.config["SIGNUP_OPENS_DAYS_BEFORE"] == 7  # a default nobody overrides
    assert app.config["NOTICE_SENDER"] == "smtp"  # the instance's, over the default
    assert app.config["NOTICE_SMTP_HOST"] == "mail.environment.example"  # environment wins
    assert app.config["SECRET_KEY"] == "from-the-instance"
    # the instance's DATABASE_URL, as the psycopg 3 URL the engine uses
    assert app.config["SQLALCHEMY_DATABASE_URI"] == (
        "postgresql+psycopg://reader@db.instance.example/readingroom"
    )

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{instance / 'environment.sqlite3'}")
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("/environment.sqlite3")
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert not (instance / "secret_key").exists()  # a key was configured: none generated


def test_a_test_config_leaves_out_the_instance_config_and_the_environment(instance, monkeypatch):
    (instance / "config.py").write_text('NOTICE_SENDER = "smtp"\n')
    monkeypatch.setenv("NOTICE_SMTP_HOST", "mail.environment.example")
    app = create_app(
        {
            "SECRET_KEY": "given",
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "PUBLIC_BASE_URL": "http://localhost",
        }
    )
    assert app.config["NOTICE_SENDER"] == "log"
    assert app.config["NOTICE_SMTP_HOST"] == "localhost"
    assert app.config["SECRET_KEY"] == "given"


def test_without_a_secret_key_one_is_made_once_in_the_instance_folder(instance):
    first = create_app()
    key_file = instance / "secret_key"
    assert key_file.stat().st_mode & 0o777 == 0o600  # readable by the app's user only
    key = key_file.read_text().strip()
    assert len(key) == 64
    assert first.config["SECRET_KEY"] == key
    second = create_app()  # the next start (or another worker) reuses it
    assert second.config["SECRET_KEY"] == key
    assert key_file.read_text().strip() == key
    assert [p.name for p in instance.iterdir()] == ["secret_key"]  # no temporary file left


def test_secret_key_generated_once_into_instance(tmp_path):
    first = _instance_secret_key(tmp_path)
    second = _instance_secret_key(tmp_path)
    assert first == second
    assert len(first) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_url_uses_psycopg3(given, expected):
    assert normalise_database_url(given) == expected


@pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")), reason="SQLite settings")
def test_sqlite_connection_settings(app):
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


@pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")), reason="SQLite settings")
def test_begin_write_takes_the_sqlite_write_lock_at_once(app):
    """BEGIN IMMEDIATE: a second writer cannot start while the first holds the lock."""
    import sqlite3

    begin_write()
    path = db.engine.url.database
    other = sqlite3.connect(path, timeout=0.1, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        other.execute("BEGIN IMMEDIATE")
    db.session.rollback()
    other.execute("BEGIN IMMEDIATE")  # free again once the first transaction ends
    other.execute("ROLLBACK")
    other.close()


def test_begin_write_refuses_pending_changes(app, make):
    make.community()  # flushed
    from readingroom.places.models import Community

    db.session.add(Community(slug="pending", name="待定"))
    with pytest.raises(RuntimeError):
        begin_write()


def test_pages_are_chinese_by_default(client):
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="zh-Hans">' in html
    assert "活动日历" in html


def test_pages_are_english_when_the_browser_asks(client):
    html = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Activity calendar" in html
    assert "活动日历" not in html


def test_chinese_variants_get_chinese(client):
    html = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}).get_data(
        as_text=True
    )
    assert '<html lang="zh-Hans">' in html


def test_footer_switch_remembers_the_language(client):
    response = client.post("/language", data={"lang": "en", "next": "/staff/login"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/login"
    html = client.get("/staff/login", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert '<html lang="en">' in html
    client.post("/language", data={"lang": "zh", "next": "/"})
    html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="zh-Hans">' in html


def test_language_switch_refuses_offsite_next(client):
    response = client.post("/language", data={"lang": "en", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_not_found_page_is_translated(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "找不到页面" in response.get_data(as_text=True)


def test_static_stylesheet_is_served_locally(client):
    html = client.get("/").get_data(as_text=True)
    head = html.split("<body")[0]
    # Link previews name the page and its image by absolute address (Open Graph); they load
    # nothing. Everything the page loads comes from the app itself.
    head = "\n".join(line for line in head.splitlines() if '<meta property="og:' not in line)
    assert "http://" not in head
    assert "https://" not in head
    response = client.get("/static/style.css")
    assert response.status_code == 200
    response.close()


def test_strand_colours_are_served_as_css(client, make):
    make.program(slug="parent-child", colour="#c0392b")
    db.session.commit()
    css = client.get("/strands.css").get_data(as_text=True)
    assert ".strand-parent-child{--strand:#c0392b}" in css
