"""The comment synthesis workbook: rows -> xlsx (DESIGN.md section 6), streamed.

XlsxWriter in ``constant_memory`` mode: every sheet streams to its own temporary file and
only the row being written is held, so memory stays flat whatever the number of comments.
The summaries (About, By clause, Statistics...) are counted while the Comments rows stream
past, so they always agree with the rows; they are small and are written from memory,
their columns fitted to what they hold.

Every string that people wrote passes through the safe-cell rule (``core.spreadsheets``):
illegal control characters are stripped, text over Excel's cell limit is cut and marked,
and every string is written as a string cell (never a formula), with a quote prefix when
Excel would take it for a formula or an error value once edited.

Made to be read and printed: every sheet A4 landscape, one page wide, its header row on
every page, text wrapped and top-aligned, rows as tall as their text (spreadsheet programs
do not fit row heights of a generated file, on screen or on paper). Only the answer
columns of the Comments sheet are unlocked; the sheets are protected without a password.

Each Comments row carries what its answer was at the export (hidden columns: the answer
and its revision, and a check of the three answer cells), and About the export's id, so
that an upload applies only the rows the drafter changed (``excel_answers``).
"""
from __future__ import annotations

import getpass
import hashlib
import re
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from xlsxwriter import Workbook
from xlsxwriter.utility import quote_sheetname, xl_col_to_name, xl_rowcol_to_cell_fast
from xlsxwriter.worksheet import Worksheet

from ..comments.public import answers_public, responding_body
from ..core import languages
from ..core.consultation import current_consultation
from ..core.spreadsheets import CELL_LIMIT, CONTROL_CHARACTERS, safe_text
from ..core.time import TIMEZONE, local_naive, utcnow
from ..core.vocab import (
    CATEGORIES,
    CHANGE_KINDS,
    CHANNELS,
    CONSENTS,
    GENDERS,
    HEARING_STATUSES,
    HIDE_REASONS,
    ROLES,
    STATES,
    STATUSES,
)
from ..drafts import diff
from ..i18n import pick
from ..models import Comment, Consultation, Document, Hearing, User
from .answers import CHANGE_REQUIRED, MAX_TEXT, RATIONALE_REQUIRED, min_rationale_chars
from .changes import changes_for
from .rows import COLUMNS, hearing_label, iter_records

DATE_FORMAT = "dd.mm.yyyy hh:mm"

# Sheet names, in the contract order.
SHEETS = [
    ("about", _l("About")),
    ("comments", _l("Comments")),
    ("by_clause", _l("By clause")),
    ("changes", _l("Changes")),  # written only once a revised version is published
    ("hearings", _l("Hearings")),
    ("statistics", _l("Statistics")),
    ("moderation", _l("Moderation")),
    ("lists", _l("Lists")),
]
# Labels of About that an upload reads back (in any language).
EXPORTED_AT = _l("Exported at")
EXPORTED_BY = _l("Exported by")
EXPORT_ID = _l("Export ID")
# Hidden columns after the contract's: what the row's answer was at the export.
HIDDEN_COLUMNS = [
    ("exported_answer", _l("Answer at export (do not change)")),
    ("exported_check", _l("Answer cells at export (do not change)")),
]
# Comments columns, in characters of the default font: narrow enough for a page, the
# headers wrapped by words (never cut: a header's longest word widens its column).
COLUMN_WIDTHS = {"no": 5, "comment_id": 7, "document": 15, "version": 5, "clause": 7,
                 "current_clause": 8, "clause_excerpt": 20, "comment": 40, "language": 5,
                 "channel": 10, "hearing": 10, "received": 16.5, "in_period": 5,
                 "category": 10, "gender": 7, "commenter": 14, "consent": 10,
                 "moderation": 10, "moderation_reason": 10, "group": 5, "group_size": 5,
                 "status": 12, "rationale": 30, "change": 22, "responded_by": 10,
                 "responded_at": 16.5}
DATE_COLUMNS = ("received", "responded_at")
NUMBER_COLUMNS = ("no", "comment_id", "version", "group", "group_size")
# Columns whose values people wrote: through the safe-cell rule, wrapped.
TEXT_COLUMNS = ("document", "clause", "current_clause", "clause_excerpt", "comment",
                "hearing", "commenter", "responded_by")
ANSWER_COLUMNS = ("status", "rationale", "change")
# Columns of people's text (or long values) that decide a row's height.
TALL_COLUMNS = ("document", "clause", "current_clause", "clause_excerpt", "comment",
                "hearing", "commenter", "rationale", "change", "responded_by")
# Columns of our own labels: as wide as their longest word (up to LABEL_WIDTH), so that
# no word of a label is broken; their heights are counted once per label.
LABEL_VOCABULARIES = {"channel": CHANNELS, "category": CATEGORIES, "gender": GENDERS,
                      "consent": CONSENTS, "moderation": STATES,
                      "moderation_reason": HIDE_REASONS, "status": STATUSES}
LABEL_WIDTH = 16

FONT = {"font_name": "Calibri", "font_size": 10}
LINE_HEIGHT = 12.75  # points per line of the 10-point font
ROW_PADDING = 2
# Characters of the 10-point font per unit of column width (the unit is a digit's width).
# Latin letters are narrower on average, Cyrillic ones are not, and LibreOffice without
# Calibri sets a wider font: a row a little too tall is better than text cut off.
CHARS_PER_UNIT = 1.0
MAX_ROW_HEIGHT = 409  # points: the tallest row Excel allows
ANSWER_FILL = "#FFF2CC"  # the cells a drafter fills in
HEADER_FILL = "#D9E1F2"
# Excel's limits for data-validation prompts.
PROMPT_TITLE, PROMPT_TEXT = 32, 255
PROTECTION = {"sort": True, "autofilter": True, "format_cells": True, "format_columns": True,
              "format_rows": True, "select_locked_cells": True,
              "select_unlocked_cells": True}


def sheet_title(label) -> str:
    """A translated sheet name Excel accepts (at most 31 characters, no []:*?/\\)."""
    text = str(label)
    for char in "[]:*?/\\":
        text = text.replace(char, " ")
    return text[:31]


def sheet_titles(lang: str) -> dict[str, str]:
    """The sheet names in ``lang``, by code."""
    with force_locale(lang):
        return {code: sheet_title(label) for code, label in SHEETS}


# What XlsxWriter's escaping of a cell's text would change (control characters, text that
# looks like its own _xHHHH_ escape, non-characters) and what XML escapes.
_NEEDS_EXCEL_ESCAPE = re.compile("_x[0-9a-fA-F]{4}_|[\x00-\x08\x0b-\x1f\ufffe\uffff]")
_NEEDS_XML_ESCAPE = re.compile("[&<>]")
_EDGE_SPACE = re.compile(r"^\s|\s$")


class _Sheet(Worksheet):
    """XlsxWriter's worksheet with the innermost loop of ``constant_memory`` mode made safe
    and lean for the cells this workbook is made of.

    A plain text cell is always escaped: XlsxWriter writes a string that starts with
    ``<r>`` and ends with ``</r>`` as it is, taking it for rich text, so a comment could
    inject cells and formulas into the drafters' workbook. Text and number cells are
    written in one step each (the export is mostly them); any other cell, rich text
    included, is XlsxWriter's own. ``tests/test_workbook.py`` checks that both write the
    same XML for ordinary text.
    """

    def _write_cell(self, row: int, col: int, cell) -> None:
        kind = type(cell).__name__
        if not self.constant_memory or kind not in ("String", "Number", "Datetime"):
            super()._write_cell(row, col, cell)
            return
        style = ""
        cell_format = cell.format
        if cell_format is None and row in self.row_info and self.row_info[row].row_format:
            cell_format = self.row_info[row].row_format
        elif cell_format is None and col in self.col_info:
            cell_format = self.col_info[col].column_format
        if cell_format is not None:
            style = f' s="{cell_format._get_xf_index()}"'
        ref = xl_rowcol_to_cell_fast(row, col)
        if kind != "String":
            self.fh.write(f'<c r="{ref}"{style}><v>{cell.number:.16G}</v></c>')
            return
        text = cell.string
        if _NEEDS_EXCEL_ESCAPE.search(text):
            text = self._escape_control_characters(text)
        space = ' xml:space="preserve"' if _EDGE_SPACE.search(text) else ""
        if _NEEDS_XML_ESCAPE.search(text):
            text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        self.fh.write(f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{text}</t></is></c>')


def answer_text(value) -> str:
    """A rationale or change as compared between the export and an upload: control
    characters dropped (the safe-cell rule drops them), line ends as one, trimmed."""
    if not value:
        return ""
    text = str(value)
    if CONTROL_CHARACTERS.search(text):
        text = CONTROL_CHARACTERS.sub("", text)
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def answer_check(status: str, rationale, change) -> str:
    """A short fingerprint of a row's answer cells (status code, rationale, change): the
    export writes it in a hidden column, an upload recomputes it to see whether the
    drafter changed the row."""
    text = "\x1f".join((status or "", answer_text(rationale), answer_text(change)))
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def answer_reference(answer_id: int | None, revision: int | None) -> str:
    """The hidden "answer at export" cell: the answer's id and revision ("" for none)."""
    return f"{answer_id}:{revision}" if answer_id is not None else ""


FORMATS = {
    "wrap": {"text_wrap": True},
    "header": {"bold": True, "text_wrap": True, "bg_color": HEADER_FILL, "bottom": 1},
    "title": {"bold": True, "font_size": 12, "text_wrap": True},
    "border": {"border": 1, "border_color": "#A6A6A6"},
    "bold": {"bold": True},
    "date": {"num_format": DATE_FORMAT},
    "answer": {"locked": False, "bg_color": ANSWER_FILL},
    "risky": {"quote_prefix": True},
    "struck": {"font_strikeout": True, "font_color": "#9C0006"},
    "added": {"underline": 1, "font_color": "#006100"},
    "muted": {"font_color": "#595959"},
}


class _Formats:
    """Cell formats by name (``FORMATS``), each combination made once (every cell
    top-aligned, in the workbook's font)."""

    def __init__(self, book: Workbook):
        self.book = book
        self.made: dict[frozenset, object] = {}
        self.flag = book.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})

    def __call__(self, *names: str):
        key = frozenset(names)
        made = self.made.get(key)
        if made is None:
            properties = {**FONT, "valign": "top"}
            for name in sorted(names):
                properties.update(FORMATS[name])
            made = self.made[key] = self.book.add_format(properties)
        return made


def _lines(text: str, width: float) -> int:
    """Lines ``text`` takes wrapped in a column ``width`` units wide (estimated from its
    length: measuring every word of 100,000 comments would cost more than the export)."""
    per_line = max(1, int(width * CHARS_PER_UNIT) - 3)  # - 3: room lost at word breaks
    if "\n" not in text:
        return -(-len(text) // per_line) or 1
    return sum(-(-len(part) // per_line) or 1 for part in text.split("\n"))


def _lines_by_words(text: str, width: float) -> int:
    """Lines a short text takes wrapped word by word (labels: a few distinct values)."""
    lines, used, room = 1, 0.0, width * CHARS_PER_UNIT - 0.5
    for word in text.split():
        if used and used + len(word) > room:
            lines, used = lines + 1, 0.0
        used += len(word) + 1
    return lines


def _header_lines(text: str, width: float) -> int:
    """Lines a header takes, wrapped by words (headers are short: wrapped word by word)."""
    lines, used, room = 1, 0.0, width - 1
    for word in text.split():
        size = len(word) * 1.1  # bold, Cyrillic
        if used and used + size > room:
            lines, used = lines + 1, 0.0
        used += size + 0.5
    return lines


def _height(lines: int) -> float:
    return min(MAX_ROW_HEIGHT, lines * LINE_HEIGHT + ROW_PADDING)


def _header_width(label: str) -> float:
    """The narrowest column whose wrapped header cuts no word (bold, and the filter
    button's room)."""
    return max((len(word) for word in label.split()), default=0) * 1.1 + 2


def _print_setup(ws, header_rows: int = 1, gridlines: bool = True) -> None:
    """A4 landscape, one page wide and as many tall as needed, the header row repeated on
    every page, the sheet name and page number in the footer; protected, no password.
    ``gridlines``: printed (a sheet that is one table); else its tables have borders."""
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    if header_rows:
        ws.repeat_rows(0, header_rows - 1)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    ws.set_footer("&L&8&A&R&8&P / &N")
    ws.hide_gridlines(0 if gridlines else 1)
    ws.protect("", PROTECTION)


@dataclass
class Summary:
    """What the export counted; the CLI prints the check."""
    received: int = 0
    states: Counter = field(default_factory=Counter)
    received_in_database: int = 0
    export_id: str = ""

    @property
    def check_holds(self) -> bool:
        parts = sum(self.states[s] for s in STATES)
        return self.received == parts == self.received_in_database


@dataclass
class _Tally:
    states: Counter = field(default_factory=Counter)
    channels: Counter = field(default_factory=Counter)
    categories: Counter = field(default_factory=Counter)
    genders: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    hearings: Counter = field(default_factory=Counter)
    chapters: Counter = field(default_factory=Counter)
    clauses: dict = field(default_factory=dict)  # (document, clause) -> Counter
    moderated: list = field(default_factory=list)
    received: int = 0

    def add(self, row: dict, meta) -> None:
        self.received += 1
        self.states[meta.state] += 1
        self.channels[meta.channel] += 1
        self.categories[meta.category] += 1
        self.genders[meta.gender] += 1
        self.statuses[meta.status] += 1
        if meta.hearing_id is not None:
            self.hearings[meta.hearing_id] += 1
        self.chapters[(row["document"], meta.chapter)] += 1
        counts = self.clauses.setdefault((row["document"], row["clause"]), Counter())
        counts["received"] += 1
        counts["status:" + meta.status] += 1
        counts["channel:" + meta.channel] += 1
        if meta.state in ("hidden", "withdrawn"):
            self.moderated.append((row["comment_id"], row["document"], row["clause"],
                                   row["moderation"], row["moderation_reason"],
                                   meta.moderation_note, row["received"]))


def exporter_name(user: User | None, lang: str) -> str:
    """Who exported, as the About sheet says it: a staff member's name (never an e-mail
    address), else their role; from the command line, the system account."""
    if user is None:
        try:
            account = getpass.getuser()
        except (OSError, KeyError):  # no name for the process's user
            account = "?"
        return f"{_('command line')} ({account})"
    return user.name or ROLES.labels_in(lang).get(user.role, user.role)


def export_workbook(session: Session, out, *, lang: str, public: bool,
                    consultation: Consultation | None = None,
                    document_slug: str | None = None,
                    exported_by: str | None = None) -> Summary:
    """Write the synthesis workbook of ``consultation`` (default: the current one), or of
    one of its documents, for ``lang`` to ``out`` (a path or a binary file).

    ``public`` writes the public variant: text of hidden, withdrawn, unmoderated and
    non-consented comments withheld, moderators' notes left out. ``exported_by``: who
    exports, as About names them (default: the command line's system account).
    """
    exported_at = utcnow()  # before reading: an answer changed after this is newer
    export_id = secrets.token_hex(8)
    consultation = consultation or current_consultation(session)
    scope = (consultation.id if consultation is not None else 0, document_slug)
    with force_locale(lang):
        book = Workbook(out, {"constant_memory": True, "strings_to_numbers": False,
                              "strings_to_formulas": False, "strings_to_urls": False,
                              "default_format_properties": dict(FONT),
                              "default_row_height": 17})
        fmt = _Formats(book)
        titles = sheet_titles(lang)
        changes = _changes(session, scope, consultation, public)
        sheets = {code: book.add_worksheet(titles[code], worksheet_class=_Sheet)
                  for code, _label in SHEETS if code != "changes" or changes}
        tally = _Tally()
        rows = _write_comments(sheets["comments"], fmt, session, lang, public, scope,
                               titles["lists"], tally)
        received_db = _count_received(session, scope)
        if public:  # staff are never named in public
            exported_by = responding_body(consultation, lang)
        about = _About(exported_at=exported_at, export_id=export_id,
                       exported_by=exported_by or exporter_name(None, lang))
        _write_about(sheets["about"], fmt, session, lang, public, scope, consultation,
                     about, tally, received_db)
        _write_by_clause(sheets["by_clause"], fmt, tally)
        if changes:
            _write_changes(sheets["changes"], fmt, changes)
        _write_hearings(sheets["hearings"], fmt, session, lang, consultation, tally)
        _write_statistics(book, sheets["statistics"], fmt, tally)
        _write_moderation(sheets["moderation"], fmt, tally, public)
        _write_lists(sheets["lists"], fmt, lang)
        book.close()
    return Summary(received=rows, states=tally.states, received_in_database=received_db,
                   export_id=export_id)


def _count_received(session: Session, scope: tuple[int, str | None]) -> int:
    consultation_id, document_slug = scope
    query = select(func.count(Comment.id)).where(Comment.consultation_id == consultation_id)
    if document_slug is not None:
        query = query.join(Document, Document.id == Comment.document_id).where(
            Document.slug == document_slug)
    return session.scalar(query) or 0


# ---------------------------------------------------------------- small sheets


class _Page:
    """A small sheet, built in memory and then written: each column as wide as what it
    holds (up to ``max_width``; longer text wraps), never narrower than its header's
    longest word, each row as tall as its wrapped text."""

    def __init__(self, max_width: int = 50):
        self.rows: list[tuple[str, list]] = []  # (kind, values)
        self.max_width = max_width
        self.widths: dict[int, float] = {}

    def header(self, labels) -> None:
        self.rows.append(("header", [str(label) for label in labels]))

    def title(self, values) -> None:
        self.rows.append(("title", list(values)))

    def row(self, values) -> None:
        self.rows.append(("body", list(values)))

    def blank(self) -> None:
        self.rows.append(("blank", []))

    def fit(self, fixed: dict[int, float] | None = None) -> dict[int, float]:
        widths: dict[int, float] = {}
        for kind, values in self.rows:
            for col, value in enumerate(values):
                if value is None or value == "":
                    continue
                if kind == "header":
                    need = _header_width(value)
                elif isinstance(value, datetime):
                    need = 15
                elif isinstance(value, str):
                    longest = max(len(line) for line in value.split("\n"))
                    need = min(self.max_width, longest + 2)
                else:
                    need = len(str(value)) + 2
                widths[col] = max(widths.get(col, 6), need)
        widths.update(fixed or {})
        self.widths = widths
        return widths

    def write(self, ws, fmt: _Formats, *, fixed: dict[int, float] | None = None,
              first_header: bool = True) -> None:
        widths = self.fit(fixed)
        for col, width in widths.items():
            ws.set_column(col, col, width)
        for number, (kind, values) in enumerate(self.rows):
            lines = 1
            for col, value in enumerate(values):
                if isinstance(value, str) and value:
                    count = (_header_lines(value, widths.get(col, 8)) if kind == "header"
                             else _lines(value, widths.get(col, 8)))
                    lines = max(lines, count)
            if lines > 1 or kind == "title":
                ws.set_row(number, _height(lines) + (3 if kind == "title" else 0))
            style = {"header": ("header", "border"), "title": ("title",)}.get(
                kind, ("wrap", "border"))
            for col, value in enumerate(values):
                if value is None or value == "":
                    if kind != "title":
                        ws.write_blank(number, col, None, fmt(*style))
                else:
                    _write(ws, number, col, value, fmt, style)
        _print_setup(ws, 1 if first_header else 0, gridlines=False)


def _write(ws, row: int, col: int, value, fmt: _Formats, style=("wrap",)) -> None:
    """One cell by the safe-cell rule: text always a string cell (a quote prefix when it
    looks like a formula or an error), dates as dates, numbers as numbers."""
    if value is None:
        return
    kind = type(value)
    if kind is str:
        if not value:
            return
        text, risky = safe_text(value)
        ws.write_string(row, col, text, fmt(*style, "risky") if risky else fmt(*style))
    elif kind is datetime:
        ws.write_datetime(row, col, value, fmt(*style, "date"))
    elif kind in (int, float):
        ws.write_number(row, col, value, fmt(*style))
    elif kind is bool:
        ws.write_boolean(row, col, value, fmt(*style))
    else:
        _write(ws, row, col, str(value), fmt, style)


# ---------------------------------------------------------------- Comments


def _comment_widths() -> list[float]:
    """The Comments columns' widths in the export language: none narrower than its
    header's longest word, nor than the longest word of its labels."""
    widths = []
    for code, label in COLUMNS:
        text = f"{label} ({TIMEZONE})" if code in DATE_COLUMNS else str(label)
        width = max(COLUMN_WIDTHS.get(code, 10), _header_width(text))
        if code in LABEL_VOCABULARIES:
            words = [word for label in LABEL_VOCABULARIES[code].labels_in(
                str(get_locale())).values() for word in label.split()]
            longest = max((len(word) for word in words), default=0)
            width = max(width, min(LABEL_WIDTH, longest + 1))
        widths.append(width)
    return widths


def _write_comments(ws, fmt: _Formats, session, lang, public, scope, lists_title,
                    tally) -> int:
    codes = [code for code, _label in COLUMNS]
    widths = _comment_widths()
    labels = [f"{label} ({TIMEZONE})" if code in DATE_COLUMNS else str(label)
              for code, label in COLUMNS]
    labels += [str(label) for _code, label in HIDDEN_COLUMNS]
    for col, width in enumerate(widths):
        code = codes[col]
        ws.set_column(col, col, width, fmt("answer", "wrap") if code in ANSWER_COLUMNS
                      else None)
    first_hidden = len(codes)
    ws.set_column(first_hidden, first_hidden + len(HIDDEN_COLUMNS) - 1, 14, None,
                  {"hidden": True})
    ws.freeze_panes(1, 0)
    ws.set_row(0, _height(max(_header_lines(label, width)
                              for label, width in zip(labels, widths, strict=False))))
    header = fmt("header")
    for col, label in enumerate(labels):
        ws.write_string(0, col, label, header)

    # One writer per column, chosen once: numbers and our own labels go straight
    # through; people's text by the safe-cell rule.
    plain, wrap, date = fmt(), fmt("wrap"), fmt("date")
    answer, answer_wrap = fmt("answer"), fmt("answer", "wrap")
    formats = []
    for code in codes:
        if code in DATE_COLUMNS:
            formats.append(("date", date, None))
        elif code in NUMBER_COLUMNS:
            formats.append(("number", plain, None))
        elif code == "status":
            formats.append(("label", answer, None))
        elif code in ANSWER_COLUMNS:
            formats.append(("text", answer_wrap, fmt("answer", "wrap", "risky")))
        elif code in TEXT_COLUMNS:
            formats.append(("text", wrap, fmt("wrap", "risky")))
        else:
            formats.append(("label", wrap, None))
    tall = [(codes.index(code), widths[codes.index(code)],
             int(widths[codes.index(code)] * CHARS_PER_UNIT) - 3) for code in TALL_COLUMNS]
    labelled = [(codes.index(code), widths[codes.index(code)], {})
                for code in LABEL_VOCABULARIES]
    comment_col = codes.index("comment")
    # The cell writers without XlsxWriter's A1-notation wrapper: rows and columns are
    # numbers here, and the wrapper is a tenth of the time of a cell.
    write_string, write_number = ws._write_string, ws._write_number
    write_datetime, set_row = ws._write_datetime, ws.set_row
    write_blank = ws._write_blank
    answer_cols = {codes.index(code) for code in ANSWER_COLUMNS}
    forget_info = getattr(ws, "row_info", {}).pop
    forget_size = getattr(ws, "row_sizes", {}).pop
    empty_check = answer_check("", "", "")
    count = 0
    for row, meta in iter_records(session, lang=lang, public=public,
                                  consultation_id=scope[0], document_slug=scope[1]):
        count += 1
        r = count
        values = [row[code] for code in codes]
        lines = 1
        for col, width, fits in tall:
            value = values[col]
            if value and (len(value) > fits or "\n" in value):
                lines = max(lines, _lines(value, width))
        for col, width, known in labelled:
            value = values[col]
            if value:
                taken = known.get(value)
                if taken is None:
                    taken = known[value] = _lines_by_words(value, width)
                lines = max(lines, taken)
        if lines > 1:
            set_row(r, _height(lines))
        # XlsxWriter keeps every row's height for placing pictures, which this sheet has
        # none of: the rows written already are forgotten, so memory stays flat.
        forget_info(r - 2, None)
        forget_size(r - 2, None)
        for col, value in enumerate(values):
            if value is None or value == "":
                if col in answer_cols:  # written, so that every program sees it unlocked
                    write_blank(r, col, None, formats[col][1])
                continue
            kind, cell_format, risky_format = formats[col]
            if kind == "text":
                text, risky = safe_text(value, _full_text_at(row) if col == comment_col
                                        and len(value) > CELL_LIMIT // 2 else "")
                write_string(r, col, text, risky_format if risky else cell_format)
            elif kind == "label":
                write_string(r, col, value, cell_format)
            elif kind == "number":
                write_number(r, col, value, cell_format)
            else:
                write_datetime(r, col, value, cell_format)
        if public:
            pass  # not for answering: what the public may not read is not hinted at
        elif meta.answer_id is not None:
            write_string(r, first_hidden, answer_reference(meta.answer_id,
                                                           meta.answer_revision))
            write_string(r, first_hidden + 1, answer_check(
                meta.status, row["rationale"], row["change"]))
        else:
            write_string(r, first_hidden + 1, empty_check)
        tally.add(row, meta)
    last_row = max(count, 1)
    ws.autofilter(0, 0, count, len(codes) - 1)
    _answer_rules(ws, fmt, codes, last_row, lang, lists_title)
    _print_setup(ws)
    return count


def _full_text_at(row: dict) -> str:
    return _("comment %(id)s on the consultation site", id=row["comment_id"])


def _labels_of(statuses) -> str:
    return ", ".join(STATUSES.label(code) for code in statuses)


def _prompt(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _answer_rules(ws, fmt, codes, last_row, lang, lists_title) -> None:
    """The status list (export language), prompts stating the rules of rationale and
    change, and a flag on rows whose status needs a rationale or a change they lack."""
    status, rationale, change = (codes.index(code) for code in ANSWER_COLUMNS)
    column = _status_column(lang)
    ws.data_validation(1, status, last_row, status, {
        "validate": "list",
        "source": f"={quote_sheetname(lists_title)}!${column}$2:${column}${len(STATUSES) + 1}",
        "input_title": _prompt(_("Response status"), PROMPT_TITLE),
        "input_message": _prompt(_("Choose a response status from the list."), PROMPT_TEXT),
        "error_title": _prompt(_("Response status"), PROMPT_TITLE),
        "error_message": _prompt(_("Choose a response status from the list."), PROMPT_TEXT),
    })
    least = min_rationale_chars()
    for col, title, message in (
            (rationale, _("Rationale"), rationale_rule(least)),
            (change, _("Change in revised draft"), change_rule())):
        ws.data_validation(1, col, last_row, col, {
            "validate": "length", "criteria": "<=", "value": MAX_TEXT,
            "input_title": _prompt(title, PROMPT_TITLE),
            "input_message": _prompt(message, PROMPT_TEXT),
            "error_title": _prompt(title, PROMPT_TITLE),
            "error_message": _prompt(_("At most %(max)d characters.", max=MAX_TEXT),
                                     PROMPT_TEXT)})
    cell = f"${xl_col_to_name(status)}2"

    def any_of(statuses) -> str:
        # Every way an upload accepts the status: the code, the label in each language.
        accepted = set(statuses)
        for language in languages.codes():
            labels = STATUSES.labels_in(language)
            accepted.update(labels[code] for code in statuses)
        quoted = ['"' + text.replace('"', '""') + '"' for text in sorted(accepted)]
        return "OR(" + ",".join(f"{cell}={text}" for text in quoted) + ")"

    formula = (f"=OR(AND({any_of(RATIONALE_REQUIRED)},"
               f"LEN(TRIM(${xl_col_to_name(rationale)}2))<{least}),"
               f"AND({any_of(CHANGE_REQUIRED)},LEN(TRIM(${xl_col_to_name(change)}2))=0))")
    ws.conditional_format(1, 0, last_row, len(codes) - 1, {
        "type": "formula", "criteria": formula, "format": fmt.flag})


def rationale_rule(least: int) -> str:
    """The rule of a rationale, as the workbook and the upload page state it."""
    return _("Needed for: %(statuses)s. Say why, in at least %(n)d characters.",
             statuses=_labels_of(RATIONALE_REQUIRED), n=least)


def change_rule() -> str:
    """The rule of a change in the revised draft, as the workbook states it."""
    return _('Needed for: %(statuses)s. Name the clause of the document that changes '
             '(e.g. "clause 12: …") or write "no change".',
             statuses=_labels_of(CHANGE_REQUIRED))


def _status_column(lang: str) -> str:
    """The Lists column of the status labels in ``lang`` (after the codes' column)."""
    codes = languages.codes()
    index = codes.index(lang) if lang in codes else 0
    return xl_col_to_name(1 + index)


# ---------------------------------------------------------------- About


@dataclass
class _About:
    exported_at: datetime
    export_id: str
    exported_by: str


def _write_about(ws, fmt, session, lang, public, scope, consultation, about: _About,
                 tally, received_db):
    consultation_id, document_slug = scope
    docs_query = select(Document).where(Document.consultation_id == consultation_id) \
        .order_by(Document.position, Document.id)
    if document_slug is not None:
        docs_query = docs_query.where(Document.slug == document_slug)
    docs = list(session.scalars(docs_query))
    page = _Page(max_width=70)
    page.title([_("Comment synthesis"),
                _("Public variant") if public else _("Full variant")])
    # Machine-readable UTC as well: an upload of answers reads it back.
    page.row([str(EXPORTED_AT), local_naive(about.exported_at),
              about.exported_at.isoformat() + "Z"])
    page.row([str(EXPORTED_BY), about.exported_by])
    page.row([str(EXPORT_ID), about.export_id])
    page.row([_("Time zone of all times"), TIMEZONE])
    if consultation is not None:
        page.row([_("Notice"), pick(consultation.title, lang)[0]])
        page.row([_("Authority"), pick(consultation.authority, lang)[0]])
        page.row([_("Developer"), pick(consultation.developer, lang)[0]])
        page.row([_("Period opens"), local_naive(consultation.opens_at)])
        page.row([_("Period closes"), local_naive(consultation.closes_at)])
    page.blank()
    page.header([_("How to answer in this workbook"), ""])
    for number, text in enumerate(_instructions(), 1):
        page.row([f"{number}.", text])
    page.blank()
    page.header([_("Document"), _("Title"), _("Versions")])
    for doc in docs:
        title = pick(doc.current_version.title, lang)[0] if doc.current_version else doc.slug
        versions = ", ".join(str(v.number) for v in doc.versions)
        page.row([doc.slug, title, versions])
    page.blank()
    page.header([_("Hearing"), _("Venue"), _("Status"), _("Attendance"), _("Women"), _("Men"),
                 _("Gender not stated")])
    for hearing in _hearings(session, consultation):
        page.row([hearing_label(hearing, lang), pick(hearing.venue, lang)[0],
                  HEARING_STATUSES.label(hearing.status),
                  hearing.attendance_total, hearing.attendance_women,
                  hearing.attendance_men, hearing.attendance_unstated])
    page.blank()
    page.header([_("Count check"), _("Comments")])
    page.row([_("Comments received"), tally.received])
    for state in ("published", "hidden", "withdrawn", "new"):
        page.row([STATES.label(state), tally.states[state]])
    holds = (tally.received == sum(tally.states[s] for s in STATES) == received_db)
    page.row([_("Received = published + hidden + withdrawn + awaiting moderation"),
              _("holds") if holds else _("DOES NOT HOLD")])
    # Labels and the instructions' text: fixed, not by the longest sentence.
    page.write(ws, fmt, fixed={0: 30, 1: 70}, first_header=False)


def _instructions() -> list[str]:
    """The About sheet's instructions for answering in Excel."""
    return [
        _("Answer on the Comments sheet, in the coloured columns Response status, Rationale "
          "and Change in revised draft. The other cells are locked (the sheet is protected "
          "without a password); sorting, filters and column widths still work."),
        _("Response status: choose from the list."),
        _("Rationale: %(rule)s", rule=rationale_rule(min_rationale_chars())),
        _("Change in revised draft: %(rule)s", rule=change_rule()),
        _("A row marked in red has a status whose rationale or change is still missing."),
        _("Keep the Comment ID column and the hidden columns at the end as they are; they "
          "tell the upload which rows you changed. Save as .xlsx and upload the file on the "
          "drafting desk (Answers from Excel)."),
        _("Only the rows you changed are applied. A row whose answer was also changed on the "
          "site after this export is shown to you beside the site's answer, for you to "
          "choose."),
    ]


def _hearings(session, consultation):
    if consultation is None:
        return []
    return list(session.scalars(
        select(Hearing).where(Hearing.consultation_id == consultation.id)
        .order_by(Hearing.starts_at.is_(None), Hearing.starts_at, Hearing.id)))


# ---------------------------------------------------------------- the other sheets


def _write_by_clause(ws, fmt, tally) -> None:
    page = _Page(max_width=40)
    labels = [_("Document"), _("Clause"), _("Comments received")]
    labels += [STATUSES.label(s) for s in STATUSES] + [_("Unanswered")]
    labels += [CHANNELS.label(c) for c in CHANNELS]
    page.header(labels)
    for (document, clause), counts in tally.clauses.items():
        values = [document, clause, counts["received"]]
        values += [counts["status:" + s] for s in STATUSES] + [counts["status:"]]
        values += [counts["channel:" + c] for c in CHANNELS]
        page.row(values)
    ws.freeze_panes(1, 0)
    page.write(ws, fmt, fixed={0: min(30, page.fit().get(0, 30))})


def _changes(session, scope, consultation, public: bool) -> list:
    """(document title, its version, the previous version, changes) for every document in
    scope that has a revised version. The public variant names the comments pointing at a
    change only once the answers are public."""
    consultation_id, document_slug = scope
    query = select(Document).where(Document.consultation_id == consultation_id) \
        .order_by(Document.position, Document.id)
    if document_slug is not None:
        query = query.where(Document.slug == document_slug)
    found = []
    answers = not public or (consultation is not None and answers_public(consultation))
    for document in session.scalars(query):
        items = changes_for(session, document, public=public)
        if not items:
            continue
        if not answers:
            for item in items:
                item.pointing = []
        version = document.current_version
        found.append((pick(version.title, current_lang_of(version))[0] or document.slug,
                      version, version.previous, items))
    return found


def current_lang_of(version) -> str:
    """The export's language when the version has it (force_locale is in effect)."""
    lang = str(get_locale())
    return lang if lang in (version.languages or []) else (version.languages or [lang])[0]


CHANGES_WIDTHS = (24, 8, 10, 8, 10, 14, 70, 30)


def _write_changes(ws, fmt, changes) -> None:
    """One row per changed clause: before and after, the kind, the change word by word
    (struck through: removed; underlined: added), and the comments answered by it."""
    widths = CHANGES_WIDTHS
    labels = [_("Document"), _("Version before"), _("Clause before"), _("Version now"),
              _("Clause now"), _("Kind of change"), _("The change, word by word"),
              _("Comments answered by it")]
    widths = [max(width, _header_width(label)) for width, label in zip(widths, labels,
                                                                        strict=True)]
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    ws.freeze_panes(1, 0)
    ws.set_row(0, _height(max(_header_lines(label, width)
                              for label, width in zip(labels, widths, strict=True))))
    for col, label in enumerate(labels):
        ws.write_string(0, col, label, fmt("header"))
    row = 0
    for title, version, previous, items in changes:
        text_lang = current_lang_of(version)
        for item in items:
            pointing = "; ".join(f"{p.comment_id} ({STATUSES.label(p.status)})"
                                 for p in item.pointing)
            ops = item.diff(text_lang)
            row += 1
            ws.set_row(row, _height(max(
                _lines("".join(text for _op, text in ops), widths[6]),
                _lines(pointing, widths[7]), _lines(title, widths[0]))))
            values = (title, previous.number, ", ".join(item.old_keys), version.number,
                      ", ".join(item.new_keys), CHANGE_KINDS.label(item.kind))
            for col, value in enumerate(values):
                _write(ws, row, col, value, fmt)
            _diff_cell(ws, row, 6, ops, fmt)
            _write(ws, row, 7, pointing or _("none: an edit of the drafters"), fmt)
    _print_setup(ws)


def _diff_cell(ws, row: int, col: int, ops, fmt: _Formats) -> None:
    """A word diff as rich text: removed words struck through, added words underlined
    (said by the type, not by colour alone). Too long for a cell: the plain form, cut."""
    fragments, length, marked = [], 0, False
    plain = fmt()  # the workbook's font, not XlsxWriter's default for unmarked runs
    for op, text in diff.visible(ops):
        text, _risky = safe_text(text)
        if not text:
            continue
        length += len(text)
        marked = marked or op != "equal"
        fragments += [plain if op == "equal" else fmt("struck") if op == "delete"
                      else fmt("added"), text]
    if not marked or length > CELL_LIMIT // 2:
        _write(ws, row, col, diff.diff_text(ops), fmt)
        return
    if len(fragments) == 2:  # one run: XlsxWriter wants two, so it is cut in two
        style, text = fragments
        if len(text) < 2:
            ws.write_string(row, col, text, fmt("wrap", "struck" if style is fmt("struck")
                                                else "added"))
            return
        fragments = [style, text[:1], style, text[1:]]
    ws.write_rich_string(row, col, *fragments, fmt("wrap"))


def _write_hearings(ws, fmt, session, lang, consultation, tally) -> None:
    page = _Page()
    page.header([_("Hearing"), _("Venue"), _("Status"), _("Attendance"), _("Women"),
                 _("Men"), _("Gender not stated"), _("Comments received")])
    for hearing in _hearings(session, consultation):
        page.row([hearing_label(hearing, lang), pick(hearing.venue, lang)[0],
                  HEARING_STATUSES.label(hearing.status),
                  hearing.attendance_total, hearing.attendance_women, hearing.attendance_men,
                  hearing.attendance_unstated, tally.hearings[hearing.id]])
    page.write(ws, fmt)


def _write_statistics(book, ws, fmt, tally) -> None:
    tables = [
        (_("Channel"), [(CHANNELS.label(c), tally.channels[c]) for c in CHANNELS]),
        (_("Category"), [(CATEGORIES.label(c), tally.categories[c]) for c in CATEGORIES]),
        (_("Gender"), [(GENDERS.label(g), tally.genders[g]) for g in GENDERS]),
        (_("Moderation"), [(STATES.label(s), tally.states[s]) for s in STATES]),
        (_("Response status"), [(STATUSES.label(s), tally.statuses[s]) for s in STATUSES]
         + [(_("Unanswered"), tally.statuses[""])]),
    ]
    page = _Page(max_width=45)
    for title, pairs in tables:
        page.header([title, _("Comments received")])
        for pair in pairs:
            page.row(list(pair))
        page.blank()
    page.header([_("Chapter"), _("Comments received")])  # several tables: none repeated
    first = len(page.rows)  # 0-based row of the first chapter
    for (document, chapter), count in tally.chapters.items():
        page.row([f"{document}: {chapter}", count])
    last = len(page.rows) - 1
    page.write(ws, fmt, first_header=False)
    if tally.chapters:
        name = ws.get_name()
        chart = book.add_chart({"type": "bar"})
        chart.add_series({"name": [name, first - 1, 1],
                          "categories": [name, first, 0, last, 0],
                          "values": [name, first, 1, last, 1],
                          "fill": {"color": "#4472C4"}})
        chart.set_title({"name": _("Comments per chapter"),
                         "name_font": {"size": 11, "bold": True}})
        chart.set_legend({"none": True})
        chart.set_y_axis({"reverse": True, "num_font": {"size": 8}})
        chart.set_x_axis({"num_font": {"size": 8}})
        # Below the tables, as wide as they are: printed with them, one page wide.
        height = max(300, 22 * len(tally.chapters) + 80)
        chart.set_size({"width": 640, "height": height})
        ws.insert_chart(last + 2, 0, chart, {"object_position": 1})


def _write_moderation(ws, fmt, tally, public) -> None:
    page = _Page(max_width=40)
    labels = [_("Comment ID"), _("Document"), _("Clause"), _("Moderation"),
              _("Moderation reason")]
    if not public:
        labels.append(_("Moderator's note"))
    labels.append(f"{_('Received')} ({TIMEZONE})")
    page.header(labels)
    for comment_id, document, clause, state, reason, note, received in tally.moderated:
        values = [comment_id, document, clause, state, reason]
        if not public:
            values.append(note)
        values.append(received)
        page.row(values)
    ws.freeze_panes(1, 0)
    page.write(ws, fmt)


def _write_lists(ws, fmt, lang) -> None:
    """The statuses in every language (the drop-down offers the export language's), and
    which need a rationale or a change."""
    codes = languages.codes()
    page = _Page()
    page.header([_("Code"), *(languages.name(c) for c in codes), _("Needs a rationale"),
                 _("Needs a change")])
    per_language = {language: STATUSES.labels_in(language) for language in codes}
    yes, no = _("yes"), _("no")
    for code in STATUSES:
        page.row([code, *(per_language[language][code] for language in codes),
                  yes if code in RATIONALE_REQUIRED else no,
                  yes if code in CHANGE_REQUIRED else no])
    page.write(ws, fmt)
