"""The administrator's screens: staff accounts and strands; community staff get 403."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from readingroom.extensions import db
from readingroom.schedule.models import Program
from readingroom.staff.models import Role, StaffUser

from .conftest import login


@pytest.fixture
def admin_client(client, make):
    login(client, make.admin())
    return client


def test_community_staff_cannot_open_admin_screens(client, make):
    login(client, make.staff(make.community()))
    for url in ("/staff/users/", "/staff/users/new", "/staff/programs/", "/staff/programs/new"):
        assert client.get(url).status_code == 403, url
    assert client.post("/staff/programs/new", data={"name": "x"}).status_code == 403


def test_admin_creates_and_edits_a_staff_account(admin_client, make):
    community = make.community(name="孙庄社区")
    response = admin_client.post(
        "/staff/users/new",
        data={
            "login": "chen",
            "name": "陈老师",
            "role": "staff",
            "communities": [community.id],
            "active": "y",
            "password": "a good long password",
        },
    )
    assert response.status_code == 302
    user = db.session.scalars(select(StaffUser).where(StaffUser.login == "chen")).one()
    assert user.role is Role.STAFF
    assert [c.id for c in user.communities] == [community.id]
    assert user.check_password("a good long password")
    admin_client.post(
        f"/staff/users/{user.id}/edit",
        data={
            "login": "chen",
            "name": "陈静",
            "role": "staff",
            "communities": [community.id],
            "password": "",
        },
    )
    db.session.refresh(user)
    assert user.name == "陈静"
    assert not user.active  # unchecked box
    assert user.check_password("a good long password")  # empty password keeps the old one


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"password": ""}, "password", "请为新账户设置密码"),
        ({"password": "short"}, "password", "至少需要 8 个字符"),
        ({"communities": []}, "communities", "请至少选择一个社区"),
        ({"login": "has space"}, "login", "字母、数字"),
    ],
)
def test_bad_staff_account_input(admin_client, make, overrides, field, message):
    community = make.community()
    data = {
        "login": "newuser",
        "name": "新人",
        "role": "staff",
        "communities": [community.id],
        "password": "long enough password",
    }
    data.update(overrides)
    html = admin_client.post("/staff/users/new", data=data).get_data(as_text=True)
    assert message in html.split(f'id="{field}-error">')[1].split("</p>")[0]
    assert (
        db.session.scalars(select(StaffUser).where(StaffUser.login == data["login"])).first()
        is None
    )


def test_admin_cannot_lock_themselves_out(client, make):
    admin = make.admin()
    login(client, admin)
    html = client.post(
        f"/staff/users/{admin.id}/edit",
        data={
            "login": admin.login,
            "name": admin.name,
            "role": "staff",
            "communities": [make.community().id],
        },
    ).get_data(as_text=True)
    assert "不能取消您自己的管理员权限" in html
    db.session.refresh(admin)
    assert admin.role is Role.ADMIN


def test_admin_manages_strands(admin_client):
    response = admin_client.post(
        "/staff/programs/new",
        data={
            "name": "亲子阅读",
            "name_en": "Parent–child reading",
            "slug": "parent-child",
            "colour": "#C0392B",
            "min_age": "3",
            "max_age": "12",
            "adult_required": "y",
            "active": "y",
        },
    )
    assert response.status_code == 302
    program = db.session.scalars(select(Program)).one()
    assert (program.min_age, program.max_age, program.adult_required) == (3, 12, True)
    assert program.colour == "#c0392b"
    html = admin_client.post(
        f"/staff/programs/{program.id}/edit",
        data={
            "name": "亲子阅读",
            "slug": "parent-child",
            "colour": "#c0392b",
            "min_age": "12",
            "max_age": "3",
        },
    ).get_data(as_text=True)
    assert "最大年龄不能小于最小年龄" in html
    db.session.refresh(program)
    assert program.min_age == 3
    listing = admin_client.get("/staff/programs/").get_data(as_text=True)
    assert "3–12 岁" in listing and "需成人陪同" in listing
