"""``flask --app readingroom worker | backup FILE | restore FILE``."""

from __future__ import annotations

import logging
import signal
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from .backup import BackupError, backup, restore
from .worker import Worker, WorkerRefused


@click.command("worker")
@click.option("--once", is_flag=True, help="One round of every job that is due, then exit.")
@with_appcontext
def worker_command(once: bool) -> None:
    """Deliver notices, send reminders, purge old data, remove expired links; until SIGTERM."""
    if not logging.getLogger("readingroom").handlers and not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    logging.getLogger("readingroom").setLevel(logging.INFO)
    worker = Worker(current_app._get_current_object())  # type: ignore[attr-defined]
    signal.signal(signal.SIGTERM, worker.stop)
    signal.signal(signal.SIGINT, worker.stop)
    try:
        worker.run(once=once)
    except WorkerRefused as exc:
        raise click.ClickException(str(exc)) from None


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(file: Path) -> None:
    """Write a consistent backup of the database to FILE (safe while the app serves)."""
    try:
        click.echo(backup(current_app.config["SQLALCHEMY_DATABASE_URI"], file))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(file: Path, yes: bool) -> None:
    """Replace everything in the database with the backup FILE (stop the app and worker)."""
    if not yes:
        click.confirm("This replaces everything in the database. Continue?", abort=True)
    from ..extensions import db

    db.engine.dispose()  # no connection of ours in the way
    try:
        click.echo(restore(current_app.config["SQLALCHEMY_DATABASE_URI"], file))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("Now run `flask --app readingroom db upgrade` if the backup is older.")


COMMANDS = (worker_command, backup_command, restore_command)
