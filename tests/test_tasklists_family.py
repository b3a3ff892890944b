"""Household pages over HTTP: which lists, ticking per child, reading log, print, certificate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from readingroom.extensions import db
from readingroom.tasklists.models import ListStatus, ReadingLogEntry, TaskTick
from readingroom.timeutil import beijing_today
from tests.conftest import at, login
from tests.fixtures_families import household_login
from tests.fixtures_tasklists import children_of, confirmed_registration, count, html

URL = "/family/tasklists"


def tick_url(task_list, kid, task) -> str:
    return f"{URL}/{task_list.id}/children/{kid.id}/tasks/{task.id}"


@pytest.fixture
def setup(make, lists, family, client):
    """A list for community A, a logged-in household of A with two children."""
    community = make.community()
    task_list = lists.task_list(community)
    household = family.household(community, children=(("小明", 6), ("小红", 8)))
    household_login(client, household)
    kids = children_of(household)
    return community, task_list, household, kids


# --- which lists -----------------------------------------------------------------------------


def test_pages_need_a_household_login(client, make, lists):
    task_list = lists.task_list()
    response = client.get(f"{URL}/{task_list.id}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/family/login?next=")
    login(client, make.admin())
    assert client.get(f"{URL}/").status_code == 403


def test_overview_shows_only_lists_that_apply(client, make, lists, setup):
    community, current, _household, _kids = setup
    other = make.community()
    everyone = lists.task_list(all_communities=True, title="全街道清单")
    hidden = [
        lists.task_list(other, title="别的社区的清单"),
        lists.task_list(community, status=ListStatus.DRAFT, title="草稿清单"),
        lists.task_list(community, status=ListStatus.ARCHIVED, title="归档清单"),
        lists.task_list(
            community, starts_on=beijing_today() + timedelta(days=2), title="还没开始的清单"
        ),
    ]
    page = html(client.get(f"{URL}/"))
    assert current.title in page and everyone.title in page
    for task_list in hidden:
        assert task_list.title not in page
    assert "小明：已完成 0 / 5 项" in page and "小红：已完成 0 / 5 项" in page


@pytest.mark.parametrize(
    ("kind", "status"),
    [("draft", 404), ("other community", 403), ("future", 403), ("archived", 403)],
)
def test_lists_that_do_not_apply_are_refused(client, make, lists, setup, kind, status):
    community, _current, _household, kids = setup
    if kind == "draft":
        task_list = lists.task_list(community, status=ListStatus.DRAFT)
    elif kind == "other community":
        task_list = lists.task_list(make.community())
    elif kind == "future":
        task_list = lists.task_list(community, starts_on=beijing_today() + timedelta(days=1))
    else:
        task_list = lists.task_list(community, status=ListStatus.ARCHIVED)
    task = task_list.tasks[0]
    assert client.get(f"{URL}/{task_list.id}").status_code == status
    assert client.get(f"{URL}/{task_list.id}/print").status_code == status
    response = client.post(tick_url(task_list, kids[0], task), data={f"t{task.id}-done": "1"})
    assert response.status_code == status
    log = client.post(
        f"{URL}/{task_list.id}/children/{kids[0].id}/log",
        data={"log-title": "团圆", "log-minutes": "20", "log-read_on": beijing_today().isoformat()},
    )
    assert log.status_code == status
    assert count(TaskTick) == 0
    assert count(ReadingLogEntry) == 0


def test_another_households_child_is_not_found(client, family, setup):
    community, task_list, _household, _kids = setup
    stranger = children_of(family.household(community, children=(("别人家", 7),)))[0]
    task = task_list.tasks[0]
    response = client.post(tick_url(task_list, stranger, task), data={f"t{task.id}-done": "1"})
    assert response.status_code == 404
    assert client.get(f"{URL}/{task_list.id}?child={stranger.id}").status_code == 404
    assert client.get(f"{URL}/{task_list.id}/print?child={stranger.id}").status_code == 404
    certificate = f"{URL}/{task_list.id}/children/{stranger.id}/certificate"
    assert client.get(certificate).status_code == 404
    assert count(TaskTick) == 0


def test_adults_and_foreign_tasks_are_not_found(client, lists, setup):
    community, task_list, household, kids = setup
    adult = next(m for m in household.members if not m.is_child)
    task = task_list.tasks[0]
    assert client.post(tick_url(task_list, adult, task), data={}).status_code == 404
    other_list = lists.task_list(community)
    foreign = other_list.tasks[0]
    assert client.post(tick_url(task_list, kids[0], foreign), data={}).status_code == 404
    assert count(TaskTick) == 0


# --- ticking ---------------------------------------------------------------------------------


def test_tick_and_untick_are_states_so_double_submits_count_once(client, setup):
    _community, task_list, _household, kids = setup
    kid, task = kids[0], task_list.tasks[0]
    url = tick_url(task_list, kid, task)
    done = {f"t{task.id}-done": "1"}
    first = client.post(url, data=done)
    assert first.status_code == 302
    assert first.headers["Location"].endswith(f"?child={kid.id}#task-{task.id}")
    assert client.post(url, data=done).status_code == 302  # double submit / resent form
    assert count(TaskTick) == 1
    page = html(client.get(f"{URL}/{task_list.id}?child={kid.id}"))  # the reload
    assert "已完成 1 / 5 项" in page and "已完成（点按可取消）" in page
    other_child = html(client.get(f"{URL}/{task_list.id}?child={kids[1].id}"))
    assert "已完成 0 / 5 项" in other_child  # ticks are per child
    undone = {f"t{task.id}-done": "0"}
    assert client.post(url, data=undone).status_code == 302
    assert client.post(url, data=undone).status_code == 302
    assert count(TaskTick) == 0


def test_tick_with_a_note_and_minutes(client, setup):
    _community, task_list, _household, kids = setup
    task = task_list.tasks[0]
    url = tick_url(task_list, kids[0], task)
    client.post(
        url,
        data={f"t{task.id}-done": "1", f"t{task.id}-note": "讲了三遍", f"t{task.id}-minutes": "25"},
    )
    client.post(url, data={f"t{task.id}-done": "1"})  # one tap again keeps the details
    tick = db.session.scalars(select(TaskTick)).one()
    assert (tick.note, tick.minutes) == ("讲了三遍", 25)
    page = html(client.get(f"{URL}/{task_list.id}?child={kids[0].id}"))
    assert "讲了三遍" in page and "读了 25 分钟" in page


@pytest.mark.parametrize(
    ("minutes", "message"),
    [("-1", "请填写 0 到 600 分钟。"), ("601", "请填写 0 到 600 分钟。"), ("abc", "")],
)
def test_bad_minutes_are_shown_at_the_task_and_nothing_is_saved(client, setup, minutes, message):
    _community, task_list, _household, kids = setup
    task = task_list.tasks[1]
    response = client.post(
        tick_url(task_list, kids[0], task),
        data={
            f"t{task.id}-done": "1",
            f"t{task.id}-note": "我的备注",
            f"t{task.id}-minutes": minutes,
        },
    )
    page = html(response)
    assert response.status_code == 400
    assert f'id="t{task.id}-minutes-error"' in page and message in page
    assert 'value="我的备注"' in page  # what was typed is kept
    assert count(TaskTick) == 0


def test_tick_answers_json_for_the_script(client, setup):
    _community, task_list, _household, kids = setup
    task = task_list.tasks[0]
    response = client.post(
        tick_url(task_list, kids[0], task),
        data={f"t{task.id}-done": "1"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    data = response.get_json()
    assert data["task_id"] == task.id and data["done"] is True
    assert (
        f'id="task-{task.id}"' in data["task_html"] and "已完成（点按可取消）" in data["task_html"]
    )
    assert "已完成 1 / 5 项" in data["progress_html"]
    bad = client.post(
        tick_url(task_list, kids[0], task),
        data={f"t{task.id}-done": "1", f"t{task.id}-minutes": "9999"},
        headers={"Accept": "application/json"},
    )
    assert bad.status_code == 400 and "minutes" in bad.get_json()["errors"]


def test_a_removed_task_is_not_tickable_but_its_tick_stays(client, make, lists, setup):
    _community, task_list, _household, kids = setup
    task = task_list.tasks[0]
    lists.tick(task, kids[0])
    from readingroom.tasklists.operations import remove_task

    remove_task(task)
    db.session.commit()
    response = client.post(tick_url(task_list, kids[0], task), data={f"t{task.id}-done": "0"})
    assert response.status_code == 404
    assert count(TaskTick) == 1
    page = html(client.get(f"{URL}/{task_list.id}?child={kids[0].id}"))
    assert "已完成 0 / 4 项" in page and task.title not in page


def test_ticking_an_ended_list_is_still_possible(client, make, lists, setup):
    community, _current, _household, kids = setup
    past = lists.task_list(community, starts_on=beijing_today() - timedelta(weeks=8), weeks=2)
    task = past.tasks[0]
    page = html(client.get(f"{URL}/{past.id}"))
    assert "时间已经结束" in page
    client.post(tick_url(past, kids[0], task), data={f"t{task.id}-done": "1"})
    assert count(TaskTick) == 1


# --- reading log -----------------------------------------------------------------------------


def log_data(**overrides):
    data = {
        "log-title": "《团圆》",
        "log-minutes": "20",
        "log-read_on": beijing_today().isoformat(),
    }
    data.update(overrides)
    return data


def test_add_and_delete_a_reading_log_entry(client, family, setup):
    community, task_list, _household, kids = setup
    url = f"{URL}/{task_list.id}/children/{kids[0].id}/log"
    assert client.post(url, data=log_data()).status_code == 302
    assert client.post(url, data=log_data()).status_code == 302  # sent twice: stored once
    entry = db.session.scalars(select(ReadingLogEntry)).one()
    assert (entry.title, entry.minutes, entry.member_id) == ("团圆", 20, kids[0].id)
    page = html(client.get(f"{URL}/{task_list.id}?child={kids[0].id}"))
    assert "《团圆》" in page and "合计：20 分钟" in page
    # Someone else's entry cannot be deleted.
    stranger = family.household(community)
    other = ReadingLogEntry(
        task_list_id=task_list.id,
        member_id=children_of(stranger)[0].id,
        household_id=stranger.id,
        title="别人的书",
        minutes=5,
        read_on=beijing_today(),
    )
    db.session.add(other)
    db.session.commit()
    assert client.post(f"{URL}/{task_list.id}/log/{other.id}/delete").status_code == 404
    assert client.post(f"{URL}/{task_list.id}/log/{entry.id}/delete").status_code == 302
    remaining = db.session.scalars(select(ReadingLogEntry)).all()
    assert remaining == [other]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"log-title": ""}, "log-title", "请填写书名。"),
        ({"log-title": "《》"}, "log-title", "请填写书名。"),
        ({"log-minutes": ""}, "log-minutes", "请填写读了多少分钟。"),
        ({"log-minutes": "0"}, "log-minutes", "请填写 1 到 600 分钟。"),
        ({"log-minutes": "601"}, "log-minutes", "请填写 1 到 600 分钟。"),
        ({"log-read_on": "tomorrow"}, "log-read_on", ""),
        ("future", "log-read_on", "日期不能晚于今天。"),
        ("before", "log-read_on", "请选择清单时间内的日期"),
    ],
)
def test_bad_log_input_is_shown_next_to_the_field(client, setup, overrides, field, message):
    _community, task_list, _household, kids = setup
    if overrides == "future":
        overrides = {"log-read_on": (beijing_today() + timedelta(days=1)).isoformat()}
    elif overrides == "before":
        overrides = {"log-read_on": (task_list.starts_on - timedelta(days=1)).isoformat()}
    response = client.post(
        f"{URL}/{task_list.id}/children/{kids[0].id}/log", data=log_data(**overrides)
    )
    page = html(response)
    assert response.status_code == 400
    assert f'id="{field}-error"' in page and message in page
    assert count(ReadingLogEntry) == 0


# --- print and certificate -------------------------------------------------------------------


def test_printable_list_for_a_child(client, lists, setup):
    _community, task_list, _household, kids = setup
    lists.tick(task_list.tasks[0], kids[1])
    page = html(client.get(f"{URL}/{task_list.id}/print?child={kids[1].id}"))
    assert '<svg class="qr"' in page
    assert "小红" in page
    assert page.count('class="tl-box is-ticked"') == 1
    assert page.count('class="tl-box"') == len(task_list.tasks) - 1
    assert f"http://readingroom.test/family/tasklists/{task_list.id}" in page


def test_certificate_only_when_the_list_is_complete(client, lists, setup):
    community, task_list, _household, kids = setup
    kid = kids[0]
    url = f"{URL}/{task_list.id}/children/{kid.id}/certificate"
    for task in task_list.tasks[:-1]:
        lists.tick(task, kid)
    response = client.get(url)
    assert response.status_code == 302
    assert "全部任务完成后就可以领取奖状（目前完成 4 / 5 项）" in html(
        client.get(response.headers["Location"])
    )
    lists.tick(task_list.tasks[-1], kid)
    page = html(client.get(url))
    assert "奖状" in page and "小明" in page
    assert task_list.title in page and community.name in page
    assert "完成了全部 5 项阅读任务" in page
    today = beijing_today()
    assert f"{today.year}年{today.month}月{today.day}日" in page  # the day it was completed
    list_page = html(client.get(f"{URL}/{task_list.id}?child={kid.id}"))
    assert url in list_page


# --- check-in at a session ticks the visit task ----------------------------------------------


def test_staff_check_in_ticks_the_visit_task_once(client, make, lists, family):
    community = make.community()
    task_list = lists.task_list(community)
    household = family.household(community, children=(("小明", 6),))
    kid = children_of(household)[0]
    reading_session = make.session(make.room(community), start=at(beijing_today(), 10))
    registration = confirmed_registration(reading_session, household, kid)
    attendee_id = registration.attendees[0].id

    login(client, make.staff(community))
    check_in = f"/staff/attendees/{attendee_id}/check-in"
    assert client.post(check_in).status_code == 302
    assert client.post(check_in).status_code == 302  # pressed twice
    client.post(f"/staff/attendees/{attendee_id}/undo-check-in")
    client.post(check_in)  # checked in again at the same session
    visit_ticks = db.session.scalars(select(TaskTick)).all()
    assert len(visit_ticks) == 1
    week1_visit = next(t for t in task_list.tasks if t.kind.value == "visit" and t.week == 1)
    assert visit_ticks[0].task_id == week1_visit.id

    client.post("/staff/logout")
    household_login(client, household)
    page = html(client.get(f"{URL}/{task_list.id}?child={kid.id}"))
    assert "已完成 1 / 5 项" in page and "签到时自动打勾。" in page
