"""The offline hearing kit: the workbook a clerk fills in a hall without internet.

This module writes the template (``build_kit``, pure) and declares what both halves share:
the columns, the restricted values (``kit_vocabulary``) and the translated texts. Reading
a filled kit back is the hearing-kit channel's job (``consult.intake.kit``).

Sheets, named in the kit's language (``sheet_names``): Comments (one row per speaker
contribution, ending with the speaker's consent to publication, columns restricted by
data-validation lists, every column text so that clause
keys such as ``1.10`` or ``2.2.1`` stay as typed), Clauses (every clause key with the start
of its text in the notice languages), About (the hearing and instructions) and a hidden
Lists sheet, in this order. Lists holds the allowed values and the kit's record: the
version of each document the kit was made for, the documents' slugs, the hearing it
belongs to and the language it was downloaded in (``LISTS_HEADER``). Its first cell,
``LISTS_MARKER``, tells a kit whatever its sheets are called.
"""
from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core import formats, languages
from ..core.spreadsheets import safe_text
from ..core.vocab import CATEGORIES, CHANNELS, CONSENTS, GENDERS
from ..models import Clause, Consultation, Document, DocumentVersion, Hearing

# Column codes in sheet order; headers are translated (``column_labels``). The paper
# form of the handout asks them in this order, so consent, the last, is asked last.
COLUMNS = ("document", "clause", "speaker", "organisation", "category", "gender",
           "language", "channel", "comment", "consent")
# Columns added at the end once kits were in use: the rows of a kit made before them are
# read as if they were blank, and the headers of such a kit still tell its language.
ADDED_COLUMNS = ("consent",)
CHOICE_COLUMNS = ("category", "gender", "language", "channel", "consent")
# Sheets in workbook order, by code, with their names (translated: ``sheet_names``). The
# names are also the English ones every kit had before kits spoke their language.
SHEETS = {"comments": _l("Comments"), "clauses": _l("Clauses"), "about": _l("About"),
          "lists": _l("Lists")}
ENGLISH_SHEETS = {"comments": "Comments", "clauses": "Clauses", "about": "About",
                  "lists": "Lists"}
# The hidden Lists sheet, one column each (header row of codes, never translated):
# "documents" the document labels offered (the slugs in kits made before titles), the
# choice columns' labels, then the kit's record: "versions" and "slugs" (row by row with
# "documents"), "hearing" (its id in row 2, its city and date in row 3) and
# "kit-language" (row 2). At most len(COLUMNS) columns: the reader reads no more.
LISTS_MARKER = "documents"
LISTS_HEADER = (LISTS_MARKER, *CHOICE_COLUMNS, "versions", "slugs", "hearing", "kit-language")
TEXT_FORMAT = "@"
TEMPLATE_ROWS = 500  # rows the validation lists cover; a clerk may type beyond them
MAX_COMMENT = 20_000
MAX_SPEAKER = 200
MAX_ORGANISATION = 300
EXCERPT = 100


@dataclass
class KitClause:
    key: str
    texts: list[str]  # the start of the clause in each of the kit's text languages


@dataclass
class KitDocument:
    slug: str
    title: str
    clauses: list[KitClause]
    version: int = 1  # the version the kit was made for: its clause keys are that version's


@dataclass
class KitHearing:
    id: int
    city: str
    when: str
    venue: str

    @property
    def label(self) -> str:
        """City and date, as the kit's record and its messages name the hearing."""
        return f"{self.city}, {self.when}" if self.when else self.city


@dataclass
class Vocabulary:
    """Allowed values of the restricted columns.

    ``labels``: for each choice column, ``[(code, label in the kit language)]`` (the
    list offered in the workbook). ``accepted``: for each choice column, every accepted
    spelling (codes, labels in every language), case-folded, mapped to its code.
    """
    labels: dict[str, list[tuple[str, str]]]
    accepted: dict[str, dict[str, str]] = field(default_factory=dict)

    def code(self, column: str, value: str) -> str | None:
        return self.accepted.get(column, {}).get(fold(value))


def kit_vocabulary(lang: str) -> Vocabulary:
    """The kit's restricted values: labels in ``lang``; any language's label or a code
    accepted when read back."""
    sources = {"category": CATEGORIES, "gender": GENDERS,
               "channel": CHANNELS.where(hearing=True), "consent": CONSENTS}
    labels = {column: list(vocabulary.labels_in(lang).items())
              for column, vocabulary in sources.items()}
    accepted = {column: vocabulary.reader(languages.codes())
                for column, vocabulary in sources.items()}
    labels["language"] = list(languages.names().items())
    accepted["language"] = {code: code for code in languages.codes()}
    accepted["language"].update({name.casefold(): code
                                 for code, name in languages.names().items()})
    return Vocabulary(labels, accepted)


def column_labels() -> dict[str, str]:
    """Column headers (and "" for the file as a whole) in the current language."""
    return {"document": str(_l("Document")), "clause": str(_l("Clause")),
            "speaker": str(_l("Speaker")), "organisation": str(_l("Organisation")),
            "category": str(_l("Category")), "gender": str(_l("Gender")),
            "language": str(_l("Language")), "channel": str(_l("Channel")),
            "comment": str(_l("Comment")), "consent": str(_l("Publication")),
            "date": str(_l("Date")), "": str(_l("File"))}


def sheet_title(label) -> str:
    """A translated sheet name Excel accepts (at most 31 characters, no []:*?/\\)."""
    text = str(label)
    for char in "[]:*?/\\":
        text = text.replace(char, " ")
    return " ".join(text.split())[:31].strip("'").strip()


def sheet_names() -> dict[str, str]:
    """The kit's sheet names in the current language, by code (all English if the
    translations would leave a sheet without a name or two sheets with one)."""
    names = {code: sheet_title(label) for code, label in SHEETS.items()}
    if "" in names.values() or len({n.casefold() for n in names.values()}) < len(names):
        return dict(ENGLISH_SHEETS)
    return names


def hearing_label(hearing: Hearing, lang: str) -> str:
    """A hearing as the kit and its messages name it: city, local date and time."""
    return KitHearing(hearing.id, hearing.city_name(lang), _when(hearing, lang), "").label


def _when(hearing: Hearing, lang: str) -> str:
    return formats.text(hearing.starts_at, formats.DATETIME, lang)


def fold(text: str) -> str:
    """A label as compared when read back: spacing and case do not matter."""
    return " ".join(text.split()).casefold()


def document_labels(documents: list[KitDocument]) -> list[str]:
    """What the Document column offers: each document's title; a title two documents share
    gets its slug in brackets; a document without a title is named by its slug."""
    counts = Counter(fold(d.title) for d in documents if d.title.strip())
    return [d.slug if not d.title.strip()
            else d.title if counts[fold(d.title)] == 1 else f"{d.title} ({d.slug})"
            for d in documents]


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…"


def _append(sheet, values) -> None:
    """A row of the template through the safe-cell rule (clause texts are people's words)."""
    cells = []
    for value in values:
        if isinstance(value, str):
            text, as_text = safe_text(value)
            value = Cell(sheet, value=text)
            if as_text:
                value.data_type = "s"  # after the value: assigning it re-guesses the type
                value.quotePrefix = True
        cells.append(value)
    sheet.append(cells)


def build_kit(hearing: KitHearing, documents: list[KitDocument], vocabulary: Vocabulary,
              texts: dict, text_languages: list[str], language: str = "en") -> bytes:
    """The kit workbook as bytes, made in ``language`` (recorded in the kit: the Language
    column's default when the kit is read back).

    ``texts`` holds the translated strings: a header per column code, ``instructions``
    (lines separated by newlines), ``hearing``, ``city``, ``date``, ``venue``, ``text``
    (the header of a clause text column, with ``%(language)s``) and ``sheets`` (the sheet
    names by code, as ``sheet_names`` gives them; English when absent).
    """
    names = {**ENGLISH_SHEETS, **texts.get("sheets", {})}
    workbook = Workbook()
    comments = workbook.active
    comments.title = names["comments"]
    clauses = workbook.create_sheet(names["clauses"])
    about = workbook.create_sheet(names["about"])
    lists = workbook.create_sheet(names["lists"])
    lists.sheet_state = "hidden"
    labels = document_labels(documents)

    comments.append([texts[c] for c in COLUMNS])
    comments.freeze_panes = "A2"
    for index, width in enumerate((26, 10, 24, 24, 24, 18, 14, 18, 80, 36), start=1):
        dimension = comments.column_dimensions[get_column_letter(index)]
        dimension.width = width
        # Text for the whole column (a column style), not only the prepared rows: typed
        # in row 900, 1.10 stays 1.10 (not 1.1) and 2.2.1 stays 2.2.1 (not a date).
        dimension.number_format = TEXT_FORMAT

    clauses.append([texts["document"], texts["clause"]] + [
        texts["text"] % {"language": languages.name(code)} for code in text_languages])
    clauses.freeze_panes = "A2"
    for index, width in enumerate([26, 10] + [60] * len(text_languages), start=1):
        clauses.column_dimensions[get_column_letter(index)].width = width
    for label, document in zip(labels, documents, strict=True):
        for clause in document.clauses:
            _append(clauses, [label, clause.key, *(_excerpt(text) for text in clause.texts)])
    clause_rows = max(clauses.max_row, 2)

    lists.append(list(LISTS_HEADER))
    columns = [labels] + [
        [label for _, label in vocabulary.labels[c]] for c in CHOICE_COLUMNS] + [
        [str(d.version) for d in documents], [d.slug for d in documents],
        [hearing.id, hearing.label], [language]]
    for offset in range(max(len(c) for c in columns)):
        _append(lists, [c[offset] if offset < len(c) else None for c in columns])

    last = TEMPLATE_ROWS + 1
    in_lists, in_clauses = quote_sheetname(names["lists"]), quote_sheetname(names["clauses"])
    _validation(comments, f"A2:A{last}", f"{in_lists}!$A$2:$A${len(columns[0]) + 1}")
    _validation(comments, f"B2:B{last}", f"{in_clauses}!$B$2:$B${clause_rows}")
    for index, column in enumerate(CHOICE_COLUMNS, start=1):
        sheet_letter = get_column_letter(index + 1)
        target = get_column_letter(COLUMNS.index(column) + 1)
        _validation(comments, f"{target}2:{target}{last}",
                    f"{in_lists}!${sheet_letter}$2:${sheet_letter}${len(columns[index]) + 1}")
    for row in range(2, last + 1):  # each prepared cell too, for readers without column styles
        for column in range(1, len(COLUMNS) + 1):
            comments.cell(row=row, column=column).number_format = TEXT_FORMAT

    about.column_dimensions["A"].width = 22
    about.column_dimensions["B"].width = 90
    for label, value in ((texts["hearing"], str(hearing.id)), (texts["city"], hearing.city),
                         (texts["date"], hearing.when), (texts["venue"], hearing.venue)):
        _append(about, [label, value])
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


def instructions(sheets: dict[str, str], lang: str) -> str:
    """The About sheet's instructions in the current language (lines separated by newlines)."""
    general = str(_l(
        "One row per speaker contribution on the %(comments)s sheet.\n"
        "Document and Clause: choose from the lists (see the %(clauses)s sheet).\n"
        "Every column is text: clause numbers such as 1.10 or 2.2.1 stay as typed.\n"
        "Speaker and Organisation may stay empty.\n"
        "Category, Gender, Language and Channel: choose from the lists; empty means "
        "individual, not stated, %(language)s (the language of this kit), oral.\n"
        "This kit belongs to this hearing only. Upload it on the hearing's page; every row "
        "is checked first and nothing is imported until all rows are correct. Uploading it "
        "again adds nothing twice.",
        comments=sheets["comments"], clauses=sheets["clauses"], language=languages.name(lang)))
    # A message of its own, so that the lines above keep the translations they have.
    consent = str(_l(
        "%(publication)s: choose what the speaker agreed to; empty means published without "
        "the name. A name is published only with the speaker's consent.",
        publication=column_labels()["consent"]))
    return f"{general}\n{consent}"


def kit_workbook(session: Session, hearing: Hearing, lang: str) -> bytes:
    """The offline kit of ``hearing``, in ``lang``: sheet names, headers, labels, titles."""
    consultation = session.get(Consultation, hearing.consultation_id)
    text_languages = list(languages.required())
    documents = []
    for document in session.scalars(select(Document).where(
            Document.consultation_id == consultation.id,
            Document.current_version_id.is_not(None)).order_by(Document.position)):
        version = session.get(DocumentVersion, document.current_version_id)
        clauses = session.scalars(select(Clause).where(Clause.version_id == version.id)
                                  .order_by(Clause.position))
        documents.append(KitDocument(document.slug, languages.pick(version.title, lang)[0], [
            KitClause(c.key, [c.text.get(code, "") for code in text_languages])
            for c in clauses], version.number))
    with force_locale(lang):
        sheets = sheet_names()
        texts = {**column_labels(), "hearing": str(_l("Hearing")), "city": str(_l("City")),
                 "date": str(_l("Date and time")), "venue": str(_l("Venue")),
                 "text": str(_l("Text (%(language)s)")), "sheets": sheets,
                 "instructions": instructions(sheets, lang)}
        return build_kit(
            KitHearing(hearing.id, hearing.city_name(lang), _when(hearing, lang),
                       languages.pick(hearing.venue, lang)[0]),
            documents, kit_vocabulary(lang), texts, text_languages, lang)
