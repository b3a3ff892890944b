"""``flask --app readingroom signups deliver-notices``: send the notices that are due."""

from __future__ import annotations

import time

import click
from flask.cli import with_appcontext

from .operations import deliver_pending


@click.command("deliver-notices")
@click.option("--loop", is_flag=True, help="Keep running, every --every seconds.")
@click.option("--every", default=60, show_default=True)
@with_appcontext
def deliver_notices_command(loop: bool, every: int) -> None:
    """Send the notices that are due (retries included)."""
    while True:
        report = deliver_pending()
        click.echo(f"sent {report.sent}, retry later {report.retry}, gave up {report.failed}")
        if not loop:
            break
        time.sleep(every)
