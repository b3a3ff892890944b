"""``flask --app readingroom signups purge``: remove personal data from old registrations."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from ..extensions import db
from ..registrations.retention import retention_cutoff
from .operations import purge_before


@click.command("purge")
@click.option("--months", type=int, help="Default: RETENTION_MONTHS of the configuration (12).")
@with_appcontext
def purge_command(months: int | None) -> None:
    """Remove personal data from registrations older than MONTHS (counts stay)."""
    if months is None:
        months = current_app.config["RETENTION_MONTHS"]
    result = purge_before(retention_cutoff(months))
    db.session.commit()
    click.echo(", ".join(f"{v} {k}" for k, v in result.items()))
