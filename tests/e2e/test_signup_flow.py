"""A guardian on a phone: registers, adds a child, signs up, sees the confirmation,
cancels, and the family waiting behind is promoted at once."""

from __future__ import annotations

from sqlalchemy import select

from readingroom.extensions import db
from readingroom.families.models import Household
from readingroom.registrations import operations as ops
from readingroom.registrations import queries
from readingroom.registrations.models import RegistrationStatus
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, screenshot
from tests.fixtures_families import birth_for_age, member_ids


def test_guardian_signs_up_cancels_and_the_waiting_family_moves_up(
    page, browser, live_server, make, family
):
    community = make.community(slug="yaozhuang", name="姚庄社区")
    program = make.program(slug="parent-child", name="亲子阅读", min_age=3, max_age=12)
    s = make.session(make.room(community, name="牡丹书房"), program=program, capacity=2)
    waiting = family.household(community, name="李先生")

    # 1. register with consent, on a 375 px phone
    page.goto(f"/sessions/{s.id}")
    page.get_by_role("link", name="注册家庭账户").click()
    page.fill("#guardian_name", "王女士")
    page.fill("#mobile", "139 1234 5678")
    page.select_option("#community", str(community.id))
    page.fill("#password", "晚上一起读绘本吧")
    page.fill("#password_again", "晚上一起读绘本吧")
    page.check("#consent")
    screenshot(page, "signup-01-register")
    page.get_by_role("button", name="注册").click()
    assert page.get_by_text("欢迎您，王女士").is_visible()  # and on the sign-up page

    # 2. add a child and the guardian herself
    year, month = birth_for_age(6)
    page.get_by_role("link", name="添加孩子").click()
    page.fill("#given_name", "小明")
    page.fill("#birth_year", str(year))
    page.fill("#birth_month", str(month))
    page.get_by_role("button", name="保存").click()
    page.get_by_role("link", name="添加大人").click()
    page.fill("#given_name", "王芳")
    page.get_by_role("button", name="保存").click()
    screenshot(page, "signup-02-family")
    assert page.get_by_text("小明").first.is_visible()

    # 3. back on the sign-up of that session by itself: both come, the confirmation
    page.get_by_label("小明").check()
    page.get_by_label("王芳").check()
    screenshot(page, "signup-03-who-is-coming")
    page.get_by_role("button", name="报名").click()
    assert page.get_by_text("报名成功").first.is_visible()
    screenshot(page, "signup-04-confirmed")
    db.session.rollback()  # end the test's read transaction: see what the server wrote
    household = db.session.scalars(select(Household).where(Household.mobile == "13912345678")).one()
    mine = queries.live_registration(s.id, household.id)
    assert mine.status is RegistrationStatus.CONFIRMED and mine.seats == 2

    # meanwhile the session is full: another family joins the waiting list
    ops.sign_up(s.id, waiting.id, member_ids(waiting))
    db.session.commit()
    assert queries.live_registration(s.id, waiting.id).is_waitlisted

    # 4. cancel: a confirmation page first, then the cancel itself
    page.get_by_role("link", name="取消我的报名").click()
    screenshot(page, "signup-05-cancel-confirm")
    db.session.rollback()
    assert queries.live_registration(s.id, household.id) is not None  # the page changed nothing
    page.get_by_role("button", name="确定取消").click()
    assert page.get_by_text("已取消").first.is_visible()
    screenshot(page, "signup-06-cancelled")

    # 5. the waiting family is promoted at once and sees it on its own phone
    db.session.rollback()
    assert queries.live_registration(s.id, waiting.id).is_confirmed
    context = browser.new_context(viewport=PHONE, locale="zh-CN", base_url=live_server)
    other = context.new_page()
    other.goto("/family/login")
    other.fill("#mobile", waiting.mobile)
    other.fill("#password", PASSWORD)
    other.get_by_role("button", name="登录").click()
    other.goto("/family/notices")
    assert other.get_by_text("有空位了").is_visible()
    screenshot(other, "signup-07-promoted-notice")
    other.goto(f"/sessions/{s.id}")
    assert other.locator(".signup-panel").get_by_text("报名成功").is_visible()
    context.close()


def test_a_refused_sign_up_says_why_next_to_the_choice_and_keeps_it(page, make, family):
    """The POST decides on the locked session row; a refusal shows the page again with the
    reason under the field, the family's choice kept and the ages on the day in the labels."""
    community = make.community(slug="yaozhuang", name="姚庄社区")
    program = make.program(slug="parent-child", name="亲子阅读", min_age=3, max_age=12)
    s = make.session(make.room(community, name="牡丹书房"), program=program, title="好饿的毛毛虫")
    household = family.household(community, children=(("大宝", 14),), adults=("妈妈",))
    db.session.commit()
    page.set_viewport_size(PHONE)
    page.goto("/family/login")
    page.fill("#mobile", household.mobile)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto(f"/sessions/{s.id}/signup")
    page.get_by_label("大宝").check()
    page.get_by_label("妈妈").check()
    page.get_by_role("button", name="报名").click()
    error = page.locator("#members-error")
    assert "大宝 14岁" in error.inner_text() and "亲子阅读" in error.inner_text()
    assert page.get_by_label("大宝").is_checked() and page.get_by_label("妈妈").is_checked()
    assert "活动当天 14 岁" in page.locator("form.stack").inner_text()  # the labels' ages are back
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "signup-08-refused")
    page.set_viewport_size({"width": 1280, "height": 800})
    assert page.locator("#members-error").is_visible()
    screenshot(page, "signup-08-refused-wide")
    db.session.expire_all()
    assert queries.live_registration(s.id, household.id) is None
