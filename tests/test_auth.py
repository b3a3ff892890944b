"""Staff login, logout, redirects, rate limits, CSRF on every form."""

from __future__ import annotations

import pytest
from werkzeug.security import check_password_hash

from readingroom.extensions import db
from readingroom.staff.operations import create_staff

from .conftest import PASSWORD, login


def test_login_and_logout(client, make):
    staff = make.staff(make.community())
    response = login(client, staff)
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200
    assert client.post("/staff/logout").status_code == 302
    assert client.get("/staff/").status_code == 302


def test_wrong_password_is_refused_with_a_message(client, make):
    staff = make.staff(make.community())
    response = login(client, staff, password="wrong password")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "登录名或密码不正确" in html
    assert f'value="{staff.login}"' in html
    assert client.get("/staff/").status_code == 302


def test_unknown_login_gets_the_same_message(client):
    html = client.post("/staff/login", data={"login": "nobody", "password": "x" * 10}).get_data(
        as_text=True
    )
    assert "登录名或密码不正确" in html


def assert_logged_out(client) -> None:
    """No user in the session cookie, and a staff page sends to the login page."""
    with client.session_transaction() as cookie:
        assert "_user_id" not in cookie
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/login")


def test_inactive_staff_cannot_log_in(client, make):
    staff = make.staff(make.community())
    staff.active = False
    response = login(client, staff)
    assert response.status_code == 200
    # the wrong-password message: nothing tells that the login exists
    assert "登录名或密码不正确" in response.get_data(as_text=True)
    assert_logged_out(client)


def test_staff_deactivated_while_logged_in_are_logged_out_at_the_next_request(client, make):
    staff = make.staff(make.community())
    assert login(client, staff).status_code == 302
    assert client.get("/staff/").status_code == 200
    staff.active = False
    db.session.commit()
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/login")


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/staff/rooms/", "/staff/rooms/"),
        ("https://evil.example/", "/staff/"),
        ("//evil.example/", "/staff/"),
        ("/\\evil.example", "/staff/"),
    ],
)
def test_login_next_stays_on_site(client, make, next_url, expected):
    staff = make.staff(make.community())
    db.session.commit()
    response = client.post(
        "/staff/login", data={"login": staff.login, "password": PASSWORD, "next": next_url}
    )
    assert response.headers["Location"] == expected


def test_passwords_are_hashed(app):
    user = create_staff("hashcheck", "检查", "a long enough password")
    assert user.password_hash != "a long enough password"
    assert check_password_hash(user.password_hash, "a long enough password")


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": True, "STAFF_LOGIN_LIMIT": "3 per minute"}


def test_login_is_rate_limited(client):
    for _ in range(3):
        client.post("/staff/login", data={"login": "a", "password": "b" * 8})
    response = client.post("/staff/login", data={"login": "a", "password": "b" * 8})
    assert response.status_code == 429
    assert "尝试次数过多" in response.get_data(as_text=True)
