"""Security headers on every kind of page; no-store behind logins and on token pages;
feeds and the API keep their caching headers; no inline script or style anywhere."""

from __future__ import annotations

import re

import pytest

from readingroom.extensions import db
from readingroom.families import operations as accounts
from readingroom.registrations import operations as ops
from readingroom.registrations.queries import cancel_token

from .conftest import login
from .fixtures_families import household_login, member_ids


def assert_security_headers(response):
    csp = response.headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"]


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/subscribe",
        "/family/login",
        "/staff/login",
        "/feeds/all.ics",
        "/api/v1/sessions",
        "/nowhere",
        "/static/style.css",
    ],
)
def test_public_responses_carry_the_headers(client, make, path):
    make.session()
    response = client.get(path)
    response.close()
    assert_security_headers(response)
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_feeds_keep_their_caching_headers(client, make):
    make.session()
    feed = client.get("/feeds/all.ics")
    assert feed.headers.get("ETag")
    assert (
        client.get("/feeds/all.ics", headers={"If-None-Match": feed.headers["ETag"]}).status_code
        == 304
    )


def test_pages_behind_a_login_are_not_stored(client, make, family):
    staff = make.staff(make.community())
    login(client, staff)
    for path in ("/staff/", "/", "/subscribe"):
        response = client.get(path)
        assert_security_headers(response)
        assert response.headers["Cache-Control"] == "no-store", path
    household = family.household()
    household_login(client, household)
    response = client.get("/family/")
    assert response.headers["Cache-Control"] == "no-store"


def test_token_pages_send_no_referrer_and_are_not_stored(client, make, family):
    s = make.session(program=make.program(min_age=3, max_age=12))
    household = family.household(s.room.community)
    registration = ops.sign_up(s.id, household.id, member_ids(household)).registration
    db.session.commit()
    staff = make.staff(s.room.community)
    reset = accounts.create_reset_link(household, staff.id)
    db.session.commit()
    for path in (f"/cancel/{cancel_token(registration)}", f"/family/reset/{reset}"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_security_headers(response)
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Cache-Control"] == "no-store"


INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=", re.I)


def test_no_inline_script_or_style_on_any_page(client, demo):
    from sqlalchemy import select

    from readingroom.staff.models import StaffUser

    admin = db.session.scalars(select(StaffUser).where(StaffUser.login == "admin")).one()
    pages = ["/", "/?view=week", "/?view=list", "/subscribe", "/family/login", "/poster"]
    login(client, admin, password="binhe-demo-2026")
    pages += ["/staff/", "/staff/tasklists/", "/staff/users/", "/staff/programs/"]
    for path in pages:
        body = client.get(path).get_data(as_text=True)
        assert not INLINE.search(body), (path, INLINE.search(body))
