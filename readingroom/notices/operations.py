"""Notices to households: shown in the app, and sent through one outbox.

:func:`notify` writes the notice and its outbox row in the same transaction as
the change that caused it, so a notice exists exactly when the change does.
:func:`deliver_pending` sends what is due through the configured sender
(``NOTICE_SENDER``: ``log`` by default, ``smtp``, or ``module:factory``). A
sender that fails leaves the message pending with a later retry time
(exponential back-off); after ``NOTICE_MAX_ATTEMPTS`` it is marked failed and
stays visible in the app. Delivery runs right after the response of the
request that caused it (``NOTICE_DELIVER_INLINE``) and from the CLI
(``flask --app readingroom signups deliver-notices``), which picks up
anything a crashed or failed attempt left behind. A message is claimed with a
lease before sending, so several processes never send it twice at once.
"""

from __future__ import annotations

import importlib
import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from functools import cache
from typing import Any, Protocol

from flask import Flask, Response, current_app, g, has_request_context
from flask_babel import gettext as _
from sqlalchemy import Insert, bindparam, func, insert, literal, select, update

from ..database import begin_write, inserted_row, on_postgresql
from ..extensions import db
from ..families.phones import mask_mobile
from ..i18n import localized
from ..links import external_url, public_base_url
from ..schedule.models import ReadingSession
from ..security import redact_tokens
from ..timeutil import format_span, utcnow
from . import sms
from .models import Notice, NoticeKind, OutboxMessage, OutboxStatus
from .signals import cancel_link_wanted

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=6)


def notify(
    household_id: int,
    kind: NoticeKind,
    *,
    reading_session: ReadingSession | None = None,
    registration_id: int | None = None,
    detail: str = "",
) -> int:
    """Record a notice for a household and queue it for sending (never commits); returns the
    notice's id.

    Written without the ORM's unit of work (a sign-up's commit spent most of its time
    flushing these two rows), at once, in the caller's transaction, so a rollback takes
    them back with the rest: on PostgreSQL in one statement (:func:`_notice_and_outbox`),
    elsewhere the notice, then its outbox row."""
    now = utcnow()
    row = {
        "household_id": household_id,
        "kind": kind,
        "session_id": reading_session.id if reading_session is not None else None,
        "registration_id": registration_id,
        "detail": detail[:300],
        "created_at": now,
    }
    if on_postgresql():
        notice_id = db.session.execute(_notice_and_outbox(), row).scalar_one()
    else:
        notice_id = db.session.execute(
            insert(Notice.__table__).returning(Notice.__table__.c.id), row
        ).scalar_one()
        db.session.execute(
            insert(OutboxMessage.__table__),
            {"notice_id": notice_id, "next_attempt_at": now, "created_at": now},
        )
    if has_request_context():
        g.notices_queued = True
    return notice_id


def mark_all_read(household_id: int, *, now: datetime | None = None) -> None:
    """The household has seen its notices (flushes)."""
    db.session.execute(
        update(Notice)
        .where(Notice.household_id == household_id, Notice.read_at.is_(None))
        .values(read_at=now or utcnow())
    )
    db.session.flush()


# --- wording ---------------------------------------------------------------------------------


def _about(reading_session: ReadingSession) -> dict[str, str]:
    return {
        "title": reading_session.title,
        "when": format_span(reading_session.starts_at, reading_session.ends_at),
        "place": f"{localized(reading_session.room)} · {localized(reading_session.room.community)}",
    }


def notice_text(notice: Notice) -> str:
    """The notice in the current language."""
    reading_session = notice.session
    about = (
        _about(reading_session)
        if reading_session is not None
        else {"title": "", "when": "", "place": ""}
    )
    kind = notice.kind
    if kind is NoticeKind.CONFIRMED:
        return _("Your place at “%(title)s” (%(when)s, %(place)s) is confirmed.", **about)
    if kind is NoticeKind.WAITLISTED:
        return _(
            "“%(title)s” (%(when)s) is full: you are on the waiting list. "
            "We will tell you when a seat becomes free.",
            **about,
        )
    if kind is NoticeKind.PROMOTED:
        return _(
            "A seat became free: your place at “%(title)s” (%(when)s, %(place)s) is now confirmed.",
            **about,
        )
    if kind is NoticeKind.CANCELLED:
        return _("Your registration for “%(title)s” (%(when)s) is cancelled.", **about)
    if kind is NoticeKind.CANCELLED_BY_STAFF:
        return _(
            "The staff cancelled your registration for “%(title)s” (%(when)s). Reason: %(reason)s",
            reason=notice.detail or "—",
            **about,
        )
    if kind is NoticeKind.SESSION_MOVED:
        return _("“%(title)s” has changed: it is now on %(when)s at %(place)s.", **about)
    if kind is NoticeKind.SESSION_CANCELLED:
        return _(
            "“%(title)s” (%(when)s) is cancelled by the staff. Reason: %(reason)s",
            reason=notice.detail or "—",
            **about,
        )
    if kind in (NoticeKind.COURSE_SIGNED_UP, NoticeKind.COURSE_CANCELLED):
        return _course_text(notice, about)
    if kind is NoticeKind.LOGIN_FAILURES:
        return _(
            "Someone tried many times to log in to your family account with a wrong password. "
            "Your password still works. If you have forgotten it, ask the staff for a reset link."
        )
    if kind is NoticeKind.RESET_LINK_ISSUED:
        return _(
            "The staff (%(staff)s) issued a link to set a new password for your family account. "
            "If you did not ask for it, tell the staff.",
            staff=notice.detail or "—",
        )
    if kind is NoticeKind.REMINDER:
        return _("Reminder: “%(title)s” is tomorrow, %(when)s, at %(place)s.", **about)
    raise ValueError(kind)


def _course_text(notice: Notice, about: dict[str, str]) -> str:
    """A whole course at once; the session is the course's first one concerned."""
    series = notice.session.series if notice.session is not None else None
    course = series.course if series is not None and series.course is not None else None
    title = course.title if course is not None else about["title"]
    if notice.kind is NoticeKind.COURSE_CANCELLED:
        return _(
            "Your registrations for the course “%(course)s” (%(place)s) are cancelled: "
            "%(count)s session(s).",
            course=title,
            place=about["place"],
            count=notice.detail or "—",
        )
    confirmed, _sep, waiting = notice.detail.partition(":")
    return _(
        "You are signed up for the course “%(course)s” at %(place)s from %(when)s: "
        "%(confirmed)s session(s) confirmed, %(waiting)s on the waiting list.",
        course=title,
        place=about["place"],
        when=about["when"],
        confirmed=confirmed or "0",
        waiting=waiting or "0",
    )


# --- senders ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutgoingMessage:
    notice_id: int
    mobile: str
    subject: str
    body: str
    #: for senders of fixed templates (SMS): the kind (notices/sms.py) and its parameters
    template: str = ""
    params: dict[str, str] = field(default_factory=dict)


class Sender(Protocol):
    def send(self, message: OutgoingMessage) -> None:
        """Deliver or raise; raising means "try again later"."""


# The secret part of a link (a cancellation or feed token): never written to a log.


class LogSender:
    """Writes notices to the application log (the default: no gateway needed), with the
    number masked and link tokens cut short: whoever reads the log cannot use them."""

    reaches_phones = False

    def send(self, message: OutgoingMessage) -> None:
        log.info(
            "notice %s to %s: %s",
            message.notice_id,
            mask_mobile(message.mobile),
            redact_tokens(message.body),  # the cancellation link's token stays out of logs
        )


class SmtpSender:
    """Sends notices as e-mail, e.g. to an e-mail-to-SMS gateway (``NOTICE_SMTP_TO``)."""

    def __init__(self, config: dict[str, Any]):
        self.host = config["NOTICE_SMTP_HOST"]
        self.port = int(config["NOTICE_SMTP_PORT"])
        self.username = config["NOTICE_SMTP_USERNAME"]
        self.password = config["NOTICE_SMTP_PASSWORD"]
        self.starttls = bool(config["NOTICE_SMTP_STARTTLS"])
        self.sender = config["NOTICE_SMTP_FROM"]
        self.to_template = config["NOTICE_SMTP_TO"]

    def send(self, message: OutgoingMessage) -> None:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = self.to_template.format(mobile=message.mobile)
        email["Subject"] = message.subject
        email.set_content(message.body)
        with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(email)


def make_sender(app: Flask) -> Sender:
    choice = app.config["NOTICE_SENDER"]
    if choice == "log":
        return LogSender()
    if choice == "smtp":
        return SmtpSender(app.config)
    if choice == "aliyun":  # Alibaba Cloud SMS (notices/aliyun.py)
        from .aliyun import AliyunSmsSender

        return AliyunSmsSender(app.config)
    module_name, _sep, attribute = str(choice).partition(":")
    factory = getattr(importlib.import_module(module_name), attribute)
    return factory(app)


def sender_for(app: Flask) -> Sender:
    sender = app.extensions.get("notice_sender")
    if sender is None:
        sender = app.extensions["notice_sender"] = make_sender(app)
    return sender


# --- delivery --------------------------------------------------------------------------------


def cancel_link(notice: Notice) -> str | None:
    """The link that cancels the registration the notice is about, from the domain that
    owns registrations (it answers :data:`.signals.cancel_link_wanted`), or ``None``."""
    for _receiver, url in cancel_link_wanted.send(notice):
        if url:
            return url
    return None


def compose(notice: Notice) -> OutgoingMessage:
    """The outgoing text of a notice, with the links a family needs (needs a request context)."""
    lines = [notice_text(notice)]
    if notice.registration_id is not None and notice.kind is not NoticeKind.SESSION_CANCELLED:
        url = cancel_link(notice)
        if url is not None:
            lines.append(_("To cancel: %(url)s", url=url))
    my_sessions = external_url("registrations.my_sessions")
    lines.append(_("My sessions: %(url)s", url=my_sessions))
    return OutgoingMessage(
        notice_id=notice.id,
        mobile=notice.household.mobile,
        subject=_("Binhe Reading Rooms"),
        body="\n".join(lines),
        template=notice.kind.value,
        params=sms_parameters(notice, my_sessions),
    )


def sms_parameters(notice: Notice, my_sessions: str) -> dict[str, str]:
    """The short SMS template's values for a notice (notices/sms.py); needs a request
    context for the link."""
    template = sms.template_for(notice.kind.value)
    reading_session = notice.session
    link = external_url("notices.notices_page") if template.link == "notices" else my_sessions
    if reading_session is None:
        return sms.parameters(template, link=link)
    return sms.parameters(
        template,
        title=reading_session.title,
        starts_at=reading_session.starts_at,
        place=_sms_place(reading_session),
        link=link,
    )


def _sms_place(reading_session: ReadingSession) -> str:
    """姚庄社区牡丹书房: the Chinese names (the SMS templates are Chinese)."""
    return f"{reading_session.room.community.name}{reading_session.room.name}"


@dataclass
class DeliveryReport:
    sent: int = 0
    retry: int = 0
    failed: int = 0
    released: int = 0  # claimed, then handed back unsent because the worker is stopping

    def __iadd__(self, other: DeliveryReport) -> DeliveryReport:
        self.sent += other.sent
        self.retry += other.retry
        self.failed += other.failed
        self.released += other.released
        return self

    @property
    def handled(self) -> int:
        return self.sent + self.retry + self.failed


def backoff(attempts: int, base_seconds: float = 60) -> timedelta:
    """1, 2, 4, … times ``NOTICE_RETRY_SECONDS`` after each failed attempt, at most 6 hours."""
    return min(timedelta(seconds=base_seconds * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _claim(now: datetime, limit: int) -> list[int]:
    begin_write()
    rows = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for row in rows:
        row.attempts += 1
        row.next_attempt_at = now + LEASE  # if this process dies, another one retries later
    ids = [row.id for row in rows]
    db.session.commit()
    return ids


def deliver_pending(
    *,
    now: datetime | None = None,
    limit: int = 50,
    base_url: str | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> DeliveryReport:
    """Send what is due; commits (a job of its own, not part of a request's change).

    ``should_stop`` is asked before each message (the worker's SIGTERM): the message being
    sent is finished and recorded, the rest of the batch is handed back at once (its claim
    and attempt undone) for the next worker or the next start.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    now = now or utcnow()
    report = DeliveryReport()
    ids = _claim(now, limit)
    if not ids:
        return report
    sender = sender_for(app)
    base_url = base_url or app.config.get("PUBLIC_BASE_URL") or "http://localhost/"
    results: dict[int, str | None] = {}
    with app.test_request_context("/", base_url=base_url):
        for message in db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)
        ):
            if should_stop is not None and should_stop():
                break
            try:
                sender.send(compose(message.notice))
                results[message.id] = None
            except Exception as exc:  # any sender failure means "retry later"
                log.warning("notice %s not sent: %s", message.notice_id, exc)
                results[message.id] = f"{type(exc).__name__}: {exc}"[:500]
    db.session.rollback()
    begin_write()
    maximum = app.config["NOTICE_MAX_ATTEMPTS"]
    retry_seconds = float(app.config["NOTICE_RETRY_SECONDS"])
    for message in db.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids))):
        if message.id not in results:  # stopped before it: hand it back untouched
            message.attempts -= 1
            message.next_attempt_at = now
            report.released += 1
            continue
        error = results[message.id]
        if error is None:
            message.status = OutboxStatus.SENT
            message.sent_at = utcnow()
            message.last_error = ""
            report.sent += 1
        elif message.attempts >= maximum:
            message.status = OutboxStatus.FAILED
            message.last_error = error
            report.failed += 1
        else:
            message.next_attempt_at = now + backoff(message.attempts, retry_seconds)
            message.last_error = error
            report.retry += 1
    db.session.commit()
    return report


@cache
def _notice_and_outbox() -> Insert:
    """PostgreSQL: the notice and its outbox row in one statement (the outbox row inserted
    from the notice's ``RETURNING``), built once; its parameters are :func:`notify`'s row."""
    notice, outbox = Notice.__table__, OutboxMessage.__table__
    new_notice = inserted_row(notice, _NOTICE_COLUMNS, "new_notice")
    queued = select(
        new_notice.c.id,
        literal(OutboxStatus.PENDING, outbox.c.status.type),
        literal(0),
        bindparam("created_at", type_=outbox.c.next_attempt_at.type),
        literal(""),
        bindparam("created_at", type_=outbox.c.created_at.type),
    )
    columns = ["notice_id", "status", "attempts", "next_attempt_at", "last_error", "created_at"]
    return (
        insert(outbox)
        .from_select(columns, queued, include_defaults=False)
        .returning(outbox.c.notice_id)
    )


_NOTICE_COLUMNS = ("household_id", "kind", "session_id", "registration_id", "detail", "created_at")


def deliver_after_response(response: Response) -> Response:
    """After any request that queued notices (sign-ups, and the schedule's changes through
    the signal receivers), try to send them once the response has gone out."""
    if (
        g.get("notices_queued")
        and current_app.config["NOTICE_DELIVER_INLINE"]
        and response.status_code < 400
    ):
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        base_url = public_base_url()
        response.call_on_close(lambda: _deliver_quietly(app, base_url))
    return response


def _deliver_quietly(app: Flask, base_url: str) -> None:
    try:
        with app.app_context():
            deliver_pending(base_url=base_url)
    except Exception:  # the CLI retries whatever is left; never break a finished response
        log.exception("inline notice delivery failed")


def unread_count(household_id: int) -> int:
    return int(
        db.session.scalar(
            select(func.count(Notice.id)).where(
                Notice.household_id == household_id, Notice.read_at.is_(None)
            )
        )
        or 0
    )


def on_family_home(household: Any, **_: Any) -> dict[str, Any]:
    """The family's home page shows how many notices are new."""
    return {"unread": unread_count(household.id)}


def on_many_failed_logins(household: Any, **_: Any) -> None:
    notify(household.id, NoticeKind.LOGIN_FAILURES)


def on_phone_code_sender(app: Flask, **kwargs: Any) -> Any:
    """The families' forgotten-password page may send a code when the configured sender
    reaches phones (``reaches_phones``: the Alibaba Cloud SMS sender does; the log does not)."""
    sender = sender_for(app)
    if not getattr(sender, "reaches_phones", False):
        return None

    def send_code(mobile: str, code: str) -> None:
        minutes = app.config["RESET_CODE_MINUTES"]
        sender.send(
            OutgoingMessage(
                notice_id=0,
                mobile=mobile,
                subject=_("Binhe Reading Rooms"),
                body=_(
                    "Your code to choose a new password: %(code)s (valid for %(minutes)d minutes).",
                    code=code,
                    minutes=minutes,
                ),
                template="reset_code",
                params=sms.parameters(sms.template_for("reset_code"), code=code),
            )
        )

    return send_code


def connect() -> None:
    from ..families.signals import family_home, many_failed_logins, phone_code_sender

    family_home.connect(on_family_home)
    many_failed_logins.connect(on_many_failed_logins)
    phone_code_sender.connect(on_phone_code_sender)
