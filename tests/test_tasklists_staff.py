"""Staff screens for task lists over HTTP: create, edit, publish, archive, tasks, copy, print."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from readingroom.extensions import db
from readingroom.tasklists.figures import list_figures
from readingroom.tasklists.models import ListStatus, Task, TaskKind, TaskList, TaskTick
from readingroom.timeutil import beijing_today
from tests.conftest import login
from tests.fixtures_families import household_login
from tests.fixtures_tasklists import children_of, count, html

URL = "/staff/tasklists"


def list_form(program_, communities_=(), **overrides):
    start = beijing_today()
    data = {
        "title": "暑假家庭阅读任务清单",
        "program": str(program_.id),
        "communities": [str(c.id) for c in communities_],
        "starts_on": start.isoformat(),
        "ends_on": (start + timedelta(weeks=6, days=-1)).isoformat(),
        "description": "每天读一本书。",
    }
    data.update(overrides)
    return data


def task_form(**overrides):
    data = {"title": "读一本绘本", "kind": "read_together", "week": "1", "description": ""}
    data.update(overrides)
    return data


# --- access ----------------------------------------------------------------------------------


def test_pages_need_a_staff_login(client, lists, family):
    task_list = lists.task_list()
    response = client.get(f"{URL}/{task_list.id}")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
    household_login(client, family.household(task_list.communities[0]))
    assert client.get(f"{URL}/").status_code == 403
    assert client.get(f"{URL}/{task_list.id}").status_code == 403


def test_staff_see_only_lists_that_concern_their_communities(client, make, lists):
    a, b = make.community(), make.community()
    own = lists.task_list(a, title="姚庄的清单")
    everyone = lists.task_list(all_communities=True, title="全街道的清单")
    other = lists.task_list(b, title="孙庄的清单")
    login(client, make.staff(a))
    page = html(client.get(f"{URL}/"))
    assert own.title in page and everyone.title in page and other.title not in page
    assert client.get(f"{URL}/{other.id}").status_code == 403
    assert client.get(f"{URL}/{other.id}/figures").status_code == 403
    assert client.get(f"{URL}/{other.id}/figures.csv").status_code == 403
    assert client.get(f"{URL}/{other.id}/print").status_code == 403
    assert client.get(f"{URL}/99999").status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/edit"),
        ("post", "/edit"),
        ("post", "/publish"),
        ("post", "/archive"),
        ("get", "/tasks/new"),
        ("post", "/tasks/new"),
        ("post", "/tasks/{task}/remove"),
        ("post", "/tasks/{task}/move"),
        ("get", "/tasks/{task}/edit"),
    ],
)
def test_only_the_administrator_changes_a_list_for_all_communities(
    client, make, lists, method, path
):
    a = make.community()
    task_list = lists.task_list(all_communities=True, status=ListStatus.DRAFT)
    target = URL + f"/{task_list.id}" + path.format(task=task_list.tasks[0].id)
    login(client, make.staff(a))
    assert client.get(f"{URL}/{task_list.id}").status_code == 200  # may look
    assert getattr(client, method)(target, data={"direction": "up"}).status_code == 403
    db.session.expire_all()
    assert task_list.status is ListStatus.DRAFT
    assert len(task_list.counting_tasks) == len(task_list.tasks)


def test_state_changes_are_post_only(client, make, lists):
    task_list = lists.task_list(status=ListStatus.DRAFT)
    login(client, make.admin())
    for action in ("publish", "archive", f"tasks/{task_list.tasks[0].id}/remove"):
        assert client.get(f"{URL}/{task_list.id}/{action}").status_code == 405
    db.session.expire_all()
    assert task_list.status is ListStatus.DRAFT


# --- create and edit -------------------------------------------------------------------------


def test_create_a_draft_list(client, make):
    a = make.community()
    program = make.program()
    login(client, make.staff(a))
    response = client.post(f"{URL}/new", data=list_form(program, [a]))
    assert response.status_code == 302
    task_list = db.session.scalars(select(TaskList)).one()
    assert response.headers["Location"].endswith(f"{URL}/{task_list.id}")
    assert task_list.status is ListStatus.DRAFT
    assert task_list.communities == [a] and not task_list.all_communities
    assert task_list.week_count == 6


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": "  "}, "title", "请填写清单名称。"),
        ({"title": "书" * 121}, "title", "请不超过 120 个字。"),
        ({"communities": []}, "communities", "请至少选择一个社区。"),
        ({"program": "999"}, "program", "请从列表中选择一项。"),
        ({"starts_on": ""}, "starts_on", "请填写开始日期。"),
        ({"starts_on": "not a day"}, "starts_on", ""),
        ({"ends_on": "2020-01-01"}, "ends_on", "结束日期不能早于开始日期。"),
        ({"starts_on": "1999-01-01", "ends_on": "1999-02-01"}, "starts_on", "2000 年到 2100 年"),
        ({"ends_on": "2099-01-01"}, "ends_on", "一份任务清单最长一年。"),
    ],
)
def test_bad_list_input_is_shown_next_to_the_field(client, make, overrides, field, message):
    a = make.community()
    login(client, make.staff(a))
    data = list_form(make.program(), [a], **overrides)
    response = client.post(f"{URL}/new", data=data)
    page = html(response)
    assert response.status_code == 200
    assert f'id="{field}-error"' in page
    assert message in page
    if data["title"].strip():
        assert data["title"] in page  # what was typed is kept
    assert count(TaskList) == 0


def test_staff_cannot_pick_another_community_or_all_communities(client, make):
    a, b = make.community(), make.community()
    program = make.program()
    login(client, make.staff(a))
    page = html(client.post(f"{URL}/new", data=list_form(program, [b])))
    assert 'id="communities-error"' in page and count(TaskList) == 0
    assert 'name="all_communities"' not in html(client.get(f"{URL}/new"))
    client.post(f"{URL}/new", data=list_form(program, [a], all_communities="y"))
    task_list = db.session.scalars(select(TaskList)).one()
    assert not task_list.all_communities and task_list.communities == [a]


def test_administrator_creates_a_list_for_all_communities(client, make):
    make.community()
    login(client, make.admin())
    client.post(f"{URL}/new", data=list_form(make.program(), [], all_communities="y"))
    task_list = db.session.scalars(select(TaskList)).one()
    assert task_list.all_communities and task_list.communities == []


def test_edit_keeps_ticks_and_refuses_a_period_shorter_than_the_tasks(client, make, lists, family):
    a = make.community()
    task_list = lists.task_list(a, weeks=4)  # tasks in weeks 1 and 2
    kid = children_of(family.household(a))[0]
    lists.tick(task_list.tasks[0], kid)
    login(client, make.staff(a))
    form = list_form(task_list.program, [a], title="寒假家庭阅读任务清单（修订）")
    form["starts_on"] = task_list.starts_on.isoformat()
    form["ends_on"] = (task_list.starts_on + timedelta(days=6)).isoformat()
    page = html(client.post(f"{URL}/{task_list.id}/edit", data=form))
    assert 'id="ends_on-error"' in page and "至少要覆盖 2 周" in page
    form["ends_on"] = (task_list.starts_on + timedelta(days=13)).isoformat()
    assert client.post(f"{URL}/{task_list.id}/edit", data=form).status_code == 302
    db.session.expire_all()
    assert task_list.title == "寒假家庭阅读任务清单（修订）" and task_list.week_count == 2
    assert count(TaskTick) == 1


def test_publish_and_archive(client, make, lists, family):
    a = make.community()
    empty = lists.task_list(a, status=ListStatus.DRAFT, tasks=())
    task_list = lists.task_list(a, status=ListStatus.DRAFT)
    login(client, make.staff(a))
    client.post(f"{URL}/{empty.id}/publish")
    db.session.expire_all()
    assert empty.status is ListStatus.DRAFT
    assert "请先添加至少一项任务再发布。" in html(client.get(f"{URL}/{empty.id}"))
    client.post(f"{URL}/{task_list.id}/publish")
    db.session.expire_all()
    assert task_list.status is ListStatus.PUBLISHED and task_list.published_at is not None
    client.post(f"{URL}/{task_list.id}/archive")
    db.session.expire_all()
    assert task_list.status is ListStatus.ARCHIVED
    # Households no longer see an archived list.
    household_client = client.application.test_client()
    household_login(household_client, family.household(a))
    assert household_client.get(f"/family/tasklists/{task_list.id}").status_code == 403


# --- tasks -----------------------------------------------------------------------------------


def test_add_a_task_with_a_suggested_book(client, make, lists):
    a = make.community()
    task_list = lists.task_list(a, tasks=())
    login(client, make.staff(a))
    data = task_form(
        week="2",
        kind="visit",
        book_title="《团圆》",
        book_author="余丽琼",
        book_isbn="978-0-306-40615-7",
    )
    response = client.post(f"{URL}/{task_list.id}/tasks/new", data=data)
    assert response.status_code == 302
    task = db.session.scalars(select(Task)).one()
    assert (task.week, task.kind, task.book_title, task.book_isbn) == (
        2,
        TaskKind.VISIT,
        "团圆",
        "9780306406157",
    )
    assert "《团圆》" in html(client.get(f"{URL}/{task_list.id}"))


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": ""}, "title", "请写明要做什么"),
        ({"kind": "sing"}, "kind", "请从列表中选择一项。"),
        ({"week": "9"}, "week", "请从列表中选择一项。"),
        ({"week": "abc"}, "week", "请从列表中选择一项。"),
        ({"book_title": "团圆", "book_isbn": "978-0-306-40615-8"}, "book_isbn", "ISBN 不正确"),
        ({"book_title": "团圆", "book_isbn": "12345"}, "book_isbn", "ISBN 不正确"),
        ({"book_author": "余丽琼"}, "book_title", "请同时填写书名。"),
        ({"book_isbn": "9780306406157"}, "book_title", "请同时填写书名。"),
        ({"description": "长" * 501}, "description", "请不超过 500 个字。"),
    ],
)
def test_bad_task_input_saves_nothing(client, make, lists, overrides, field, message):
    a = make.community()
    task_list = lists.task_list(a, tasks=(), weeks=4)
    login(client, make.staff(a))
    response = client.post(f"{URL}/{task_list.id}/tasks/new", data=task_form(**overrides))
    page = html(response)
    assert response.status_code == 200
    assert f'id="{field}-error"' in page and message in page
    assert count(Task) == 0


def test_ticks_survive_a_task_edit(client, make, lists, family):
    a = make.community()
    task_list = lists.task_list(a)
    household = family.household(a)
    kid = children_of(household)[0]
    task = task_list.tasks[0]
    lists.tick(task, kid, minutes=15, note="很喜欢")
    login(client, make.staff(a))
    data = task_form(title="和孩子一起读一本新绘本", week="2", kind="read_together")
    assert client.post(f"{URL}/{task_list.id}/tasks/{task.id}/edit", data=data).status_code == 302
    db.session.expire_all()
    assert task.title == "和孩子一起读一本新绘本" and task.week == 2
    tick = db.session.scalars(select(TaskTick)).one()
    assert (tick.task_id, tick.minutes, tick.note) == (task.id, 15, "很喜欢")
    family_client = client.application.test_client()
    household_login(family_client, household)
    page = html(family_client.get(f"/family/tasklists/{task_list.id}?child={kid.id}"))
    assert "和孩子一起读一本新绘本" in page
    assert "已完成 1 / 5 项" in page


def test_remove_and_restore_a_task(client, make, lists, family):
    a = make.community()
    task_list = lists.task_list(a)
    kid = children_of(family.household(a))[0]
    task = task_list.tasks[0]
    lists.tick(task, kid)
    login(client, make.staff(a))
    client.post(f"{URL}/{task_list.id}/tasks/{task.id}/remove")
    db.session.expire_all()
    assert task.removed_at is not None and count(TaskTick) == 1
    page = html(client.get(f"{URL}/{task_list.id}"))
    assert "已移除的任务" in page
    assert list_figures(task_list).total.child_count == 0  # its tick no longer counts
    client.post(f"{URL}/{task_list.id}/tasks/{task.id}/restore")
    db.session.expire_all()
    assert task.removed_at is None
    assert list_figures(task_list).total.child_count == 1


def test_reorder_tasks(client, make, lists):
    a = make.community()
    task_list = lists.task_list(a)
    first, second = task_list.tasks[0], task_list.tasks[1]
    login(client, make.staff(a))
    response = client.post(
        f"{URL}/{task_list.id}/tasks/{first.id}/move", data={"direction": "down"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert [t.id for t in task_list.tasks][:2] == [second.id, first.id]
    bad = client.post(f"{URL}/{task_list.id}/tasks/{first.id}/move", data={"direction": "sideways"})
    assert bad.status_code == 400
    other_list = lists.task_list(a)
    wrong = client.post(f"{URL}/{other_list.id}/tasks/{first.id}/move", data={"direction": "up"})
    assert wrong.status_code == 404


# --- copy and print --------------------------------------------------------------------------


def test_copy_copies_tasks_but_no_ticks(client, make, lists, family):
    a = make.community()
    source = lists.task_list(a)
    kid = children_of(family.household(a))[0]
    for task in source.tasks:
        lists.tick(task, kid)
    login(client, make.staff(a))
    page = html(client.get(f"{URL}/{source.id}/copy"))
    next_start = (source.starts_on + timedelta(weeks=52)).isoformat()
    assert next_start in page  # the form proposes the same weeks next year
    start = beijing_today() + timedelta(days=30)
    response = client.post(
        f"{URL}/{source.id}/copy",
        data={
            "title": "明年寒假家庭阅读任务清单",
            "starts_on": start.isoformat(),
            "ends_on": (start + timedelta(weeks=4)).isoformat(),
        },
    )
    assert response.status_code == 302
    copy = db.session.scalars(select(TaskList).where(TaskList.id != source.id)).one()
    assert copy.status is ListStatus.DRAFT and copy.communities == [a]
    assert len(copy.tasks) == len(source.tasks)
    assert count(TaskTick) == len(source.tasks)
    copied_ticks = select(func.count()).select_from(TaskTick).join(Task)
    assert db.session.scalar(copied_ticks.where(Task.task_list_id == copy.id)) == 0


def test_staff_copy_of_a_list_for_all_communities_is_for_their_own(client, make, lists):
    a, _b = make.community(), make.community()
    source = lists.task_list(all_communities=True)
    login(client, make.staff(a))
    start = beijing_today() + timedelta(days=30)
    data = {
        "title": "姚庄的副本",
        "starts_on": start.isoformat(),
        "ends_on": start.isoformat(),  # one week: the tasks need two
    }
    page = html(client.post(f"{URL}/{source.id}/copy", data=data))
    assert 'id="ends_on-error"' in page and count(TaskList) == 1
    data["ends_on"] = (start + timedelta(weeks=2)).isoformat()
    client.post(f"{URL}/{source.id}/copy", data=data)
    copy = db.session.scalars(select(TaskList).where(TaskList.id != source.id)).one()
    assert not copy.all_communities and copy.communities == [a]


def test_printable_blank_list(client, make, lists):
    a = make.community()
    task_list = lists.task_list(a)
    login(client, make.staff(a))
    page = html(client.get(f"{URL}/{task_list.id}/print"))
    assert '<svg class="qr"' in page
    assert page.count('class="tl-box"') == len(task_list.tasks)
    assert f"/family/tasklists/{task_list.id}" in page
    assert "小读者" in page
