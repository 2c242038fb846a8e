"""The one safe-cell rule for every spreadsheet and CSV consult writes, and ``Problem``.

People's text goes into workbooks that drafters open in Excel or LibreOffice, so it must
never become a formula, an error value or a broken file:

- control characters (C0 but tab, line feed, carriage return; DEL) are stripped: XML
  refuses them and they hide text from reviewers;
- text longer than a cell holds (32,767 UTF-16 code units, counted as Excel and
  LibreOffice count them) is cut, with a marker saying where the full text is;
- text that starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return, or that is
  an error value such as ``#N/A``, is written as a text cell (quote prefix), never as a
  formula;
- in CSV every field is quoted and a formula start is neutralised at the start of the
  field and after any list separator (``,`` ``;`` tab), so that a reader splitting on
  the separator of Russian or Kyrgyz Excel (``;``) still never meets a formula.

Writers (``synthesis.workbook``, the kit, the CSV) call ``safe_text`` or ``csv_rows``;
nothing else decides.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ERROR_VALUES = frozenset(("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!",
                          "#N/A", "#GETTING_DATA"))
CELL_LIMIT = 32767  # UTF-16 code units
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_RISKY_FIRST = frozenset("=+-@\t\r#")
# A formula start right after a list separator (spaces and quotes between allowed).
_AFTER_SEPARATOR = re.compile(r"([,;\t][\s\"']*)(?=[=+\-@])")
CSV_DATE = "%d.%m.%Y %H:%M"


def utf16_length(text: str) -> int:
    """Length as Excel counts it: characters beyond U+FFFF take two code units."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _cut_to(text: str, units: int) -> str:
    """The longest start of ``text`` within ``units`` UTF-16 code units."""
    if len(text) <= units // 2:
        return text
    total = 0
    for index, ch in enumerate(text):
        total += 2 if ord(ch) > 0xFFFF else 1
        if total > units:
            return text[:index]
    return text


def cut_marker(length: int, where: str = "") -> str:
    """What a cut cell ends with: how long the text was and where to read all of it."""
    if where:
        return _(" [cut: %(n)s characters in all; the full text is %(where)s]",
                 n=length, where=where)
    return _(" [cut: %(n)s characters in all; the full text is kept on the consultation "
             "site]", n=length)


def safe_text(value: str, where: str = "") -> tuple[str, bool]:
    """``(text to write, write it as a text cell)`` for a string going into a spreadsheet.

    ``where`` names the place the full text can be read if the cell must be cut (for
    instance "comment 42 on the consultation site").
    """
    if CONTROL_CHARACTERS.search(value):
        value = CONTROL_CHARACTERS.sub("", value)
    if len(value) > CELL_LIMIT // 2 and utf16_length(value) > CELL_LIMIT:
        marker = cut_marker(len(value), where)
        value = _cut_to(value, CELL_LIMIT - utf16_length(marker)) + marker
    risky = bool(value) and value[0] in _RISKY_FIRST and (
        value.startswith(FORMULA_STARTS) or value in ERROR_VALUES)
    return value, risky


def csv_field(value) -> str:
    """One CSV field as text a spreadsheet cannot run (quoting is the writer's)."""
    kind = type(value)
    if kind is str:
        text = value
    elif value is None:
        return ""
    elif kind is int:
        return str(value)
    elif kind is bool:
        return "1" if value else "0"
    elif isinstance(value, datetime):
        return value.strftime(CSV_DATE)
    elif isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    else:
        text = str(value)
    if text[:1] not in _RISKY_FIRST and CONTROL_CHARACTERS.search(text) is None \
            and _AFTER_SEPARATOR.search(text) is None:
        return text  # nearly every field: nothing to change
    text = CONTROL_CHARACTERS.sub("", text)
    if _AFTER_SEPARATOR.search(text):
        text = _AFTER_SEPARATOR.sub(r"\1'", text)
    if text[:1] in _RISKY_FIRST and (text.startswith(FORMULA_STARTS) or text in ERROR_VALUES):
        text = "'" + text
    return text


# How many texts ``csv_chunks`` remembers made safe, and up to what length: a file repeats
# its documents' titles, clause excerpts and labels on every row, and looking one up costs
# less than checking it; comments and answers are each written once, and not kept.
_REMEMBERED = 10_000
_REMEMBERED_LENGTH = 500


def csv_chunks(header: Iterable, rows: Iterable[Iterable], chunk_rows: int = 500
               ) -> Iterator[str]:
    """A CSV file in chunks: UTF-8 BOM (so Excel reads Cyrillic right), every field quoted,
    CR LF line ends, every field through ``csv_field``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    safe: dict[str, str] = {}

    def field(value) -> str:
        if type(value) is not str or len(value) > _REMEMBERED_LENGTH:
            return csv_field(value)
        text = safe.get(value)
        if text is None:
            if len(safe) >= _REMEMBERED:
                safe.clear()
            text = safe[value] = csv_field(value)
        return text

    buffer.write("\ufeff")
    writer.writerow([field(v) for v in header])
    for number, row in enumerate(rows, 1):
        writer.writerow([field(v) for v in row])
        if number % chunk_rows == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an imported file: where (row, column code or name; ``file``
    for imports of several files) and what, in words."""
    row: int
    column: str
    message: str
    file: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.row}" if self.file else f"row {self.row}"
        column = f", {self.column}" if self.column and not self.file else ""
        return f"{where}{column}: {self.message}"
