"""Links that leave the site come from PUBLIC_BASE_URL, never from the request's Host;
TRUSTED_HOSTS refuses other hosts; production refuses to start without the address."""

from __future__ import annotations

import pytest

from readingroom import create_app
from readingroom.config import ConfigurationError
from readingroom.extensions import db
from readingroom.registrations import operations as ops
from readingroom.registrations.queries import cancel_token

from .conftest import base_config
from .fixtures_families import member_ids

EVIL = "evil.example"


class Recorder:
    def __init__(self):
        self.sent = []

    def send(self, message):
        self.sent.append(message)


@pytest.fixture
def app_config():
    # Let the forged Host through Flask's own check, to show the links ignore it anyway.
    return {"TRUSTED_HOSTS": ["readingroom.test", EVIL]}


def test_a_forged_host_never_reaches_a_promoted_familys_notice(app, client, make, family):
    s = make.session(capacity=2, program=make.program(min_age=3, max_age=12))
    first = family.household(s.room.community, children=(("小明", 6),), adults=("妈妈",))
    waiting = family.household(s.room.community, children=(("小红", 6),), adults=("爸爸",))
    taken = ops.sign_up(s.id, first.id, member_ids(first)).registration
    db.session.commit()
    ops.sign_up(s.id, waiting.id, member_ids(waiting))
    db.session.commit()
    token = cancel_token(taken)
    assert token, "the confirmed registration has a cancellation link"
    recorder = app.extensions["notice_sender"] = Recorder()
    response = client.post(f"/cancel/{token}", headers={"Host": EVIL})
    assert response.status_code == 302
    response.close()
    bodies = [m.body for m in recorder.sent]
    assert bodies, "the promoted family was told"
    assert all(EVIL not in body for body in bodies)
    assert any("http://readingroom.test/cancel/" in body for body in bodies)


@pytest.mark.parametrize(
    "path",
    ["/feeds/all.ics", "/api/v1/sessions", "/subscribe", "/"],
)
def test_feeds_pages_and_api_link_to_the_public_address(client, make, path):
    make.session()
    body = client.get(path, headers={"Host": EVIL}).get_data(as_text=True)
    assert EVIL not in body


def test_requests_for_other_hosts_get_400(tmp_path):
    config = base_config(f"sqlite:///{tmp_path / 'h.sqlite3'}")
    config.pop("SERVER_NAME")
    app = create_app(config)
    assert app.config["TRUSTED_HOSTS"][0] == "readingroom.test"
    assert "evil.example" not in app.config["TRUSTED_HOSTS"]
    client = app.test_client()
    assert client.get("/family/privacy", headers={"Host": EVIL}).status_code == 400
    assert client.get("/family/privacy", headers={"Host": "readingroom.test"}).status_code == 200


def test_trusted_hosts_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'e.sqlite3'}")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://reading.binhe.example/")
    monkeypatch.setenv("TRUSTED_HOSTS", "reading.binhe.example, 10.0.0.5")
    app = create_app()
    assert app.config["PUBLIC_BASE_URL"] == "https://reading.binhe.example"
    assert app.config["TRUSTED_HOSTS"] == ["reading.binhe.example", "10.0.0.5"]
    # https: cookies are sent over https only, unless the environment says otherwise
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "0")
    assert create_app().config["SESSION_COOKIE_SECURE"] is False


def test_plain_http_base_url_leaves_cookies_usable_over_http(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'e.sqlite3'}")
    monkeypatch.setenv("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    assert create_app().config["SESSION_COOKIE_SECURE"] is False
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "true")
    assert create_app().config["SESSION_COOKIE_SECURE"] is True


def test_production_start_without_public_base_url_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.sqlite3'}")
    monkeypatch.delenv("PUBLIC_BASE_URL")
    with pytest.raises(ConfigurationError, match="PUBLIC_BASE_URL"):
        create_app()
    monkeypatch.setenv("PUBLIC_BASE_URL", "reading.binhe.example")
    with pytest.raises(ConfigurationError, match="http"):
        create_app()
