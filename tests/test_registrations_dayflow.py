"""The sign-up panel and the family's pages after the walk-through (issue 12), through HTTP:
panel order and seat count, window not open, running and past sessions, the confirmation
page, waiting-list words, and the confirmations before removing a member or a feed link."""

from __future__ import annotations

from datetime import timedelta

import pytest

from readingroom.extensions import db
from readingroom.families.models import Household, Member
from readingroom.registrations import operations as ops
from readingroom.registrations import queries
from readingroom.timeutil import beijing_today, utcnow

from .conftest import at
from .fixtures_families import household_login, member_ids


@pytest.fixture
def program(make):
    return make.program(min_age=0, max_age=None, adult_required=False)


def page(client, path):
    return client.get(path).get_data(as_text=True)


def test_the_panel_follows_time_and_place_and_counts_seats_once(client, make, program):
    s = make.session(program=program, capacity=12, host="新华书店 李老师")
    html = page(client, f"/sessions/{s.id}")
    assert html.index("书房") < html.index('class="signup-panel"') < html.index("新华书店 李老师")
    assert html.count("剩余 12 个") + html.count("12 个座位中剩余") <= 1
    assert html.count("剩余") == 1


def test_before_the_window_opens_no_form_and_no_login_button(client, make, family, program):
    start = at(beijing_today() + timedelta(days=20), 9, 30)
    s = make.session(program=program, start=start)
    opens = s.starts_at - timedelta(days=7)
    logged_out = page(client, f"/sessions/{s.id}")
    assert "报名将于" in logged_out and "开始" in logged_out
    assert f"{opens.astimezone(start.tzinfo).day}日" in logged_out
    assert "登录后报名" not in logged_out and 'class="signup-form' not in logged_out

    household_login(client, family.household(s.room.community))
    logged_in = page(client, f"/sessions/{s.id}")
    assert "报名将于" in logged_in and '<form method="post" action="/sessions/' not in logged_in


def test_running_and_past_sessions_say_so_and_offer_no_seats(client, make, program):
    running = make.session(program=program, start=utcnow() - timedelta(minutes=10), minutes=60)
    past = make.session(program=program, start=utcnow() - timedelta(days=2))
    for s, words in ((running, "进行中"), (past, "已结束")):
        html = page(client, f"/sessions/{s.id}")
        panel = html[html.index('class="signup-panel"') :]
        assert words in panel and "剩余" not in html and "登录后报名" not in html


def test_the_confirmation_page_has_the_calendar_links_and_one_message(
    client, make, family, program
):
    s = make.session(program=program, capacity=5)
    household = family.household(s.room.community, children=(), adults=("妈妈",))
    household_login(client, household)
    client.get("/family/")  # shows (and so drops) the welcome message
    response = client.post(
        f"/sessions/{s.id}/signup", data={"members": member_ids(household)}, follow_redirects=True
    )
    html = response.get_data(as_text=True)
    assert html.count("已确认") + html.count("报名成功") >= 1
    assert 'class="flash flash-success"' not in html  # the status box says it; once
    assert f'href="/sessions/{s.id}.ics"' in html and "加入我的日历" in html
    assert "/family/feed/rotate" in html  # make the household's feed link
    assert "/cancel/" in html  # the cancel link that works without login

    client.post("/family/feed/rotate")
    registration = queries.live_registration(s.id, household.id)
    html = page(client, f"/family/registrations/{registration.id}")
    assert "webcal://" in html and "/feeds/household/" in html


def test_a_waiting_family_that_does_not_fit_sees_why(client, make, family, program):
    s = make.session(program=program, capacity=3)
    first = family.household(s.room.community, children=(), adults=("爸爸", "爷爷"))
    two = family.household(s.room.community, children=(), adults=("妈妈", "奶奶"))
    for h in (first, two):
        ops.sign_up(s.id, h.id, member_ids(h))
        db.session.commit()
    household_login(client, two)
    registration = queries.live_registration(s.id, two.id)
    html = page(client, f"/family/registrations/{registration.id}")
    assert "还剩 1 个座位，您报名了 2 人" in html
    session_page = page(client, f"/sessions/{s.id}")
    assert "候补：1 户，共 2 个座位" in session_page


def test_removing_a_member_asks_first(client, family, make):
    household = family.household(children=(("小明", 6),), adults=("妈妈",))
    child = next(m for m in household.members if m.is_child)
    household_login(client, household)
    edit = page(client, f"/family/members/{child.id}/edit")
    assert f'href="/family/members/{child.id}/remove"' in edit
    ask = page(client, f"/family/members/{child.id}/remove")
    assert "要把小明从家庭中移除吗？" in ask and 'name="csrf_token"' in ask
    assert db.session.get(Member, child.id).removed_at is None  # GET changes nothing
    assert client.post(f"/family/members/{child.id}/remove").status_code == 302
    assert db.session.get(Member, child.id).removed_at is not None


def test_replacing_the_feed_link_asks_first_and_says_what_it_does(client, family):
    household = family.household()
    household_login(client, household)
    first = client.post("/family/feed/rotate", follow_redirects=True).get_data(as_text=True)
    assert "日历订阅链接已生成" in first and "旧链接" not in first.split("flashes")[1][:200]
    nonce = db.session.get(Household, household.id).feed_nonce
    ask = page(client, "/family/feed/rotate")
    assert "重新订阅" in ask and "不再更新" in ask
    assert db.session.get(Household, household.id).feed_nonce == nonce
    client.post("/family/feed/rotate")
    assert db.session.get(Household, household.id).feed_nonce != nonce
