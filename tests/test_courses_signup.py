"""Whole-course sign-up as plain functions: each session its own seats, waiting list and
eligibility at its own date; refusals; cancelling all promotes each waiting list."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from readingroom.extensions import db
from readingroom.families.models import Member, MemberKind
from readingroom.registrations.course_signup import (
    cancel_course,
    course_figures,
    household_course_registrations,
    sign_up_for_course,
)
from readingroom.registrations.models import RegistrationStatus
from readingroom.registrations.operations import SignupError, sign_up
from readingroom.registrations.queries import live_registration
from readingroom.schedule.course_operations import (
    CourseData,
    LessonData,
    RunData,
    add_lesson,
    save_course,
    schedule_course,
)
from readingroom.schedule.operations import cancel_session
from readingroom.timeutil import beijing_today, to_beijing

from .fixtures_families import member_ids

SATURDAY = beijing_today() + timedelta(days=(5 - beijing_today().weekday()) % 7 or 7)


@pytest.fixture
def runs(make):
    program = make.program(min_age=3, max_age=6)
    course = save_course(
        CourseData("暑期阅读课程", program, SATURDAY, SATURDAY + timedelta(weeks=12))
    )
    for n in range(1, 9):
        add_lesson(course, LessonData(topic=f"第{n}本书"))
    rooms = [make.room(), make.room()]
    runs = schedule_course(course, [RunData(r, 5, time(9), time(10), 2) for r in rooms])
    db.session.commit()
    return runs


def test_full_sessions_wait_the_others_confirm(runs, family):
    run = runs[0]
    other = family.household(children=(("甜甜", 5),), adults=("赵丽",))
    sign_up(run.sessions[2].id, other.id, member_ids(other), early_ok=True)
    db.session.commit()
    me = family.household(children=(("乐乐", 5),), adults=("王芳",))
    outcomes = sign_up_for_course(run, me.id, member_ids(me))
    db.session.commit()
    assert [o.state for o in outcomes] == ["confirmed"] * 2 + ["waitlisted"] + ["confirmed"] * 5
    # later sessions were taken before their own window opened (a course sign-up)
    assert all(o.registration.seats == 2 for o in outcomes)


def test_eligibility_is_checked_at_each_sessions_date(runs, family):
    run = runs[0]
    me = family.household(children=(), adults=("王芳",))
    # 6 now, 7 from the first of the month of the fifth lesson: too old for the rest
    fifth = to_beijing(run.sessions[4].starts_at).date()
    birth_month = fifth.month
    child = Member(
        household_id=me.id,
        kind=MemberKind.CHILD,
        given_name="乐乐",
        birth_year=fifth.year - 7,
        birth_month=birth_month,
    )
    db.session.add(child)
    db.session.commit()
    outcomes = sign_up_for_course(run, me.id, member_ids(me))
    db.session.commit()
    states = [o.state for o in outcomes]
    firsts = [to_beijing(o.session.starts_at).date().replace(day=1) for o in outcomes]
    too_old = fifth.replace(day=1)
    assert states == ["refused" if day >= too_old else "confirmed" for day in firsts]
    assert "refused" in states and "confirmed" in states
    assert all(o.problem for o in outcomes if o.state == "refused")


def test_refused_as_a_whole_when_no_session_takes_them(runs, family):
    me = family.household(children=(("爷爷的孙女", 10),))  # too old throughout
    with pytest.raises(SignupError):
        sign_up_for_course(runs[0], me.id, member_ids(me))
    db.session.rollback()
    assert household_course_registrations(runs[0], me.id) == {}


def test_one_run_per_course_and_family(runs, family):
    me = family.household(children=(("乐乐", 5),))
    sign_up_for_course(runs[0], me.id, member_ids(me))
    db.session.commit()
    with pytest.raises(SignupError, match=runs[0].room.name):
        sign_up_for_course(runs[1], me.id, member_ids(me))


def test_cancelled_and_past_sessions_are_left_out(runs, family):
    run = runs[0]
    cancel_session(run.sessions[3], "停电")
    db.session.commit()
    me = family.household(children=(("乐乐", 5),))
    outcomes = sign_up_for_course(run, me.id, member_ids(me))
    assert run.sessions[3].id not in {o.session.id for o in outcomes}
    assert len(outcomes) == 7


def test_cancelling_the_course_promotes_each_waiting_list(runs, family):
    run = runs[0]
    me = family.household(children=(("乐乐", 5),), adults=("王芳",))
    sign_up_for_course(run, me.id, member_ids(me))
    db.session.commit()
    waiting = family.household(children=(("豆豆", 4),))
    sign_up(run.sessions[0].id, waiting.id, member_ids(waiting))
    db.session.commit()
    assert live_registration(run.sessions[0].id, waiting.id).is_waitlisted
    cancelled = cancel_course(run, me.id)
    db.session.commit()
    assert len(cancelled) == 8
    assert all(r.status is RegistrationStatus.CANCELLED for r in cancelled)
    assert live_registration(run.sessions[0].id, waiting.id).is_confirmed
    with pytest.raises(SignupError):
        cancel_course(run, me.id)


def test_figures_side_by_side(runs, family):
    me = family.household(children=(("乐乐", 5),))
    sign_up_for_course(runs[1], me.id, member_ids(me))
    db.session.commit()
    figures = course_figures(runs)
    assert [f.seats_taken for f in figures] == [0, 16]  # a child and an adult, 8 times
    assert [f.held for f in figures] == [0, 0]
    assert len(figures[1].by_lesson) == 8


def test_one_notice_for_the_whole_course_and_one_for_cancelling_it(runs, family):
    from sqlalchemy import select

    from readingroom.notices.models import Notice, NoticeKind, OutboxMessage
    from readingroom.notices.operations import notice_text

    run = runs[0]
    other = family.household(children=(("甜甜", 5),), adults=("赵丽",))
    sign_up(run.sessions[2].id, other.id, member_ids(other), early_ok=True)
    db.session.commit()
    me = family.household(children=(("乐乐", 5),), adults=("王芳",))
    sign_up_for_course(run, me.id, member_ids(me))
    db.session.commit()
    mine = db.session.scalars(select(Notice).where(Notice.household_id == me.id)).all()
    assert [n.kind for n in mine] == [NoticeKind.COURSE_SIGNED_UP]
    assert "7 场已确认，1 场候补" in notice_text(mine[0]) and "暑期阅读课程" in notice_text(mine[0])
    cancel_course(run, me.id)
    db.session.commit()
    mine = db.session.scalars(
        select(Notice).where(Notice.household_id == me.id).order_by(Notice.id)
    ).all()
    assert [n.kind for n in mine] == [NoticeKind.COURSE_SIGNED_UP, NoticeKind.COURSE_CANCELLED]
    assert "共 8 场" in notice_text(mine[1])
    outbox = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.notice_id.in_([n.id for n in mine]))
    ).all()
    assert len(outbox) == 2  # two SMS, not sixteen


def test_a_run_edited_from_a_lesson_on_stays_one_run_for_the_families(runs, family, client):
    """Staff move a run's time from the third lesson on ("this and following"): it stays
    one run, so the families who follow the whole course keep following all of it, a new
    family signs up for all of it in one step, and cancelling the course cancels it all."""
    from dataclasses import replace

    from readingroom.schedule.operations import series_data, update_series_from

    run = runs[0]
    me = family.household(children=(("乐乐", 5),))
    sign_up_for_course(run, me.id, member_ids(me))
    db.session.commit()
    third = to_beijing(run.sessions[2].starts_at).date()
    data = replace(series_data(run), start_time=time(15), end_time=time(16))
    assert update_series_from(run, third, data, removed_reason="") is run
    db.session.commit()
    course = run.course
    assert [r.id for r in course.runs] == [r.id for r in runs]  # no run added
    assert [to_beijing(s.starts_at).hour for s in run.sessions] == [9, 9] + [15] * 6
    assert len(household_course_registrations(run, me.id)) == 8
    page = client.get(f"/courses/{course.id}").get_data(as_text=True)
    assert page.count('class="card course-run"') == 2  # one per room, as before
    other = family.household(children=(("豆豆", 4),))
    assert len(sign_up_for_course(run, other.id, member_ids(other))) == 8
    db.session.commit()
    assert len(cancel_course(run, me.id)) == 8
