"""The offline hearing kit: a workbook a clerk fills in a hall without internet (pure).

Two halves, both free of the database and of Flask:

* :func:`build_kit` writes the template: ``Comments`` (one row per speaker contribution,
  columns restricted by data-validation lists), ``Clauses`` (every clause key with the
  start of its text in Kyrgyz and Russian), ``About`` (the hearing and instructions) and a
  hidden ``Lists`` sheet holding the allowed values.
* :func:`parse_kit` checks the filled rows and returns either clean records or every
  problem by row and column; the caller imports nothing unless there are no problems.
"""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ..uploads import Row

# Column codes in sheet order; headers are translated by the caller (``texts``).
COLUMNS = ("document", "clause", "speaker", "organisation", "category", "gender",
           "language", "channel", "comment")
CHOICE_COLUMNS = ("category", "gender", "language", "channel")
SHEETS = ("Comments", "Clauses", "About", "Lists")
TEMPLATE_ROWS = 500  # rows the validation lists cover; a clerk may type beyond them
MAX_COMMENT = 20_000
MAX_SPEAKER = 200
MAX_ORGANISATION = 300
EXCERPT = 100


@dataclass
class KitClause:
    key: str
    text_ky: str
    text_ru: str


@dataclass
class KitDocument:
    slug: str
    title: str
    clauses: list[KitClause]


@dataclass
class KitHearing:
    id: int
    city: str
    when: str
    venue: str


@dataclass
class Vocabulary:
    """Allowed values of the restricted columns.

    ``labels``: for each choice column, ``[(code, label in the kit language)]`` (the
    list offered in the workbook). ``accepted``: for each choice column, every accepted
    spelling (codes, labels in every language), lower-cased, mapped to its code.
    """
    labels: dict[str, list[tuple[str, str]]]
    accepted: dict[str, dict[str, str]] = field(default_factory=dict)

    def code(self, column: str, value: str) -> str | None:
        return self.accepted.get(column, {}).get(value.strip().lower())


@dataclass
class KitRecord:
    row: int
    document: str
    clause: str
    speaker: str
    organisation: str
    category: str
    gender: str
    language: str
    channel: str
    body: str
    key: str = ""  # content key: the same contribution imported twice is recognised


@dataclass
class Problem:
    row: int
    column: str  # a column code (COLUMNS) or "" for the file as a whole
    message: str


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…"


def _text(value: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def _as_text(cell) -> None:
    """User text never becomes a formula in the template."""
    cell.data_type = "s"
    if isinstance(cell.value, str) and cell.value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        cell.quotePrefix = True


def build_kit(hearing: KitHearing, documents: list[KitDocument], vocabulary: Vocabulary,
              texts: dict[str, str]) -> bytes:
    """The kit workbook as bytes.

    ``texts`` holds the translated strings: a header per column code, ``instructions``
    (lines separated by newlines), ``hearing``, ``city``, ``date``, ``venue``,
    ``document``, ``clause``, ``text_ky``, ``text_ru``.
    """
    workbook = Workbook()
    comments = workbook.active
    comments.title = "Comments"
    clauses = workbook.create_sheet("Clauses")
    about = workbook.create_sheet("About")
    lists = workbook.create_sheet("Lists")
    lists.sheet_state = "hidden"

    comments.append([texts[c] for c in COLUMNS])
    comments.freeze_panes = "A2"
    for index, width in enumerate((26, 10, 24, 24, 24, 18, 14, 18, 80), start=1):
        comments.column_dimensions[get_column_letter(index)].width = width

    clauses.append([texts["document"], texts["clause"], texts["text_ky"], texts["text_ru"]])
    clauses.freeze_panes = "A2"
    for letter, width in zip("ABCD", (26, 10, 60, 60)):
        clauses.column_dimensions[letter].width = width
    for document in documents:
        for clause in document.clauses:
            clauses.append([document.slug, clause.key, _text(_excerpt(clause.text_ky)),
                            _text(_excerpt(clause.text_ru))])
            for cell in clauses[clauses.max_row]:
                _as_text(cell)
    clause_rows = max(clauses.max_row, 2)

    lists.append(["documents"] + [f"{c}" for c in CHOICE_COLUMNS])
    columns = [[d.slug for d in documents]] + [
        [label for _, label in vocabulary.labels[c]] for c in CHOICE_COLUMNS]
    for offset in range(max(len(c) for c in columns)):
        lists.append([_text(c[offset]) if offset < len(c) else None for c in columns])

    last = TEMPLATE_ROWS + 1
    _validation(comments, f"A2:A{last}", f"Lists!$A$2:$A${len(columns[0]) + 1}")
    _validation(comments, f"B2:B{last}", f"Clauses!$B$2:$B${clause_rows}")
    for index, column in enumerate(CHOICE_COLUMNS, start=1):
        sheet_letter = get_column_letter(index + 1)
        target = get_column_letter(COLUMNS.index(column) + 1)
        _validation(comments, f"{target}2:{target}{last}",
                    f"Lists!${sheet_letter}$2:${sheet_letter}${len(columns[index]) + 1}")
    for row in range(2, last + 1):  # clause keys such as 1.2 must stay text, not numbers
        comments.cell(row=row, column=2).number_format = "@"

    about.column_dimensions["A"].width = 22
    about.column_dimensions["B"].width = 90
    for label, value in ((texts["hearing"], str(hearing.id)), (texts["city"], hearing.city),
                         (texts["date"], hearing.when), (texts["venue"], hearing.venue)):
        about.append([label, _text(value)])
        _as_text(about.cell(row=about.max_row, column=2))
    about.append([])
    for line in texts["instructions"].splitlines():
        about.append([None, line])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _validation(sheet, cells: str, formula: str) -> None:
    validation = DataValidation(type="list", formula1=f"={formula}", allow_blank=True,
                                showErrorMessage=True)
    validation.add(cells)
    sheet.add_data_validation(validation)


def content_key(hearing_id: int, record: KitRecord, occurrence: int) -> str:
    """Identifies one contribution whatever file it arrives in: a corrected file re-sends
    the rows already imported, and they must not be imported twice."""
    parts = (str(hearing_id), record.document, record.clause, record.body, record.speaker,
             record.organisation, str(occurrence))
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:48]


def parse_kit(rows: list[Row], hearing_id: int, clause_keys: dict[str, set[str]],
              vocabulary: Vocabulary, default_language: str,
              problems_text: dict[str, str]) -> tuple[list[KitRecord], list[Problem]]:
    """Check the filled ``Comments`` rows (header row included, as read).

    ``clause_keys``: document slug -> keys of its current version. Returns the records
    and the problems; the records are only to be imported when there are no problems.
    ``problems_text`` holds the translated messages (keys: ``unknown_document``,
    ``unknown_clause``, ``ambiguous_clause``, ``empty_comment``, ``not_in_list``,
    ``too_long``, ``no_rows``).
    """
    records: list[KitRecord] = []
    problems: list[Problem] = []
    data = [r for r in rows if r.number > 1]
    for row in data:
        values = [_cell_text(v) for v in row.values] + [""] * len(COLUMNS)
        record, row_problems = _check_row(row.number, dict(zip(COLUMNS, values)), clause_keys,
                                          vocabulary, default_language, problems_text)
        problems.extend(row_problems)
        if record is not None:
            records.append(record)
    if not data:
        problems.append(Problem(0, "", problems_text["no_rows"]))
    seen: dict[str, int] = {}
    for record in records:
        base = content_key(hearing_id, record, 0)
        seen[base] = seen.get(base, -1) + 1
        record.key = content_key(hearing_id, record, seen[base])
    return records, problems


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _check_row(number: int, cells: dict[str, str], clause_keys: dict[str, set[str]],
               vocabulary: Vocabulary, default_language: str,
               text: dict[str, str]) -> tuple[KitRecord | None, list[Problem]]:
    problems: list[Problem] = []
    document, clause = cells["document"], cells["clause"]
    if document and document not in clause_keys:
        problems.append(Problem(number, "document", text["unknown_document"]))
    elif not document:
        # Clause numbers repeat across documents: only an unambiguous key can do without.
        owners = [slug for slug, keys in clause_keys.items() if clause in keys]
        if len(owners) == 1:
            document = owners[0]
        else:
            problems.append(Problem(number, "document", text["ambiguous_clause"]))
    if document in clause_keys and clause not in clause_keys[document]:
        problems.append(Problem(number, "clause", text["unknown_clause"]))
    if not cells["comment"]:
        problems.append(Problem(number, "comment", text["empty_comment"]))
    for column, limit in (("comment", MAX_COMMENT), ("speaker", MAX_SPEAKER),
                          ("organisation", MAX_ORGANISATION)):
        if len(cells[column]) > limit:
            problems.append(Problem(number, column, text["too_long"].format(n=limit)))
    defaults = {"category": "individual", "gender": "unstated", "language": default_language,
                "channel": "hearing-oral"}
    codes = {}
    for column in CHOICE_COLUMNS:
        value = cells[column]
        codes[column] = vocabulary.code(column, value) if value else defaults[column]
        if codes[column] is None:
            problems.append(Problem(number, column, text["not_in_list"]))
    if problems:
        return None, problems
    return KitRecord(number, document, clause, cells["speaker"], cells["organisation"],
                     codes["category"], codes["gender"], codes["language"], codes["channel"],
                     cells["comment"]), []
