"""A family's own data: reading and downloading it, deleting the account (PRODUCT.md
"Privacy"), and the purge that shares the anonymising code."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from readingroom import create_app
from readingroom.extensions import db
from readingroom.families import operations as accounts
from readingroom.families.models import Household, Member, PasswordReset
from readingroom.notices.models import Notice, NoticeKind, OutboxMessage
from readingroom.privacy import operations as privacy
from readingroom.privacy import operations as privacy_ops
from readingroom.privacy.models import PhoneReveal
from readingroom.registrations import attendance, queries
from readingroom.registrations import operations as ops
from readingroom.registrations.models import Attendee, Registration, RegistrationStatus
from readingroom.schedule.models import SessionStatus
from readingroom.tasklists.models import ReadingLogEntry, TaskTick
from readingroom.tasklists.operations import TickDetails, add_log_entry, tick_task
from readingroom.timeutil import beijing_today, utcnow

from .conftest import PASSWORD, base_config, login
from .fixtures_families import household_login, member_ids
from .test_families_security import token_from


def count(model, **where) -> int:
    stmt = select(func.count()).select_from(model)
    for name, value in where.items():
        stmt = stmt.where(getattr(model, name) == value)
    return db.session.scalar(stmt)


@pytest.fixture
def world(make, family, lists):
    """Two families of one community with sign-ups, notices, ticks, a log, number look-ups."""
    community = make.community()
    program = make.program(min_age=3, max_age=12)
    room = make.room(community)
    now = utcnow()
    coming = make.session(room, program=program, capacity=2, title="绘本共读：团圆")
    past = make.session(room, program=program, start=now - timedelta(days=2), title="周日故事会")
    a = family.household(community, name="王女士", children=(("小明", 6),), adults=("王芳",))
    b = family.household(community, name="李先生", children=(("豆豆", 5),), adults=("李强",))
    family.child(a, "小红", 8)
    removed = family.child(a, "旧名字", 7)
    accounts.remove_member(removed)
    db.session.commit()
    task_list = lists.task_list(community)
    staff = make.staff(community)

    # A: the coming session (2 seats, full) and a past one, checked in; B waits.
    a_coming = ops.sign_up(coming.id, a.id, member_ids(a)[:2]).registration
    db.session.commit()
    b_waiting = ops.sign_up(coming.id, b.id, member_ids(b)).registration
    db.session.commit()
    a_past = Registration(
        session_id=past.id,
        household_id=a.id,
        status=RegistrationStatus.CONFIRMED,
        seats=2,
        confirmed_at=now - timedelta(days=5),
        cancel_nonce="n",
        cancel_token_digest="d" * 64,
    )
    for m in a.members[:2]:
        a_past.attendees.append(Attendee(member=m, kind=m.kind, age=6))
    db.session.add(a_past)
    db.session.commit()
    for attendee in a_past.attendees:
        attendance.check_in(attendee, now=past.starts_at)
    for h, title in ((a, "猜猜我有多爱你"), (b, "好饿的毛毛虫")):
        child = next(m for m in h.members if m.is_child)
        tick_task(
            task_list.tasks[0], child, TickDetails(note=f"{h.guardian_name}的备注", minutes=15)
        )
        add_log_entry(task_list, child, title=title, minutes=20, read_on=beijing_today())
        privacy_ops.reveal_phone(h, staff.id, session_id=coming.id)
    accounts.create_reset_link(a, staff.id)
    accounts.rotate_feed_token(a)
    db.session.commit()
    return {
        "a": a,
        "b": b,
        "coming": coming,
        "past": past,
        "a_coming": a_coming,
        "a_past": a_past,
        "b_waiting": b_waiting,
        "staff": staff,
    }


# --- reading and downloading ------------------------------------------------------------------


def test_download_contains_exactly_the_households_own_data(client, world):
    a, b = world["a"], world["b"]
    household_login(client, a)
    response = client.get("/family/data.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data(as_text=True)
    data = json.loads(body)

    assert data["household"]["mobile"] == a.mobile
    assert data["household"]["guardian_name"] == "王女士"
    assert data["household"]["consent_given_at"].endswith("+08:00")
    names = {m["given_name"] for m in data["members"]}
    assert names == {"小明", "王芳", "小红", "旧名字"}  # a removed member is still kept
    assert [m["removed_at"] is not None for m in data["members"]].count(True) == 1
    assert {r["id"] for r in data["registrations"]} == {
        world["a_coming"].id,
        world["a_past"].id,
    }
    by_id = {r["id"]: r for r in data["registrations"]}
    coming = by_id[world["a_coming"].id]
    assert coming["session"]["title"] == "绘本共读：团圆" and coming["status"] == "confirmed"
    assert coming["session"]["starts_at"].endswith("+08:00")
    past = by_id[world["a_past"].id]
    assert all(p["checked_in_at"] for p in past["people"])
    assert {p["given_name"] for p in past["people"]} == {"小明", "王芳"}
    assert len(data["notices"]) == count(Notice, household_id=a.id) == 1
    assert "绘本共读：团圆" in data["notices"][0]["text"]
    # the family's own tick, and the "visit" tick its check-in made
    assert len(data["task_ticks"]) == count(TaskTick, household_id=a.id) == 2
    assert {t["child"] for t in data["task_ticks"]} == {"小明"}
    assert {t["ticked_by"] for t in data["task_ticks"]} == {"family", "check_in"}
    assert "王女士的备注" in {t["note"] for t in data["task_ticks"]}
    assert [e["title"] for e in data["reading_log"]] == ["猜猜我有多爱你"]
    assert len(data["number_shown_to_staff"]) == 1
    assert len(data["password_reset_links"]) == 1

    # nothing of the other family, and no secrets
    for theirs in (b.mobile, "李先生", "豆豆", "李强", "好饿的毛毛虫", "李先生的备注"):
        assert theirs not in body
    for secret in (a.password_hash, a.feed_nonce, a.feed_token_digest, "d" * 64):
        assert secret not in body


def test_data_page_is_readable_and_only_the_families_own(client, world):
    household_login(client, world["b"])
    page = client.get("/family/data").get_data(as_text=True)
    assert "我家的数据" in page and "豆豆" in page and "好饿的毛毛虫" in page
    assert "候补" in page  # B waits for the coming session
    assert "小明" not in page and "王女士" not in page and world["a"].mobile not in page
    assert 'href="/family/data.json"' in page


@pytest.mark.parametrize("path", ["/family/data", "/family/data.json", "/family/delete"])
def test_only_a_logged_in_family_reaches_its_data(client, world, path):
    assert client.get(path).status_code == 302  # to the family login
    login(client, world["staff"])
    assert client.get(path).status_code == 403


def test_family_page_links_to_data_and_deletion(client, world):
    household_login(client, world["a"])
    page = client.get("/family/").get_data(as_text=True)
    assert 'href="/family/data"' in page and 'href="/family/delete"' in page
    assert "下载我家的数据" in page and "注销家庭账户" in page


# --- deleting the account ---------------------------------------------------------------------


def _snapshot() -> dict:
    return {
        m.__name__: count(m)
        for m in (Household, Member, Registration, Attendee, Notice, TaskTick, ReadingLogEntry)
    }


def test_the_confirmation_page_changes_nothing(client, world):
    household_login(client, world["a"])
    before = _snapshot()
    page = client.get("/family/delete")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "绘本共读：团圆" in html  # the sign-up that would be cancelled
    assert "周日故事会" not in html  # the past one is not cancelled
    assert 'type="password"' in html
    assert _snapshot() == before
    assert world["a_coming"].is_live


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("", "请填写密码"),
        ("wrong password", "密码不对，没有删除任何内容"),
        (PASSWORD.upper(), "密码不对，没有删除任何内容"),
        ("x" * 500, "最多"),
    ],
)
def test_a_wrong_password_refuses_and_changes_nothing(client, world, password, message):
    household_login(client, world["a"])
    before = _snapshot()
    response = client.post("/family/delete", data={"password": password})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _snapshot() == before
    assert world["a_coming"].is_live and world["b_waiting"].is_waitlisted
    assert client.get("/family/").status_code == 200  # still logged in


def test_another_familys_password_deletes_nobody(client, world):
    """There is no household id in the address: a family can only ever delete itself,
    and only with its own password."""
    a, b = world["a"], world["b"]
    b.set_password("李家的另一个密码")
    db.session.commit()
    household_login(client, a)
    before = _snapshot()
    response = client.post("/family/delete", data={"password": "李家的另一个密码"})
    assert response.status_code == 422
    assert _snapshot() == before


def test_deleting_promotes_the_waiting_family_and_keeps_only_counts(client, world):
    a, b = world["a"], world["b"]
    a_id, b_id = a.id, b.id
    a_members = [
        m.id for m in db.session.scalars(select(Member).where(Member.household_id == a_id))
    ]
    b_before = {
        "members": count(Member, household_id=b_id),
        "ticks": count(TaskTick, household_id=b_id),
        "log": count(ReadingLogEntry, household_id=b_id),
        "reveals": count(PhoneReveal, household_id=b_id),
    }
    a_outbox = set(
        db.session.scalars(select(OutboxMessage.id).join(Notice).where(Notice.household_id == a_id))
    )
    assert a_outbox
    household_login(client, a)
    response = client.post("/family/delete", data={"password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/")
    followed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "您的家庭账户和个人信息已删除" in followed
    assert client.get("/family/").status_code == 302  # logged out
    db.session.expire_all()

    # the waiting family moved up at once and was told
    b_waiting = db.session.get(Registration, world["b_waiting"].id)
    assert b_waiting.is_confirmed and b_waiting.promoted_at is not None
    assert count(Notice, household_id=b_id, kind=NoticeKind.PROMOTED) == 1
    assert queries.seats_taken(world["coming"].id) == b_waiting.seats

    # the coming registration: cancelled as the family would, then cut loose
    coming = db.session.get(Registration, world["a_coming"].id)
    assert (
        coming.status is RegistrationStatus.CANCELLED and coming.cancelled_by.value == "household"
    )
    # the past one: still confirmed, with its seats, ages and check-ins
    past = db.session.get(Registration, world["a_past"].id)
    assert past.is_confirmed and past.seats == 2
    assert len(past.attendees) == 2
    assert all(att.checked_in_at and att.age == 6 for att in past.attendees)
    for r in (coming, past):
        assert r.household_id is None and r.anonymised_at is not None and r.is_anonymised
        assert not r.is_walk_in
        assert r.cancel_nonce is None and r.cancel_token_digest is None
        assert all(att.member_id is None for att in r.attendees)
    assert len(coming.attendees) == 2

    # nothing personal of A is left anywhere
    assert db.session.get(Household, a_id) is None
    assert count(Member, household_id=a_id) == 0
    assert db.session.scalar(select(func.count()).where(Member.id.in_(a_members))) == 0
    for model in (Notice, TaskTick, ReadingLogEntry, PhoneReveal, PasswordReset):
        assert count(model, household_id=a_id) == 0, model
    assert not db.session.scalars(
        select(OutboxMessage.id).where(OutboxMessage.id.in_(a_outbox))
    ).all()
    assert not _rows_pointing_at(a_id, a_members)

    # the other family is untouched
    assert {
        "members": count(Member, household_id=b_id),
        "ticks": count(TaskTick, household_id=b_id),
        "log": count(ReadingLogEntry, household_id=b_id),
        "reveals": count(PhoneReveal, household_id=b_id),
    } == b_before


def _rows_pointing_at(household_id: int, member_ids_: list[int]) -> list[str]:
    """Every table with a column referring to a household or a member, checked generically
    (a table added later with ON DELETE SET NULL or no cascade would show up here)."""
    found = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            for fk in column.foreign_keys:
                target = fk.column.table.name
                if target == "household":
                    ids = [household_id]
                elif target == "household_member":
                    ids = member_ids_
                else:
                    continue
                n = db.session.scalar(
                    select(func.count()).select_from(table).where(column.in_(ids))
                )
                if n:
                    found.append(f"{table.name}.{column.name}")
    return found


def test_deleting_works_as_a_rule_without_http(world):
    """The operation alone, as the view calls it: one transaction, committed once."""
    a_id, coming = world["a"].id, world["coming"]
    deletion = privacy.delete_household(a_id)
    db.session.commit()
    assert deletion == privacy.Deletion(cancelled=1, promoted=1, anonymised=2)
    assert db.session.get(Household, a_id) is None
    assert queries.seats_taken(coming.id) == coming.capacity  # the freed seats are taken again
    assert queries.waiting_list(coming.id) == []


@pytest.mark.parametrize(
    ("minutes", "status"),
    [(-10, SessionStatus.SCHEDULED), (60 * 24, SessionStatus.CANCELLED)],
    ids=["under-way", "cancelled-by-staff"],
)
def test_sessions_under_way_or_cancelled_are_not_cancelled_but_anonymised(
    make, family, minutes, status
):
    community = make.community()
    program = make.program(min_age=3, max_age=12)
    now = utcnow()
    running = make.session(
        make.room(community),
        program=program,
        start=now + timedelta(minutes=minutes),
        status=status,
    )
    h = family.household(community)
    registration = Registration(
        session_id=running.id,
        household_id=h.id,
        status=RegistrationStatus.CONFIRMED,
        seats=2,
        attendees=[Attendee(member_id=m.id, kind=m.kind, age=6) for m in h.members],
    )
    db.session.add(registration)
    db.session.commit()
    deletion = privacy.delete_household(h.id)
    db.session.commit()
    assert deletion.cancelled == 0 and deletion.anonymised == 1
    db.session.expire_all()
    assert registration.is_confirmed and registration.household_id is None
    assert (
        queries.seats_taken(running.id) == 2
    )  # the people in the room (or the figures) still count


def test_the_roster_shows_removed_families_as_counts_only(client, world):
    privacy.delete_household(world["a"].id)
    db.session.commit()
    login(client, world["staff"])
    for s in (world["past"], world["coming"]):
        page = client.get(f"/staff/sessions/{s.id}/roster")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert "个人信息已删除" in html
        assert "王女士" not in html and "小明" not in html
    assert "仅保留人数" in client.get(f"/staff/sessions/{world['past'].id}/roster").get_data(
        as_text=True
    )


def test_purge_uses_the_same_anonymising_and_clears_walk_in_names(runner, make, family):
    program = make.program(min_age=3, max_age=12)
    old = make.session(program=program, start=utcnow() - timedelta(days=400))
    h = family.household(old.room.community)
    family_reg = Registration(
        session_id=old.id,
        household_id=h.id,
        status=RegistrationStatus.CONFIRMED,
        seats=1,
        attendees=[Attendee(member_id=h.members[0].id, kind=h.members[0].kind, age=6)],
    )
    walk_in = Registration(
        session_id=old.id,
        status=RegistrationStatus.CONFIRMED,
        seats=1,
        walk_in_name="赵奶奶",
        attendees=[Attendee(kind=h.members[0].kind, age=70)],
    )
    db.session.add_all([family_reg, walk_in])
    db.session.commit()
    result = runner.invoke(args=["signups", "purge", "--months", "12"])
    assert result.exit_code == 0 and "1 registrations" in result.output
    db.session.expire_all()
    assert family_reg.is_anonymised and family_reg.household_id is None
    assert walk_in.walk_in_name == "" and walk_in.is_walk_in and not walk_in.is_anonymised
    assert walk_in.attendees[0].age == 70


class TestCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_deleting_without_the_token_is_refused(self, client, world):
        a = world["a"]
        page = client.get("/family/login").get_data(as_text=True)
        client.post(
            "/family/login",
            data={"mobile": a.mobile, "password": PASSWORD, "csrf_token": token_from(page)},
        )
        before = _snapshot()
        response = client.post("/family/delete", data={"password": PASSWORD})
        assert response.status_code == 400
        assert _snapshot() == before
        form = client.get("/family/delete").get_data(as_text=True)
        response = client.post(
            "/family/delete", data={"password": PASSWORD, "csrf_token": token_from(form)}
        )
        assert response.status_code == 302
        assert count(Household) == 1


def _limited_family(tmp_path, make):
    """An app with the rate limits on, a family in it, and a client logged in as that family."""
    settings = base_config(f"sqlite:///{tmp_path / 'limits.sqlite3'}")
    settings.update(
        {"RATELIMIT_ENABLED": True, "HOUSEHOLD_LOGIN_LIMIT_PER_ACCOUNT": "3 per minute"}
    )
    app = create_app(settings)
    with app.app_context():
        db.create_all()
        from .fixtures_families import FamilyFactory

        mobile = FamilyFactory(make).household().mobile
    client = app.test_client()
    response = client.post("/family/login", data={"mobile": mobile, "password": PASSWORD})
    assert response.status_code == 302
    return app, client


def _households(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Household))


def test_wrong_passwords_on_the_delete_page_are_rate_limited(tmp_path, make):
    app, client = _limited_family(tmp_path, make)
    for _i in range(3):
        assert client.post("/family/delete", data={"password": "wrong one"}).status_code == 422
    # the fourth try is refused, even with the right password
    assert client.post("/family/delete", data={"password": PASSWORD}).status_code == 429
    assert _households(app) == 1


def test_a_right_password_under_the_limit_deletes_and_logs_out(tmp_path, make):
    app, client = _limited_family(tmp_path, make)
    assert client.post("/family/delete", data={"password": "wrong one"}).status_code == 422
    assert client.post("/family/delete", data={"password": PASSWORD}).status_code == 302
    assert client.get("/family/").status_code == 302
    assert _households(app) == 0
