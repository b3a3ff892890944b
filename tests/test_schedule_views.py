"""Staff scheduling through HTTP: sessions, series, clashes, cancelling, permissions."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select

from readingroom.extensions import db
from readingroom.schedule.models import ReadingSession, Series, SessionStatus
from readingroom.timeutil import BEIJING, beijing_today

from .conftest import at, login

MONDAY = beijing_today() + timedelta(days=7 - beijing_today().weekday())  # next Monday
SATURDAY = MONDAY + timedelta(days=5)


def count_sessions() -> int:
    return db.session.scalar(select(func.count()).select_from(ReadingSession))


@pytest.fixture
def yaozhuang(make):
    community = make.community(slug="yaozhuang", name="姚庄社区")
    room = make.room(community, slug="yaozhuang-peony", name="牡丹书房", seats=24)
    program = make.program(slug="parent-child", name="亲子阅读")
    staff = make.staff(community, login="yz")
    return community, room, program, staff


@pytest.fixture
def donghe(make):
    community = make.community(slug="donghe", name="董河社区")
    room = make.room(community, slug="donghe-academy", name="董河书房")
    return community, room


@pytest.fixture
def staff_client(client, yaozhuang):
    login(client, yaozhuang[3])
    return client


def session_form(room_obj, program_obj, **overrides):
    data = {
        "program": program_obj.id,
        "room": room_obj.id,
        "title": "绘本共读",
        "host": "王老师",
        "capacity": "12",
        "starts_at": f"{SATURDAY}T09:30",
        "ends_at": f"{SATURDAY}T10:30",
        "description": "一起读绘本",
        "suggested_books": "《团圆》",
    }
    data.update(overrides)
    return data


def series_form(room_obj, program_obj, **overrides):
    data = {
        "program": program_obj.id,
        "room": room_obj.id,
        "title": "假期阅读课程",
        "host": "王老师",
        "capacity": "16",
        "weekdays": ["5"],
        "start_time": "09:30",
        "end_time": "10:30",
        "first_date": SATURDAY.isoformat(),
        "count": "8",
    }
    data.update(overrides)
    return data


# --- single sessions -------------------------------------------------------------------------


def test_create_session(staff_client, yaozhuang):
    _, room, program, _ = yaozhuang
    response = staff_client.post("/staff/sessions/new", data=session_form(room, program))
    assert response.status_code == 302
    reading_session = db.session.scalars(select(ReadingSession)).one()
    assert reading_session.title == "绘本共读"
    assert reading_session.starts_at.astimezone(BEIJING).time() == time(9, 30)
    assert reading_session.starts_at.utcoffset().total_seconds() == 0  # stored and returned as UTC
    assert reading_session.sequence == 0
    page = staff_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "绘本共读" in page
    assert "09:30–10:30" in page


def test_clashing_session_in_same_room_is_refused_and_nothing_stored(staff_client, yaozhuang, make):
    _, room, program, _ = yaozhuang
    make.session(room, program=program, start=at(SATURDAY, 9), minutes=60, title="早场故事会")
    data = session_form(room, program, title="新的活动")
    response = staff_client.post("/staff/sessions/new", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "无法保存" in html
    assert "早场故事会" in html
    assert 'value="新的活动"' in html  # the form keeps what was typed
    assert count_sessions() == 1


def test_touching_session_is_accepted(staff_client, yaozhuang, make):
    _, room, program, _ = yaozhuang
    make.session(room, program=program, start=at(SATURDAY, 8, 30), minutes=60)
    response = staff_client.post("/staff/sessions/new", data=session_form(room, program))
    assert response.status_code == 302
    assert count_sessions() == 2


def test_capacity_above_seats_is_an_error_by_the_field(staff_client, yaozhuang):
    _, room, program, _ = yaozhuang
    html = staff_client.post(
        "/staff/sessions/new", data=session_form(room, program, capacity="30")
    ).get_data(as_text=True)
    assert 'id="capacity-error"' in html
    assert "超过了牡丹书房的座位数 24" in html
    assert count_sessions() == 0


def test_warning_needs_acknowledgement_then_saves(staff_client, yaozhuang, make):
    _, room, program, _ = yaozhuang
    other_room = make.room(yaozhuang[0])
    make.session(
        other_room,
        program=program,
        start=at(SATURDAY, 9),
        minutes=120,
        host="王老师",
        title="另一场",
    )
    data = session_form(room, program)
    first = staff_client.post("/staff/sessions/new", data=data).get_data(as_text=True)
    assert "请注意" in first and "另一场" in first
    assert count_sessions() == 1
    digest = first.split('name="warnings_digest" type="hidden" value="')[1].split('"')[0]
    assert digest
    # Accepting a different set of warnings (input changed meanwhile) does not save.
    staff_client.post(
        "/staff/sessions/new", data={**data, "accept_warnings": "y", "warnings_digest": "stale"}
    )
    assert count_sessions() == 1
    response = staff_client.post(
        "/staff/sessions/new", data={**data, "accept_warnings": "y", "warnings_digest": digest}
    )
    assert response.status_code == 302
    assert count_sessions() == 2


def test_outside_opening_hours_warns(staff_client, make, yaozhuang):
    community, _, program, _ = yaozhuang
    room = make.room(community, hours={5: [(time(9, 0), time(12, 0))]})
    html = staff_client.post(
        "/staff/sessions/new",
        data=session_form(
            room, program, starts_at=f"{SATURDAY}T13:00", ends_at=f"{SATURDAY}T14:00"
        ),
    ).get_data(as_text=True)
    assert "不在" in html and "开放时间" in html
    assert count_sessions() == 0


LONG_TITLE = "书" * 10_000


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"ends_at": f"{SATURDAY}T09:00"}, "ends_at", "结束时间必须晚于开始时间"),
        ({"ends_at": f"{SATURDAY + timedelta(days=2)}T09:00"}, "ends_at", "不能超过一天"),
        ({"room": "999999"}, "room", "请从列表中选择"),
        ({"room": "abc"}, "room", "请从列表中选择"),
        ({"program": "999999"}, "program", "请从列表中选择"),
        ({"title": LONG_TITLE}, "title", "不超过 120 个字"),
        ({"title": "   "}, "title", "请填写活动名称"),
        ({"capacity": "twelve"}, "capacity", "请填写整数"),
        ({"capacity": "-3"}, "capacity", "名额应在 1 到 500 之间"),
        ({"capacity": ""}, "capacity", "请填写提供多少个名额"),
        ({"starts_at": "not a date"}, "starts_at", ""),
        (
            {"starts_at": "1850-01-01T09:00", "ends_at": "1850-01-01T10:00"},
            "starts_at",
            "2000 年到 2100 年",
        ),
    ],
)
def test_bad_session_input_is_explained_by_the_field(
    staff_client, yaozhuang, overrides, field, message
):
    _, room, program, _ = yaozhuang
    data = session_form(room, program, **overrides)
    response = staff_client.post("/staff/sessions/new", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="{field}-error"' in html
    error = html.split(f'id="{field}-error">')[1].split("</p>")[0]
    assert message in error
    assert 'value="王老师"' in html  # typed values kept
    assert count_sessions() == 0


def test_edit_session_raises_the_calendar_revision(staff_client, yaozhuang, make):
    _, room, program, _ = yaozhuang
    reading_session = make.session(room, program=program, start=at(SATURDAY, 9))
    before = reading_session.updated_at
    response = staff_client.post(
        f"/staff/sessions/{reading_session.id}/edit",
        data=session_form(
            room, program, starts_at=f"{SATURDAY}T14:00", ends_at=f"{SATURDAY}T15:00"
        ),
    )
    assert response.status_code == 302
    db.session.refresh(reading_session)
    assert reading_session.starts_at.astimezone(BEIJING).hour == 14
    assert reading_session.sequence == 1
    assert reading_session.updated_at > before


def test_saving_an_unchanged_session_keeps_its_revision(staff_client, yaozhuang, make):
    _, room, program, _ = yaozhuang
    reading_session = make.session(
        room,
        program=program,
        start=at(SATURDAY, 9, 30),
        capacity=12,
        host="王老师",
        description="一起读绘本",
        suggested_books="《团圆》",
    )
    staff_client.post(
        f"/staff/sessions/{reading_session.id}/edit", data=session_form(room, program)
    )
    db.session.refresh(reading_session)
    assert reading_session.sequence == 0


def test_cancel_keeps_the_session_marked_cancelled(staff_client, yaozhuang, make):
    _, room, program, _ = yaozhuang
    reading_session = make.session(room, program=program)
    assert "取消原因" in staff_client.get(f"/staff/sessions/{reading_session.id}/cancel").get_data(
        as_text=True
    )
    missing_reason = staff_client.post(
        f"/staff/sessions/{reading_session.id}/cancel", data={"reason": ""}
    )
    assert "请说明取消原因" in missing_reason.get_data(as_text=True)
    response = staff_client.post(
        f"/staff/sessions/{reading_session.id}/cancel", data={"reason": "书院停电"}
    )
    assert response.status_code == 302
    db.session.refresh(reading_session)
    assert reading_session.status is SessionStatus.CANCELLED
    assert reading_session.cancel_reason == "书院停电"
    assert reading_session.sequence == 1
    assert count_sessions() == 1
    page = staff_client.get(f"/staff/sessions/{reading_session.id}").get_data(as_text=True)
    assert "已取消" in page and "书院停电" in page


def test_cancelled_session_cannot_be_edited(staff_client, yaozhuang, make):
    _, room, program, _ = yaozhuang
    reading_session = make.session(room, program=program, status=SessionStatus.CANCELLED)
    response = staff_client.post(
        f"/staff/sessions/{reading_session.id}/edit", data=session_form(room, program)
    )
    assert response.status_code == 302
    db.session.refresh(reading_session)
    assert reading_session.sequence == 0


def test_cancel_is_post_only_for_changes(staff_client, yaozhuang, make):
    """GET shows the confirmation; it changes nothing."""
    _, room, program, _ = yaozhuang
    reading_session = make.session(room, program=program)
    staff_client.get(f"/staff/sessions/{reading_session.id}/cancel?reason=x")
    db.session.refresh(reading_session)
    assert reading_session.status is SessionStatus.SCHEDULED


# --- series ----------------------------------------------------------------------------------


def test_series_of_eight_weeks_creates_eight_sessions(staff_client, yaozhuang):
    _, room, program, _ = yaozhuang
    response = staff_client.post("/staff/series/new", data=series_form(room, program))
    assert response.status_code == 302
    series = db.session.scalars(select(Series)).one()
    sessions = series.sessions
    assert len(sessions) == 8
    days = [s.starts_at.astimezone(BEIJING).date() for s in sessions]
    assert days == [SATURDAY + timedelta(weeks=i) for i in range(8)]
    assert all(s.starts_at.astimezone(BEIJING).time() == time(9, 30) for s in sessions)
    assert len({s.ical_uid() for s in sessions}) == 8
    page = staff_client.get(response.headers["Location"]).get_data(as_text=True)
    assert page.count('class="session-card') == 8


def test_series_until_a_last_date_across_a_month(staff_client, yaozhuang):
    _, room, program, _ = yaozhuang
    first = date(2030, 1, 28)  # Monday; the series crosses into February
    data = series_form(
        room,
        program,
        weekdays=["0", "2"],
        first_date=first.isoformat(),
        count="",
        last_date="2030-02-06",
    )
    assert staff_client.post("/staff/series/new", data=data).status_code == 302
    days = sorted(
        s.starts_at.astimezone(BEIJING).date() for s in db.session.scalars(select(ReadingSession))
    )
    assert days == [date(2030, 1, 28), date(2030, 1, 30), date(2030, 2, 4), date(2030, 2, 6)]


def test_series_lists_every_clashing_date_and_saves_nothing(staff_client, yaozhuang, make):
    _, room, program, _ = yaozhuang
    make.session(room, program=program, start=at(SATURDAY + timedelta(weeks=2), 10), title="甲")
    make.session(room, program=program, start=at(SATURDAY + timedelta(weeks=5), 9), title="乙")
    html = staff_client.post("/staff/series/new", data=series_form(room, program)).get_data(
        as_text=True
    )
    assert "有 2 处冲突" in html
    assert "甲" in html and "乙" in html
    assert db.session.scalar(select(func.count()).select_from(Series)) == 0
    assert count_sessions() == 2


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"weekdays": []}, "weekdays", "请至少选择一个星期几"),
        ({"weekdays": ["9"]}, "weekdays", ""),
        ({"end_time": "09:00"}, "end_time", "结束时间必须晚于开始时间"),
        ({"count": ""}, "last_date", "请填写最后日期或场次数"),
        ({"last_date": "2031-01-01"}, "count", "二者选一"),
        ({"count": "0"}, "count", "场次数应在 1 到 200 之间"),
        ({"count": "abc"}, "count", "请填写整数"),
        ({"capacity": "-1"}, "capacity", "名额应在 1 到 500 之间"),
        ({"title": LONG_TITLE}, "title", "不超过 120 个字"),
        ({"first_date": ""}, "first_date", "请填写第一场的日期"),
    ],
)
def test_bad_series_input_is_explained_by_the_field(
    staff_client, yaozhuang, overrides, field, message
):
    _, room, program, _ = yaozhuang
    response = staff_client.post("/staff/series/new", data=series_form(room, program, **overrides))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="{field}-error"' in html
    assert message in html.split(f'id="{field}-error">')[1].split("</p>")[0]
    assert 'value="王老师"' in html  # typed values kept
    assert count_sessions() == 0


def test_cancelling_one_occurrence_keeps_it_and_the_rest(staff_client, yaozhuang):
    _, room, program, _ = yaozhuang
    staff_client.post("/staff/series/new", data=series_form(room, program))
    third = db.session.scalars(select(ReadingSession).order_by(ReadingSession.starts_at)).all()[2]
    staff_client.post(f"/staff/sessions/{third.id}/cancel", data={"reason": "国庆放假"})
    sessions = db.session.scalars(select(ReadingSession).order_by(ReadingSession.starts_at)).all()
    assert len(sessions) == 8
    assert [s.status for s in sessions].count(SessionStatus.CANCELLED) == 1
    assert sessions[2].is_cancelled and sessions[2].series_id is not None


def test_edit_this_occurrence_only(staff_client, yaozhuang):
    _, room, program, _ = yaozhuang
    staff_client.post("/staff/series/new", data=series_form(room, program))
    sessions = db.session.scalars(select(ReadingSession).order_by(ReadingSession.starts_at)).all()
    target = sessions[3]
    day = target.starts_at.astimezone(BEIJING).date()
    response = staff_client.post(
        f"/staff/sessions/{target.id}/edit",
        data=session_form(
            room, program, title="特别场", starts_at=f"{day}T14:00", ends_at=f"{day}T15:00"
        ),
    )
    assert response.status_code == 302
    titles = [
        s.title
        for s in db.session.scalars(select(ReadingSession).order_by(ReadingSession.starts_at))
    ]
    assert titles.count("特别场") == 1
    assert titles.count("假期阅读课程") == 7


def test_edit_this_and_following_splits_the_series_and_keeps_identities(
    staff_client, yaozhuang, make
):
    _, room, program, _ = yaozhuang
    other_room = make.room(yaozhuang[0], seats=30)
    staff_client.post("/staff/series/new", data=series_form(room, program))
    sessions = db.session.scalars(select(ReadingSession).order_by(ReadingSession.starts_at)).all()
    ids = [s.id for s in sessions]
    from_session = sessions[3]
    form = staff_client.get(f"/staff/sessions/{from_session.id}/edit-following").get_data(
        as_text=True
    )
    assert 'value="假期阅读课程"' in form
    last_day = (SATURDAY + timedelta(weeks=7)).isoformat()
    response = staff_client.post(
        f"/staff/sessions/{from_session.id}/edit-following",
        data=series_form(
            other_room,
            program,
            title="假期阅读课程（新址）",
            start_time="14:00",
            end_time="15:00",
            count="",
            last_date=last_day,
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    after = db.session.scalars(select(ReadingSession).order_by(ReadingSession.starts_at)).all()
    assert [s.id for s in after] == ids  # same rows, same calendar UIDs
    assert all(s.room_id == room.id and s.sequence == 0 for s in after[:3])
    assert all(s.room_id == other_room.id and s.sequence == 1 for s in after[3:])
    assert all(s.starts_at.astimezone(BEIJING).hour == 14 for s in after[3:])
    series_ids = {s.series_id for s in after}
    assert len(series_ids) == 2  # the old series ends, a new one carries the rest
    old = db.session.get(Series, after[0].series_id)
    assert old.last_date == after[2].starts_at.astimezone(BEIJING).date()


def test_edit_following_with_fewer_dates_cancels_the_rest(staff_client, yaozhuang):
    _, room, program, _ = yaozhuang
    staff_client.post("/staff/series/new", data=series_form(room, program))
    sessions = db.session.scalars(select(ReadingSession).order_by(ReadingSession.starts_at)).all()
    last_day = sessions[5].starts_at.astimezone(BEIJING).date().isoformat()
    staff_client.post(
        f"/staff/sessions/{sessions[0].id}/edit-following",
        data=series_form(room, program, count="", last_date=last_day),
    )
    after = db.session.scalars(select(ReadingSession).order_by(ReadingSession.starts_at)).all()
    assert len(after) == 8  # never deleted
    assert [s.is_cancelled for s in after] == [False] * 6 + [True] * 2
    assert db.session.scalar(select(func.count()).select_from(Series)) == 1


# --- pages and permissions -------------------------------------------------------------------


def test_week_view_and_upcoming_list(staff_client, yaozhuang, make):
    _, room, program, _ = yaozhuang
    make.session(room, program=program, start=at(SATURDAY, 9), title="周六绘本")
    week = staff_client.get(f"/staff/rooms/{room.id}/week?date={SATURDAY}").get_data(as_text=True)
    assert "周六绘本" in week
    assert week.count('class="week-day') == 7
    listing = staff_client.get("/staff/communities/yaozhuang/sessions").get_data(as_text=True)
    assert "周六绘本" in listing
    # A bad date parameter falls back to this week instead of failing.
    assert staff_client.get(f"/staff/rooms/{room.id}/week?date=2026-13-45").status_code == 200


def test_staff_pages_need_login(client, yaozhuang):
    response = client.get("/staff/sessions/new")
    assert response.status_code == 302
    assert "/staff/login" in response.headers["Location"]


def test_yaozhuang_staff_get_403_on_donghe(staff_client, yaozhuang, donghe, make):
    _, donghe_room = donghe
    reading_session = make.session(donghe_room, program=yaozhuang[2])
    for url in (
        f"/staff/rooms/{donghe_room.id}/edit",
        f"/staff/rooms/{donghe_room.id}/week",
        f"/staff/sessions/{reading_session.id}",
        f"/staff/sessions/{reading_session.id}/edit",
        f"/staff/sessions/{reading_session.id}/cancel",
        "/staff/communities/donghe/sessions",
    ):
        assert staff_client.get(url).status_code == 403, url
    assert (
        staff_client.post(
            f"/staff/sessions/{reading_session.id}/cancel", data={"reason": "x"}
        ).status_code
        == 403
    )
    db.session.refresh(reading_session)
    assert not reading_session.is_cancelled


def test_staff_cannot_schedule_into_another_communitys_room(staff_client, yaozhuang, donghe):
    _, _, program, _ = yaozhuang
    _, donghe_room = donghe
    html = staff_client.post(
        "/staff/sessions/new", data=session_form(donghe_room, program)
    ).get_data(as_text=True)
    assert 'id="room-error"' in html
    assert "董河书房" not in html.split('id="room"')[1].split("</select>")[0]
    assert count_sessions() == 0


def test_admin_sees_every_community(client, make, yaozhuang, donghe):
    admin = make.admin()
    login(client, admin)
    assert client.get(f"/staff/rooms/{donghe[1].id}/week").status_code == 200
    assert client.get("/staff/communities/yaozhuang/sessions").status_code == 200
    html = client.get("/staff/").get_data(as_text=True)
    assert "姚庄社区" in html and "董河社区" in html


def test_english_staff_pages(staff_client, yaozhuang):
    html = staff_client.get("/staff/series/new", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert "New weekly series" in html
    assert "Saturday" in html
