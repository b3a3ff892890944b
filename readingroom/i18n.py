"""Languages: Simplified Chinese first, English second.

Each domain package keeps its own catalogue in ``<domain>/translations`` (so
that work on one domain never rewrites another's), and Flask-Babel merges them.
Message ids are English; the Chinese catalogue translates them. Catalogues are
compiled (.po -> .mo) when the app starts, so a fresh clone and an edited .po
never serve stale text; compiled files are not committed.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Blueprint, Flask, current_app, has_request_context, redirect, request
from flask_babel import get_locale

from .security import safe_next_url

PACKAGE_ROOT = Path(__file__).resolve().parent
LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
LANGUAGE_COOKIE = "lang"
HTML_LANG = {"zh": "zh-Hans", "en": "en"}
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}

bp = Blueprint("i18n", __name__)


def translation_directories() -> list[Path]:
    """Every ``translations`` folder in the package (the shared one and one per domain)."""
    return sorted(p for p in PACKAGE_ROOT.glob("**/translations") if p.is_dir())


def po_files() -> list[Path]:
    return sorted(
        po
        for directory in translation_directories()
        for po in directory.glob("*/LC_MESSAGES/messages.po")
    )


def compiled_catalogue(po_path: Path) -> bytes:
    """The .mo bytes that ``po_path`` compiles to (fuzzy entries left out, as pybabel does)."""
    with po_path.open("rb") as handle:
        catalog = read_po(handle)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def compile_catalogues() -> list[Path]:
    """Compile every .po whose .mo is missing or differs; returns the files written."""
    written = []
    for po in po_files():
        mo = po.with_suffix(".mo")
        data = compiled_catalogue(po)
        if mo.exists() and mo.read_bytes() == data:
            continue
        tmp = mo.with_suffix(f".mo.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, mo)  # atomic: several workers may start at once
        written.append(mo)
    return written


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
    if not app.config.get("BABEL_SKIP_COMPILE"):
        compile_catalogues()
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(
        str(p) for p in translation_directories()
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
