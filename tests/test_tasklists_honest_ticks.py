"""Honest task lists (issue 12): a family cannot tick the visit (到馆, check-in ticks it) nor
the tasks of weeks that have not started, unless staff allow ticking ahead for the list; so a
certificate only follows a list completed for real."""

from __future__ import annotations

from datetime import timedelta

import pytest

from readingroom.extensions import db
from readingroom.tasklists.models import TaskKind, TaskTick
from readingroom.tasklists.operations import family_tick_refusal
from readingroom.timeutil import beijing_today
from tests.fixtures_families import household_login
from tests.fixtures_tasklists import children_of, count, html

URL = "/family/tasklists"


@pytest.fixture
def setup(make, lists, family, client):
    community = make.community()
    task_list = lists.task_list(community)  # started 3 days ago: week 2 starts in 4 days
    household = family.household(community, children=(("小明", 6),))
    household_login(client, household)
    return task_list, children_of(household)[0]


def tick(client, task_list, kid, task, done="1", json=False):
    headers = {"Accept": "application/json"} if json else {}
    return client.post(
        f"{URL}/{task_list.id}/children/{kid.id}/tasks/{task.id}",
        data={f"t{task.id}-done": done},
        headers=headers,
    )


def test_the_visit_is_ticked_by_check_in_only(client, setup):
    task_list, kid = setup
    visit = next(t for t in task_list.tasks if t.kind is TaskKind.VISIT and t.week == 1)
    assert tick(client, task_list, kid, visit).status_code == 302
    assert tick(client, task_list, kid, visit, json=True).status_code == 409
    assert count(TaskTick) == 0
    page = html(client.get(f"{URL}/{task_list.id}?child={kid.id}"))
    card = page[page.index(f'id="task-{visit.id}"') :]
    card = card[: card.index("</li>")]
    assert "签到时自动打勾" in card and "<button" not in card


def test_weeks_that_have_not_started_wait_unless_staff_allow_ticking_ahead(client, setup):
    task_list, kid = setup
    ahead = next(t for t in task_list.tasks if t.week == 2 and t.kind is not TaskKind.VISIT)
    now = next(t for t in task_list.tasks if t.week == 1 and t.kind is not TaskKind.VISIT)
    tick(client, task_list, kid, ahead)
    tick(client, task_list, kid, now)
    assert [t.task_id for t in db.session.query(TaskTick)] == [now.id]
    assert "这一周从" in html(client.get(f"{URL}/{task_list.id}?child={kid.id}"))

    task_list.ticks_ahead = True
    db.session.commit()
    tick(client, task_list, kid, ahead)
    assert count(TaskTick) == 2


def test_the_rule_as_a_function(app, lists):
    task_list = lists.task_list(starts_on=beijing_today() + timedelta(days=1))
    task = task_list.tasks[0]
    assert family_tick_refusal(task, beijing_today()) is not None
    assert family_tick_refusal(task, beijing_today() + timedelta(days=1)) is None
