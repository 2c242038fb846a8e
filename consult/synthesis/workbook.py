"""The comment synthesis workbook: rows -> xlsx (DESIGN.md section 6), streamed.

openpyxl in write-only mode: every sheet streams to its own temporary file, so memory
stays flat whatever the number of comments. The summaries (About, By clause, Statistics)
are counted while the Comments rows stream past, so they always agree with the rows.

Every string that people wrote passes through ``cell_value``: illegal control characters
are stripped, text over Excel's cell limit is cut and marked, and text that Excel would
read as a formula or an error stays text.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..comments.public import answers_public
from ..core import languages
from ..core.consultation import current_consultation
from ..core.spreadsheets import CELL_LIMIT, safe_text
from ..core.time import TIMEZONE, local_naive, utcnow
from ..core.vocab import (
    CATEGORIES,
    CHANGE_KINDS,
    CHANNELS,
    GENDERS,
    HEARING_STATUSES,
    STATES,
    STATUSES,
)
from ..drafts import diff
from ..i18n import pick
from ..models import Comment, Consultation, Document, Hearing
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
EXPORTED_AT = _l("Exported at")
COLUMN_WIDTHS = {"no": 7, "comment_id": 10, "document": 28, "version": 8, "clause": 10,
                 "current_clause": 12, "clause_excerpt": 30, "comment": 60, "language": 8,
                 "channel": 16,
                 "hearing": 20, "received": 17, "in_period": 8, "category": 18, "gender": 12,
                 "commenter": 24, "consent": 20, "moderation": 14, "moderation_reason": 18,
                 "group": 8, "group_size": 8, "status": 22, "rationale": 50, "change": 40,
                 "responded_by": 18, "responded_at": 17}
DATE_COLUMNS = ("received", "responded_at")
# Columns whose values people wrote (or that are dates); the rest are numbers and labels.
CAREFUL_COLUMNS = frozenset(("document", "clause", "clause_excerpt", "comment", "hearing",
                             "commenter", "rationale", "change", "responded_by",
                             *DATE_COLUMNS))
BOLD = Font(bold=True)


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


def cell_value(ws, value, where: str = ""):
    """What to append for ``value``: plain values as they are, text by the safe-cell rule
    (``core.spreadsheets``): cleaned, cut with a marker (``where`` the full text is), and
    written as a text cell when Excel would take it for a formula or an error value."""
    kind = type(value)
    if kind is str:
        value, as_text = safe_text(value, where)
        if as_text:
            cell = WriteOnlyCell(ws)
            cell.value = value
            cell.data_type = "s"  # after the value: assigning it re-guesses the type
            cell.quotePrefix = True
            return cell
        return value
    if kind is datetime:
        cell = WriteOnlyCell(ws, value)
        cell.number_format = DATE_FORMAT
        return cell
    if value is None or kind in (int, float, bool):
        return value
    return cell_value(ws, str(value))


def append(ws, values) -> None:
    ws.append([cell_value(ws, v) for v in values])


def header(ws, labels) -> None:
    """A bold header row (labels are ours, but go through the same writer)."""
    cells = []
    for label in labels:
        cell = cell_value(ws, str(label))
        if not isinstance(cell, Cell):
            cell = WriteOnlyCell(ws, cell)
        cell.font = BOLD
        cells.append(cell)
    ws.append(cells)


@dataclass
class Summary:
    """What the export counted; the CLI prints the check."""
    received: int = 0
    states: Counter = field(default_factory=Counter)
    received_in_database: int = 0

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


def export_workbook(session: Session, out, *, lang: str, public: bool,
                    consultation: Consultation | None = None,
                    document_slug: str | None = None) -> Summary:
    """Write the synthesis workbook of ``consultation`` (default: the current one), or of
    one of its documents, for ``lang`` to ``out`` (a path or a binary file).

    ``public`` writes the public variant: text of hidden, withdrawn, unmoderated and
    non-consented comments withheld, moderators' notes left out.
    """
    exported_at = utcnow()  # before reading: an answer changed after this is a conflict
    consultation = consultation or current_consultation(session)
    scope = (consultation.id if consultation is not None else 0, document_slug)
    with force_locale(lang):
        wb = Workbook(write_only=True)
        titles = sheet_titles(lang)
        changes = _changes(session, scope, consultation, public)
        sheets = {code: wb.create_sheet(titles[code]) for code, _label in SHEETS
                  if code != "changes" or changes}
        tally = _Tally()
        rows = _write_comments(sheets["comments"], session, lang, public, scope,
                               titles["lists"], tally)
        received_db = _count_received(session, scope)
        _write_about(sheets["about"], session, lang, public, scope, consultation,
                     exported_at, tally, received_db)
        _write_by_clause(sheets["by_clause"], tally)
        if changes:
            _write_changes(sheets["changes"], lang, changes)
        _write_hearings(sheets["hearings"], session, lang, consultation, tally)
        _write_statistics(sheets["statistics"], tally)
        _write_moderation(sheets["moderation"], tally, public)
        _write_lists(sheets["lists"], lang)
        wb.save(out)
    return Summary(received=rows, states=tally.states, received_in_database=received_db)


def _count_received(session: Session, scope: tuple[int, str | None]) -> int:
    consultation_id, document_slug = scope
    query = select(func.count(Comment.id)).where(Comment.consultation_id == consultation_id)
    if document_slug is not None:
        query = query.join(Document, Document.id == Comment.document_id).where(
            Document.slug == document_slug)
    return session.scalar(query) or 0


def _write_comments(ws, session, lang, public, scope, lists_title, tally) -> int:
    codes = [code for code, _label in COLUMNS]
    for index, code in enumerate(codes, 1):
        ws.column_dimensions[get_column_letter(index)].width = COLUMN_WIDTHS.get(code, 14)
    ws.freeze_panes = "A2"  # must precede the first append in write-only mode
    labels = [f"{label} ({TIMEZONE})" if code in DATE_COLUMNS else label
              for code, label in COLUMNS]
    header(ws, labels)
    # Only columns that can hold people's text (or dates) need the careful writer; numbers
    # and our own labels go straight through, which keeps the export near bare openpyxl.
    careful = [i for i, code in enumerate(codes) if code in CAREFUL_COLUMNS]
    comment_index = codes.index("comment")
    count = 0
    for row, meta in iter_records(session, lang=lang, public=public,
                                  consultation_id=scope[0], document_slug=scope[1]):
        values = [row[code] for code in codes]
        for i in careful:
            value = values[i]
            if value:
                values[i] = cell_value(ws, value, _full_text_at(row) if i == comment_index
                                       else "")
        ws.append(values)
        tally.add(row, meta)
        count += 1
    last = get_column_letter(len(codes))
    ws.auto_filter.ref = f"A1:{last}{count + 1}"
    status_col = get_column_letter(codes.index("status") + 1)
    allowed = _allowed_statuses(lang)
    column = _allowed_column()
    validation = DataValidation(
        type="list", allow_blank=True, showErrorMessage=True,
        formula1=f"{quote_sheetname(lists_title)}!${column}$2:${column}${len(allowed) + 1}",
        error=_("Choose a response status from the list."),
        errorTitle=_("Response status"))
    validation.add(f"{status_col}2:{status_col}{max(count, 1) + 1}")
    ws.data_validations.append(validation)
    return count


def _allowed_column() -> str:
    """The Lists column holding every accepted status label: after the code, one column
    per language and a blank one."""
    return get_column_letter(len(languages.codes()) + 3)


def _full_text_at(row: dict) -> str:
    return _("comment %(id)s on the consultation site", id=row["comment_id"])


def _allowed_statuses(lang: str) -> list[str]:
    """Status labels in the export language first, then the other languages (no repeats)."""
    values: list[str] = []
    for language in languages.fallback(lang):
        for label in STATUSES.labels_in(language).values():
            if label not in values:
                values.append(label)
    return values


def _write_about(ws, session, lang, public, scope, consultation, exported_at, tally,
                 received_db):
    ws.column_dimensions["A"].width = 36
    ws.column_dimensions["B"].width = 60
    ws.column_dimensions["C"].width = 30
    consultation_id, document_slug = scope
    docs_query = select(Document).where(Document.consultation_id == consultation_id) \
        .order_by(Document.position, Document.id)
    if document_slug is not None:
        docs_query = docs_query.where(Document.slug == document_slug)
    docs = list(session.scalars(docs_query))
    header(ws, [_("Comment synthesis"), _("Public variant") if public else _("Full variant")])
    append(ws, [_("Time zone of all times"), TIMEZONE])
    if consultation is not None:
        append(ws, [_("Notice"), pick(consultation.title, lang)[0]])
        append(ws, [_("Authority"), pick(consultation.authority, lang)[0]])
        append(ws, [_("Developer"), pick(consultation.developer, lang)[0]])
        append(ws, [_("Period opens"), local_naive(consultation.opens_at)])
        append(ws, [_("Period closes"), local_naive(consultation.closes_at)])
    # Machine-readable UTC as well: uploads of answers compare against it to find conflicts.
    append(ws, [str(EXPORTED_AT), local_naive(exported_at), exported_at.isoformat() + "Z"])
    ws.append([])
    header(ws, [_("Document"), _("Title"), _("Versions")])
    for doc in docs:
        title = pick(doc.current_version.title, lang)[0] if doc.current_version else doc.slug
        versions = ", ".join(str(v.number) for v in doc.versions)
        append(ws, [doc.slug, title, versions])
    ws.append([])
    header(ws, [_("Hearing"), _("Venue"), _("Status"), _("Attendance"), _("Women"), _("Men"),
                _("Gender not stated")])
    for hearing in _hearings(session, consultation):
        append(ws, [hearing_label(hearing, lang), pick(hearing.venue, lang)[0],
                    HEARING_STATUSES.label(hearing.status),
                    hearing.attendance_total, hearing.attendance_women,
                    hearing.attendance_men, hearing.attendance_unstated])
    ws.append([])
    header(ws, [_("Count check"), _("Comments")])
    append(ws, [_("Received"), tally.received])
    for state in ("published", "hidden", "withdrawn", "new"):
        append(ws, [STATES.label(state), tally.states[state]])
    holds = (tally.received == sum(tally.states[s] for s in STATES) == received_db)
    append(ws, [_("Received = published + hidden + withdrawn + awaiting moderation"),
                _("holds") if holds else _("DOES NOT HOLD")])


def _hearings(session, consultation):
    if consultation is None:
        return []
    return list(session.scalars(
        select(Hearing).where(Hearing.consultation_id == consultation.id)
        .order_by(Hearing.starts_at.is_(None), Hearing.starts_at, Hearing.id)))


def _write_by_clause(ws, tally) -> None:
    ws.column_dimensions["A"].width = 30
    ws.freeze_panes = "A2"
    labels = [_("Document"), _("Clause"), _("Received")]
    labels += [STATUSES.label(s) for s in STATUSES] + [_("Unanswered")]
    labels += [CHANNELS.label(c) for c in CHANNELS]
    header(ws, labels)
    for (document, clause), counts in tally.clauses.items():
        values = [document, clause, counts["received"]]
        values += [counts["status:" + s] for s in STATUSES] + [counts["status:"]]
        values += [counts["channel:" + c] for c in CHANNELS]
        append(ws, values)


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
        items = changes_for(session, document)
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


def _write_changes(ws, lang, changes) -> None:
    """One row per changed clause: before and after, the kind, the change word by word
    (struck through: removed; underlined: added), and the comments answered by it."""
    widths = (28, 9, 12, 9, 12, 14, 80, 40)
    for column, width in zip("ABCDEFGH", widths, strict=True):
        ws.column_dimensions[column].width = width
    ws.freeze_panes = "A2"
    # Printed for the file: landscape, one page wide, the header on every page.
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"  # A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.print_title_rows = "1:1"
    labels = [_("Document"), _("Version before"), _("Clause before"), _("Version now"),
              _("Clause now"), _("Kind of change"), _("The change, word by word"),
              _("Comments answered by it")]
    ws.row_dimensions[1].height = _height(zip(labels, widths, strict=True))
    cells = [_wrapped(ws, cell_value(ws, label)) for label in labels]
    for cell in cells:
        cell.font = BOLD
    ws.append(cells)
    row = 1
    for title, version, previous, items in changes:
        text_lang = current_lang_of(version)
        for item in items:
            pointing = "; ".join(f"{p.comment_id} ({STATUSES.label(p.status)})"
                                 for p in item.pointing)
            ops = item.diff(text_lang)
            row += 1
            ws.row_dimensions[row].height = _height(
                (("".join(text for _op, text in ops), widths[6]), (pointing, widths[7]),
                 (title, widths[0])))
            ws.append([_wrapped(ws, value) for value in (
                cell_value(ws, title), previous.number,
                cell_value(ws, ", ".join(item.old_keys)), version.number,
                cell_value(ws, ", ".join(item.new_keys)),
                cell_value(ws, CHANGE_KINDS.label(item.kind)), _diff_cell(ws, ops),
                cell_value(ws, pointing or _("none: an edit of the drafters")))])


WRAPPED = Alignment(wrap_text=True, vertical="top")
LINE_HEIGHT = 15  # points, for the default 11-point font


def _height(texts) -> float:
    """A row height that shows every wrapped text of the row in full: spreadsheet programs
    do not fit rows to wrapped text when they open (or print) a file, so it is set here.
    ``texts``: (text, column width in characters)."""
    lines = 1
    for text, width in texts:
        per_line = max(1, int(width * 0.9))
        lines = max(lines, sum(-(-len(part) // per_line) or 1
                               for part in (text or "").split("\n")))
    return min(409, lines * LINE_HEIGHT)  # 409 points: the largest row Excel allows


def _wrapped(ws, value):
    """``value`` as a cell whose text wraps (long texts read on screen and on paper)."""
    cell = value if isinstance(value, Cell) else WriteOnlyCell(ws, value)
    cell.alignment = WRAPPED
    return cell


STRUCK = InlineFont(rFont="Calibri", sz=11, strike=True, color="9C0006")
ADDED = InlineFont(rFont="Calibri", sz=11, u="single", color="006100")


def _diff_cell(ws, ops):
    """A word diff as rich text: removed words struck through, added words underlined
    (said by the type, not by colour alone). Too long for a cell: the plain form, cut."""
    blocks, length = [], 0
    for op, text in diff.visible(ops):
        text, _risky = safe_text(text)
        length += len(text)
        blocks.append(text if op == "equal" else
                      TextBlock(STRUCK if op == "delete" else ADDED, text))
    if not blocks or length > CELL_LIMIT // 2:
        return cell_value(ws, diff.diff_text(ops))
    return WriteOnlyCell(ws, CellRichText(blocks))


def _write_hearings(ws, session, lang, consultation, tally) -> None:
    ws.column_dimensions["A"].width = 28
    header(ws, [_("Hearing"), _("Venue"), _("Status"), _("Attendance"), _("Women"), _("Men"),
                _("Gender not stated"), _("Comments")])
    for hearing in _hearings(session, consultation):
        append(ws, [hearing_label(hearing, lang), pick(hearing.venue, lang)[0],
                    HEARING_STATUSES.label(hearing.status),
                    hearing.attendance_total, hearing.attendance_women, hearing.attendance_men,
                    hearing.attendance_unstated, tally.hearings[hearing.id]])


def _write_statistics(ws, tally) -> None:
    ws.column_dimensions["A"].width = 40
    tables = [
        (_("Channel"), [(CHANNELS.label(c), tally.channels[c]) for c in CHANNELS]),
        (_("Category"), [(CATEGORIES.label(c), tally.categories[c]) for c in CATEGORIES]),
        (_("Gender"), [(GENDERS.label(g), tally.genders[g]) for g in GENDERS]),
        (_("Moderation"), [(STATES.label(s), tally.states[s]) for s in STATES]),
        (_("Response status"), [(STATUSES.label(s), tally.statuses[s]) for s in STATUSES]
         + [(_("Unanswered"), tally.statuses[""])]),
    ]
    row = 0
    for title, pairs in tables:
        header(ws, [title, _("Comments")])
        for pair in pairs:
            append(ws, list(pair))
        ws.append([])
        row += len(pairs) + 2
    header(ws, [_("Chapter"), _("Comments")])
    first = row + 2
    for (document, chapter), count in tally.chapters.items():
        append(ws, [f"{document}: {chapter}", count])
    last = first + len(tally.chapters) - 1
    if tally.chapters:
        chart = BarChart()
        chart.type = "bar"
        chart.title = _("Comments per chapter")
        chart.legend = None
        chart.height = max(7.5, 0.6 * len(tally.chapters))
        chart.width = 24
        chart.add_data(Reference(ws, min_col=2, min_row=first - 1, max_row=last),
                       titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
        ws.add_chart(chart, "D2")


def _write_moderation(ws, tally, public) -> None:
    ws.column_dimensions["F"].width = 50
    labels = [_("Comment ID"), _("Document"), _("Clause"), _("Moderation"),
              _("Moderation reason")]
    if not public:
        labels.append(_("Moderator's note"))
    labels.append(f"{_('Received')} ({TIMEZONE})")
    header(ws, labels)
    for comment_id, document, clause, state, reason, note, received in tally.moderated:
        values = [comment_id, document, clause, state, reason]
        if not public:
            values.append(note)
        values.append(received)
        append(ws, values)


def _write_lists(ws, lang) -> None:
    for index in range(2, len(languages.codes()) + 4):
        ws.column_dimensions[get_column_letter(index)].width = 28
    codes = languages.codes()
    header(ws, [_("Code"), *(languages.name(c) for c in codes), "",
                _("Response status (any language)")])
    per_language = {language: STATUSES.labels_in(language) for language in codes}
    allowed = _allowed_statuses(lang)
    width = len(codes) + 3
    for index in range(max(len(STATUSES), len(allowed))):
        values = [None] * width
        if index < len(STATUSES):
            code = STATUSES.codes[index]
            values[:len(codes) + 1] = [code, *(per_language[language][code]
                                               for language in codes)]
        if index < len(allowed):
            values[-1] = allowed[index]
        append(ws, values)
