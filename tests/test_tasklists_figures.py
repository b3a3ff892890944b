"""Figures per list and the CSV export: UTF-8 with BOM, numbers that match the database."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import distinct, func, select, update

from readingroom.extensions import db
from readingroom.families.models import Household, Member
from readingroom.privacy.operations import delete_household
from readingroom.reports.figures import Scope, task_figures
from readingroom.tasklists.figures import list_figures
from readingroom.tasklists.models import ReadingLogEntry, Task, TaskKind, TaskTick
from readingroom.tasklists.operations import remove_task
from readingroom.timeutil import beijing_today, utcnow
from tests.conftest import login
from tests.fixtures_tasklists import children_of

URL = "/staff/tasklists"


@pytest.fixture
def scene(make, lists, family):
    """Two communities on one list; ticks, minutes, log entries and a removed task's tick."""
    a = make.community(name="姚庄社区")
    b = make.community(name="孙庄社区")
    c = make.community(name="董河社区")
    task_list = lists.task_list(a, b, weeks=3)  # 5 tasks: 3 in week 1, 2 in week 2
    tasks = task_list.tasks
    # A: one household, two children; one completes everything.
    ha = family.household(a, children=(("小明", 6), ("小红", 8)))
    ming, hong = children_of(ha)
    for task in tasks:
        lists.tick(task, ming, minutes=10)
    lists.tick(tasks[0], hong, minutes=5)
    # A: a second household with only a reading-log entry (takes part, no ticks).
    hb = family.household(a, children=(("小刚", 7),))
    gang = children_of(hb)[0]
    db.session.add(
        ReadingLogEntry(
            task_list_id=task_list.id,
            member_id=gang.id,
            household_id=hb.id,
            title="团圆",
            minutes=30,
            read_on=task_list.starts_on + timedelta(days=8),  # week 2
        )
    )
    # B: one child with two ticks, one of them on a task that is then removed.
    hc = family.household(b, children=(("小芳", 9),))
    fang = children_of(hc)[0]
    lists.tick(tasks[1], fang, minutes=20)
    extra = Task(task_list=task_list, title="临时任务", kind=TaskKind.OTHER, week=1, position=9)
    db.session.add(extra)
    db.session.commit()
    lists.tick(extra, fang, minutes=99)
    remove_task(extra)
    # C: not on the list and no ticks: no row.
    family.household(c)
    db.session.commit()
    return task_list, a, b, c


def database_truth(task_list, community_id=None):
    """The same figures, counted straight from the tables with SQL."""
    counting = select(Task.id).where(Task.task_list_id == task_list.id, Task.removed_at.is_(None))
    ticks = select(TaskTick).where(TaskTick.task_id.in_(counting))
    logs = select(ReadingLogEntry).where(ReadingLogEntry.task_list_id == task_list.id)
    if community_id is not None:
        in_community = select(Household.id).where(Household.community_id == community_id)
        ticks = ticks.where(TaskTick.household_id.in_(in_community))
        logs = logs.where(ReadingLogEntry.household_id.in_(in_community))
    tick_rows = db.session.scalars(ticks).all()
    log_rows = db.session.scalars(logs).all()
    households = {t.household_id for t in tick_rows} | {e.household_id for e in log_rows}
    children = {t.member_id for t in tick_rows} | {e.member_id for e in log_rows}
    n_tasks = db.session.scalar(select(func.count()).select_from(counting.subquery()))
    per_child = {}
    for t in tick_rows:
        per_child[t.member_id] = per_child.get(t.member_id, 0) + 1
    return {
        "households": len(households),
        "children": len(children),
        "completed": sum(1 for n in per_child.values() if n == n_tasks),
        "minutes": sum(t.minutes or 0 for t in tick_rows) + sum(e.minutes for e in log_rows),
        "ticks": len(tick_rows),
        "n_tasks": n_tasks,
    }


def test_figures_match_the_database(scene):
    task_list, a, b, _c = scene
    figures = list_figures(task_list)
    assert [g.community for g in figures.groups] == [a, b]  # C is not on the list
    for group, community_id in [
        (figures.total, None),
        *((g, g.community.id) for g in figures.groups),
    ]:
        truth = database_truth(task_list, community_id)
        assert group.household_count == truth["households"]
        assert group.child_count == truth["children"]
        assert group.completed == truth["completed"]
        assert group.minutes == truth["minutes"]
        assert group.ticks == truth["ticks"]
    # Hand-checked numbers of the scene.
    total = figures.total
    assert (total.household_count, total.child_count, total.completed) == (3, 4, 1)
    assert total.minutes == 50 + 5 + 30 + 20  # the removed task's 99 minutes do not count
    assert total.completion_rate() == pytest.approx(1 / 4)
    first = figures.tasks[0]
    assert total.task_done[first.id] == 2 and total.task_rate(first.id) == pytest.approx(2 / 4)
    by_week = {week: minutes for week, minutes, _per in figures.week_rows()}
    assert by_week == {1: 30 + 5 + 20, 2: 20 + 30, 3: 0}


def read_csv(response):
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte order mark: Excel on Windows reads UTF-8
    text = raw.decode("utf-8-sig")
    assert "\r\n" in text
    return list(csv.reader(io.StringIO(text)))


def section(rows, first_header):
    """The rows of the CSV section whose header row starts with these cells."""
    start = next(i for i, r in enumerate(rows) if r[: len(first_header)] == first_header)
    out = []
    for r in rows[start + 1 :]:
        if not r:
            break
        out.append(r)
    return out


def test_csv_is_utf8_with_bom_and_its_figures_match_the_database(client, make, scene):
    task_list, a, b, _c = scene
    login(client, make.admin())
    response = client.get(f"{URL}/{task_list.id}/figures.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0] == ["任务清单", task_list.title]
    summary = {
        r[0]: r for r in section(rows, ["社区", "参与家庭数", "参与儿童数", "完成全部任务的儿童"])
    }
    assert set(summary) == {"姚庄社区", "孙庄社区", "合计"}
    for name, community_id in (("姚庄社区", a.id), ("孙庄社区", b.id), ("合计", None)):
        truth = database_truth(task_list, community_id)
        row = summary[name]
        assert int(row[1]) == truth["households"]
        assert int(row[2]) == truth["children"]
        assert int(row[3]) == truth["completed"]
        expected_rate = f"{100 * truth['completed'] / truth['children']:.1f}%"
        assert row[4] == expected_rate
        expected_share = f"{100 * truth['ticks'] / (truth['children'] * truth['n_tasks']):.1f}%"
        assert row[5] == expected_share
        assert int(row[6]) == truth["minutes"]
    per_task = section(rows, ["社区", "周", "任务", "类型"])
    first = task_list.counting_tasks[0]
    done = db.session.scalar(
        select(func.count(distinct(TaskTick.member_id))).where(TaskTick.task_id == first.id)
    )
    total_row = next(r for r in per_task if r[0] == "合计" and r[2] == first.title)
    assert int(total_row[4]) == done and total_row[3] == "共读"
    assert not any(r[2] == "临时任务" for r in per_task)  # removed task: not in the figures
    weeks = section(rows, ["社区", "周", "开始日期", "结束日期", "阅读分钟数"])
    total_weeks = {r[1]: int(r[4]) for r in weeks if r[0] == "合计"}
    assert total_weeks == {"1": 55, "2": 50, "3": 0}
    assert sum(total_weeks.values()) == int(summary["合计"][6])


def test_community_staff_figures_count_only_their_households(client, make, scene):
    task_list, _a, b, _c = scene
    login(client, make.staff(b))
    rows = read_csv(client.get(f"{URL}/{task_list.id}/figures.csv"))
    summary = {r[0]: r for r in section(rows, ["社区", "参与家庭数"])}
    assert set(summary) == {"孙庄社区", "合计"}
    assert summary["合计"][1:4] == ["1", "1", "0"]
    page = client.get(f"{URL}/{task_list.id}/figures").get_data(as_text=True)
    assert "这里只统计您负责社区的家庭" in page
    assert '<th scope="row">孙庄社区</th>' in page
    assert '<th scope="row">姚庄社区</th>' not in page


def test_csv_cells_never_run_as_formulas(client, make, lists):
    a = make.community()
    task_list = lists.task_list(
        a, title='=HYPERLINK("http://x")', tasks=(("+1 读书", TaskKind.OTHER, 1),)
    )
    login(client, make.staff(a))
    rows = read_csv(client.get(f"{URL}/{task_list.id}/figures.csv"))
    assert rows[0][1].startswith("'=")
    assert any(r[2] == "'+1 读书" for r in rows if len(r) > 2)


def test_figures_page_shows_the_numbers(client, make, scene):
    task_list, *_ = scene
    login(client, make.admin())
    page = client.get(f"{URL}/{task_list.id}/figures").get_data(as_text=True)
    assert "25.0%" in page  # overall completion rate: 1 of 4 children
    assert "2/4" in page  # the first task: 2 of 4 children
    assert "55 分钟" in page  # minutes in week 1
    assert beijing_today().year > 2000


def test_staff_overview_shows_participation_per_list(client, make, scene):
    task_list = scene[0]
    login(client, make.admin())
    page = client.get(f"{URL}/").get_data(as_text=True)
    assert task_list.title in page
    assert "3 个家庭参与" in page and "25.0% 的孩子完成全部任务" in page


def _snapshot(figures):
    def of(group):
        return (
            group.household_count,
            group.child_count,
            group.completed,
            group.ticks,
            group.minutes,
            dict(group.task_done),
            dict(group.week_minutes),
        )

    return of(figures.total), {g.community.id: of(g) for g in figures.groups}


def _programme_task_figures(task_list, community_ids=None):
    """The subdistrict's task-list figures (reports domain) over the whole list and today."""
    today = beijing_today()
    scope = Scope(
        start=min(today, task_list.starts_on) - timedelta(days=1),
        end=max(today, task_list.ends_on) + timedelta(days=1),
        community_ids=None if community_ids is None else frozenset(community_ids),
        now=utcnow(),
    )
    total, by_community = task_figures(scope)
    return total, by_community


def test_deleting_an_account_changes_no_task_figure(scene):
    """A family that deletes its account leaves its ticks and reading log behind as
    anonymous rows: the list's figures, the CSV and the programme's figures stay the same."""
    task_list, a, b, _c = scene
    in_a = select(Household.id).where(Household.community_id == a.id)

    def child(name):
        return db.session.scalars(
            select(Member).where(Member.given_name == name, Member.household_id.in_(in_a))
        ).one()

    ming, gang = child("小明"), child("小刚")
    deleted = [ming.household_id, gang.household_id]  # the completer, and the log-only one
    before = _snapshot(list_figures(task_list))
    before_scoped = _snapshot(list_figures(task_list, scope={a.id}))
    programme = _programme_task_figures(task_list)
    programme_a = _programme_task_figures(task_list, [a.id])
    assert programme[0].households == 2 and programme[0].completed == 1  # log-only: no tick
    db.session.execute(
        update(TaskTick).where(TaskTick.member_id == ming.id).values(note="小明读得真好")
    )
    db.session.commit()
    for household_id in deleted:  # one transaction each, as the family's delete page does
        delete_household(household_id)
        db.session.commit()
    db.session.expire_all()

    assert _snapshot(list_figures(task_list)) == before
    assert _snapshot(list_figures(task_list, scope={a.id})) == before_scoped
    assert _programme_task_figures(task_list) == programme
    assert _programme_task_figures(task_list, [a.id]) == programme_a
    assert _programme_task_figures(task_list, [b.id])[0].households == 1
    # Nothing that says who: no household, no child, no note, no book title.
    for model in (TaskTick, ReadingLogEntry):
        left = db.session.scalars(select(model).where(model.household_id.is_(None))).all()
        assert left, model
        assert all(r.member_id is None and r.person_ref and r.household_ref for r in left)
        assert all(r.home_community_id == a.id for r in left)
    assert {t.note for t in db.session.scalars(select(TaskTick))} == {""}
    assert {e.title for e in db.session.scalars(select(ReadingLogEntry))} == {""}
    for household_id in deleted:
        assert db.session.get(Household, household_id) is None
