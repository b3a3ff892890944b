"""Every user-facing string has a Chinese translation, and the served catalogue is fresh."""

from __future__ import annotations

import pytest

from readingroom import i18n, i18n_tool


@pytest.mark.parametrize("domain", i18n_tool.domains())
def test_every_message_has_a_chinese_translation(domain):
    missing = i18n_tool.untranslated(domain, "zh")
    assert not missing, (
        f"{len(missing)} message(s) of {domain!r} lack a Chinese translation; run "
        f"`python -m readingroom.i18n_tool update {domain}` and translate them: {missing[:10]}"
    )


def test_compiled_catalogues_match_their_sources(app):
    """The .mo files the app serves are exactly what the .po files compile to."""
    po_files = i18n.po_files()
    assert po_files, "no catalogues found"
    for po in po_files:
        mo = po.with_suffix(".mo")
        assert mo.exists(), f"{mo} was not compiled at start-up"
        assert mo.read_bytes() == i18n.compiled_catalogue(po), f"{mo} is stale"


def test_catalogue_compiled_again_when_po_changes(tmp_path, monkeypatch):
    """Editing a .po is picked up at the next start (no stale compiled file)."""
    import shutil

    source = i18n.po_files()[0]
    copy_dir = tmp_path / "translations" / "zh" / "LC_MESSAGES"
    copy_dir.mkdir(parents=True)
    po = copy_dir / "messages.po"
    shutil.copy(source, po)
    monkeypatch.setattr(i18n, "po_files", lambda: [po])
    assert i18n.compile_catalogues() == [po.with_suffix(".mo")]
    assert i18n.compile_catalogues() == []  # unchanged: nothing rewritten
    po.write_text(
        po.read_text(encoding="utf-8") + '\nmsgid "Extra"\nmsgstr "额外"\n', encoding="utf-8"
    )
    assert i18n.compile_catalogues() == [po.with_suffix(".mo")]


def test_every_domain_template_string_is_extracted():
    """The extractor sees template strings (a broken extractor would make the check vacuous)."""
    ids = {m.id for m in i18n_tool.extract("schedule") if m.id}
    assert "Check and save" in ids  # from templates/schedule/session_form.html
    assert "Choose at least one weekday." in ids  # from readingroom/schedule/forms.py


def test_a_message_id_has_one_translation_across_domains():
    """Catalogues are merged at run time, so a message id translated two ways in two
    domains would show one domain the other's wording."""
    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for domain in i18n_tool.domains():
        for message in i18n_tool.load(domain, "zh"):
            if not isinstance(message.id, str) or not message.id or not message.string:
                continue
            if message.id in seen and seen[message.id][1] != message.string:
                clashes.append((message.id, seen[message.id], (domain, message.string)))
            seen.setdefault(message.id, (domain, message.string))
    assert not clashes, clashes[:5]
