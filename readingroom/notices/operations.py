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
import re
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any, Protocol

from flask import Flask, Response, current_app, g, has_request_context, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from ..database import begin_write
from ..extensions import db
from ..families.phones import mask_mobile
from ..i18n import localized
from ..links import cancel_url
from ..schedule.models import ReadingSession
from ..timeutil import format_span, utcnow
from .models import Notice, NoticeKind, OutboxMessage, OutboxStatus

if TYPE_CHECKING:
    from ..registrations.models import Registration

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=6)


def notify(
    household_id: int,
    kind: NoticeKind,
    *,
    reading_session: ReadingSession | None = None,
    registration: Registration | None = None,
    detail: str = "",
) -> Notice:
    """Record a notice for a household and queue it for sending (flushes, never commits)."""
    notice = Notice(
        household_id=household_id,
        kind=kind,
        session_id=reading_session.id if reading_session is not None else None,
        registration_id=registration.id if registration is not None else None,
        detail=detail[:300],
    )
    db.session.add(notice)
    db.session.add(OutboxMessage(notice=notice, next_attempt_at=utcnow()))
    db.session.flush()
    if has_request_context():
        g.notices_queued = True
    return notice


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
    if kind is NoticeKind.REMINDER:
        return _("Reminder: “%(title)s” is tomorrow, %(when)s, at %(place)s.", **about)
    raise ValueError(kind)


# --- senders ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutgoingMessage:
    notice_id: int
    mobile: str
    subject: str
    body: str


class Sender(Protocol):
    def send(self, message: OutgoingMessage) -> None:
        """Deliver or raise; raising means "try again later"."""


# The secret part of a link (a cancellation or feed token): never written to a log.
_LINK_TOKEN = re.compile(r"(/(?:cancel|feeds/household)/[A-Za-z0-9_-]{4})[A-Za-z0-9_-]+")


class LogSender:
    """Writes notices to the application log (the default: no gateway needed), with the
    number masked and link tokens cut short: whoever reads the log cannot use them."""

    def send(self, message: OutgoingMessage) -> None:
        body = _LINK_TOKEN.sub(r"\1…", message.body)
        log.info("notice %s to %s: %s", message.notice_id, mask_mobile(message.mobile), body)


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
    module_name, _sep, attribute = str(choice).partition(":")
    factory = getattr(importlib.import_module(module_name), attribute)
    return factory(app)


def sender_for(app: Flask) -> Sender:
    sender = app.extensions.get("notice_sender")
    if sender is None:
        sender = app.extensions["notice_sender"] = make_sender(app)
    return sender


# --- delivery --------------------------------------------------------------------------------


def compose(notice: Notice) -> OutgoingMessage:
    """The outgoing text of a notice, with the links a family needs (needs a request context)."""
    lines = [notice_text(notice)]
    registration = notice.registration
    if registration is not None and notice.kind is not NoticeKind.SESSION_CANCELLED:
        url = cancel_url(registration)
        if url is not None:
            lines.append(_("To cancel: %(url)s", url=url))
    lines.append(
        _("My sessions: %(url)s", url=url_for("registrations.my_sessions", _external=True))
    )
    return OutgoingMessage(
        notice_id=notice.id,
        mobile=notice.household.mobile,
        subject=_("Binhe Reading Rooms"),
        body="\n".join(lines),
    )


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


def deliver_after_response(response: Response) -> Response:
    """After any request that queued notices (sign-ups, and the schedule's changes through
    the signal receivers), try to send them once the response has gone out."""
    if (
        g.get("notices_queued")
        and current_app.config["NOTICE_DELIVER_INLINE"]
        and response.status_code < 400
    ):
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        base_url = app.config.get("PUBLIC_BASE_URL") or request.host_url
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


def connect() -> None:
    from ..families.signals import family_home

    family_home.connect(on_family_home)
