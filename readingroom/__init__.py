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
    register_url_converters(app)
    register_extensions(app)
    register_blueprints(app)
    connect_receivers()
    register_template_helpers(app)

    from . import cli
    from .errors import register_error_handlers

    register_error_handlers(app)
    cli.init_app(app)
    if app.config["PROXY_FIX_COUNT"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_FIX_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    from . import requestlog

    requestlog.init_app(app)
    return app


def register_url_converters(app: Flask) -> None:
    """``<int:…>`` in every route only matches ids the database can hold (else 404)."""
    from .security import DatabaseIdConverter

    app.url_map.converters["int"] = DatabaseIdConverter


def register_extensions(app: Flask) -> None:
    from . import i18n
    from .database import configure_engine, render_migration_item
    from .extensions import babel, cache, compress, csrf, db, limiter, login_manager, migrate

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
    cache.init_app(app)
    from .calendars.cache import compress_cache_backend, compress_cache_key

    # gzip by the app; what a view marks as cacheable is compressed once (cache.py)
    app.config.setdefault("COMPRESS_CACHE_BACKEND", compress_cache_backend)
    app.config.setdefault("COMPRESS_CACHE_KEY", compress_cache_key)
    compress.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please log in to see this page.")

    login_manager.user_loader(load_user)

    from . import headers

    headers.init_app(app)


def load_user(user_id: str) -> Any:
    """Flask-Login: ids name the kind of account, its id and its session token
    ("staff:3:<token>", "household:7:<token>"); an old token finds nobody."""
    from sqlalchemy.orm import joinedload

    from .auth.sessions import parse_login_id, token_matches
    from .extensions import db
    from .families.models import Household
    from .staff.models import StaffUser

    parsed = parse_login_id(user_id)
    if parsed is None:
        return None
    kind, ident, token = parsed
    model = {"staff": StaffUser, "household": Household}.get(kind)
    if model is None:
        return None
    # A family's pages nearly all read its members (the sign-up form, the panel, the
    # task lists): loaded with the account, in its query.
    options = [joinedload(Household.members)] if model is Household else []
    user = db.session.get(model, ident, options=options)
    if user is None or not user.is_active or not token_matches(user, token):
        return None
    return user


def import_models() -> None:
    """Import every model module so that metadata (and Alembic) see all tables."""
    from .families import models as _families  # noqa: F401
    from .notices import models as _notices  # noqa: F401
    from .ops import models as _ops  # noqa: F401
    from .places import models as _places  # noqa: F401
    from .privacy import models as _privacy  # noqa: F401
    from .registrations import models as _registrations  # noqa: F401
    from .schedule import models as _schedule  # noqa: F401
    from .staff import models as _staff  # noqa: F401
    from .tasklists import models as _tasklists  # noqa: F401


def register_blueprints(app: Flask) -> None:
    from . import pages
    from .calendars import api, feeds
    from .calendars import views as calendar_views
    from .extensions import login_manager
    from .families import reset_views as family_reset_views
    from .families import views as family_views
    from .notices import views as notice_views
    from .notices.operations import deliver_after_response
    from .ops import health
    from .places import views as place_views
    from .privacy import staff_views as privacy_staff_views
    from .privacy import views as privacy_views
    from .registrations import course_views as course_signup_views
    from .registrations import staff_views as roster_views
    from .registrations import views as registration_views
    from .reports import views as report_views
    from .schedule import course_views, program_views
    from .schedule import views as schedule_views
    from .staff import admin_views as staff_account_views
    from .staff import views as auth_views
    from .tasklists import course_views as tasklist_course_views
    from .tasklists import family_views as tasklist_family_views
    from .tasklists import views as tasklist_views

    for module in (
        pages,
        auth_views,
        staff_account_views,
        place_views,
        schedule_views,
        program_views,
        course_views,
        calendar_views,
        feeds,
        api,
        family_views,
        family_reset_views,
        registration_views,
        course_signup_views,
        notice_views,
        privacy_views,
        roster_views,
        privacy_staff_views,
        tasklist_views,
        tasklist_course_views,
        tasklist_family_views,
        report_views,
        health,
    ):
        app.register_blueprint(module.bp)
    # Family pages send a logged-out visitor to the family login, not the staff one.
    for name in (
        "families",
        "registrations",
        "course_signups",
        "notices",
        "privacy",
        "family_tasklists",
    ):
        login_manager.blueprint_login_views[name] = "families.login"
    app.after_request(deliver_after_response)  # notices queued by this request go out now


def connect_receivers() -> None:
    """Higher domains listen to the signals of lower ones (see each ``receivers``)."""
    from .notices import operations as notices
    from .registrations import receivers as registrations
    from .tasklists import receivers as tasklists

    for domain in (notices, registrations, tasklists):
        domain.connect()


def register_template_helpers(app: Flask) -> None:
    from . import links, timeutil
    from .auth.permissions import may_manage
    from .families.phones import mask_mobile
    from .registrations.occupancy import seats_left

    app.jinja_env.filters.update(
        day=timeutil.format_day,
        clock=timeutil.format_clock,
        moment=timeutil.format_moment,
        span=timeutil.format_span,
        month=timeutil.format_month,
        masked=mask_mobile,
    )
    app.jinja_env.globals.update(
        weekday_name=timeutil.weekday_name,
        public_session_url=links.public_session_url,
        public_base_url=links.public_base_url,
        seats_left=seats_left,
        may_manage=may_manage,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


__all__ = ["create_app"]
