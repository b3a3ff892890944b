"""Every user-facing string has a Chinese translation, and the served catalogue is fresh.

Extraction goes through Babel's own API with the project's ``babel.cfg`` (the
same globs, keywords and Jinja settings as ``make i18n-extract``); compilation
through pybabel itself. Serving Chinese by default and English on request is
tested in test_app.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import CommandLineInterface, parse_mapping_cfg
from babel.messages.pofile import read_po

from readingroom import i18n

ROOT = Path(__file__).resolve().parent.parent
BABEL_CFG = ROOT / "babel.cfg"
CATALOGUES = sorted(i18n.TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))
FIX = "run `make i18n-update`, translate the new entries in {po}, then `make i18n-compile`"


def extracted() -> dict[tuple[str, str | None], list[str]]:
    """(message id, context) -> where it is used, for everything babel.cfg extracts."""
    if not BABEL_CFG.exists():
        pytest.skip("babel.cfg is not there (not a source checkout)")
    with BABEL_CFG.open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle, str(BABEL_CFG))
    found: dict[tuple[str, str | None], list[str]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map
    ):
        msgid = message[0] if isinstance(message, tuple | list) else message
        if msgid:
            found.setdefault((msgid, context), []).append(f"{filename}:{lineno}")
    return found


@pytest.fixture(scope="module")
def messages() -> dict[tuple[str, str | None], list[str]]:
    return extracted()


def test_there_is_one_catalogue_per_language():
    assert [po.parent.parent.name for po in CATALOGUES] == ["zh"]
    stray = sorted(
        str(p.relative_to(ROOT))
        for p in (ROOT / "readingroom").glob("**/translations")
        if p != i18n.TRANSLATIONS
    )
    assert not stray, f"merge these into {i18n.TRANSLATIONS.relative_to(ROOT)}: {stray}"


def test_extraction_sees_python_and_templates(messages):
    """A broken babel.cfg (glob, keyword, Jinja option) would make the next test vacuous."""
    sources = {
        where.split(":")[0].split("/")[0] for places in messages.values() for where in places
    }
    assert {"readingroom", "templates"} <= sources
    ids = {msgid for msgid, _ in messages}
    assert "Check and save" in ids  # a template: _("…")
    assert "Choose at least one weekday." in ids  # a form validator: _l("…")
    assert "Please log in to see this page." in ids  # lazy_gettext imported as _l
    assert len(ids) > 500


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parent.parent.name)
def test_every_message_has_a_translation(po, messages):
    with po.open("rb") as handle:
        catalog = read_po(handle)
    assert not catalog.fuzzy, f"{po} is marked fuzzy in its header: pybabel compile skips it"
    missing = []
    for (msgid, context), places in sorted(messages.items()):
        entry = catalog.get(msgid, context=context)
        strings = entry.string if entry is not None else None
        empty = not all(strings) if isinstance(strings, tuple | list) else not strings
        if entry is None or empty or entry.fuzzy:
            state = "missing" if entry is None else "fuzzy" if entry.fuzzy else "empty"
            missing.append(f"{state}: {msgid!r} ({places[0]})")
    assert not missing, (
        f"{len(missing)} message(s) lack a translation in {po.relative_to(ROOT)}; "
        + FIX.format(po=po.relative_to(ROOT))
        + ":\n  "
        + "\n  ".join(missing[:20])
    )


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parent.parent.name)
def test_translations_keep_the_placeholders(po):
    """Babel's own checks: a translation with a %(name)s the id lacks fails when rendered."""
    with po.open("rb") as handle:
        catalog = read_po(handle)
    problems = [
        f"{message.id!r}: {error}" for message, errors in catalog.check() for error in errors
    ]
    assert not problems, problems[:10]


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parent.parent.name)
def test_compiled_catalogue_is_fresh(po, tmp_path):
    """The .mo the app serves is exactly what pybabel compiles the .po to."""
    language = po.parent.parent.name
    served = i18n.compiled_catalogue(language)
    assert served == po.with_suffix(".mo")
    assert served.exists(), f"{served} is missing: run `make i18n-compile` (or `make install`)"
    fresh = tmp_path / language / "LC_MESSAGES" / "messages.po"
    fresh.parent.mkdir(parents=True)
    shutil.copy(po, fresh)
    CommandLineInterface().run(["pybabel", "-q", "compile", "-d", str(tmp_path)])
    same = served.read_bytes() == fresh.with_suffix(".mo").read_bytes()
    assert same, (
        f"{served} is stale (the .po changed since it was compiled): run `make i18n-compile`"
    )


def test_app_reads_the_package_catalogue(app):
    assert app.config["BABEL_TRANSLATION_DIRECTORIES"] == str(i18n.TRANSLATIONS)
