"""The ky, ru and en catalogs are complete, consistent and compiled.

A string added to the code or templates without a translation fails here.
"""
import gettext

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from consult import ROOT
from consult.core.languages import DEFAULT_LANGUAGES as LANGUAGES
from consult.translations import catalog_path


def load(lang):
    with catalog_path(lang).open("rb") as fh:
        return read_po(fh, locale=lang)


def extracted_ids() -> set:
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None,
                "lazy_gettext": None, "_n": (1, 2), "pgettext": ((1, "c"), 2)}
    ids = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords):
        ids.add(message[0] if isinstance(message, tuple) else message)
    return ids


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_entry_is_empty_or_fuzzy(lang):
    catalog = load(lang)
    empty = [m.id for m in catalog if m.id and (
        not all(m.string) if isinstance(m.string, tuple) else not m.string)]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert empty == [], f"{len(empty)} untranslated in {lang}: {empty[:10]}"
    assert fuzzy == [], f"fuzzy in {lang}: {fuzzy[:10]}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_string_in_the_code_is_in_the_catalog(lang):
    catalog = load(lang)
    known = {m.id[0] if isinstance(m.id, tuple) else m.id for m in catalog}
    missing = sorted(extracted_ids() - known)
    assert missing == [], (f"run 'consult translations update' and translate: {missing[:10]}")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_match(lang):
    problems = [(m.id, [str(e) for e in errors]) for m, errors in load(lang).check()]
    assert problems == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalog_is_up_to_date(lang):
    mo_path = catalog_path(lang).with_suffix(".mo")
    assert mo_path.exists(), "run 'consult translations compile'"
    with mo_path.open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    for message in load(lang):
        if not message.id or message.pluralizable:
            continue
        assert compiled.gettext(message.id) == message.string, message.id
