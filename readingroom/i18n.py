"""Languages: Simplified Chinese first, English second.

Message ids are English; one catalogue per language,
``readingroom/translations/<lang>/LC_MESSAGES/messages.po``, translates them.
Babel's own tools keep it in step with the code (``make i18n-update``, driven
by ``babel.cfg``) and compile it (``make i18n-compile``; also every install and
wheel build, see ``setup.py``). The app only reads the compiled ``.mo``: nothing
is written into the package at run time, so a read-only install works.
Compiled files are not committed.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, current_app, has_request_context, redirect, request
from flask_babel import get_locale

from .security import safe_next_url

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
LANGUAGE_COOKIE = "lang"
HTML_LANG = {"zh": "zh-Hans", "en": "en"}
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}

bp = Blueprint("i18n", __name__)


def compiled_catalogue(language: str) -> Path:
    """The ``.mo`` Flask-Babel loads for ``language`` (built from the ``.po`` next to it)."""
    return TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo"


def select_locale() -> str:
    """The person's choice (footer switch), else the browser's, else Chinese."""
    if not has_request_context():
        return DEFAULT_LANGUAGE  # CLI commands and background work
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE)


def current_language() -> str:
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh"


def localized(obj: object, attribute: str = "name") -> str:
    """A data field in the served language: ``name_en`` in English when it is filled in."""
    if current_language() == "en":
        english = getattr(obj, f"{attribute}_en", None)
        if english:
            return english
    return getattr(obj, attribute)


@bp.post("/language")
def switch_language():
    """Remember the language picked in the footer (a preference cookie, POST with CSRF)."""
    language = request.form.get("lang")
    response = redirect(safe_next_url(request.form.get("next")) or "/")
    if language in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE,
            language,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        )
    return response


def init_app(app: Flask) -> None:
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    if not compiled_catalogue(DEFAULT_LANGUAGE).exists():
        # Flask-Babel would quietly serve the English ids.
        app.logger.warning(
            "%s is missing: pages will be in English; run `make i18n-compile`",
            compiled_catalogue(DEFAULT_LANGUAGE),
        )
    app.register_blueprint(bp)

    @app.context_processor
    def _language_context() -> dict[str, object]:
        language = current_language()
        return {
            "current_language": language,
            "html_lang": HTML_LANG[language],
            "language_names": LANGUAGE_NAMES,
        }

    # A global (not a context variable) so that imported macros can use it too.
    app.jinja_env.globals["localized"] = localized
