"""The Alibaba Cloud SMS sender, through the official SDK, against a local fake endpoint.

The fake (tests/fake_aliyun.py) recomputes the SDK's ACS3-HMAC-SHA256 signature
from what it received; failures (HTTP errors, provider error codes, a dead
endpoint) stay in the outbox and are sent on a later attempt.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from readingroom.extensions import db
from readingroom.notices import operations as notices
from readingroom.notices import sms
from readingroom.notices.aliyun import AliyunSmsSender
from readingroom.notices.models import NoticeKind, OutboxMessage, OutboxStatus
from readingroom.registrations import operations as ops
from readingroom.registrations.models import CancelledBy
from readingroom.timeutil import beijing_today, utcnow

from .conftest import at
from .fake_aliyun import fake_aliyun
from .fixtures_families import member_ids

KEY_ID, SECRET = "LTAI5tTestKeyId", "test-secret-of-the-key"


@pytest.fixture
def aliyun():
    with fake_aliyun({KEY_ID: SECRET}) as fake:
        yield fake


@pytest.fixture
def app_config(aliyun):
    return {
        "NOTICE_SENDER": "aliyun",
        "NOTICE_DELIVER_INLINE": False,
        "ALIYUN_SMS_ACCESS_KEY_ID": KEY_ID,
        "ALIYUN_SMS_ACCESS_KEY_SECRET": SECRET,
        "ALIYUN_SMS_SIGN_NAME": "滨河书房",
        "ALIYUN_SMS_ENDPOINT": aliyun.endpoint,
        "ALIYUN_SMS_PROTOCOL": "http",
        **{sms.config_key(kind.value): f"SMS_{i:09d}" for i, kind in enumerate(NoticeKind)},
    }


@pytest.fixture
def reading_session(make):
    program = make.program(min_age=0, max_age=None, adult_required=False)
    community = make.community(name="姚庄社区")
    room = make.room(community, name="牡丹书房")
    return make.session(
        room,
        program=program,
        capacity=1,
        title="绘本共读：好饿的毛毛虫",
        start=at(next_saturday(), 9, 30),
    )


def next_saturday() -> date:
    """A Saturday 1 to 7 days ahead (inside the registration window)."""
    today = beijing_today()
    return today + timedelta(days=(5 - today.weekday()) % 7 or 7)


def sign(reading_session, household):
    outcome = ops.sign_up(reading_session.id, household.id, member_ids(household))
    db.session.commit()
    return outcome


def test_a_confirmed_sign_up_is_sent_as_its_template_signed_with_the_key(
    app, aliyun, reading_session, family
):
    household = family.household(reading_session.room.community, children=(), adults=("妈妈",))
    sign(reading_session, household)

    report = notices.deliver_pending()

    assert report.sent == 1
    [request] = aliyun.received
    assert request.signature_ok and request.access_key_id == KEY_ID
    assert request.method == "POST" and request.headers["x-acs-action"] == "SendSms"
    assert request.query["PhoneNumbers"] == household.mobile
    assert request.query["SignName"] == "滨河书房"
    assert request.query["TemplateCode"] == app.config["ALIYUN_SMS_TEMPLATE_CONFIRMED"]
    assert request.params == {
        "title": "绘本共读：好饿的毛毛虫",
        "time": f"{next_saturday().month}月{next_saturday().day}日 周六 09:30",
        "place": "姚庄社区牡丹书房",
        "link": "http://readingroom.test/family/sessions",  # PUBLIC_BASE_URL of the tests
    }
    message = db.session.scalars(select(OutboxMessage)).one()
    assert message.status is OutboxStatus.SENT


def test_provider_errors_are_retried_through_the_outbox(app, aliyun, reading_session, family):
    household = family.household(reading_session.room.community, children=(), adults=("妈妈",))
    sign(reading_session, household)
    aliyun.answers = [
        (500, {"Code": "ServiceUnavailable", "Message": "busy", "RequestId": "R1"}),
        (200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "limit", "RequestId": "R2"}),
    ]
    now = utcnow()

    first = notices.deliver_pending(now=now)
    message = db.session.scalars(select(OutboxMessage)).one()
    assert (first.sent, first.retry) == (0, 1)
    assert message.status is OutboxStatus.PENDING and "ServiceUnavailable" in message.last_error
    assert len(aliyun.received) == 1  # the SDK does not retry by itself: the outbox does

    second = notices.deliver_pending(now=message.next_attempt_at)
    db.session.refresh(message)
    assert second.retry == 1 and "BUSINESS_LIMIT_CONTROL" in message.last_error

    third = notices.deliver_pending(now=message.next_attempt_at)
    db.session.refresh(message)
    assert third.sent == 1 and message.status is OutboxStatus.SENT and message.attempts == 3
    assert [r.signature_ok for r in aliyun.received] == [True, True, True]


def test_a_wrong_secret_is_refused_and_kept_for_later(app, aliyun, reading_session, family):
    app.config["ALIYUN_SMS_ACCESS_KEY_SECRET"] = "not-the-secret"
    household = family.household(reading_session.room.community, children=(), adults=("妈妈",))
    sign(reading_session, household)
    report = notices.deliver_pending()
    assert report.retry == 1
    assert aliyun.received[0].signature_ok is False
    assert "SignatureDoesNotMatch" in db.session.scalars(select(OutboxMessage)).one().last_error


def test_an_unreachable_endpoint_keeps_the_message(app, reading_session, family):
    app.config["ALIYUN_SMS_ENDPOINT"] = "127.0.0.1:9"  # discard port: nothing listens
    household = family.household(reading_session.room.community, children=(), adults=("妈妈",))
    sign(reading_session, household)
    report = notices.deliver_pending()
    assert (report.sent, report.retry) == (0, 1)
    message = db.session.scalars(select(OutboxMessage)).one()
    assert message.status is OutboxStatus.PENDING and message.last_error


def test_a_promotion_within_a_day_is_sent_at_once_as_its_own_template(app, aliyun, make, family):
    program = make.program(min_age=0, max_age=None, adult_required=False)
    soon = utcnow() + timedelta(hours=20)
    reading_session = make.session(program=program, capacity=1, start=soon)
    a = family.household(reading_session.room.community, children=(), adults=("妈妈",))
    b = family.household(reading_session.room.community, children=(), adults=("爸爸",))
    sign(reading_session, a)
    sign(reading_session, b)  # waiting list
    notices.deliver_pending()
    aliyun.received.clear()

    ops.cancel_registration(ops_live(reading_session, a).id, by=CancelledBy.HOUSEHOLD)
    db.session.commit()
    notices.deliver_pending()

    codes = {r.query["PhoneNumbers"]: r.query["TemplateCode"] for r in aliyun.received}
    assert codes[b.mobile] == app.config["ALIYUN_SMS_TEMPLATE_PROMOTED"]
    assert codes[a.mobile] == app.config["ALIYUN_SMS_TEMPLATE_CANCELLED"]


def ops_live(reading_session, household):
    from readingroom.registrations import queries

    return queries.live_registration(reading_session.id, household.id)


def test_a_kind_set_to_none_is_not_sent_and_a_missing_code_is_retried(
    app, aliyun, reading_session, family
):
    app.config["ALIYUN_SMS_TEMPLATE_CONFIRMED"] = "none"
    household = family.household(reading_session.room.community, children=(), adults=("妈妈",))
    sign(reading_session, household)
    assert notices.deliver_pending().sent == 1
    assert aliyun.received == []

    app.config.pop("ALIYUN_SMS_TEMPLATE_WAITLISTED")
    other = family.household(reading_session.room.community, children=(), adults=("爸爸",))
    sign(reading_session, other)  # full: waiting list
    report = notices.deliver_pending()
    assert report.retry == 1
    assert (
        "ALIYUN_SMS_TEMPLATE_WAITLISTED"
        in db.session.scalars(
            select(OutboxMessage.last_error).where(OutboxMessage.status == OutboxStatus.PENDING)
        ).one()
    )


def test_every_template_is_short_and_names_only_its_parameters():
    for template in sms.SMS_TEMPLATES.values():
        assert len(template.text) <= 70, template.kind  # one SMS segment before the values
        for name in template.parameters:
            assert "${" + name + "}" in template.text
        assert template.text.count("${") == len(template.parameters)
    # every notice kind has a short text, the day-before reminder (issue 14) included
    assert {k.value for k in NoticeKind} <= set(sms.SMS_TEMPLATES)
    assert "reminder" in sms.SMS_TEMPLATES


def test_parameters_are_cut_to_the_providers_limit():
    template = sms.template_for("confirmed")
    values = sms.parameters(template, title="很长的标题" * 10, place="地" * 50, link="x")
    assert len(values["title"]) == sms.TITLE_LIMIT and values["title"].endswith("…")
    assert len(values["place"]) == sms.PARAMETER_LIMIT


def test_missing_credentials_are_a_clear_configuration_error():
    with pytest.raises(ValueError, match="ALIYUN_SMS_ACCESS_KEY_ID"):
        AliyunSmsSender({"ALIYUN_SMS_SIGN_NAME": "x"})


def test_the_sender_is_configured_from_the_environment(monkeypatch, tmp_path):
    from flask import Flask

    from readingroom.config import load_config

    monkeypatch.setenv("NOTICE_SENDER", "aliyun")
    monkeypatch.setenv("ALIYUN_SMS_SIGN_NAME", "滨河书房")
    monkeypatch.setenv("ALIYUN_SMS_TEMPLATE_PROMOTED", "SMS_42")
    app = Flask("probe", instance_path=str(tmp_path))
    load_config(app, None)
    assert app.config["NOTICE_SENDER"] == "aliyun"
    assert app.config["ALIYUN_SMS_TEMPLATE_PROMOTED"] == "SMS_42"
    assert app.config["ALIYUN_SMS_ENDPOINT"] == "dysmsapi.aliyuncs.com"


def test_a_family_promoted_within_24_hours_gets_its_sms_at_once_through_http(
    app, aliyun, make, family, client
):
    """No delivery loop needed: the request that freed the seat sends the SMS after its
    response (the same outbox path, NOTICE_DELIVER_INLINE)."""
    from .fixtures_families import household_login

    app.config["NOTICE_DELIVER_INLINE"] = True
    program = make.program(min_age=0, max_age=None, adult_required=False)
    reading_session = make.session(program=program, capacity=1, start=utcnow() + timedelta(hours=5))
    a = family.household(reading_session.room.community, children=(), adults=("妈妈",))
    b = family.household(reading_session.room.community, children=(), adults=("爸爸",))
    sign(reading_session, a)
    sign(reading_session, b)
    notices.deliver_pending()
    aliyun.received.clear()

    household_login(client, a)
    response = client.post(f"/family/registrations/{ops_live(reading_session, a).id}/cancel")
    assert response.status_code == 302
    response.close()  # the server closes the response once it is sent

    codes = {r.query["PhoneNumbers"]: r.query["TemplateCode"] for r in aliyun.received}
    assert codes.get(b.mobile) == app.config["ALIYUN_SMS_TEMPLATE_PROMOTED"]
    assert db.session.scalars(select(OutboxMessage.status)).all() == [OutboxStatus.SENT] * 4


def test_a_password_reset_code_goes_out_as_its_own_template(app, aliyun, family, client):
    app.config["ALIYUN_SMS_TEMPLATE_RESET_CODE"] = "SMS_700000001"
    household = family.household()
    response = client.post("/family/forgot", data={"mobile": household.mobile})
    response.close()
    [request] = aliyun.received
    assert request.signature_ok and request.query["TemplateCode"] == "SMS_700000001"
    assert request.query["PhoneNumbers"] == household.mobile
    assert set(request.params) == {"code"} and len(request.params["code"]) == 6
