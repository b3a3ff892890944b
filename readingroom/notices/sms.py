"""Short fixed SMS texts, one per notice kind, and the parameters they are filled with.

SMS providers in China send only templates approved in advance (the sign name
【…】 is added by the provider): the text is fixed, only the ``${name}``
parameters vary, and each parameter is short (Alibaba Cloud: at most 35
characters). The long text of a notice stays in the app (the notices page);
the SMS says what happened, when, where, and links to the app.

:data:`SMS_TEMPLATES` is what to register in the provider's console, one
template per kind (its code then goes into ``ALIYUN_SMS_TEMPLATE_<KIND>``,
e.g. ``ALIYUN_SMS_TEMPLATE_CONFIRMED``). A kind that is not in the table (a new
one) is sent with :data:`GENERIC_PARAMETERS` once its template code is
configured. ``reminder`` is already here for the day-before reminder (issue 14,
the worker): when its ``NoticeKind.REMINDER = "reminder"`` exists, its SMS needs
nothing more than ``ALIYUN_SMS_TEMPLATE_REMINDER``.

The texts are Chinese whatever the page language: they are the provider's
approved templates, and families in Binhe read Chinese.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..timeutil import to_beijing

#: The longest value one parameter may carry (Alibaba Cloud's limit for a variable).
PARAMETER_LIMIT = 35
#: The session's title is cut shorter: the whole SMS should fit one or two segments.
TITLE_LIMIT = 20

_WEEKDAYS = "一二三四五六日"


@dataclass(frozen=True)
class SmsTemplate:
    """One approved SMS template: its text (for the provider's console) and its parameters."""

    kind: str
    text: str
    parameters: tuple[str, ...]
    #: where ``${link}`` leads: the family's sessions, or its notices (with the long text)
    link: str = "sessions"

    @property
    def config_key(self) -> str:
        return config_key(self.kind)


def config_key(kind: str) -> str:
    """The configuration key that holds the provider's template code for a kind."""
    return "ALIYUN_SMS_TEMPLATE_" + kind.upper()


GENERIC_PARAMETERS = ("title", "time", "place", "link")

SMS_TEMPLATES: dict[str, SmsTemplate] = {
    t.kind: t
    for t in (
        SmsTemplate(
            "confirmed",
            "您已报名“${title}”，时间：${time}，地点：${place}。详情：${link}",
            ("title", "time", "place", "link"),
        ),
        SmsTemplate(
            "waitlisted",
            "“${title}”（${time}）已满，您在候补名单上，有空位时我们会通知您。详情：${link}",
            ("title", "time", "link"),
        ),
        SmsTemplate(
            "promoted",
            "有空位了！您已报名“${title}”，时间：${time}，地点：${place}。详情：${link}",
            ("title", "time", "place", "link"),
        ),
        SmsTemplate(
            "cancelled",
            "您已取消“${title}”（${time}）的报名。详情：${link}",
            ("title", "time", "link"),
        ),
        SmsTemplate(
            "cancelled_by_staff",
            "工作人员取消了您“${title}”（${time}）的报名，原因请见：${link}",
            ("title", "time", "link"),
            link="notices",
        ),
        SmsTemplate(
            "session_moved",
            "“${title}”已调整，现在时间：${time}，地点：${place}。详情：${link}",
            ("title", "time", "place", "link"),
        ),
        SmsTemplate(
            "session_cancelled",
            "“${title}”（${time}）已取消，原因请见：${link}",
            ("title", "time", "link"),
            link="notices",
        ),
        # A whole course at once (registrations/course_signup.py): the first session's time.
        SmsTemplate(
            "course_signed_up",
            "您已报名课程“${title}”，第一次：${time}，地点：${place}。每次的名额请见：${link}",
            ("title", "time", "place", "link"),
        ),
        SmsTemplate(
            "course_cancelled",
            "您已取消课程“${title}”的报名。详情：${link}",
            ("title", "link"),
        ),
        # Account notices (families): no session, the long text in the app.
        SmsTemplate(
            "login_failures",
            "有人多次用错误密码登录您的家庭账户，您的密码仍然有效。详情：${link}",
            ("link",),
            link="notices",
        ),
        SmsTemplate(
            "reset_link_issued",
            "工作人员为您的家庭账户生成了重设密码的链接。如非您本人要求，请告诉工作人员：${link}",
            ("link",),
            link="notices",
        ),
        # The day-before reminder (its NoticeKind comes with the worker, issue 14).
        SmsTemplate(
            "reminder",
            "提醒：明天${time}在${place}有“${title}”。不能来请取消：${link}",
            ("title", "time", "place", "link"),
        ),
        # Not a notice: the 6-digit code of a forgotten password (families/reset_codes.py).
        SmsTemplate(
            "reset_code",
            "您的验证码为${code}，10分钟内有效。如非本人操作，请忽略本短信。",
            ("code",),
            link="",
        ),
    )
}


def template_for(kind: str) -> SmsTemplate:
    """The template of a kind; a kind not listed gets the generic parameters."""
    return SMS_TEMPLATES.get(kind) or SmsTemplate(kind, "", GENERIC_PARAMETERS)


def shorten(text: str, limit: int = PARAMETER_LIMIT) -> str:
    """At most ``limit`` characters, with an ellipsis when something was cut."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def sms_time(moment: datetime) -> str:
    """12月5日 周六 09:30: the Chinese way, in Beijing time, whatever the page language."""
    local = to_beijing(moment)
    return f"{local.month}月{local.day}日 周{_WEEKDAYS[local.weekday()]} {local:%H:%M}"


def parameters(
    template: SmsTemplate,
    *,
    title: str = "",
    starts_at: datetime | None = None,
    place: str = "",
    link: str = "",
    code: str = "",
) -> dict[str, str]:
    """The values of a template's parameters, each within the provider's limit."""
    values = {
        "title": shorten(title, TITLE_LIMIT),
        "time": sms_time(starts_at) if starts_at is not None else "",
        "place": shorten(place),
        "link": link,
        "code": code,
    }
    return {name: values[name] for name in template.parameters}
