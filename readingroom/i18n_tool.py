"""Keep the translation catalogues in step with the code.

    python -m readingroom.i18n_tool update [DOMAIN ...]  # extract, merge into the domains' .po
    python -m readingroom.i18n_tool check    # list untranslated or fuzzy messages; exit 1 if any
    python -m readingroom.i18n_tool fill F.json  # set translations from {"msgid": "译文"}

A domain is a sub-package of ``readingroom`` (``schedule``, ``signups``…): its
Python files and ``templates/<domain>/`` go into
``readingroom/<domain>/translations/zh/LC_MESSAGES/messages.po``. Everything
else (top-level modules and templates) goes into ``readingroom/translations``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po, write_po

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent
TEMPLATES = ROOT / "templates"
TARGET_LOCALES = ("zh",)
CORE = "core"

KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "_l": None,
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
}
JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trimmed": "false"}


def domains() -> list[str]:
    subpackages = sorted(
        p.name
        for p in PACKAGE.iterdir()
        if p.is_dir() and (p / "__init__.py").exists() and p.name != "migrations"
    )
    return [CORE, *subpackages]


def sources(domain: str) -> Iterator[tuple[Path, str]]:
    """(file, extraction method) for every source file of a domain."""
    if domain == CORE:
        for path in sorted(PACKAGE.glob("*.py")):
            yield path, "python"
        own = set(domains()) - {CORE}
        for path in sorted(TEMPLATES.rglob("*.html")):
            relative = path.relative_to(TEMPLATES)
            if len(relative.parts) == 1 or relative.parts[0] not in own:
                yield path, "jinja2"
        return
    for path in sorted((PACKAGE / domain).rglob("*.py")):
        yield path, "python"
    for path in sorted((TEMPLATES / domain).rglob("*.html")):
        yield path, "jinja2"


def catalogue_dir(domain: str) -> Path:
    return PACKAGE / "translations" if domain == CORE else PACKAGE / domain / "translations"


def extract(domain: str) -> Catalog:
    """The message ids a domain's code and templates use."""
    template = Catalog(project="readingroom", fuzzy=False)
    for path, method in sources(domain):
        func = "jinja2.ext:babel_extract" if method == "jinja2" else "python"
        options = JINJA_OPTIONS if method == "jinja2" else {}
        for lineno, message, comments, context in extract_from_file(
            func, str(path), keywords=KEYWORDS, options=options
        ):
            template.add(
                message,
                None,
                [(str(path.relative_to(ROOT)), lineno)],
                auto_comments=comments,
                context=context,
            )
    return template


def po_path(domain: str, locale: str) -> Path:
    return catalogue_dir(domain) / locale / "LC_MESSAGES" / "messages.po"


def load(domain: str, locale: str) -> Catalog:
    path = po_path(domain, locale)
    if not path.exists():
        return Catalog(locale=locale, project="readingroom")
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def update(domain: str) -> None:
    template = extract(domain)
    if not len(template) and not catalogue_dir(domain).exists():
        return
    for locale in TARGET_LOCALES:
        catalog = load(domain, locale)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()  # removed strings leave the catalogue
        path = po_path(domain, locale)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=100, omit_header=False, sort_output=False)


def untranslated(domain: str, locale: str = "zh") -> list[str]:
    """Message ids of the domain with no (or only a fuzzy) translation."""
    catalog = load(domain, locale)
    missing = []
    for message in extract(domain):
        if not message.id:
            continue
        entry = catalog.get(message.id, context=message.context)
        strings = entry.string if entry is not None else None
        empty = not all(strings) if isinstance(strings, tuple | list) else not strings
        if entry is None or empty or entry.fuzzy:
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


def fill(translations: dict[str, str], locale: str = "zh") -> int:
    """Write translations into every domain catalogue that has the message id."""
    filled = 0
    for domain in domains():
        path = po_path(domain, locale)
        if not path.exists():
            continue
        catalog = load(domain, locale)
        changed = False
        for message in catalog:
            if isinstance(message.id, str) and message.id in translations:
                message.string = translations[message.id]
                message.flags.discard("fuzzy")
                changed = True
                filled += 1
        if changed:
            with path.open("wb") as handle:
                write_po(handle, catalog, width=100, sort_output=False)
    return filled


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "fill":
        import json

        count = fill(json.loads(Path(argv[2]).read_text(encoding="utf-8")))
        print(f"{count} message(s) filled")
        command = "check"
    if command == "update":
        for domain in argv[2:] or domains():
            update(domain)
        command = "check"
    if command == "check":
        problems = 0
        for domain in domains():
            for message_id in untranslated(domain):
                print(f"{domain}: untranslated: {message_id!r}")
                problems += 1
        print(f"{problems} untranslated message(s)")
        return 1 if problems else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
