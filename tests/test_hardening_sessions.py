"""Sessions that end: a cookie captured before logout, a password reset, an administrator's
edit or an account deletion no longer logs anyone in (Flask-Login alternative ids)."""

from __future__ import annotations

from flask import Flask

from readingroom.extensions import db
from readingroom.families import operations as accounts

from .conftest import PASSWORD, login
from .fixtures_families import household_login

HOST = "readingroom.test"


def captured(client) -> str:
    cookie = client.get_cookie("session", domain=HOST)
    assert cookie is not None
    return cookie.value


def replay(app: Flask, cookie: str):
    """A fresh browser that presents the captured cookie."""
    other = app.test_client()
    other.set_cookie("session", cookie, domain=HOST)
    return other


def staff_logged_in(client) -> bool:
    return client.get("/staff/").status_code == 200


def family_logged_in(client) -> bool:
    return client.get("/family/").status_code == 200


def test_logout_ends_the_staff_session_a_captured_cookie_included(app, client, make):
    staff = make.staff(make.community())
    login(client, staff)
    cookie = captured(client)
    assert staff_logged_in(replay(app, cookie))
    client.post("/staff/logout")
    assert not staff_logged_in(client)
    assert not staff_logged_in(replay(app, cookie))
    login(client, staff)  # logging in again works
    assert staff_logged_in(client)


def test_logout_ends_the_family_session_a_captured_cookie_included(app, client, family):
    household = family.household()
    household_login(client, household)
    cookie = captured(client)
    assert family_logged_in(replay(app, cookie))
    client.post("/family/logout")
    assert not family_logged_in(replay(app, cookie))


def test_a_password_reset_ends_the_other_sessions(app, client, make, family):
    household = family.household()
    household_login(client, household)
    old = captured(client)
    staff = make.staff(household.community)
    token = accounts.create_reset_link(household, staff.id)
    db.session.commit()
    phone = app.test_client()
    response = phone.post(
        f"/family/reset/{token}",
        data={"password": "一起读绘本的夜晚", "password_again": "一起读绘本的夜晚"},
    )
    assert response.status_code == 302
    assert family_logged_in(phone)  # the one that reset stays in
    assert not family_logged_in(replay(app, old))
    assert not family_logged_in(client)


def test_an_administrators_edit_or_disabling_ends_the_staff_members_sessions(app, client, make):
    community = make.community()
    staff = make.staff(community)
    admin = make.admin()
    login(client, staff)
    cookie = captured(client)
    admin_client = app.test_client()
    login(admin_client, admin)
    form = {
        "login": staff.login,
        "name": "新名字",
        "role": "staff",
        "communities": [community.id],
        "active": "y",
    }
    assert admin_client.post(f"/staff/users/{staff.id}/edit", data=form).status_code == 302
    assert not staff_logged_in(replay(app, cookie))
    login(client, staff)
    cookie = captured(client)
    del form["active"]
    assert admin_client.post(f"/staff/users/{staff.id}/edit", data=form).status_code == 302
    assert not staff_logged_in(replay(app, cookie))
    # the administrator who saved stays logged in, also after editing their own account
    own = {"login": admin.login, "name": "管理员", "role": "admin", "active": "y"}
    assert admin_client.post(f"/staff/users/{admin.id}/edit", data=own).status_code == 302
    assert staff_logged_in(admin_client)


def test_account_deletion_ends_every_session(app, client, family):
    household = family.household()
    household_login(client, household)
    cookie = captured(client)
    other = replay(app, cookie)
    assert client.post("/family/delete", data={"password": PASSWORD}).status_code == 302
    assert not family_logged_in(other)
