"""The Alibaba Cloud SMS sender (``NOTICE_SENDER = "aliyun"``), through the official SDK.

``alibabacloud_dysmsapi20170525`` signs each ``SendSms`` call (ACS3-HMAC-SHA256)
with the access key and posts it to the endpoint; the provider answers
``{"Code": "OK", ...}`` or an error code. Anything but ``OK`` (and any network
or HTTP error) raises, and the outbox tries again later with back-off
(notices/operations.py: ``deliver_pending``), so a provider that fails loses
nothing. The SDK's own retries are off: the outbox owns retrying.

Configuration (environment or ``instance/config.py``):

``ALIYUN_SMS_ACCESS_KEY_ID`` / ``ALIYUN_SMS_ACCESS_KEY_SECRET``
    a RAM user's key allowed ``dysms:SendSms``
``ALIYUN_SMS_SIGN_NAME``
    the approved sign name (shown as 【…】 before the text)
``ALIYUN_SMS_TEMPLATE_<KIND>``
    the approved template code of each kind (notices/sms.py lists the texts), e.g.
    ``ALIYUN_SMS_TEMPLATE_CONFIRMED=SMS_123456789``; ``none`` sends no SMS for that kind
``ALIYUN_SMS_ENDPOINT`` (``dysmsapi.aliyuncs.com``), ``ALIYUN_SMS_PROTOCOL`` (``https``)
    where the API is (tests point them at a local server over ``http``)
"""

from __future__ import annotations

import json
import logging
from typing import Any

from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_dysmsapi20170525.models import SendSmsRequest
from alibabacloud_tea_openapi.utils_models import Config
from darabonba.runtime import RuntimeOptions
from flask import Flask

from ..families.phones import mask_mobile
from .sms import config_key, template_for

log = logging.getLogger(__name__)

#: A template code that means "this kind is not sent by SMS" (the notice stays in the app).
NOT_SENT = "none"


class SmsError(Exception):
    """The provider refused or could not be reached; the outbox retries."""


class SmsNotConfigured(SmsError):
    """No template code for this kind: retried (and in the end marked failed, visibly)."""


class AliyunSmsSender:
    """Sends each notice as the short SMS template of its kind (notices/sms.py)."""

    reaches_phones = True

    def __init__(self, config: dict[str, Any]):
        key_id = config.get("ALIYUN_SMS_ACCESS_KEY_ID") or ""
        secret = config.get("ALIYUN_SMS_ACCESS_KEY_SECRET") or ""
        self.sign_name = config.get("ALIYUN_SMS_SIGN_NAME") or ""
        if not (key_id and secret and self.sign_name):
            raise ValueError(
                "NOTICE_SENDER=aliyun needs ALIYUN_SMS_ACCESS_KEY_ID, "
                "ALIYUN_SMS_ACCESS_KEY_SECRET and ALIYUN_SMS_SIGN_NAME"
            )
        self.config = config
        self.client = Client(
            Config(
                access_key_id=key_id,
                access_key_secret=secret,
                endpoint=config.get("ALIYUN_SMS_ENDPOINT") or "dysmsapi.aliyuncs.com",
                protocol=config.get("ALIYUN_SMS_PROTOCOL") or "https",
                connect_timeout=int(config.get("ALIYUN_SMS_CONNECT_TIMEOUT_MS") or 5000),
                read_timeout=int(config.get("ALIYUN_SMS_READ_TIMEOUT_MS") or 10000),
            )
        )

    def template_code(self, kind: str) -> str | None:
        """The provider's code for a kind; ``None`` when the kind is deliberately not sent."""
        code = str(self.config.get(config_key(kind)) or "").strip()
        if not code:
            raise SmsNotConfigured(f"{config_key(kind)} is not set")
        return None if code.lower() == NOT_SENT else code

    def send(self, message: Any) -> None:
        """Send an OutgoingMessage (notices/operations.py) as its kind's template; raise on
        any failure."""
        code = self.template_code(message.template)
        if code is None:
            log.info("notice %s: no SMS for %s", message.notice_id, message.template)
            return
        template = template_for(message.template)
        params = {name: message.params.get(name, "") for name in template.parameters}
        request = SendSmsRequest(
            phone_numbers=message.mobile,
            sign_name=self.sign_name,
            template_code=code,
            template_param=json.dumps(params, ensure_ascii=False),
            out_id=str(message.notice_id) if message.notice_id else None,
        )
        try:
            response = self.client.send_sms_with_options(request, RuntimeOptions(autoretry=False))
        except Exception as exc:  # the SDK's exceptions: network, HTTP status, signature
            raise SmsError(f"{type(exc).__name__}: {exc}") from exc
        body = response.body
        if body is None or body.code != "OK":
            raise SmsError(
                f"{getattr(body, 'code', None)}: {getattr(body, 'message', None)} "
                f"(request {getattr(body, 'request_id', None)})"
            )
        log.info(
            "SMS %s to %s sent (biz id %s)",
            message.template,
            mask_mobile(message.mobile),
            body.biz_id,
        )


def factory(app: Flask) -> AliyunSmsSender:
    return AliyunSmsSender(app.config)
