"""Link previews (favicon, description, og tags), the Google button only in English, and the
WeChat overlay's markup on every page (wechat.js shows it; tests/e2e checks that)."""

from __future__ import annotations

import re

EN = {"Accept-Language": "en"}


def meta(html: str, key: str) -> str | None:
    found = re.search(rf'<meta (?:name|property)="{re.escape(key)}" content="([^"]*)"', html)
    return found.group(1) if found else None


def test_session_pages_and_calendar_views_preview_in_a_chat(client, make):
    s = make.session(title="绘本共读：好饿的毛毛虫")
    html = client.get(f"/sessions/{s.id}").get_data(as_text=True)
    assert meta(html, "og:title") == "绘本共读：好饿的毛毛虫"
    description = meta(html, "description")
    assert (
        description and s.room.name in description and description == meta(html, "og:description")
    )
    assert meta(html, "og:image").startswith("http") and meta(html, "og:image").endswith(".png")
    assert 'rel="icon"' in html
    image = client.get("/static/og-image.png")
    assert image.status_code == 200 and image.mimetype == "image/png"
    image.close()

    calendar = client.get("/").get_data(as_text=True)
    assert "活动日历" in meta(calendar, "og:title") and "亲子阅读" in meta(calendar, "description")


def test_the_google_button_only_in_english(client, make):
    make.session()
    assert "calendar.google.com/calendar/r?cid" not in client.get("/").get_data(as_text=True)
    assert "Add to Google Calendar" not in client.get("/").get_data(as_text=True)
    assert "Add to Google Calendar" in client.get("/", headers=EN).get_data(as_text=True)


def test_the_wechat_overlay_is_on_the_page_without_inline_script(client, make):
    s = make.session()
    html = client.get(f"/sessions/{s.id}").get_data(as_text=True)
    assert 'id="wechat-overlay"' in html and "点击右上角 ··· ，选择「在浏览器打开」" in html
    assert "/static/wechat.js" in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)  # CSP: no inline script
    assert ' style="' not in html
