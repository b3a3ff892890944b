"""``flask --app readingroom signups …``: send waiting notices, purge old personal data."""

from __future__ import annotations

import time
from datetime import timedelta

import click
from flask import Blueprint
from sqlalchemy import delete, select, update

from ..extensions import db
from ..schedule.models import ReadingSession
from ..timeutil import utcnow
from .models import Notice, PhoneReveal, Registration
from .notices import deliver_pending
from .privacy import anonymise_registrations


def purge_before(cutoff) -> dict[str, int]:
    """Registrations of sessions that ended before ``cutoff`` keep only what the figures need
    (status, seats, each person's kind and age); notices and number look-ups go. Flushes."""
    old_sessions = select(ReadingSession.id).where(ReadingSession.ends_at < cutoff)
    old_registrations = select(Registration.id).where(Registration.session_id.in_(old_sessions))
    registrations, attendees = anonymise_registrations(old_registrations, now=utcnow())
    # Walk-ins have no household, but staff may have typed a name for them.
    db.session.execute(
        update(Registration)
        .where(
            Registration.id.in_(old_registrations),
            Registration.household_id.is_(None),
            Registration.walk_in_name != "",
        )
        .values(walk_in_name="")
    )
    notices = db.session.execute(delete(Notice).where(Notice.created_at < cutoff)).rowcount
    reveals = db.session.execute(
        delete(PhoneReveal).where(PhoneReveal.revealed_at < cutoff)
    ).rowcount
    db.session.flush()
    return {
        "registrations": registrations,
        "attendees": attendees,
        "notices": notices,
        "number look-ups": reveals,
    }


def register_commands(bp: Blueprint) -> None:
    @bp.cli.command("deliver-notices")
    @click.option("--loop", is_flag=True, help="Keep running, every --every seconds.")
    @click.option("--every", default=60, show_default=True)
    def deliver_notices_command(loop: bool, every: int) -> None:
        """Send the notices that are due (retries included)."""
        while True:
            report = deliver_pending()
            click.echo(f"sent {report.sent}, retry later {report.retry}, gave up {report.failed}")
            if not loop:
                break
            time.sleep(every)

    @bp.cli.command("purge")
    @click.option("--months", default=12, show_default=True)
    def purge_command(months: int) -> None:
        """Remove personal data from registrations older than MONTHS (counts stay)."""
        result = purge_before(utcnow() - timedelta(days=round(months * 30.44)))
        db.session.commit()
        click.echo(", ".join(f"{v} {k}" for k, v in result.items()))
