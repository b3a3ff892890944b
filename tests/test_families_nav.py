"""The main navigation of a logged-in family: its sessions, its family page, its reading tasks."""

from __future__ import annotations

import re

from .conftest import login
from .fixtures_families import household_login

NAV = re.compile(r'<nav class="main-nav"[^>]*>(.*?)</nav>', re.S)


def nav_of(client, path: str = "/") -> str:
    return NAV.search(client.get(path).get_data(as_text=True)).group(1)


def test_a_family_sees_its_sessions_family_and_reading_tasks(client, make, family):
    household_login(client, family.household(make.community()))
    nav = nav_of(client)
    for href, label in (
        ("/family/sessions", "我的活动"),
        ("/family/", "我的家庭"),
        ("/family/tasklists/", "阅读任务"),
    ):
        assert f'<a href="{href}">{label}</a>' in nav
    assert "家庭登录" not in nav
    assert client.get("/family/tasklists/").status_code == 200


def test_the_link_is_translated(client, make, family):
    household_login(client, family.household(make.community()))
    client.post("/language", data={"lang": "en", "next": "/"})
    assert '<a href="/family/tasklists/">Reading tasks</a>' in nav_of(client)


def test_visitors_and_staff_see_no_family_links(client, make):
    nav = nav_of(client)
    assert "/family/tasklists/" not in nav and "家庭登录" in nav
    login(client, make.staff(make.community()))
    nav = nav_of(client)
    assert "/family/tasklists/" not in nav and "/family/sessions" not in nav
