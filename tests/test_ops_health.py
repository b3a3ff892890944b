"""/healthz and /readyz: what a load balancer and systemd ask."""

from __future__ import annotations

import pytest
from flask_migrate import stamp
from sqlalchemy import text

from readingroom.extensions import db


def test_healthz_answers_without_the_database(app, client, monkeypatch):
    def no_database(*_a, **_kw):
        raise AssertionError("healthz must not touch the database")

    monkeypatch.setattr(db.engine, "connect", no_database)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_is_ready_at_the_head_revision(app, client):
    stamp()  # the test schema is built by create_all: it stands for head
    response = client.get("/readyz")
    assert response.status_code == 200, response.json
    assert response.json == {"status": "ready"}


def test_readyz_is_not_ready_behind_the_migrations(app, client):
    stamp()
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'a4298736621e'"))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json == {"status": "not ready", "failing": ["migrations"]}


def test_readyz_is_not_ready_on_a_database_never_migrated(app, client):
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["failing"] == ["migrations"]


def test_readyz_turns_not_ready_when_the_database_goes_and_ready_when_it_is_back(
    app, client, monkeypatch
):
    from sqlalchemy.exc import OperationalError

    stamp()
    real_connect = db.engine.connect

    def unreachable(*_a, **_kw):
        raise OperationalError("connect", {}, ConnectionRefusedError("connection refused"))

    monkeypatch.setattr(db.engine, "connect", unreachable)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json == {"status": "not ready", "failing": ["database"]}
    assert "refused" not in response.get_data(as_text=True)  # no details for the outside
    monkeypatch.setattr(db.engine, "connect", real_connect)
    assert client.get("/readyz").status_code == 200


@pytest.mark.parametrize("app_config", [{"REDIS_URL": "redis://127.0.0.1:1/6"}])
def test_readyz_reports_redis_when_configured_and_down(app, client):
    stamp()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["failing"] == ["redis"]


@pytest.mark.parametrize("app_config", [{"REDIS_URL": "redis://127.0.0.1:6379/6"}])
def test_readyz_with_redis_answering(app, client):
    import redis

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/6", socket_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    stamp()
    assert client.get("/readyz").status_code == 200


@pytest.mark.parametrize(
    "app_config", [{"RATELIMIT_ENABLED": True, "RATELIMIT_DEFAULT": "2 per minute"}]
)
def test_health_endpoints_are_not_rate_limited(app, client):
    stamp()
    assert [client.get("/subscribe").status_code for _ in range(3)][-1] == 429  # limits on
    for _ in range(30):
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200


def test_health_endpoints_say_nothing_about_versions(app, client):
    stamp()
    for path in ("/healthz", "/readyz"):
        body = client.get(path).get_data(as_text=True)
        assert "revision" not in body and "version" not in body and "461391c28bce" not in body
