"""readingroom: scheduling and sign-up for the Binhe community reading programme."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

MIGRATIONS_DIRECTORY = str(Path(__file__).resolve().parent / "migrations")


def template_folder() -> str:
    """An installed package's own ``templates`` (copied in by setup.py), else the checkout's."""
    packaged = Path(__file__).resolve().parent / "templates"
    return str(packaged) if packaged.is_dir() else str(packaged.parent.parent / "templates")


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True, template_folder=template_folder())

    from .config import load_config

    load_config(app, test_config)
    register_extensions(app)
    register_blueprints(app)
    register_template_helpers(app)

    from . import cli
    from .errors import register_error_handlers

    register_error_handlers(app)
    cli.init_app(app)
    return app


def register_extensions(app: Flask) -> None:
    from . import i18n
    from .database import configure_engine, render_migration_item
    from .extensions import babel, csrf, db, limiter, login_manager, migrate

    import_models()
    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    migrate.init_app(
        app,
        db,
        directory=MIGRATIONS_DIRECTORY,
        render_as_batch=True,
        compare_type=True,
        render_item=render_migration_item,
    )
    csrf.init_app(app)
    i18n.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please log in to see this page.")

    from .auth import loaders  # noqa: F401  (registers the user loader)


def import_models() -> None:
    """Import every model module so that metadata (and Alembic) see all tables."""
    from .auth import models as _auth  # noqa: F401
    from .places import models as _places  # noqa: F401
    from .schedule import models as _schedule  # noqa: F401
    from .signups import models as _signups  # noqa: F401
    from .tasklists import models as _tasklists  # noqa: F401


def register_blueprints(app: Flask) -> None:
    from .auth.admin_views import bp as staff_admin_bp
    from .auth.views import bp as auth_bp
    from .pages import bp as pages_bp
    from .places.views import bp as places_bp
    from .schedule.program_views import bp as programs_bp
    from .schedule.views import bp as schedule_bp

    for blueprint in (pages_bp, auth_bp, staff_admin_bp, places_bp, schedule_bp, programs_bp):
        app.register_blueprint(blueprint)

    from .calendars.api import bp as calendars_api_bp
    from .calendars.feeds import bp as calendars_feeds_bp
    from .calendars.views import bp as calendars_bp

    for blueprint in (calendars_bp, calendars_feeds_bp, calendars_api_bp):
        app.register_blueprint(blueprint)

    from .signups.staff_views import bp as signups_staff_bp
    from .signups.views import bp as signups_bp

    app.register_blueprint(signups_bp)
    app.register_blueprint(signups_staff_bp)

    from .tasklists.family_views import bp as tasklists_family_bp
    from .tasklists.views import bp as tasklists_bp

    app.register_blueprint(tasklists_bp)
    app.register_blueprint(tasklists_family_bp)


def register_template_helpers(app: Flask) -> None:
    from . import timeutil

    app.jinja_env.filters.update(
        day=timeutil.format_day,
        clock=timeutil.format_clock,
        moment=timeutil.format_moment,
        span=timeutil.format_span,
        month=timeutil.format_month,
    )
    app.jinja_env.globals.update(weekday_name=timeutil.weekday_name)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


__all__ = ["create_app"]
