"""The parent's and the staff member's day (issue 12) in Chromium at 375 px: a new family from
the home page to a confirmed sign-up in fewer pages, the window-not-open state, the WeChat
overlay, the confirmation page's calendar links, and the month poster on one A4 page."""

from __future__ import annotations

import re
from datetime import date, timedelta

from readingroom.timeutil import beijing_today
from tests.conftest import at
from tests.e2e.conftest import PHONE, SCREENSHOTS, screenshot
from tests.fixtures_families import birth_for_age, household_login  # noqa: F401

WECHAT_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI "
    "Language/zh_CN"
)


def log_in(page, household, password="correct horse battery"):
    page.goto("/family/login")
    page.fill("#mobile", household.mobile)
    page.fill("#password", password)
    page.get_by_role("button", name="登录").click()


def test_a_new_family_goes_from_the_home_page_to_a_confirmed_sign_up_in_few_pages(page, make):
    community = make.community(slug="yaozhuang", name="姚庄社区")
    program = make.program(slug="parent-child", name="亲子阅读", min_age=3, max_age=12)
    day = beijing_today() + timedelta(days=2)
    s = make.session(
        make.room(community, name="牡丹书房"),
        program=program,
        title="好饿的毛毛虫",
        start=at(day, 9, 30),
    )
    pages: list[str] = []
    page.on("framenavigated", lambda frame: frame == page.main_frame and pages.append(frame.url))

    page.goto("/?view=list")
    page.get_by_role("link", name="好饿的毛毛虫").first.click()
    page.get_by_role("link", name="注册家庭账户").click()
    page.fill("#guardian_name", "王女士")
    page.fill("#mobile", "13912345678")
    page.select_option("#community", str(community.id))
    page.fill("#password", "晚上一起读绘本吧")
    page.fill("#password_again", "晚上一起读绘本吧")
    page.check("#consent")  # consent before any child is added: still asked
    page.get_by_role("button", name="注册").click()
    assert page.url.endswith(f"/sessions/{s.id}/signup")  # straight back to the sign-up
    page.get_by_role("link", name="添加孩子").first.click()
    year, month = birth_for_age(6)
    page.fill("#given_name", "小明")
    page.fill("#birth_year", str(year))
    page.fill("#birth_month", str(month))
    page.get_by_role("button", name="保存").click()
    page.get_by_role("link", name="添加大人").click()
    page.fill("#given_name", "王芳")
    page.get_by_role("button", name="保存").click()
    page.get_by_label("小明").check()
    page.get_by_label("王芳").check()
    page.get_by_role("button", name="报名").click()
    assert page.get_by_text("报名成功").first.is_visible()
    screenshot(page, "dayflow-01-confirmed")
    # home, session, register, sign-up, child, sign-up, adult, sign-up, confirmation (was 12)
    assert len(pages) <= 9, pages


def test_before_the_window_opens_the_page_says_when(page, make):
    program = make.program(min_age=0, max_age=None, adult_required=False)
    s = make.session(program=program, start=at(beijing_today() + timedelta(days=20), 9, 30))
    page.goto(f"/sessions/{s.id}")
    panel = page.locator(".signup-panel")
    assert re.search(r"报名将于 \d+月\d+日 周. \d\d:\d\d 开始", panel.inner_text())
    assert panel.get_by_role("button").count() == 0
    assert panel.get_by_role("link", name="登录后报名").count() == 0
    # on a phone the panel comes right after time and place
    box = panel.bounding_box()
    assert box is not None and box["y"] < PHONE["height"] * 1.2
    screenshot(page, "dayflow-02-window-not-open")


def test_inside_wechat_calendar_links_show_how_to_open_the_browser(browser, live_server, make):
    program = make.program(min_age=0, max_age=None, adult_required=False)
    s = make.session(program=program)
    context = browser.new_context(
        viewport=PHONE, locale="zh-CN", base_url=live_server, user_agent=WECHAT_UA
    )
    page = context.new_page()
    page.goto(f"/sessions/{s.id}")
    overlay = page.locator("#wechat-overlay")
    assert overlay.is_hidden()
    page.get_by_role("link", name="加入我的日历（.ics）").click()
    assert overlay.is_visible()
    assert "点击右上角 ··· ，选择「在浏览器打开」" in overlay.inner_text()
    assert page.input_value("#wechat-link").endswith(f"/sessions/{s.id}.ics")
    screenshot(page, "dayflow-03-wechat-overlay")
    page.get_by_role("button", name="关闭").click()
    assert overlay.is_hidden()
    # the calendar's webcal link: the https address to copy
    page.goto("/")
    page.locator('a[href^="webcal:"]').first.click()
    assert page.input_value("#wechat-link").startswith("http")
    page.keyboard.press("Escape")
    # everything else works as usual: a session link navigates
    page.get_by_role("link", name=s.title).first.click()
    assert page.url.endswith(f"/sessions/{s.id}")
    context.close()


def test_the_confirmation_page_offers_the_calendar_links(page, make, family):
    program = make.program(min_age=0, max_age=None, adult_required=False)
    s = make.session(program=program, title="长者悦读会")
    household = family.household(s.room.community, children=(), adults=("张阿姨",))
    log_in(page, household)
    page.goto(f"/sessions/{s.id}")
    page.get_by_label("张阿姨").check()
    page.get_by_role("button", name="报名").click()
    assert page.locator(".flash-success").count() == 0  # one success message: the status box
    with page.expect_download() as download:
        page.get_by_role("link", name="加入我的日历", exact=True).click()
    assert download.value.suggested_filename.endswith(".ics")
    confirmation = page.url
    page.get_by_role("button", name="生成我家的日历订阅链接").click()
    page.wait_for_url("**/family/sessions*")
    # back on the confirmation page (opened again: going back through the history while the
    # post's redirect settles was "not attached to an active page" in Chromium once)
    page.goto(confirmation)
    assert page.locator('a[href^="webcal:"]').get_attribute("href").startswith("webcal://")
    assert page.get_by_role("link", name="取消我的报名").is_visible()
    screenshot(page, "dayflow-04-confirmation")


def test_a_dense_month_poster_prints_on_one_a4_page(page, make):
    community = make.community(slug="sunzhuang", name="孙庄社区")
    rooms = [make.room(community, name=n) for n in ("牡丹书房", "芍药书房")]
    programs = [
        make.program(slug="parent-child", name="亲子阅读", colour="#c0392b"),
        make.program(
            slug="seniors",
            name="长者悦读",
            colour="#2874a6",
            min_age=60,
            max_age=None,
            adult_required=False,
        ),
    ]
    saturday = date(2027, 5, 8)  # May 2027 spans six Monday-first weeks
    for i, hour in enumerate((9, 10, 14, 16)):
        make.session(
            rooms[i % 2],
            program=programs[i % 2],
            start=at(saturday, hour),
            title=f"暑期阅读课程 第{i + 1}课：绘本里的四季与家乡的河流",
        )
    for offset in range(0, 31, 2):  # the odd days: 1, 3, … (not the 8th)
        day = date(2027, 5, 1) + timedelta(days=offset)
        for hour in (9, 15):
            make.session(rooms[0], program=programs[0], start=at(day, hour), title="绘本共读")
    page.goto("/poster?community=sunzhuang&month=2027-05")
    cell = page.locator("td", has=page.locator(".poster-day", has_text=re.compile(r"^8$")))
    assert "还有 2 场" in cell.inner_text()
    screenshot(page, "dayflow-05-poster-screen")
    pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    (SCREENSHOTS / "dayflow-05-poster.pdf").write_bytes(pdf)  # to look at
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert pages == 1, pages
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 794, "height": 1123})
    assert page.locator(".poster-foot").get_by_text("长者悦读").first.is_visible()
    assert page.locator(".poster-foot").get_by_text("芍药书房").first.is_visible()
    screenshot(page, "dayflow-05-poster-print")
