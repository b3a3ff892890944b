"""Staff reach over households: a community's staff reveal numbers of, and issue reset links
for, only households whose home community is theirs; the administrator any. Issuing a reset
link is recorded and the household is told."""

from __future__ import annotations

from sqlalchemy import select

from readingroom.extensions import db
from readingroom.families.models import PasswordReset
from readingroom.notices.models import Notice, NoticeKind
from readingroom.registrations import operations as ops

from .conftest import login
from .fixtures_families import member_ids


def test_staff_reach_only_households_of_their_own_community(app, client, make, family):
    home, other = make.community(), make.community()
    s = make.session(make.room(home), program=make.program(min_age=3, max_age=12))
    visiting = family.household(other)  # signed up for a session of `home`
    ops.sign_up(s.id, visiting.id, member_ids(visiting))
    db.session.commit()
    local = family.household(home)
    staff = make.staff(home)
    login(client, staff)
    page = client.get(f"/staff/households/{visiting.id}")
    assert page.status_code == 200  # may see it, but not reveal or reset
    assert f"/staff/households/{visiting.id}/phone" not in page.get_data(as_text=True)
    assert f"/staff/households/{visiting.id}/reset-link" not in page.get_data(as_text=True)
    roster = client.get(f"/staff/sessions/{s.id}/roster").get_data(as_text=True)
    assert f"/staff/households/{visiting.id}/phone" not in roster
    local_page = client.get(f"/staff/households/{local.id}").get_data(as_text=True)
    assert f"/staff/households/{local.id}/phone" in local_page
    assert client.post(f"/staff/households/{visiting.id}/phone").status_code == 403
    assert client.post(f"/staff/households/{visiting.id}/reset-link").status_code == 403
    assert (
        client.post(f"/staff/households/{visiting.id}/phone", data={"session_id": s.id}).status_code
        == 403
    )
    assert client.post(f"/staff/households/{local.id}/phone").status_code == 200
    assert client.post(f"/staff/households/{local.id}/reset-link").status_code == 200
    client = app.test_client()
    login(client, make.admin())
    assert client.post(f"/staff/households/{visiting.id}/phone").status_code == 200
    assert client.post(f"/staff/households/{visiting.id}/reset-link").status_code == 200


def test_a_reset_link_is_recorded_and_the_household_told(client, make, family):
    community = make.community()
    household = family.household(community)
    staff = make.staff(community)
    login(client, staff)
    assert client.post(f"/staff/households/{household.id}/reset-link").status_code == 200
    reset = db.session.scalars(select(PasswordReset)).one()
    assert reset.created_by_id == staff.id and reset.household_id == household.id
    notice = db.session.scalars(select(Notice).where(Notice.household_id == household.id)).one()
    assert notice.kind is NoticeKind.RESET_LINK_ISSUED
    assert staff.name in notice.detail
