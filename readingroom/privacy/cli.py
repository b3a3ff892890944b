"""``flask --app readingroom signups purge``: remove personal data from old registrations."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import with_appcontext

from ..extensions import db
from ..timeutil import utcnow
from .operations import purge_before


@click.command("purge")
@click.option("--months", default=12, show_default=True)
@with_appcontext
def purge_command(months: int) -> None:
    """Remove personal data from registrations older than MONTHS (counts stay)."""
    result = purge_before(utcnow() - timedelta(days=round(months * 30.44)))
    db.session.commit()
    click.echo(", ".join(f"{v} {k}" for k, v in result.items()))
