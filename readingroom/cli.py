"""Command-line tasks: ``flask --app readingroom init-db | seed-demo | create-admin``, and
the families' group ``signups deliver-notices | purge`` (commands of the notices and
privacy domains, under the name they have always had)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext
from flask_migrate import upgrade

from .extensions import db


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database schema (the same as ``flask db upgrade``)."""
    upgrade()
    click.echo("Database schema is up to date.")


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Load the Binhe demo data set, placed around today (safe to run again; run init-db first)."""
    from .demo import seed_demo

    summary = seed_demo()
    db.session.commit()
    click.echo(summary)


@click.command("create-admin")
@with_appcontext
@click.option("--login", prompt=True, help="Login name of the subdistrict administrator.")
@click.option("--name", prompt=True, help="Display name.")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Password (at least 8 characters).",
)
def create_admin_command(login: str, name: str, password: str) -> None:
    """Create a subdistrict administrator account."""
    from .staff.models import Role
    from .staff.operations import MIN_PASSWORD_LENGTH, create_staff, staff_by_login

    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.UsageError(f"The password needs at least {MIN_PASSWORD_LENGTH} characters.")
    if staff_by_login(login) is not None:
        raise click.UsageError(f"The login {login!r} is taken.")
    create_staff(login, name, password, role=Role.ADMIN)
    db.session.commit()
    click.echo(f"Administrator {login!r} created.")


@click.group("signups")
def signups_group() -> None:
    """Families' sign-ups: send notices, purge old personal data."""


def init_app(app: Flask) -> None:
    from .notices.cli import deliver_notices_command
    from .privacy.cli import purge_command

    signups_group.add_command(deliver_notices_command)
    signups_group.add_command(purge_command)
    for command in (init_db_command, seed_demo_command, create_admin_command, signups_group):
        app.cli.add_command(command)
    from .ops.cli import COMMANDS as ops_commands

    for command in ops_commands:
        app.cli.add_command(command)
