"""Chinese as it is written: full-width ：（），！ next to Chinese characters, never ASCII.

Checked three ways: every Chinese translation in the catalogue, every template (literal
text, and ASCII punctuation glued to a translated string such as ``{{ _("Language") }}:``),
and the visible text of the main pages as rendered in Chinese.
"""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from readingroom.extensions import db
from readingroom.registrations import operations as ops
from readingroom.registrations import queries

from .conftest import at, login
from .fixtures_families import household_login, member_ids

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "readingroom/translations/zh/LC_MESSAGES/messages.po"
CJK = r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]"
ASCII_NEXT_TO_CHINESE = re.compile(rf"{CJK} *[:(),!]|[:(),!] *{CJK}")
GLUED_TO_GETTEXT = re.compile(r"""_\((?:"[^"]*"|'[^']*')[^)]*\)\s*\}\}[:(),!]""")


def offences(text: str) -> list[str]:
    return [text[max(m.start() - 8, 0) : m.end() + 8] for m in ASCII_NEXT_TO_CHINESE.finditer(text)]


def test_the_catalogue_uses_full_width_punctuation_in_chinese():
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle)
    bad = []
    for message in catalogue:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        bad += [(message.id, s) for s in strings if s and offences(s)]
    assert not bad, bad


def test_templates_glue_no_ascii_punctuation_to_chinese():
    bad = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if GLUED_TO_GETTEXT.search(line) or offences(line):
                bad.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    assert not bad, "\n".join(bad)


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "svg"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style", "svg"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


@pytest.fixture
def world(make, family):
    from readingroom.timeutil import beijing_today

    community = make.community(name="姚庄社区")
    room = make.room(community, name="牡丹书房")
    program = make.program(name="亲子阅读", min_age=0, max_age=None, adult_required=False)
    day = beijing_today() + timedelta(days=2)
    s = make.session(room, program=program, title="绘本共读：小熊", start=at(day, 9, 30))
    household = family.household(community, children=(), adults=("妈妈",))
    ops.sign_up(s.id, household.id, member_ids(household))
    db.session.commit()
    return s, household


def test_the_main_pages_read_the_chinese_way(client, make, world):
    s, household = world
    month = s.starts_at.strftime("%Y-%m")
    pages = [
        "/",
        "/?view=list",
        f"/sessions/{s.id}",
        "/subscribe",
        f"/poster?community={s.room.community.slug}&month={month}",
        "/family/login",
        "/family/register",
        "/family/forgot",
    ]
    bad = {}
    for path in pages:
        found = offences(visible_text(client.get(path).get_data(as_text=True)))
        if found:
            bad[path] = found
    household_login(client, household)
    registration = queries.live_registration(s.id, household.id)
    for path in ("/family/", "/family/sessions", f"/family/registrations/{registration.id}"):
        found = offences(visible_text(client.get(path).get_data(as_text=True)))
        if found:
            bad[path] = found
    client.post("/family/logout")
    login(client, make.staff(s.room.community))
    for path in (f"/staff/sessions/{s.id}/roster", "/staff/"):
        found = offences(visible_text(client.get(path).get_data(as_text=True)))
        if found:
            bad[path] = found
    assert not bad, bad
