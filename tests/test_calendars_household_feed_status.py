"""The household feed marks waiting-list entries TENTATIVE; feeds name the host as the page
does (主持人)."""

from __future__ import annotations

from icalendar import Calendar

from readingroom.extensions import db
from readingroom.families import operations as accounts
from readingroom.registrations import operations as ops

from .fixtures_families import member_ids


def test_waiting_list_entries_are_tentative_and_the_host_is_named_as_on_the_page(app, make, family):
    program = make.program(min_age=0, max_age=None, adult_required=False)
    full = make.session(program=program, capacity=1, title="满了的活动", host="新华书店 李老师")
    free = make.session(full.room, program=program, capacity=5, title="有座位的活动")
    community = full.room.community
    first = family.household(community, children=(), adults=("爸爸",))
    household = family.household(community, children=(), adults=("妈妈",))
    for s, h in ((full, first), (full, household), (free, household)):
        ops.sign_up(s.id, h.id, member_ids(h))
        db.session.commit()
    accounts.rotate_feed_token(household)
    db.session.commit()

    body = app.test_client().get(f"/feeds/household/{accounts.feed_token(household)}.ics").data
    events = {str(e["SUMMARY"]): e for e in Calendar.from_ical(body).walk("VEVENT")}
    [waiting] = [e for title, e in events.items() if "满了的活动" in title]
    [confirmed] = [e for title, e in events.items() if "有座位的活动" in title]
    assert str(waiting["STATUS"]) == "TENTATIVE"
    assert str(confirmed["STATUS"]) == "CONFIRMED"
    assert "主持人：新华书店 李老师" in str(waiting["DESCRIPTION"])
    assert "主讲" not in body.decode()
