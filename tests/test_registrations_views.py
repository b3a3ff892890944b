"""The family side through HTTP: account, members, sign-up, cancellation, my sessions,
notices, the private feed, password reset links. Every rule and every bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from readingroom.extensions import db
from readingroom.families import operations as accounts
from readingroom.families.models import Household, Member, MemberKind
from readingroom.notices.models import Notice, NoticeKind, OutboxMessage
from readingroom.registrations import operations as ops
from readingroom.registrations import queries
from readingroom.registrations.models import CancelledBy, Registration, RegistrationStatus
from readingroom.timeutil import beijing_today, utcnow

from .conftest import PASSWORD, login
from .fixtures_families import birth_for_age, household_login, member_ids, next_mobile

EN = {"Accept-Language": "en"}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def community(make):
    return make.community(slug="yaozhuang", name="姚庄社区")


@pytest.fixture
def parent_child(make, community):
    program = make.program(slug="parent-child", name="亲子阅读", min_age=3, max_age=12)
    return make.session(make.room(community), program=program, capacity=3)


def register_data(place, **overrides):
    data = {
        "guardian_name": "王女士",
        "mobile": next_mobile(),
        "community": str(place.id),
        "password": "晚上一起读绘本吧",
        "password_again": "晚上一起读绘本吧",
        "consent": "y",
    }
    data.update(overrides)
    return data


# --- account ---------------------------------------------------------------------------------


def test_register_logs_in_with_a_hashed_password_and_consent(client, community):
    data = register_data(community, mobile="138 1234 5678")
    response = client.post("/family/register", data=data)
    assert response.status_code == 302
    household = db.session.scalars(select(Household)).one()
    assert household.mobile == "13812345678"
    assert household.password_hash != data["password"] and household.check_password(
        data["password"]
    )
    assert household.consent_at is not None and household.consent_version
    assert household.community_id == community.id
    assert household.feed_nonce and household.feed_token_digest
    assert client.get("/family/").status_code == 200  # logged in


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"guardian_name": ""}, "guardian_name"),
        ({"guardian_name": "王" * 41}, "guardian_name"),
        ({"mobile": ""}, "mobile"),
        ({"mobile": "1381234567"}, "mobile"),
        ({"mobile": "12812345678"}, "mobile"),
        ({"mobile": "138abcd5678"}, "mobile"),
        ({"community": "999"}, "community"),
        ({"community": ""}, "community"),
        ({"password": "short", "password_again": "short"}, "password"),
        ({"password": "password123", "password_again": "password123"}, "password"),
        ({"password": "12345678", "password_again": "12345678"}, "password"),
        ({"password_again": "晚上一起读绘本"}, "password_again"),
        ({"password": "x" * 201, "password_again": "x" * 201}, "password"),
    ],
)
def test_bad_registration_input_is_explained_by_the_field(client, community, overrides, field):
    data = register_data(community, **overrides)
    response = client.post("/family/register", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="{field}-error"' in html
    assert count(Household) == 0
    if field != "guardian_name":
        assert 'value="王女士"' in html  # what was typed stays


def test_password_with_the_mobile_number_is_refused(client, community):
    data = register_data(community, mobile="13812345678")
    data["password"] = data["password_again"] = "pw13812345678"
    html = client.post("/family/register", data=data).get_data(as_text=True)
    assert 'id="password-error"' in html
    assert count(Household) == 0


def test_one_household_per_number(client, community, family):
    existing = family.household(community)
    response = client.post(
        "/family/register", data=register_data(community, mobile=existing.mobile)
    )
    assert 'id="mobile-error"' in response.get_data(as_text=True)
    assert count(Household) == 1


def test_no_consent_no_children(client, community):
    client.post("/family/register", data=register_data(community, consent=""))
    household = db.session.scalars(select(Household)).one()
    assert household.consent_at is None
    response = client.get("/family/members/new/child")
    assert response.status_code == 302 and "/family/consent" in response.location
    response = client.post(
        "/family/members/new/child",
        data={"given_name": "小明", "birth_year": "2020", "birth_month": "5"},
    )
    assert response.status_code == 302 and "/family/consent" in response.location
    assert count(Member) == 0
    # adults need no consent
    client.post("/family/members/new/adult", data={"given_name": "王芳", "role": "self"})
    assert count(Member) == 1
    # an unticked box is not consent
    assert 'id="consent-error"' in client.post("/family/consent", data={}).get_data(as_text=True)
    assert client.post("/family/consent", data={"consent": "y"}).status_code == 302
    client.post(
        "/family/members/new/child",
        data={"given_name": "小明", "birth_year": "2020", "birth_month": "5"},
    )
    assert count(Member) == 2


def test_privacy_notice_says_what_why_and_how_long(client):
    html = client.get("/family/privacy", headers=EN).get_data(as_text=True)
    for words in ("What we keep", "Why", "How long", "no ID number"):
        assert words in html


def test_login_and_logout(client, family, community):
    household = family.household(community)
    response = client.post(
        "/family/login", data={"mobile": household.mobile, "password": "wrong password"}
    )
    assert 'id="password-error"' in response.get_data(as_text=True)
    response = client.post(
        "/family/login",
        data={"mobile": household.mobile, "password": PASSWORD, "next": "//evil.example/x"},
    )
    assert response.status_code == 302 and response.location.endswith("/family/")
    assert client.post("/family/logout").status_code == 302
    assert client.get("/family/").status_code == 302


def test_login_with_an_unknown_number_says_the_same(client):
    response = client.post("/family/login", data={"mobile": "13900000000", "password": PASSWORD})
    assert 'id="password-error"' in response.get_data(as_text=True)


def test_staff_cannot_use_family_pages_and_families_not_staff_pages(client, make, family):
    staff = make.staff(make.community())
    login(client, staff)
    assert client.get("/family/").status_code == 403
    client.post("/staff/logout")
    household = family.household()
    household_login(client, household)
    assert client.get("/staff/households").status_code == 403


# --- members ---------------------------------------------------------------------------------


@pytest.fixture
def logged_in(client, family, community):
    household = family.household(community, children=(), adults=())
    household_login(client, household)
    return household


def this_year() -> int:
    return utcnow().year


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"given_name": "", "birth_year": "2020", "birth_month": "5"}, "given_name"),
        ({"given_name": "小明", "birth_year": "", "birth_month": "5"}, "birth_year"),
        ({"given_name": "小明", "birth_year": "2020", "birth_month": ""}, "birth_month"),
        ({"given_name": "小明", "birth_year": "2020", "birth_month": "13"}, "birth_month"),
        ({"given_name": "小明", "birth_year": "2020", "birth_month": "0"}, "birth_month"),
        ({"given_name": "小明", "birth_year": "二〇二〇", "birth_month": "5"}, "birth_year"),
        (
            {"given_name": "小明", "birth_year": str(this_year() + 1), "birth_month": "1"},
            "birth_year",
        ),
        (
            {"given_name": "小明", "birth_year": str(this_year() - 19), "birth_month": "1"},
            "birth_year",
        ),
    ],
)
def test_bad_child_input(client, logged_in, data, field):
    response = client.post("/family/members/new/child", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="{field}-error"' in html
    assert count(Member) == 0


@pytest.mark.parametrize(("age", "added"), [(17, True), (18, False)])
def test_children_are_up_to_17_on_the_day_they_are_added(client, logged_in, age, added):
    today = beijing_today()
    year, month = birth_for_age(age) if added else (today.year - age, today.month)
    response = client.post(
        "/family/members/new/child",
        data={"given_name": "大宝", "birth_year": str(year), "birth_month": str(month)},
    )
    assert count(Member) == (1 if added else 0)
    assert ('id="birth_year-error"' in response.get_data(as_text=True)) is not added


@pytest.mark.parametrize("year", [str(this_year() - 10), str(this_year() - 121), "abc"])
def test_bad_adult_birth_year(client, logged_in, year):
    response = client.post(
        "/family/members/new/adult",
        data={"given_name": "爷爷", "role": "grandparent", "birth_year": year},
    )
    assert 'id="birth_year-error"' in response.get_data(as_text=True)
    assert count(Member) == 0


def test_add_edit_and_remove_members(client, logged_in):
    client.post(
        "/family/members/new/child",
        data={"given_name": "小明", "birth_year": str(this_year() - 6), "birth_month": "3"},
    )
    client.post(
        "/family/members/new/adult",
        data={"given_name": "奶奶", "role": "grandparent", "birth_year": str(this_year() - 65)},
    )
    child, grandma = sorted(db.session.scalars(select(Member)).all(), key=lambda m: m.id)
    assert child.kind is MemberKind.CHILD and grandma.role.value == "grandparent"
    client.post(
        f"/family/members/{child.id}/edit",
        data={"given_name": "明明", "birth_year": str(this_year() - 6), "birth_month": "4"},
    )
    db.session.refresh(child)
    assert (child.given_name, child.birth_month) == ("明明", 4)
    assert client.post(f"/family/members/{grandma.id}/remove").status_code == 302
    db.session.refresh(grandma)
    assert grandma.removed_at is not None
    assert client.get(f"/family/members/{grandma.id}/edit").status_code == 404


def test_another_familys_member_is_not_found(client, logged_in, family, community):
    other = family.household(community)
    member = other.members[0]
    assert client.get(f"/family/members/{member.id}/edit").status_code == 404
    assert client.post(f"/family/members/{member.id}/remove").status_code == 404
    assert client.get("/family/members/new/robot").status_code == 404


def test_a_member_signed_up_for_a_coming_session_cannot_be_removed(
    client, family, community, parent_child
):
    household = family.household(community)
    ops.sign_up(parent_child.id, household.id, member_ids(household))
    db.session.commit()
    household_login(client, household)
    child = next(m for m in household.members if m.is_child)
    client.post(f"/family/members/{child.id}/remove")
    db.session.refresh(child)
    assert child.removed_at is None


# --- sign-up ---------------------------------------------------------------------------------


def test_sign_up_needs_a_family_login(client, parent_child):
    response = client.get(f"/sessions/{parent_child.id}/signup")
    assert response.status_code == 302
    assert "/family/login" in response.location and "next=" in response.location


def test_sign_up_confirms_and_shows_the_confirmation(client, family, community, parent_child):
    household = family.household(community)
    household_login(client, household)
    response = client.post(
        f"/sessions/{parent_child.id}/signup", data={"members": member_ids(household)}
    )
    assert response.status_code == 302
    registration = db.session.scalars(select(Registration)).one()
    assert registration.status is RegistrationStatus.CONFIRMED and registration.seats == 2
    html = client.get(response.location, headers=EN).get_data(as_text=True)
    assert "Your place is confirmed" in html
    assert "/cancel/" in html  # the link that works without login


def test_sign_up_takes_five_statements_on_postgresql_seven_on_sqlite(
    client, family, community, parent_child
):
    """The account with its members; under the lock: the session with its strand and room
    (locked), one count (seats, the live registration, the recent no-shows), the
    registration with its attendees and the notice with its outbox row (one statement
    each on PostgreSQL; two each elsewhere, the attendees in one executemany). Nothing
    loaded twice, no lazy loads (issue 13: it took 14, then 10, then 9). On SQLite the
    transaction reads without the write lock until the session's lock
    (``database.reads_first``)."""
    household = family.household(community)
    chosen = member_ids(household)
    household_login(client, household)
    url = f"/sessions/{parent_child.id}/signup"
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        seen.append(" ".join(statement.split()[:2]))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = client.post(url, data={"members": chosen})
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert response.status_code == 302
    assert len(chosen) == 2
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    registration = db.session.scalars(select(Registration)).one()
    assert sorted(a.member_id for a in registration.attendees) == sorted(chosen)
    assert registration.seats == 2 and registration.cancel_token_digest
    control = ("BEGIN", "COMMIT")
    statements = [x for x in seen if not x.startswith(control)]
    sqlite = db.engine.dialect.name == "sqlite"
    assert len(statements) == (7 if sqlite else 5), seen
    if sqlite:
        lock = seen.index("BEGIN IMMEDIATE")
        assert seen[0] == "BEGIN" and seen[lock - 1] == "COMMIT", seen
        # the household (with its members) before the lock; the session's row right after it
        assert [x for x in seen[:lock] if not x.startswith(control)] == ["SELECT household.id,"]
        assert seen[lock + 1].startswith("SELECT reading_session"), seen


def test_full_session_puts_the_family_on_the_waiting_list_with_its_place(
    client, family, community, parent_child
):
    for _ in range(1):
        other = family.household(community, children=(("小红", 5), ("小刚", 7)))
        ops.sign_up(parent_child.id, other.id, member_ids(other))  # 3 of 3
        db.session.commit()
    household = family.household(community)
    household_login(client, household)
    response = client.post(
        f"/sessions/{parent_child.id}/signup", data={"members": member_ids(household)}
    )
    html = client.get(response.location, headers=EN).get_data(as_text=True)
    assert "On the waiting list: place 1" in html


@pytest.mark.parametrize(
    ("children", "pick", "fragment"),
    [
        ((("小宝", 2),), "all", "will be 2 on the day"),
        ((("大宝", 13),), "all", "will be 13 on the day"),
        ((("小明", 6),), "adults", "choose a child"),
        ((("小明", 6),), "children", "accompanying adult"),
        ((("小明", 6),), "none", "Choose at least one person."),
    ],
)
def test_audience_rules_are_enforced_per_member(
    client, family, community, parent_child, children, pick, fragment
):
    household = family.household(community, children=children)
    household_login(client, household)
    members = {
        "all": member_ids(household),
        "adults": [m.id for m in household.members if not m.is_child],
        "children": [m.id for m in household.members if m.is_child],
        "none": [],
    }[pick]
    response = client.post(
        f"/sessions/{parent_child.id}/signup", data={"members": members}, headers=EN
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="members-error"' in html
    assert fragment in html
    assert count(Registration) == 0


def test_someone_elses_member_id_is_refused(client, family, community, parent_child):
    household = family.household(community)
    other = family.household(community)
    household_login(client, household)
    response = client.post(
        f"/sessions/{parent_child.id}/signup",
        data={"members": [*member_ids(household), member_ids(other)[0]]},
    )
    assert 'id="members-error"' in response.get_data(as_text=True)
    assert count(Registration) == 0


@pytest.mark.parametrize(
    ("shift", "fragment"), [(timedelta(days=9), "opens"), (timedelta(hours=1), "closed")]
)
def test_closed_window_is_refused(client, make, family, community, shift, fragment):
    program = make.program(min_age=3, max_age=12)
    s = make.session(make.room(community), program=program, start=utcnow() + shift)
    household = family.household(community)
    household_login(client, household)
    response = client.post(
        f"/sessions/{s.id}/signup", data={"members": member_ids(household)}, headers=EN
    )
    assert fragment in response.get_data(as_text=True).lower()
    assert count(Registration) == 0


def test_blocked_household_is_told_until_when(client, make, family, community, parent_child):
    household = family.household(community)
    now = utcnow()
    for days_ago in (30, 20, 10):
        past = make.session(make.room(community), start=now - timedelta(days=days_ago))
        db.session.add(
            Registration(
                session_id=past.id,
                household_id=household.id,
                status=RegistrationStatus.CONFIRMED,
                seats=1,
                no_show_at=past.starts_at + timedelta(hours=1),
            )
        )
    db.session.commit()
    household_login(client, household)
    response = client.post(
        f"/sessions/{parent_child.id}/signup", data={"members": member_ids(household)}, headers=EN
    )
    html = response.get_data(as_text=True)
    assert "can sign up for new sessions again from" in html
    assert count(Registration) == 3


def test_change_of_members_is_an_edit_not_a_second_registration(
    client, family, community, parent_child
):
    household = family.household(community, children=(("小明", 6), ("小红", 8)))
    household_login(client, household)
    ids = member_ids(household)
    client.post(f"/sessions/{parent_child.id}/signup", data={"members": ids[:1] + ids[2:]})
    client.post(f"/sessions/{parent_child.id}/signup", data={"members": ids})
    registration = db.session.scalars(select(Registration)).one()
    assert registration.seats == 3


# --- registrations of other families, cancellation -------------------------------------------


@pytest.fixture
def two_families(client, family, community, parent_child):
    mine = family.household(community)
    theirs = family.household(community)
    for h in (mine, theirs):
        ops.sign_up(parent_child.id, h.id, member_ids(h))
        db.session.commit()
    household_login(client, mine)
    return (
        queries.live_registration(parent_child.id, mine.id),
        queries.live_registration(parent_child.id, theirs.id),
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/family/registrations/{id}"),
        ("get", "/family/registrations/{id}/cancel"),
        ("post", "/family/registrations/{id}/cancel"),
    ],
)
def test_another_familys_registration_is_not_found(client, two_families, method, path):
    _mine, theirs = two_families
    response = getattr(client, method)(path.format(id=theirs.id))
    assert response.status_code == 404
    db.session.refresh(theirs)
    assert theirs.is_live


def test_unknown_registration_is_not_found(client, two_families):
    assert client.get("/family/registrations/99999").status_code == 404


def test_cancel_asks_first_then_cancels_on_post_and_promotes(client, parent_child, two_families):
    mine, theirs = two_families
    assert theirs.is_waitlisted  # 2 + 2 seats, capacity 3
    page = client.get(f"/family/registrations/{mine.id}/cancel", headers=EN)
    assert "Do you want to cancel?" in page.get_data(as_text=True)
    db.session.refresh(mine)
    assert mine.is_live  # GET changed nothing
    assert client.post(f"/family/registrations/{mine.id}/cancel").status_code == 302
    db.session.refresh(mine)
    db.session.refresh(theirs)
    assert mine.status is RegistrationStatus.CANCELLED
    assert mine.cancelled_by is CancelledBy.HOUSEHOLD
    assert theirs.is_confirmed and theirs.promoted_at is not None
    latest = db.session.scalars(
        select(Notice.kind)
        .where(Notice.household_id == theirs.household_id)
        .order_by(Notice.id.desc())
    ).first()
    assert latest is NoticeKind.PROMOTED


def test_cancel_by_link_without_login(app, family, community, parent_child):
    household = family.household(community)
    registration = ops.sign_up(parent_child.id, household.id, member_ids(household)).registration
    db.session.commit()
    token = queries.cancel_token(registration)
    # the token itself is nowhere in the database: only its digest and a nonce
    assert token not in (registration.cancel_token_digest, registration.cancel_nonce)
    client = app.test_client()  # nobody logged in
    page = client.get(f"/cancel/{token}", headers=EN)
    assert page.status_code == 200 and "Yes, cancel" in page.get_data(as_text=True)
    db.session.refresh(registration)
    assert registration.is_live
    assert client.post(f"/cancel/{token}").status_code == 302
    db.session.refresh(registration)
    assert registration.cancelled_by is CancelledBy.LINK
    again = client.get(f"/cancel/{token}", headers=EN).get_data(as_text=True)
    assert "This registration is cancelled." in again


@pytest.mark.parametrize("token", ["nope", "A" * 43, "x" * 200])
def test_a_wrong_cancel_link_is_not_found(client, token):
    assert client.get(f"/cancel/{token}").status_code == 404
    assert client.post(f"/cancel/{token}").status_code == 404


def test_cancelling_after_the_start_is_refused(client, make, family, community):
    program = make.program(min_age=0, max_age=None, adult_required=False)
    s = make.session(make.room(community), program=program, start=utcnow() + timedelta(hours=3))
    household = family.household(community, children=())
    registration = ops.sign_up(s.id, household.id, member_ids(household)).registration
    db.session.commit()
    household_login(client, household)
    page = f"/family/registrations/{registration.id}"
    html = client.get(page, headers=EN).get_data(as_text=True)
    assert "Cancel my registration" in html and "Change who is coming" in html
    s.starts_at = utcnow() - timedelta(minutes=5)
    s.ends_at = utcnow() + timedelta(minutes=55)
    db.session.commit()
    html = client.get(page, headers=EN).get_data(as_text=True)
    assert "Cancel my registration" not in html and "Change who is coming" not in html
    ask = client.get(f"/family/registrations/{registration.id}/cancel", headers=EN)
    assert "Yes, cancel" not in ask.get_data(as_text=True)
    assert "can no longer be cancelled" in ask.get_data(as_text=True)
    client.post(f"/family/registrations/{registration.id}/cancel")
    db.session.refresh(registration)
    assert registration.is_live


# --- my sessions, feed, notices --------------------------------------------------------------


def test_my_sessions_lists_places_and_the_private_feed(
    client, family, community, parent_child, two_families
):
    html = client.get("/family/sessions", headers=EN).get_data(as_text=True)
    assert parent_child.title in html and "Confirmed" in html
    assert "Make my calendar link" in html  # made on request (GET writes nothing)
    client.post("/family/feed/rotate")
    html = client.get("/family/sessions", headers=EN).get_data(as_text=True)
    assert "webcal://" in html and "/feeds/household/" in html


def test_household_feed_has_only_its_own_sessions_marked_and_rotates(
    client, app, make, family, community, parent_child
):
    household = family.household(community)
    other = family.household(community)
    other_session = make.session(
        make.room(community), title="别人的活动", program=parent_child.program
    )
    filler = family.household(community, children=(("小红", 5), ("小刚", 7)))
    for s, h in ((other_session, other), (parent_child, filler), (parent_child, household)):
        ops.sign_up(s.id, h.id, member_ids(h))  # the last one waits
        db.session.commit()
    household.feed_nonce = None
    accounts.rotate_feed_token(household)
    db.session.commit()
    token = accounts.feed_token(household)
    anonymous = app.test_client()
    response = anonymous.get(f"/feeds/household/{token}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    body = response.get_data(as_text=True)
    assert parent_child.ical_uid() in body
    assert "别人的活动" not in body
    assert "【候补】" in body
    again = anonymous.get(
        f"/feeds/household/{token}.ics", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304
    household_login(client, household)
    assert client.post("/family/feed/rotate").status_code == 302
    db.session.refresh(household)
    assert anonymous.get(f"/feeds/household/{token}.ics").status_code == 404
    assert (
        anonymous.get(f"/feeds/household/{accounts.feed_token(household)}.ics").status_code == 200
    )


def test_notices_are_shown_and_marked_read_by_post(
    client, family, community, parent_child, two_families
):
    html = client.get("/family/notices", headers=EN).get_data(as_text=True)
    assert "is confirmed" in html
    assert count(Notice) == 2
    unread = select(func.count(Notice.id)).where(Notice.read_at.is_(None))
    assert db.session.scalar(unread) == 2  # GET marked nothing
    client.post("/family/notices/read")
    assert db.session.scalar(unread) == 1  # only this family's


def test_feed_of_an_unknown_token_is_not_found(client):
    assert client.get("/feeds/household/unknown.ics").status_code == 404


# --- password reset through a staff link -----------------------------------------------------


def test_password_reset_link_works_once(app, client, make, family, community):
    household = family.household(community)
    staff = make.staff(community)
    login(client, staff)
    page = client.post(f"/staff/households/{household.id}/reset-link").get_data(as_text=True)
    assert "<svg" in page  # a QR code to scan
    token = page.split("/family/reset/")[1].split("<")[0].split('"')[0].strip()
    client.post("/staff/logout")
    guardian = app.test_client()
    weak = guardian.post(
        f"/family/reset/{token}", data={"password": "12345678", "password_again": "12345678"}
    )
    assert 'id="password-error"' in weak.get_data(as_text=True)
    response = guardian.post(
        f"/family/reset/{token}",
        data={"password": "新的密码很好记住", "password_again": "新的密码很好记住"},
    )
    assert response.status_code == 302
    db.session.refresh(household)
    assert household.check_password("新的密码很好记住")
    assert guardian.get(f"/family/reset/{token}").status_code == 404  # used up


def test_expired_reset_link_is_not_found(client, make, family, community):
    household = family.household(community)
    staff = make.staff(community)
    token = accounts.create_reset_link(household, staff.id, now=utcnow() - timedelta(days=3))
    db.session.commit()
    assert client.get(f"/family/reset/{token}").status_code == 404


# --- the session page (calendars) carries the sign-up --------------------------------------


def test_session_page_sign_up_panel_for_each_visitor(app, client, family, community, parent_child):
    anonymous = (
        app.test_client().get(f"/sessions/{parent_child.id}", headers=EN).get_data(as_text=True)
    )
    assert "Log in to sign up" in anonymous and "3 of 3 seats left" in anonymous
    household = family.household(community)
    household_login(client, household)
    html = client.get(f"/sessions/{parent_child.id}", headers=EN).get_data(as_text=True)
    assert 'name="members"' in html and 'name="csrf_token"' in html
    client.post(f"/sessions/{parent_child.id}/signup", data={"members": member_ids(household)})
    html = client.get(f"/sessions/{parent_child.id}", headers=EN).get_data(as_text=True)
    assert "Confirmed" in html and "1 of 3 seats left" in html
