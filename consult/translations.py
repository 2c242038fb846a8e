"""``consult translations update|compile``: keep the ky, ru and en catalogs in step with the code.

``update`` extracts every string marked for translation (babel.cfg), merges it into the
three catalogs, and fills the English catalog with the source text (English is the
source language). Translators then fill the empty ky and ru entries; ``compile`` writes
the .mo files the application reads. tests/test_catalogs.py fails while any entry is empty.
"""
from __future__ import annotations

import click
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po, write_po

from .config import ROOT
from .core import languages

CATALOGS = ROOT / "translations"
TEMPLATE = CATALOGS / "messages.pot"
KEYWORDS = ["-k", "_l", "-k", "lazy_gettext", "-k", "ngettext:1,2", "-k", "_n:1,2"]


def _pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


def catalog_path(lang: str):
    return CATALOGS / lang / "LC_MESSAGES" / "messages.po"


def update() -> None:
    """Extract the strings and merge them into every catalog (new entries empty)."""
    _pybabel("extract", "-F", str(ROOT / "babel.cfg"), *KEYWORDS, "--no-location",
             "--sort-output", "--omit-header", "-o", str(TEMPLATE), str(ROOT))
    for lang in languages.codes():
        path = catalog_path(lang)
        if path.exists():
            _pybabel("update", "-i", str(TEMPLATE), "-d", str(CATALOGS), "-l", lang,
                     "--no-fuzzy-matching", "--ignore-obsolete")
        else:
            _pybabel("init", "-i", str(TEMPLATE), "-d", str(CATALOGS), "-l", lang)
    _fill_english()


def _fill_english() -> None:
    path = catalog_path("en")
    with path.open("rb") as fh:
        catalog = read_po(fh, locale="en")
    for message in catalog:
        if message.id and not message.string or (
                isinstance(message.id, tuple) and not all(message.string)):
            message.string = message.id
        message.flags.discard("fuzzy")
    with path.open("wb") as fh:
        write_po(fh, catalog, omit_header=False, sort_output=True, width=100)


def compile_catalogs() -> None:
    _pybabel("compile", "-d", str(CATALOGS), "--statistics")


@click.group("translations", help="Message catalogs (ky, ru, en).")
def translations_group():
    pass


@translations_group.command("update")
def update_command():
    """Extract new strings into the catalogs."""
    update()
    click.echo("catalogs updated: fill the empty ky and ru entries, then run "
               "'consult translations compile'")


@translations_group.command("compile")
def compile_command():
    """Compile the catalogs to .mo files."""
    compile_catalogs()
