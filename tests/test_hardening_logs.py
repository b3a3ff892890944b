"""Tokens do not reach logs: the `log` notice sender and gunicorn's access log (the
project's gunicorn.conf.py) cut them; several workers without Redis is a start-up warning."""

from __future__ import annotations

import pytest
import requests

from readingroom.extensions import db
from readingroom.notices import operations as notices
from readingroom.registrations import operations as ops
from readingroom.registrations.queries import cancel_token
from readingroom.security import redact_tokens

from .fixtures_families import member_ids
from .servers import gunicorn

TOKEN = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde"


@pytest.mark.parametrize(
    "line",
    [
        f"GET /cancel/{TOKEN} HTTP/1.1",
        f"http://x/feeds/household/{TOKEN}.ics",
        f"POST /family/reset/{TOKEN}?a=1",
    ],
)
def test_redact_tokens(line):
    assert TOKEN not in redact_tokens(line)
    assert "…" in redact_tokens(line)


def test_the_log_sender_writes_links_without_their_tokens(app, make, family, caplog):
    s = make.session(program=make.program(min_age=3, max_age=12))
    household = family.household(s.room.community)
    registration = ops.sign_up(s.id, household.id, member_ids(household)).registration
    db.session.commit()
    token = cancel_token(registration)
    caplog.set_level("INFO", logger="readingroom.notices.operations")
    app.extensions.pop("notice_sender", None)  # the default: log
    notices.deliver_pending()
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "/cancel/…" in logged
    assert token not in logged


@pytest.mark.slow
def test_gunicorn_access_log_cuts_tokens_and_warns_of_unshared_limits(tmp_path):
    config = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'logs.sqlite3'}",
        "SECRET_KEY": "logs-test",
    }
    from readingroom import create_app

    seeded = create_app({**config, "TESTING": True})
    with seeded.app_context():
        db.create_all()
        db.engine.dispose()
    with gunicorn(config, tmp_path, workers=2, threads=1, ready="/family/login") as base:
        assert requests.get(f"{base}/cancel/{TOKEN}", timeout=10).status_code == 404
        assert requests.get(f"{base}/feeds/household/{TOKEN}.ics", timeout=10).status_code == 404
    log = (tmp_path / "gunicorn.log").read_text()
    assert "/cancel/…" in log and "/feeds/household/…" in log
    assert TOKEN not in log
    assert "REDIS_URL" in log  # the warning about per-worker limits
