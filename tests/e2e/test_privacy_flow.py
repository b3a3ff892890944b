"""A guardian on a phone: the navigation fits, reads and downloads the family's data,
then deletes the account; the family waiting behind moves up."""

from __future__ import annotations

import json
from pathlib import Path

from readingroom.extensions import db
from readingroom.registrations import operations as ops
from readingroom.registrations import queries
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, screenshot
from tests.fixtures_families import member_ids


def test_guardian_downloads_the_data_and_deletes_the_account(page, make, family, lists):
    community = make.community(slug="donghe", name="董河社区")
    program = make.program(slug="parent-child", name="亲子阅读", min_age=3, max_age=12)
    s = make.session(make.room(community), program=program, capacity=2, title="绘本共读")
    lists.task_list(community, program=program)
    leaving = family.household(community, name="赵女士", children=(("甜甜", 7),))
    waiting = family.household(community, name="孙女士", children=(("豆豆", 4),))
    for h in (leaving, waiting):
        ops.sign_up(s.id, h.id, member_ids(h))
        db.session.commit()

    page.goto("/family/login")
    page.fill("#mobile", leaving.mobile)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="登录").click()

    # 1. the navigation keeps its five links inside a 375 px screen
    nav = page.locator("nav.main-nav")
    links = nav.locator("a")
    assert links.count() == 5
    for i in range(links.count()):
        box = links.nth(i).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert box["height"] >= 44
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "privacy-01-family-page-nav")
    nav.get_by_role("link", name="阅读任务").click()
    assert page.get_by_text("甜甜").first.is_visible()
    nav.get_by_role("link", name="我的家庭").click()

    # 2. our data: a readable page and a JSON file
    page.get_by_role("link", name="下载我家的数据").click()
    assert page.get_by_role("heading", name="我家的数据").is_visible()
    assert page.get_by_text("绘本共读").first.is_visible()
    screenshot(page, "privacy-02-our-data")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载为文件（JSON）").click()
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert data["household"]["mobile"] == leaving.mobile
    assert [r["session"]["title"] for r in data["registrations"]] == ["绘本共读"]

    # 3. deleting: the page says what happens; a wrong password changes nothing
    page.get_by_role("link", name="注销家庭账户").click()
    assert page.get_by_text("以下报名会立即取消").is_visible()
    page.fill("#password", "not the password")
    page.get_by_role("button", name="注销家庭账户").click()
    assert page.get_by_text("密码不对，没有删除任何内容").is_visible()
    screenshot(page, "privacy-03-delete-wrong-password")
    db.session.rollback()
    assert queries.live_registration(s.id, leaving.id).is_confirmed

    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="注销家庭账户").click()
    assert page.get_by_text("您的家庭账户和个人信息已删除").is_visible()
    assert page.locator("nav.main-nav").get_by_text("家庭登录").is_visible()  # logged out
    screenshot(page, "privacy-04-deleted")

    # 4. the waiting family has the seats now
    db.session.rollback()
    assert queries.live_registration(s.id, waiting.id).is_confirmed
