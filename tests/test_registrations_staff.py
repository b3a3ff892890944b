"""The staff side through HTTP: roster, masked numbers and the logged "show", check-in,
no-shows, walk-ins, capacity, cancelling with a reason, households, access rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from readingroom.extensions import db
from readingroom.notices.models import Notice, NoticeKind
from readingroom.privacy import operations as privacy_ops
from readingroom.privacy.models import PhoneReveal
from readingroom.registrations import operations as ops
from readingroom.registrations import queries
from readingroom.registrations.models import Attendee, CancelledBy, Registration, RegistrationStatus
from readingroom.registrations.signals import member_checked_in
from readingroom.schedule.operations import cancel_session
from readingroom.timeutil import utcnow

from .conftest import login
from .fixtures_families import household_login, member_ids

EN = {"Accept-Language": "en"}


@pytest.fixture
def desk(make, family, client):
    """A community with a 4-seat parent-child session, two families on it, one waiting."""
    community = make.community()
    program = make.program(min_age=3, max_age=12)
    s = make.session(make.room(community, seats=10), program=program, capacity=4)
    families = [
        family.household(community, mobile="13812345678"),
        family.household(community, children=(("小红", 5),), adults=("爸爸",)),
        family.household(community, children=(("小刚", 7),), adults=("奶奶",)),
    ]
    for h in families:
        ops.sign_up(s.id, h.id, member_ids(h))
        db.session.commit()
    staff = make.staff(community)
    login(client, staff)
    return s, families, staff


def test_roster_shows_people_ages_and_masked_numbers_only(client, desk):
    s, _families, _ = desk
    html = client.get(f"/staff/sessions/{s.id}/roster", headers=EN).get_data(as_text=True)
    assert "138****5678" in html
    assert "13812345678" not in html
    assert "小明" in html and "小红" in html and "小刚" in html  # waiting list too
    assert "Seats taken: 4 of 4" in html
    assert "Waiting: 1 families" in html
    assert html.count('/phone"') == 3  # a "show number" button per family


def test_showing_a_number_is_a_logged_post(client, desk):
    s, families, staff = desk
    assert client.get(f"/staff/households/{families[0].id}/phone").status_code == 405
    response = client.post(f"/staff/households/{families[0].id}/phone", data={"session_id": s.id})
    assert response.status_code == 200
    assert "13812345678" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    reveal = db.session.scalars(select(PhoneReveal)).one()
    assert (reveal.staff_id, reveal.household_id, reveal.session_id) == (
        staff.id,
        families[0].id,
        s.id,
    )
    log = client.get("/staff/phone-reveals").get_data(as_text=True)
    assert "138****5678" in log and staff.name in log


def test_check_in_and_undo_per_person(client, desk):
    s, families, _ = desk
    registration = queries.live_registration(s.id, families[0].id)
    child = next(a for a in registration.attendees if a.member.is_child)
    received = []

    def listener(member, **kwargs):
        received.append(member.id)

    member_checked_in.connect(listener)
    try:
        assert client.post(f"/staff/attendees/{child.id}/check-in").status_code == 302
    finally:
        member_checked_in.disconnect(listener)
    db.session.refresh(child)
    assert child.checked_in_at is not None
    assert received == [child.member_id]
    client.post(f"/staff/attendees/{child.id}/undo-check-in")
    db.session.refresh(child)
    assert child.checked_in_at is None


def test_waiting_people_cannot_be_checked_in(client, desk):
    s, families, _ = desk
    waiting = queries.live_registration(s.id, families[2].id)
    attendee = waiting.attendees[0]
    client.post(f"/staff/attendees/{attendee.id}/check-in")
    db.session.refresh(attendee)
    assert attendee.checked_in_at is None


def test_no_show_only_after_the_start(client, desk):
    s, families, _ = desk
    registration = queries.live_registration(s.id, families[0].id)
    client.post(f"/staff/registrations/{registration.id}/no-show")
    db.session.refresh(registration)
    assert registration.no_show_at is None
    s.starts_at = utcnow() - timedelta(minutes=10)
    s.ends_at = utcnow() + timedelta(minutes=50)
    db.session.commit()
    client.post(f"/staff/registrations/{registration.id}/no-show")
    db.session.refresh(registration)
    assert registration.no_show_at is not None
    client.post(f"/staff/registrations/{registration.id}/clear-no-show")
    db.session.refresh(registration)
    assert registration.no_show_at is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"walkin-adults": "0", "walkin-children": "0"}, "walkin-adults"),
        ({"walkin-adults": "-1", "walkin-children": "1"}, "walkin-adults"),
        ({"walkin-adults": "21", "walkin-children": "0"}, "walkin-adults"),
        ({"walkin-adults": "一", "walkin-children": "0"}, "walkin-adults"),
        ({"walkin-adults": "1", "walkin-children": ""}, "walkin-children"),
        ({"walkin-adults": "1", "walkin-children": "0", "walkin-name": "王" * 41}, "walkin-name"),
        ({"walkin-adults": "1", "walkin-children": "0"}, "walkin-adults"),  # full
    ],
)
def test_bad_walk_ins_are_explained_and_nothing_saved(client, desk, data, field):
    s, _, _ = desk
    before = db.session.scalar(select(func.count(Registration.id)))
    response = client.post(f"/staff/sessions/{s.id}/walk-in", data=data)
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Registration.id))) == before


def test_capacity_change_refuses_to_drop_people_and_raising_promotes(client, desk):
    s, families, _ = desk
    response = client.post(f"/staff/sessions/{s.id}/capacity", data={"cap-capacity": "3"})
    assert response.status_code == 422
    assert 'id="cap-capacity-error"' in response.get_data(as_text=True)
    db.session.refresh(s)
    assert s.capacity == 4
    client.post(f"/staff/sessions/{s.id}/capacity", data={"cap-capacity": "6"})
    db.session.refresh(s)
    assert s.capacity == 6
    assert queries.live_registration(s.id, families[2].id).is_confirmed


def test_walk_in_into_free_seats(client, make, family):
    community = make.community()
    s = make.session(make.room(community), capacity=5)
    login(client, make.staff(community))
    response = client.post(
        f"/staff/sessions/{s.id}/walk-in",
        data={"walkin-name": "李阿姨", "walkin-adults": "1", "walkin-children": "2"},
    )
    assert response.status_code == 302
    registration = db.session.scalars(select(Registration)).one()
    assert registration.seats == 3 and registration.walk_in_name == "李阿姨"
    assert all(a.checked_in_at for a in registration.attendees)
    html = client.get(f"/staff/sessions/{s.id}/roster", headers=EN).get_data(as_text=True)
    assert "李阿姨" in html and "Walk-in, no account" in html


def test_staff_cancel_needs_a_reason_and_tells_the_family(client, desk):
    s, families, _ = desk
    registration = queries.live_registration(s.id, families[0].id)
    page = client.get(f"/staff/registrations/{registration.id}/cancel")
    assert page.status_code == 200
    db.session.refresh(registration)
    assert registration.is_live
    response = client.post(f"/staff/registrations/{registration.id}/cancel", data={"reason": ""})
    assert 'id="reason-error"' in response.get_data(as_text=True)
    client.post(f"/staff/registrations/{registration.id}/cancel", data={"reason": "孩子发烧"})
    db.session.refresh(registration)
    assert registration.status is RegistrationStatus.CANCELLED
    assert registration.cancelled_by is CancelledBy.STAFF
    notice = db.session.scalars(
        select(Notice).where(Notice.household_id == families[0].id).order_by(Notice.id.desc())
    ).first()
    assert notice.kind is NoticeKind.CANCELLED_BY_STAFF and notice.detail == "孩子发烧"
    assert queries.live_registration(s.id, families[2].id).is_confirmed  # promoted at once


def test_printed_roster_has_tick_boxes_and_no_buttons(client, desk):
    s, _, _ = desk
    html = client.get(f"/staff/sessions/{s.id}/roster", headers=EN).get_data(as_text=True)
    assert "☐" in html and "print-only" in html and "data-print" in html


def test_roster_offers_no_show_from_the_start_and_cancel_until_the_end(client, desk):
    s, families, _ = desk
    registration = queries.live_registration(s.id, families[0].id)
    no_show = f"/staff/registrations/{registration.id}/no-show"
    cancel = f"/staff/registrations/{registration.id}/cancel"
    roster = f"/staff/sessions/{s.id}/roster"
    html = client.get(roster).get_data(as_text=True)
    assert no_show not in html and cancel in html  # before the start
    s.starts_at = utcnow() - timedelta(minutes=10)
    s.ends_at = utcnow() + timedelta(minutes=50)
    db.session.commit()
    html = client.get(roster).get_data(as_text=True)
    assert no_show in html and cancel in html  # under way
    s.starts_at = utcnow() - timedelta(hours=2)
    s.ends_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    html = client.get(roster).get_data(as_text=True)
    assert no_show in html and cancel not in html  # over


def test_a_cancelled_session_takes_no_no_shows(client, desk):
    s, families, _ = desk
    registration = queries.live_registration(s.id, families[0].id)
    s.starts_at = utcnow() - timedelta(minutes=10)
    s.ends_at = utcnow() + timedelta(minutes=50)
    db.session.commit()
    cancel_session(s, "停电")
    db.session.commit()
    html = client.get(f"/staff/sessions/{s.id}/roster").get_data(as_text=True)
    assert f"/staff/registrations/{registration.id}/no-show" not in html
    client.post(f"/staff/registrations/{registration.id}/no-show")
    db.session.refresh(registration)
    assert registration.no_show_at is None


def test_session_page_links_the_roster_for_its_own_staff_only(app, client, desk, make):
    s, _, _ = desk
    roster = f"/staff/sessions/{s.id}/roster"
    assert roster in client.get(f"/sessions/{s.id}").get_data(as_text=True)
    other = app.test_client()
    login(other, make.staff(make.community()))
    assert roster not in other.get(f"/sessions/{s.id}").get_data(as_text=True)


@pytest.fixture
def elsewhere(make, client):
    """A staff member of another community, logged in instead."""
    client.post("/staff/logout")
    staff = make.staff(make.community())
    login(client, staff)
    return staff


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/staff/sessions/{s}/roster"),
        ("post", "/staff/sessions/{s}/walk-in"),
        ("post", "/staff/sessions/{s}/capacity"),
        ("post", "/staff/attendees/{a}/check-in"),
        ("post", "/staff/registrations/{r}/no-show"),
        ("get", "/staff/registrations/{r}/cancel"),
        ("post", "/staff/households/{h}/phone"),
        ("post", "/staff/households/{h}/reset-link"),
        ("get", "/staff/households/{h}"),
    ],
)
def test_staff_of_other_communities_are_refused(client, desk, elsewhere, method, path):
    s, families, _ = desk
    registration = queries.live_registration(s.id, families[0].id)
    url = path.format(s=s.id, a=registration.attendees[0].id, r=registration.id, h=families[0].id)
    assert getattr(client, method)(url).status_code == 403
    assert db.session.scalar(select(func.count(PhoneReveal.id))) == 0


def test_families_and_visitors_have_no_roster(app, desk, client):
    s, families, _ = desk
    anonymous = app.test_client().get(f"/staff/sessions/{s.id}/roster")
    assert anonymous.status_code == 302 and "/staff/login" in anonymous.location
    client.post("/staff/logout")
    household_login(client, families[0])
    assert client.get(f"/staff/sessions/{s.id}/roster").status_code == 403


def test_household_search_by_full_number_within_the_staff_scope(client, desk, make, family):
    _s, families, _ = desk
    html = client.get("/staff/households?mobile=138 1234 5678", headers=EN).get_data(as_text=True)
    assert families[0].guardian_name in html and "138****5678" in html
    stranger = family.household(make.community(), mobile="13987654321")
    html = client.get(f"/staff/households?mobile={stranger.mobile}", headers=EN).get_data(
        as_text=True
    )
    assert "No family account" in html
    assert client.get(f"/staff/households/{stranger.id}").status_code == 403
    bad = client.get("/staff/households?mobile=123").get_data(as_text=True)
    assert 'id="mobile-error"' in bad


def test_staff_see_their_communities_families_and_those_who_signed_up_with_them(make, family):
    home, other = make.community(), make.community()
    s = make.session(make.room(home), program=make.program(min_age=3, max_age=12))
    own = family.household(home)
    guest = family.household(other)  # lives elsewhere, signs up here
    stranger = family.household(other)
    ops.sign_up(s.id, guest.id, member_ids(guest))
    db.session.commit()

    def visible(ids):
        return set(db.session.scalars(privacy_ops.households_visible_to(ids)))

    assert visible({home.id}) == {own, guest}
    assert visible({other.id}) == {guest, stranger}
    assert visible(None) == {own, guest, stranger}


def test_unknown_ids_are_not_found(client, desk):
    for url in (
        "/staff/sessions/9999/roster",
        "/staff/registrations/9999/cancel",
        "/staff/households/9999",
    ):
        assert client.get(url).status_code == 404
    assert client.post("/staff/attendees/9999/check-in").status_code == 404
    assert db.session.scalar(select(func.count(Attendee.id))) == 6
