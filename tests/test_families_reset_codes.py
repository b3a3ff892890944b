"""Forgotten password by a 6-digit SMS code: through HTTP, and the code's rules as functions."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from readingroom.extensions import db
from readingroom.families import reset_codes
from readingroom.families.models import Household, PasswordResetCode
from readingroom.timeutil import utcnow

from .conftest import PASSWORD

NEW_PASSWORD = "a walk by the river"


class PhoneSender:
    """A sender that reaches phones (as the Alibaba Cloud one does) and keeps what it sent."""

    reaches_phones = True

    def __init__(self):
        self.sent = []

    def send(self, message):
        self.sent.append(message)


def phone_sender(app):
    return PhoneSender()


@pytest.fixture
def app_config():
    return {"NOTICE_SENDER": "tests.test_families_reset_codes:phone_sender"}


@pytest.fixture
def sent(app):
    from readingroom.notices.operations import sender_for

    return sender_for(app).sent


@pytest.fixture
def household(family):
    return family.household()


def ask_code(client, mobile):
    response = client.post("/family/forgot", data={"mobile": mobile})
    response.close()  # the code goes out once the response is sent
    return response


def code_in(sent) -> str:
    return sent[-1].params["code"]


def test_a_family_gets_a_code_and_chooses_a_new_password(client, household, sent):
    page = client.get("/family/forgot").get_data(as_text=True)
    assert 'name="mobile"' in page

    response = ask_code(client, household.mobile)
    assert response.status_code == 302 and response.location.endswith("/family/forgot/code")
    [message] = sent
    assert message.mobile == household.mobile and message.template == "reset_code"
    assert re.fullmatch(r"\d{6}", code_in(sent))
    assert code_in(sent) in message.body

    page = client.get("/family/forgot/code").get_data(as_text=True)
    assert household.mobile[:3] + "****" + household.mobile[7:] in page

    response = client.post(
        "/family/forgot/code",
        data={"code": code_in(sent), "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
    )
    assert response.status_code == 302 and response.location.endswith("/family/")
    client.post("/family/logout")
    assert (
        client.post(
            "/family/login", data={"mobile": household.mobile, "password": PASSWORD}
        ).status_code
        == 200
    )  # the old password no longer works
    assert (
        client.post(
            "/family/login", data={"mobile": household.mobile, "password": NEW_PASSWORD}
        ).status_code
        == 302
    )
    # a code works once
    client.post("/family/logout")
    ask_code(client, "13900000000")  # puts another number in the session
    assert db.session.scalars(select(PasswordResetCode.used_at)).one() is not None


def test_the_answer_is_the_same_for_a_number_without_account(client, household, sent):
    known = ask_code(client, household.mobile)
    known_page = client.get("/family/forgot/code").get_data(as_text=True)
    other = app_client(client)
    unknown = ask_code(other, "13912345678")
    unknown_page = other.get("/family/forgot/code").get_data(as_text=True)

    assert (known.status_code, known.location) == (unknown.status_code, unknown.location)
    strip = lambda page: re.sub(r"1\d\d\*{4}\d{4}|csrf[^>]*", "", page)  # noqa: E731
    assert strip(known_page) == strip(unknown_page)
    assert len(sent) == 1  # only the real account got an SMS
    response = other.post(
        "/family/forgot/code",
        data={"code": "123456", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
    )
    assert "This code is wrong" in response.get_data(as_text=True) or "验证码" in (
        response.get_data(as_text=True)
    )


def app_client(client):
    return client.application.test_client()


def test_five_wrong_tries_close_the_code(client, household, sent):
    ask_code(client, household.mobile)
    right = code_in(sent)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(5):
        response = client.post(
            "/family/forgot/code",
            data={"code": wrong, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
        )
        assert response.status_code == 200
        assert 'id="code-error"' in response.get_data(as_text=True)
    response = client.post(
        "/family/forgot/code",
        data={"code": right, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
    )
    assert response.status_code == 200  # even the right code no longer works
    assert db.session.get(Household, household.id).check_password(PASSWORD)


def test_a_code_expires_after_ten_minutes_and_a_new_one_replaces_the_old(app, household):
    now = utcnow()
    _h, first = reset_codes.issue_code(household.mobile, now=now)
    _h, second = reset_codes.issue_code(household.mobile, now=now + timedelta(minutes=1))
    if first != second:
        assert reset_codes.check_code(household.mobile, first, now=now) is None
    later = now + timedelta(minutes=11, seconds=1)  # 10 minutes after the second
    assert reset_codes.check_code(household.mobile, second, now=later) is None
    assert reset_codes.check_code(household.mobile, second, now=now + timedelta(minutes=5))
    assert reset_codes.issue_code("13900000001") is None


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"code": "12a456"}, "code", "6"),
        ({"code": ""}, "code", "6"),
        ({"code": "123456", "password_again": "something else"}, "password_again", ""),
        ({"code": "123456", "password": "short", "password_again": "short"}, "password", ""),
    ],
)
def test_bad_input_is_reported_next_to_the_field_and_kept(
    client, household, sent, data, field, message
):
    ask_code(client, household.mobile)
    values = {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD, **data}
    html = client.post("/family/forgot/code", data=values).get_data(as_text=True)
    assert f'id="{field}-error"' in html
    assert message in html
    if data.get("code"):
        assert f'value="{data["code"]}"' in html


def test_a_bad_number_is_reported_and_kept(client, sent):
    html = client.post("/family/forgot", data={"mobile": "12345"}).get_data(as_text=True)
    assert 'id="mobile-error"' in html and 'value="12345"' in html
    assert sent == []


def test_without_a_phone_sender_the_page_says_how_to_get_a_link_from_staff(app, client, family):
    app.extensions["notice_sender"] = type("LogOnly", (), {"reaches_phones": False})()
    html = client.get("/family/forgot").get_data(as_text=True)
    assert 'name="mobile"' not in html
    assert "staff" in html or "工作人员" in html
    assert client.get("/family/forgot/code").status_code == 302
    login = client.get("/family/login").get_data(as_text=True)
    assert "/family/forgot" in login


class TestLimits:
    @pytest.fixture
    def app_config(self):
        return {
            "NOTICE_SENDER": "tests.test_families_reset_codes:phone_sender",
            "RATELIMIT_ENABLED": True,
            "RESET_CODE_LIMIT_PER_NUMBER": "3 per hour",
            "RESET_CODE_LIMIT_PER_ADDRESS": "5 per hour",
        }

    def test_requests_are_limited_per_number(self, client, household, sent):
        codes = [ask_code(client, household.mobile).status_code for _ in range(4)]
        assert codes == [302, 302, 302, 429]
        assert len(sent) == 3

    def test_requests_are_limited_per_address(self, client, sent):
        codes = [ask_code(client, f"1390000000{i}").status_code for i in range(6)]
        assert codes == [302] * 5 + [429]


def test_a_bad_code_and_a_bad_password_are_reported_together(client, household, sent):
    ask_code(client, household.mobile)
    html = client.post(
        "/family/forgot/code",
        data={"code": "12", "password": "short", "password_again": "other"},
    ).get_data(as_text=True)
    assert 'id="code-error"' in html and 'id="password-error"' in html
    assert 'id="password_again-error"' in html
