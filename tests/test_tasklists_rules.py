"""Task list rules without HTTP: ticks, progress, removal, order, copy, access, check-in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from readingroom.extensions import db
from readingroom.registrations.signals import member_checked_in
from readingroom.staff.models import Role
from readingroom.tasklists import operations
from readingroom.tasklists.access import (
    can_edit,
    can_view,
    copy_audience,
    household_may_see,
    visible_lists,
)
from readingroom.tasklists.models import (
    ListStatus,
    ReadingLogEntry,
    Task,
    TaskKind,
    TaskList,
    TaskTick,
    TickSource,
)
from readingroom.tasklists.operations import (
    ListData,
    TaskData,
    TaskListError,
    TickDetails,
    add_log_entry,
    copy_list,
    move_task,
    publish_list,
    remove_task,
    restore_task,
    tick_task,
    untick_task,
    update_list,
)
from readingroom.tasklists.progress import progress
from readingroom.timeutil import beijing_today
from tests.conftest import at
from tests.fixtures_tasklists import children_of, confirmed_registration, count

# --- ticks -----------------------------------------------------------------------------------


def test_tick_is_idempotent_and_keeps_one_row(lists, family):
    task_list = lists.task_list()
    kid = children_of(family.household(task_list.communities[0]))[0]
    task = task_list.tasks[0]
    first, created = tick_task(task, kid)
    again, created_again = tick_task(task, kid)
    db.session.commit()
    assert created and not created_again
    assert first.id == again.id
    assert count(TaskTick, task_id=task.id, member_id=kid.id) == 1


def test_details_are_updated_and_a_plain_tick_keeps_them(lists, family):
    task_list = lists.task_list()
    kid = children_of(family.household(task_list.communities[0]))[0]
    task = task_list.tasks[0]
    tick_task(task, kid, TickDetails(note="讲得很好", minutes=20))
    tick_task(task, kid)  # one tap again (reload / double tap): details stay
    db.session.commit()
    tick = db.session.scalars(select(TaskTick)).one()
    assert (tick.note, tick.minutes) == ("讲得很好", 20)
    tick_task(task, kid, TickDetails(note="", minutes=None))  # details form cleared on purpose
    db.session.commit()
    assert (tick.note, tick.minutes) == ("", None)


def test_untick_twice_is_harmless(lists, family):
    task_list = lists.task_list()
    kid = children_of(family.household(task_list.communities[0]))[0]
    task = task_list.tasks[0]
    tick_task(task, kid)
    assert untick_task(task, kid) is True
    assert untick_task(task, kid) is False
    db.session.commit()
    assert count(TaskTick) == 0


def test_a_tick_made_meanwhile_by_another_request_is_reused(lists, family, monkeypatch):
    """Two taps in the same instant: the second insert meets the unique constraint."""
    task_list = lists.task_list()
    kid = children_of(family.household(task_list.communities[0]))[0]
    task = task_list.tasks[0]
    lists.tick(task, kid, minutes=5)  # the other request's tick, already committed
    real_find = operations.find_tick
    calls = []

    def stale_then_real(t, m):
        calls.append(1)
        return None if len(calls) == 1 else real_find(t, m)

    monkeypatch.setattr(operations, "find_tick", stale_then_real)
    tick, created = tick_task(task, kid)
    db.session.commit()
    assert not created
    assert tick.minutes == 5
    assert count(TaskTick) == 1


def test_removed_task_cannot_be_ticked_and_stops_counting(lists, family):
    task_list = lists.task_list()
    kid = children_of(family.household(task_list.communities[0]))[0]
    first, second = task_list.tasks[:2]
    tick_task(first, kid)
    tick_task(second, kid)
    remove_task(second)
    db.session.commit()
    with pytest.raises(TaskListError):
        tick_task(second, kid)
    assert count(TaskTick, task_id=second.id) == 1  # history kept
    ticked = {t.task_id for t in db.session.scalars(select(TaskTick))}
    result = progress(task_list, ticked)
    assert (result.done, result.total) == (1, len(task_list.tasks) - 1)
    restore_task(second)
    db.session.commit()
    result = progress(task_list, ticked)
    assert (result.done, result.total) == (2, len(task_list.tasks))


def test_progress_by_week_and_completion(lists):
    task_list = lists.task_list()
    week1 = [t.id for t in task_list.tasks if t.week == 1]
    result = progress(task_list, week1)
    assert [(w.week, w.done, w.total) for w in result.weeks] == [(1, 3, 3), (2, 0, 2)]
    assert result.weeks[0].complete and not result.complete
    everything = progress(task_list, [t.id for t in task_list.tasks])
    assert everything.complete and everything.percent == 100
    empty = lists.task_list(tasks=())
    assert not progress(empty, []).complete


def test_log_entry_sent_twice_is_stored_once(lists, family):
    task_list = lists.task_list()
    kid = children_of(family.household(task_list.communities[0]))[0]
    day = beijing_today()
    one, created = add_log_entry(task_list, kid, title="团圆", minutes=20, read_on=day)
    two, created_again = add_log_entry(task_list, kid, title="团圆", minutes=20, read_on=day)
    other, created_other = add_log_entry(task_list, kid, title="团圆", minutes=25, read_on=day)
    db.session.commit()
    assert created and not created_again and created_other
    assert one.id == two.id != other.id
    assert count(ReadingLogEntry) == 2


# --- lists and tasks -------------------------------------------------------------------------


def test_move_task_within_its_week(lists):
    task_list = lists.task_list()
    week1 = [t for t in task_list.counting_tasks if t.week == 1]
    assert move_task(week1[0], -1) is False  # first cannot go up
    assert move_task(week1[-1], 1) is False  # last cannot go down
    assert move_task(week1[0], 1) is True
    db.session.commit()
    db.session.expire_all()
    order = [t.id for t in task_list.counting_tasks if t.week == 1]
    assert order == [week1[1].id, week1[0].id, week1[2].id]


def test_publish_needs_a_task(lists):
    task_list = lists.task_list(status=ListStatus.DRAFT, tasks=())
    with pytest.raises(TaskListError):
        publish_list(task_list)
    assert task_list.status is ListStatus.DRAFT


def test_period_cannot_shrink_below_the_tasks_weeks(lists):
    task_list = lists.task_list(weeks=4)  # tasks in weeks 1 and 2
    data = ListData(
        title=task_list.title,
        program=task_list.program,
        starts_on=task_list.starts_on,
        ends_on=task_list.starts_on + timedelta(days=6),
        communities=tuple(task_list.communities),
    )
    with pytest.raises(TaskListError):
        update_list(task_list, data)


def test_copy_takes_counting_tasks_and_no_ticks(lists, family):
    source = lists.task_list()
    book = source.tasks[0]
    book.description, book.book_title, book.book_author = "睡前读", "团圆", "余丽琼"
    book.book_isbn = "9780306406157"
    kid = children_of(family.household(source.communities[0]))[0]
    for task in source.tasks:
        tick_task(task, kid)
    add_log_entry(source, kid, title="团圆", minutes=10, read_on=beijing_today())
    remove_task(source.tasks[-1])
    db.session.commit()
    start = source.starts_on + timedelta(weeks=52)
    copy = copy_list(
        source,
        title="明年寒假家庭阅读任务清单",
        starts_on=start,
        ends_on=start + timedelta(weeks=3),
        all_communities=False,
        communities=list(source.communities),
    )
    db.session.commit()
    assert copy.status is ListStatus.DRAFT and copy.copied_from_id == source.id
    assert [TaskData.of(t) for t in copy.tasks] == [TaskData.of(t) for t in source.counting_tasks]
    copied_ids = [t.id for t in copy.tasks]
    assert count(TaskTick) == len(source.tasks)  # the source's ticks, untouched
    assert not db.session.scalars(select(TaskTick).where(TaskTick.task_id.in_(copied_ids))).all()
    logs = db.session.scalars(
        select(ReadingLogEntry).where(ReadingLogEntry.task_list_id == copy.id)
    ).all()
    assert logs == []
    with pytest.raises(TaskListError):
        copy_list(
            source,
            title="太短",
            starts_on=start,
            ends_on=start,
            all_communities=False,
            communities=list(source.communities),
        )


# --- access ----------------------------------------------------------------------------------


def test_staff_access_rule(make, lists):
    a, b = make.community(), make.community()
    own = lists.task_list(a)
    shared = lists.task_list(a, b)
    everyone = lists.task_list(all_communities=True)
    other = lists.task_list(b)
    staff_a = make.staff(a)
    staff_ab = make.staff(a, b)
    admin = make.admin()
    assert can_edit(staff_a, own) and can_view(staff_a, own)
    assert can_view(staff_a, shared) and not can_edit(staff_a, shared)
    assert can_edit(staff_ab, shared)
    assert can_view(staff_a, everyone) and not can_edit(staff_a, everyone)
    assert not can_view(staff_a, other) and not can_edit(staff_a, other)
    assert all(can_edit(admin, tl) for tl in (own, shared, everyone, other))
    visible = set(db.session.scalars(visible_lists(staff_a)))
    assert visible == {own, shared, everyone}
    assert copy_audience(staff_a, everyone, [a]) == (False, [a])
    assert copy_audience(staff_a, shared, [a]) == (False, [a])
    assert copy_audience(staff_a, everyone, []) == (False, [])  # nobody: no copy
    assert copy_audience(admin, shared, [a, b]) == (False, [a, b])
    assert copy_audience(admin, everyone, [a, b]) == (True, [])
    assert admin.role is Role.ADMIN


def test_household_sees_published_current_lists_of_its_community(make, lists):
    a, b = make.community(), make.community()
    today = beijing_today()
    assert household_may_see(lists.task_list(a), a.id, today)
    assert household_may_see(lists.task_list(all_communities=True), a.id, today)
    assert not household_may_see(lists.task_list(b), a.id, today)
    assert not household_may_see(lists.task_list(a, status=ListStatus.DRAFT), a.id, today)
    assert not household_may_see(lists.task_list(a, status=ListStatus.ARCHIVED), a.id, today)
    future = lists.task_list(a, starts_on=today + timedelta(days=1))
    assert not household_may_see(future, a.id, today)
    past = lists.task_list(a, starts_on=today - timedelta(weeks=10), weeks=2)
    assert household_may_see(past, a.id, today)


# --- check-in --------------------------------------------------------------------------------


def _visit_ticks(member) -> list[TaskTick]:
    return db.session.scalars(
        select(TaskTick)
        .join(Task)
        .where(Task.kind == TaskKind.VISIT, TaskTick.member_id == member.id)
    ).all()


def test_check_in_ticks_the_visit_task_of_the_week_once(make, lists, family):
    community = make.community()
    task_list = lists.task_list(community, starts_on=beijing_today() - timedelta(days=1))
    household = family.household(community, children=(("小明", 6),), adults=("妈妈",))
    kid = children_of(household)[0]
    adult = next(m for m in household.members if not m.is_child)
    reading_session = make.session(start=at(beijing_today(), 10))  # week 1 of the list
    member_checked_in.send(kid, reading_session=reading_session, household=household)
    member_checked_in.send(
        kid, reading_session=reading_session, household=household
    )  # again: no new tick
    member_checked_in.send(
        adult, reading_session=reading_session, household=household
    )  # adults: nothing
    db.session.commit()
    ticks = _visit_ticks(kid)
    assert len(ticks) == 1
    week1_visit = next(t for t in task_list.tasks if t.kind is TaskKind.VISIT and t.week == 1)
    assert ticks[0].task_id == week1_visit.id
    assert ticks[0].source is TickSource.CHECK_IN and ticks[0].session_id == reading_session.id
    assert _visit_ticks(adult) == []
    # Another session (another visit) ticks the next open visit task, once.
    later = make.session(start=at(beijing_today() + timedelta(days=1), 10))
    member_checked_in.send(kid, reading_session=later, household=household)
    member_checked_in.send(kid, reading_session=later, household=household)
    db.session.commit()
    assert len(_visit_ticks(kid)) == 2
    # All visit tasks done: a third visit ticks nothing more.
    third = make.session(start=at(beijing_today() + timedelta(days=2), 10))
    member_checked_in.send(kid, reading_session=third, household=household)
    db.session.commit()
    assert len(_visit_ticks(kid)) == 2


@pytest.mark.parametrize("case", ["outside period", "other community", "draft", "no visit task"])
def test_check_in_ticks_nothing_when_no_list_applies(make, lists, family, case):
    community, other = make.community(), make.community()
    today = beijing_today()
    if case == "outside period":
        lists.task_list(community, starts_on=today + timedelta(days=7))
    elif case == "other community":
        lists.task_list(other)
    elif case == "draft":
        lists.task_list(community, status=ListStatus.DRAFT)
    else:
        lists.task_list(community, tasks=(("读一本绘本", TaskKind.READ_TOGETHER, 1),))
    household = family.household(community)
    kid = children_of(household)[0]
    member_checked_in.send(
        kid, reading_session=make.session(start=at(today, 10)), household=household
    )
    db.session.commit()
    assert count(TaskTick) == 0


def test_check_in_through_the_registrations_operation(make, lists, family):
    """The real check-in (sign-ups) sends the signal: the visit task is ticked."""
    from readingroom.registrations.attendance import check_in

    community = make.community()
    lists.task_list(community)
    household = family.household(community)
    kid = children_of(household)[0]
    reading_session = make.session(make.room(community), start=at(beijing_today(), 10))
    registration = confirmed_registration(reading_session, household, kid)

    assert check_in(registration.attendees[0]) is True
    assert check_in(registration.attendees[0]) is False  # already in: no second signal
    db.session.commit()
    assert len(_visit_ticks(kid)) == 1


def test_task_list_repr_and_week_helpers(lists):
    task_list = lists.task_list(weeks=3)
    assert "寒假" in repr(task_list)
    assert task_list.week_count == 3
    assert task_list.week_of(task_list.starts_on) == 1
    assert task_list.week_of(task_list.starts_on + timedelta(days=7)) == 2
    assert task_list.week_of(task_list.ends_on + timedelta(days=1)) is None
    first, last = task_list.week_bounds(3)
    assert last == task_list.ends_on and (last - first).days == 6
    assert isinstance(task_list, TaskList)


def test_demo_has_a_published_list_for_all_communities_and_ticks_once_households_exist(
    demo, family
):
    from readingroom.demo.tasklists import WINTER_TITLE, seed_tasklists
    from readingroom.places.models import Community

    winter = db.session.scalars(select(TaskList).where(TaskList.title == WINTER_TITLE)).one()
    assert winter.is_published and winter.all_communities
    assert household_may_see(
        winter, db.session.scalars(select(Community)).first().id, beijing_today()
    )
    for community in db.session.scalars(select(Community)):
        family.household(community)
    seed_tasklists(beijing_today())
    db.session.commit()
    made = count(TaskTick)
    assert made > 0
    seed_tasklists(beijing_today())  # again: nothing more
    db.session.commit()
    assert count(TaskTick) == made
    assert count(TaskList) == 2
