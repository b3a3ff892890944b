"""One structured line per request, with a request id that the error page shows."""

from __future__ import annotations

import json
import logging

import pytest

from readingroom.requestlog import JsonFormatter, RequestIdFilter
from tests.conftest import PASSWORD


@pytest.fixture
def request_lines(caplog):
    caplog.set_level(logging.INFO, logger="readingroom.request")

    def lines():
        return [r for r in caplog.records if r.name == "readingroom.request"]

    return lines


def test_one_line_per_request_with_route_status_and_times(client, request_lines, make):
    reading_session = make.session()
    response = client.get(f"/sessions/{reading_session.id}")
    assert response.status_code == 200
    (line,) = request_lines()
    assert line.route == "/sessions/<int:session_id>" and line.status == 200
    assert line.method == "GET" and line.ms >= line.db_ms >= 0 and line.db_queries >= 1
    assert response.headers["X-Request-Id"] == line.request_id
    assert f"/sessions/{reading_session.id}" not in line.getMessage()  # the rule, not the path


def test_the_request_id_comes_back_and_a_proxys_id_is_kept(client):
    first = client.get("/healthz").headers["X-Request-Id"]
    second = client.get("/healthz").headers["X-Request-Id"]
    assert len(first) == 16 and first != second
    kept = client.get("/healthz", headers={"X-Request-Id": "0123456789abcdef0123"})
    assert kept.headers["X-Request-Id"] == "0123456789abcdef0123"
    forged = client.get("/healthz", headers={"X-Request-Id": "<script>alert(1)</script>"})
    assert "<" not in forged.headers["X-Request-Id"]


def test_no_token_password_or_phone_number_in_the_log(client, family, request_lines, caplog):
    h = family.household()
    client.post("/family/login", data={"mobile": h.mobile, "password": PASSWORD})
    client.get("/cancel/" + "A" * 43)
    client.get("/feeds/household/" + "B" * 43 + ".ics")
    assert len(request_lines()) == 3
    text = caplog.text
    assert PASSWORD not in text and h.mobile not in text
    assert "A" * 43 not in text and "B" * 43 not in text


def test_error_pages_show_the_request_id(client):
    response = client.get("/no-such-page", headers={"X-Request-Id": "family-quotes-this-id"})
    assert response.status_code == 404
    assert "family-quotes-this-id" in response.get_data(as_text=True)
    api = client.get("/api/v1/no-such", headers={"X-Request-Id": "api-quotes-this-id"})
    assert api.status_code == 404 and api.json["error"]["request_id"] == "api-quotes-this-id"


def test_json_lines_carry_the_fields():
    record = logging.LogRecord("readingroom.request", logging.INFO, __file__, 1, "GET /", (), None)
    record.route, record.status, record.ms = "/", 200, 1.5
    RequestIdFilter().filter(record)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["route"] == "/" and entry["status"] == 200 and entry["request_id"] == "-"
    assert entry["level"] == "INFO" and entry["message"] == "GET /"


def test_the_log_sender_cuts_link_tokens_short(app, make, family, caplog):
    from readingroom.notices.operations import deliver_pending
    from readingroom.registrations.operations import sign_up
    from tests.fixtures_families import member_ids

    h = family.household()
    sign_up(make.session().id, h.id, member_ids(h))
    from readingroom.extensions import db

    db.session.commit()
    caplog.set_level(logging.INFO, logger="readingroom.notices.operations")
    assert deliver_pending().sent == 1
    logged = caplog.text
    assert "/cancel/" in logged and "…" in logged
    import re

    assert not re.search(r"/cancel/[A-Za-z0-9_-]{5}", logged)
