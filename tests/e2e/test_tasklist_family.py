"""Browser (375 px phone): a guardian ticks two tasks for a child, reloads, prints the list."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from readingroom.extensions import db
from readingroom.tasklists.models import TaskTick
from readingroom.timeutil import beijing_today

from ..conftest import PASSWORD
from ..fixtures_tasklists import children_of, count
from .conftest import screenshot


def _log_in(page, household) -> None:
    page.goto("/family/tasklists/")  # not logged in: the family login, then back here
    page.locator("#mobile").fill(household.mobile)
    page.locator("#password").fill(PASSWORD)
    page.locator("main button[type=submit]").click()
    page.get_by_role("heading", name="家庭阅读任务清单", exact=True).wait_for()


def _tick_count() -> int:
    db.session.commit()  # end the test's read snapshot: see what the server wrote
    return count(TaskTick)


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_guardian_ticks_two_tasks_reloads_and_prints(
    browser, live_server, make, lists, family, javascript
):
    community = make.community(slug="yaozhuang", name="姚庄社区")
    program = make.program(slug="parent-child", name="亲子阅读")
    # started 10 days ago: week 2 has begun, so its task may be ticked (issue 12)
    task_list = lists.task_list(
        community, program=program, starts_on=beijing_today() - timedelta(days=10)
    )
    household = family.household(community, children=(("小明", 6), ("小红", 8)))
    hong = children_of(household)[1]
    first, second = task_list.tasks[0], task_list.tasks[3]

    context = browser.new_context(
        viewport={"width": 375, "height": 740},
        locale="zh-CN",
        base_url=live_server,
        java_script_enabled=javascript,
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        _log_in(page, household)
        page.get_by_role("link", name=task_list.title).click()
        page.get_by_role("link", name="小红").click()  # the second child
        page.get_by_role("heading", name="小红 的进度").wait_for()

        for task in (first, second):
            card = page.locator(f"#task-{task.id}")
            card.get_by_role("button", name="完成了，点这里打勾").click()
            card = page.locator(f"#task-{task.id}")  # replaced in place (JS) or reloaded
            card.get_by_role("button", name="已完成（点按可取消）").wait_for()
        page.get_by_text("已完成 2 / 5 项").wait_for()
        screenshot(page, f"tasklist-family-ticked-{'js' if javascript else 'nojs'}")

        page.reload()
        for task in (first, second):
            assert (
                page.locator(f"#task-{task.id}")
                .get_by_role("button", name="已完成（点按可取消）")
                .is_visible()
            )
        assert page.get_by_text("已完成 2 / 5 项").is_visible()
        assert _tick_count() == 2
        ticked = {t.member_id for t in db.session.scalars(select(TaskTick))}
        assert ticked == {hong.id}

        page.get_by_role("link", name="打印版").click()
        page.get_by_role("heading", name=task_list.title).wait_for()
        assert page.locator(".tl-box.is-ticked").count() == 2
        assert page.locator("svg.qr").is_visible()
        assert "小红" in page.locator(".tl-print-child").inner_text()
        page.emulate_media(media="print")
        assert not page.locator("header.site-header").is_visible()
        screenshot(page, f"tasklist-family-print-{'js' if javascript else 'nojs'}")
    finally:
        context.close()


def test_certificate_prints_on_one_page(page, make, lists, family):
    community = make.community(slug="donghe", name="董河社区")
    task_list = lists.task_list(community)
    household = family.household(community, children=(("小芳", 7),))
    kid = children_of(household)[0]
    for task in task_list.tasks:
        lists.tick(task, kid)
    _log_in(page, household)
    page.goto(f"/family/tasklists/{task_list.id}/children/{kid.id}/certificate")
    page.get_by_role("heading", name="奖状").wait_for()
    assert page.get_by_text("小芳").first.is_visible()
    page.emulate_media(media="print")
    screenshot(page, "tasklist-certificate-print")
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1  # one A4 sheet
