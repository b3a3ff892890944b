"""The application factory, configuration, database connection settings, errors."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from readingroom import create_app
from readingroom.config import _instance_secret_key
from readingroom.database import begin_write, normalise_database_url
from readingroom.extensions import db


def test_testing_config_applies(app):
    assert app.testing
    assert app.config["SECRET_KEY"] == "test-secret-key"


def test_secret_key_generated_once_into_instance(tmp_path):
    first = _instance_secret_key(tmp_path)
    second = _instance_secret_key(tmp_path)
    assert first == second
    assert len(first) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_environment_overrides_instance_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'env.sqlite3'}")
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("env.sqlite3")


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
