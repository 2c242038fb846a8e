"""The offline hearing kit: the workbook a clerk fills in a hall without internet.

This module writes the template (``build_kit``, pure) and declares what both halves share:
the columns, the restricted values (``kit_vocabulary``) and the translated texts. Reading
a filled kit back is the hearing-kit channel's job (``consult.intake.kit``).

Sheets: ``Comments`` (one row per speaker contribution, columns restricted by
data-validation lists), ``Clauses`` (every clause key with the start of its text in the
notice languages), ``About`` (the hearing and instructions) and a hidden ``Lists`` sheet
holding the allowed values and the version of each document the kit was made for.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core import languages
from ..core.spreadsheets import safe_text
from ..core.time import to_local
from ..core.vocab import CATEGORIES, CHANNELS, GENDERS
from ..models import Clause, Consultation, Document, DocumentVersion, Hearing

# Column codes in sheet order; headers are translated (``column_labels``).
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
        return self.accepted.get(column, {}).get(" ".join(value.split()).casefold())


def kit_vocabulary(lang: str) -> Vocabulary:
    """The kit's restricted values: labels in ``lang``; any language's label or a code
    accepted when read back."""
    sources = {"category": CATEGORIES, "gender": GENDERS,
               "channel": CHANNELS.where(hearing=True)}
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
            "comment": str(_l("Comment")), "date": str(_l("Date")), "": str(_l("File"))}


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
              texts: dict[str, str], text_languages: list[str]) -> bytes:
    """The kit workbook as bytes.

    ``texts`` holds the translated strings: a header per column code, ``instructions``
    (lines separated by newlines), ``hearing``, ``city``, ``date``, ``venue``, and
    ``text`` (the header of a clause text column, with ``%(language)s``).
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

    clauses.append([texts["document"], texts["clause"]] + [
        texts["text"] % {"language": languages.name(code)} for code in text_languages])
    clauses.freeze_panes = "A2"
    for index, width in enumerate([26, 10] + [60] * len(text_languages), start=1):
        clauses.column_dimensions[get_column_letter(index)].width = width
    for document in documents:
        for clause in document.clauses:
            _append(clauses, [document.slug, clause.key,
                              *(_excerpt(text) for text in clause.texts)])
    clause_rows = max(clauses.max_row, 2)

    lists.append(["documents"] + [f"{c}" for c in CHOICE_COLUMNS] + ["versions"])
    columns = [[d.slug for d in documents]] + [
        [label for _, label in vocabulary.labels[c]] for c in CHOICE_COLUMNS] + [
        [str(d.version) for d in documents]]
    for offset in range(max(len(c) for c in columns)):
        _append(lists, [c[offset] if offset < len(c) else None for c in columns])

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


def kit_workbook(session: Session, hearing: Hearing, lang: str) -> bytes:
    """The offline kit of ``hearing`` with labels in ``lang``."""
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
    when = to_local(hearing.starts_at).strftime("%d.%m.%Y %H:%M") if hearing.starts_at else ""
    with force_locale(lang):
        texts = {**column_labels(), "hearing": str(_l("Hearing")), "city": str(_l("City")),
                 "date": str(_l("Date and time")), "venue": str(_l("Venue")),
                 "text": str(_l("Text (%(language)s)")),
                 "instructions": str(_l(
                     "One row per speaker contribution on the Comments sheet.\n"
                     "Document and Clause: choose from the lists (see the Clauses sheet).\n"
                     "Speaker and Organisation may stay empty.\n"
                     "Category, Gender, Language and Channel: choose from the lists; empty "
                     "means individual, not stated, the hearing's first language, oral.\n"
                     "Upload the file on the hearing's page; every row is checked first and "
                     "nothing is imported until all rows are correct. Uploading it again "
                     "adds nothing twice."))}
        return build_kit(
            KitHearing(hearing.id, hearing.city_name(lang), when,
                       languages.pick(hearing.venue, lang)[0]),
            documents, kit_vocabulary(lang), texts, text_languages)
