"""``flask --app readingroom signups …``: send waiting notices, purge old personal data."""

from __future__ import annotations

import time
from datetime import timedelta

import click
from flask import Blueprint

from ..extensions import db
from ..timeutil import utcnow
from .notices import deliver_pending
from .privacy import purge_before


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
