"""CSRF on every family form, and the login rate limits (per account, per address,
shared through Redis when it is configured)."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import func, select

from readingroom import create_app
from readingroom.extensions import db
from readingroom.families.models import Household
from readingroom.registrations import operations as ops
from readingroom.registrations.models import Registration
from readingroom.registrations.queries import cancel_token

from .conftest import PASSWORD, base_config
from .fixtures_families import member_ids

TOKEN = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


def token_from(html: str) -> str:
    return TOKEN.search(html).group(1)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def signed_in(client, make, family):
    community = make.community()
    s = make.session(make.room(community), program=make.program(min_age=3, max_age=12))
    household = family.household(community)
    page = client.get("/family/login")
    response = client.post(
        "/family/login",
        data={
            "mobile": household.mobile,
            "password": PASSWORD,
            "csrf_token": token_from(page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 302
    return s, household


def test_sign_up_without_csrf_token_is_refused_and_nothing_saved(client, signed_in):
    s, household = signed_in
    response = client.post(f"/sessions/{s.id}/signup", data={"members": member_ids(household)})
    assert response.status_code == 400
    assert count(Registration) == 0
    page = client.get(f"/sessions/{s.id}/signup").get_data(as_text=True)
    response = client.post(
        f"/sessions/{s.id}/signup",
        data={"members": member_ids(household), "csrf_token": token_from(page)},
    )
    assert response.status_code == 302
    assert count(Registration) == 1


def test_the_inline_form_on_the_session_page_carries_a_token(client, signed_in):
    s, household = signed_in
    page = client.get(f"/sessions/{s.id}").get_data(as_text=True)
    response = client.post(
        f"/sessions/{s.id}/signup",
        data={"members": member_ids(household), "csrf_token": token_from(page)},
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    "path",
    [
        "/family/registrations/{r}/cancel",
        "/cancel/{t}",
        "/family/feed/rotate",
        "/family/notices/read",
        "/family/logout",
        "/family/members/{m}/remove",
    ],
)
def test_every_family_post_needs_the_token(client, signed_in, path):
    s, household = signed_in
    registration = ops.sign_up(s.id, household.id, member_ids(household)).registration
    db.session.commit()
    url = path.format(r=registration.id, t=cancel_token(registration), m=household.members[0].id)
    assert client.post(url).status_code == 400
    db.session.refresh(registration)
    assert registration.is_live


def test_register_without_token_creates_nothing(app, make):
    community = make.community()
    response = app.test_client().post(
        "/family/register",
        data={
            "guardian_name": "王女士",
            "mobile": "13812345678",
            "community": community.id,
            "password": "晚上一起读绘本吧",
            "password_again": "晚上一起读绘本吧",
        },
    )
    assert response.status_code == 400
    assert count(Household) == 0


# --- rate limits -----------------------------------------------------------------------------


def limited_app(tmp_path, **config):
    settings = base_config(f"sqlite:///{tmp_path / 'limits.sqlite3'}")
    settings.update(
        {
            "RATELIMIT_ENABLED": True,
            "HOUSEHOLD_LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS": "3 per minute",
            "HOUSEHOLD_LOGIN_LIMIT_PER_ACCOUNT": "6 per minute",
            "HOUSEHOLD_LOGIN_LIMIT_PER_ADDRESS": "5 per minute",
        }
    )
    settings.update(config)
    app = create_app(settings)
    with app.app_context():
        db.create_all()
    return app


def attempt(app, mobile, password="wrong password", address="10.0.0.1"):
    return app.test_client().post(
        "/family/login",
        data={"mobile": mobile, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def _household(app, mobile="13812345678"):
    from readingroom.places.models import Community

    from .conftest import PASSWORD_HASH

    with app.app_context():
        community = Community(slug=f"c-{uuid.uuid4().hex[:6]}", name="社区")
        db.session.add(
            Household(
                guardian_name="王女士",
                mobile=mobile,
                password_hash=PASSWORD_HASH,
                community=community,
            )
        )
        db.session.commit()


def test_failed_logins_are_limited_per_account_and_address(tmp_path):
    app = limited_app(tmp_path)
    _household(app)
    for _ in range(3):
        assert attempt(app, "13812345678", address="10.0.1.1").status_code == 200
    # the fourth try from that address is refused, even with the right password
    assert attempt(app, "13812345678", PASSWORD, address="10.0.1.1").status_code == 429
    # other accounts from that address, and this account from elsewhere, are not affected
    assert attempt(app, "13900000000", address="10.0.1.1").status_code == 200
    assert attempt(app, "13812345678", PASSWORD, address="10.0.2.1").status_code == 302


def test_hammering_a_number_from_many_addresses_cannot_lock_its_owner_out(tmp_path):
    app = limited_app(tmp_path)
    _household(app)
    for i in range(5):
        for _ in range(3):
            attempt(app, "13812345678", address=f"10.0.7.{i}")
    # the account-wide ceiling (6) stops an address once it failed at this number ...
    assert attempt(app, "13812345678", address="10.0.7.9").status_code == 200
    assert attempt(app, "13812345678", address="10.0.7.9").status_code == 429
    # ... but the owner, from an address with no failures, still logs in
    assert attempt(app, "13812345678", PASSWORD, address="192.168.1.20").status_code == 302


def test_many_failed_logins_are_told_to_the_household(tmp_path):
    from readingroom.notices.models import Notice, NoticeKind

    app = limited_app(tmp_path, HOUSEHOLD_LOGIN_ALERT_AFTER=3)
    _household(app)
    for i in range(8):
        attempt(app, "13812345678", address=f"10.0.8.{i}")
    with app.app_context():
        kinds = db.session.scalars(select(Notice.kind)).all()
    assert kinds == [NoticeKind.LOGIN_FAILURES]  # told once, not at every failure


def test_successful_logins_do_not_use_up_the_account_limit(tmp_path):
    app = limited_app(tmp_path)
    _household(app)
    for i in range(4):
        assert attempt(app, "13812345678", PASSWORD, address=f"10.0.3.{i}").status_code == 302


def test_logins_are_limited_per_address(tmp_path):
    app = limited_app(tmp_path)
    for i in range(5):
        assert attempt(app, f"1390000000{i}", address="10.0.4.1").status_code == 200
    assert attempt(app, "13900000009", address="10.0.4.1").status_code == 429
    assert attempt(app, "13900000009", address="10.0.4.2").status_code == 200


def _redis_available() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url("redis://127.0.0.1:6379/15").ping())
    except Exception:
        return False


@pytest.mark.skipif(not _redis_available(), reason="needs Redis at 127.0.0.1:6379")
def test_with_redis_the_limit_holds_across_processes(tmp_path):
    """Two app instances (as two gunicorn workers) share the counters through Redis."""
    prefix = f"rr-test-{uuid.uuid4().hex}"
    config = {"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15", "RATELIMIT_KEY_PREFIX": prefix}
    first = limited_app(tmp_path, **config)
    _household(first)
    for _ in range(3):
        assert attempt(first, "13812345678", address="10.0.5.1").status_code == 200
    second = limited_app(tmp_path, **config)
    assert attempt(second, "13812345678", PASSWORD, address="10.0.5.1").status_code == 429
    # for contrast: in-memory counters start from zero in every process
    third = limited_app(tmp_path, RATELIMIT_STORAGE_URI="memory://")
    assert attempt(third, "13812345678", PASSWORD, address="10.0.5.1").status_code == 302
    import redis

    client = redis.Redis.from_url("redis://127.0.0.1:6379/15")
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
