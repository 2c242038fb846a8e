"""The hearing-kit channel: rows of a filled offline kit -> comments of that hearing.

``read_kit`` finds the kit's sheets whatever language they are named in and reads its
record (hidden Lists sheet: the hearing it belongs to, its language, the document
versions and slugs); ``parse_kit`` (pure) checks every filled row and returns clean
records or every problem by row and column; ``import_kit`` refuses a kit made for another
hearing, imports nothing unless there are no problems, then every row in one go through
the intake service. The same rows sent again (the same file, or a corrected one) are
recognised by their content and not added twice. Kits made before the record existed
(English sheet names, slugs in the Document column) or before the consent column still
import; a blank consent is "anonymous": a name is published only with consent.
"""
from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from defusedxml import ElementTree
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import audit
from ..comments.intake import NewComment, Target, record_comments
from ..core import languages
from ..core.spreadsheets import Problem
from ..core.uploads import Row, UploadError, read_xlsx, sha256
from ..drafts import revisions
from ..hearings.kit import (
    ADDED_COLUMNS,
    CHOICE_COLUMNS,
    COLUMNS,
    ENGLISH_SHEETS,
    LISTS_MARKER,
    MAX_COMMENT,
    MAX_ORGANISATION,
    MAX_SPEAKER,
    Vocabulary,
    column_labels,
    fold,
    hearing_label,
    kit_vocabulary,
    sheet_names,
)
from ..i18n import current_lang
from ..models import (
    Clause,
    Consultation,
    Document,
    DocumentVersion,
    Hearing,
    ImportBatch,
    User,
)
from .hearing_entry import hearing_received_at

# Clause keys a spreadsheet may have turned into a number (1.10 -> 1.1) or a date
# (2.2.1 -> 2 February 2001; 1.10 -> 1 October where the decimal sign is a comma).
NUMBER_KEY = re.compile(r"\d+(?:\.\d+)?")
DATE_KEY = re.compile(r"(\d{1,2})\.(\d{1,2})(?:\.(\d{1,4}))?")


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
    consent: str
    key: str = ""  # content key: the same contribution imported twice is recognised


@dataclass
class ImportOutcome:
    added: int = 0
    skipped: int = 0
    already: bool = False  # the very same file was imported before
    problems: list[Problem] = field(default_factory=list)

    def message(self) -> str:
        """What the clerk is told after a clean import."""
        if self.already:
            return _("This file was imported before; nothing was added.")
        return _("Imported %(added)s comment(s); %(skipped)s row(s) were already imported.",
                 added=self.added, skipped=self.skipped)


def problem_texts() -> dict[str, str]:
    """The messages of a refused row, in the current language."""
    return {
        "unknown_document": str(_l("Unknown document: choose one from the list.")),
        "unknown_clause": str(_l("Unknown clause: no such clause in this document.")),
        "ambiguous_clause": str(_l("Choose the document: this clause number is unknown or "
                                   "exists in more than one document.")),
        "empty_comment": str(_l("The comment is empty.")),
        "not_in_list": str(_l("Value outside the list: choose one from the list.")),
        "too_long": str(_l("Too long: at most {n} characters.")),
        "no_rows": str(_l("The Comments sheet has no filled rows.")),
        "converted_clause": str(_l("The spreadsheet turned this clause number into a number "
                                   "or a date: format the Clause column as text and type "
                                   "the number again.")),
    }


def cell_text(value) -> str:
    """A cell as the text a clerk typed (``12.0`` read back from a number cell is ``12``)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def content_key(hearing_id: int, record: KitRecord, occurrence: int) -> str:
    """Identifies one contribution whatever file it arrives in: a corrected file re-sends
    the rows already imported, and they must not be imported twice."""
    parts = (str(hearing_id), record.document, record.clause, record.body, record.speaker,
             record.organisation, str(occurrence))
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:48]


def parse_kit(rows: list[Row], hearing_id: int, clause_keys: dict[str, set[str]],
              vocabulary: Vocabulary, default_language: str, texts: dict[str, str],
              documents: dict[str, str] | None = None) -> tuple[list[KitRecord], list[Problem]]:
    """Check the filled ``Comments`` rows (header row included, as read).

    ``clause_keys``: document slug -> keys of its version. ``documents``: the other names
    a document may be given in the Document column (folded title in any language, the
    kit's own labels) -> slug; a slug is always accepted. ``default_language``: the
    Language column's default (the kit's language). Returns the records and the problems;
    the records are only to be imported when there are no problems.
    """
    records: list[KitRecord] = []
    problems: list[Problem] = []
    data = [r for r in rows if r.number > 1]
    for row in data:
        raw = dict(zip(COLUMNS, list(row.values) + [None] * len(COLUMNS), strict=False))
        cells = {column: cell_text(value) for column, value in raw.items()}
        record, row_problems = _check_row(row.number, cells, raw["clause"], clause_keys,
                                          documents or {}, vocabulary, default_language,
                                          texts)
        problems.extend(row_problems)
        if record is not None:
            records.append(record)
    if not data:
        problems.append(Problem(0, "", texts["no_rows"]))
    seen: dict[str, int] = {}
    for record in records:
        base = content_key(hearing_id, record, 0)
        seen[base] = seen.get(base, -1) + 1
        record.key = content_key(hearing_id, record, seen[base])
    return records, problems


def _check_row(number: int, cells: dict[str, str], raw_clause, clause_keys: dict[str, set[str]],
               documents: dict[str, str], vocabulary: Vocabulary, default_language: str,
               text: dict[str, str]) -> tuple[KitRecord | None, list[Problem]]:
    problems: list[Problem] = []
    typed = cells["document"]
    document = _document(typed, clause_keys, documents) if typed else ""
    candidates: set[str] = set()
    if converted(raw_clause):  # the keys it may have been: the document's, or any document's
        candidates = clause_keys[document] if document else set().union(*clause_keys.values())
    clause, readable = clause_key(raw_clause, candidates)
    if document is None:
        problems.append(Problem(number, "document", text["unknown_document"]))
    elif not readable:
        problems.append(Problem(number, "clause", text["converted_clause"]))
    elif not document:
        # Clause numbers repeat across documents: only an unambiguous key can do without.
        owners = [slug for slug, keys in clause_keys.items() if clause in keys]
        if len(owners) == 1:
            document = owners[0]
        else:
            problems.append(Problem(number, "document", text["ambiguous_clause"]))
    elif clause not in clause_keys[document]:
        problems.append(Problem(number, "clause", text["unknown_clause"]))
    if not cells["comment"]:
        problems.append(Problem(number, "comment", text["empty_comment"]))
    for column, limit in (("comment", MAX_COMMENT), ("speaker", MAX_SPEAKER),
                          ("organisation", MAX_ORGANISATION)):
        if len(cells[column]) > limit:
            problems.append(Problem(number, column, text["too_long"].format(n=limit)))
    # A blank consent publishes no name: a name is published only with consent.
    defaults = {"category": "individual", "gender": "unstated", "language": default_language,
                "channel": "hearing-oral", "consent": "anonymous"}
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
                     cells["comment"], codes["consent"]), []


def _document(typed: str, clause_keys: dict[str, set[str]],
              documents: dict[str, str]) -> str | None:
    """The slug of the document named in the Document column (slug, title or kit label)."""
    if typed in clause_keys:
        return typed
    slug = documents.get(fold(typed))
    return slug if slug in clause_keys else None


def converted(value) -> bool:
    """Whether a cell holds a number or a date (a spreadsheet's reading of what was typed)."""
    return isinstance(value, (int, float, date)) and not isinstance(value, bool)


def clause_key(value, keys: set[str]) -> tuple[str, bool]:
    """``(clause key, readable)`` of a Clause cell. Text is taken as typed. A number or a
    date (a key the spreadsheet converted: 1.10 -> 1.1, 2.2.1 -> a date) is taken for the
    one key among ``keys`` it can have come from; when none or several could, it is not
    readable (a whole number that matches no key is read as typed: an unknown clause)."""
    if not converted(value):
        return cell_text(value), True
    if isinstance(value, date):
        matches = {key for key in keys if _date_key(key, value)}
    else:
        matches = {key for key in keys if NUMBER_KEY.fullmatch(key) and float(key) == value}
    if len(matches) == 1:
        return matches.pop(), True
    whole = not isinstance(value, date) and float(value).is_integer()
    return cell_text(value), whole and not matches


def _date_key(key: str, value: date) -> bool:
    """Whether a spreadsheet can have read ``key`` as the date ``value`` (day and month in
    either order, a year of two or four digits or none: this year)."""
    match = DATE_KEY.fullmatch(key)
    if match is None:
        return False
    pair = (int(match[1]), int(match[2]))
    if pair not in ((value.day, value.month), (value.month, value.day)):
        return False
    return match[3] is None or int(match[3]) in (value.year, value.year % 100)


def _clause_index(session: Session, consultation: Consultation, recorded: dict[str, int],
                  at: datetime) -> tuple[dict[str, Document], dict[str, DocumentVersion],
                                         dict[str, dict[str, Clause]]]:
    """Each document's clauses by key, in the version the kit was made for (``recorded``:
    slug -> version number, from the kit), or for a kit that does not say, the version
    published at the hearing (``at``)."""
    documents = {d.slug: d for d in session.scalars(select(Document).where(
        Document.consultation_id == consultation.id,
        Document.current_version_id.is_not(None)))}
    versions = {}
    for slug, document in documents.items():
        version = revisions.version_by_number(session, document, recorded[slug]) \
            if slug in recorded else None
        if version is None or version.published_at is None:
            version = revisions.version_at(session, document, at)
        versions[slug] = version
    clauses: dict[str, dict[str, Clause]] = {slug: {} for slug in documents}
    by_version = {v.id: slug for slug, v in versions.items()}
    for clause in session.scalars(select(Clause).where(Clause.version_id.in_(by_version))):
        clauses[by_version[clause.version_id]][clause.key] = clause
    return documents, versions, clauses


@dataclass
class KitFile:
    """What a filled kit holds: the rows of its Comments sheet (header included) and its
    record, from the hidden Lists sheet; a kit made before a part of the record existed
    leaves that part empty."""
    comments: list[Row]
    versions: dict[str, int] = field(default_factory=dict)  # slug -> version number
    documents: dict[str, str] = field(default_factory=dict)  # label in the kit -> slug
    hearing_id: int | None = None
    hearing_label: str = ""  # city and date as the kit was made
    language: str = ""  # the language the kit was downloaded in

    @property
    def header(self) -> list:
        return list(self.comments[0].values) if self.comments and \
            self.comments[0].number == 1 else []


def known_sheet_names() -> dict[str, list[str]]:
    """Every name a kit's sheets have had: in each language, and the English of old kits."""
    names = {code: [name] for code, name in ENGLISH_SHEETS.items()}
    for lang in languages.codes():
        with force_locale(lang):
            for code, name in sheet_names().items():
                if name not in names[code]:
                    names[code].append(name)
    return names


def read_kit(data: bytes) -> KitFile:
    """The Comments rows and the record of a filled kit, its sheets found by their name in
    any language, else by place: a hidden sheet starting with the Lists marker is the
    record, and then the first sheet holds the comments.

    Raises UploadError for a file refused as a whole, or one that is not a kit.
    """
    names = known_sheet_names()
    sheets = read_xlsx(data, sheets=dict.fromkeys(names["comments"] + names["lists"]),
                       max_columns=len(COLUMNS))
    comments = next((sheets[name] for name in names["comments"] if name in sheets), None)
    lists = next((sheets[name] for name in names["lists"]
                  if name in sheets and _is_lists(sheets[name])), None)
    if comments is None or lists is None:
        order = _sheet_order(data)
        more = [name for place, (name, hidden) in enumerate(order)
                if name not in sheets and (hidden or place == 0)]
        if more:
            sheets.update(read_xlsx(data, sheets=more, max_columns=len(COLUMNS)))
        if lists is None:
            lists = next((sheets[name] for name, hidden in order
                          if hidden and name in sheets and _is_lists(sheets[name])), None)
        if comments is None and lists is not None and order and not order[0][1]:
            comments = sheets.get(order[0][0])
    if comments is None:
        raise UploadError(_l("The workbook has no Comments sheet: use the hearing kit."))
    kit = KitFile(comments)
    if lists is not None:
        _read_record(lists, kit)
    return kit


def _is_lists(rows: list[Row]) -> bool:
    return bool(rows) and rows[0].number == 1 and bool(rows[0].values) and \
        cell_text(rows[0].values[0]) == LISTS_MARKER


def _sheet_order(data: bytes) -> list[tuple[str, bool]]:
    """``[(sheet name, hidden)]`` in the workbook's order. Only for a file ``read_xlsx``
    has checked and opened."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            root = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    except Exception:  # any failure is a bad file, never an error of ours
        raise UploadError(_l("The workbook could not be read; save it again as .xlsx "
                             "and retry.")) from None
    return [(sheet.get("name") or "", sheet.get("state", "visible") != "visible")
            for sheet in root.iter() if str(sheet.tag).rsplit("}", 1)[-1] == "sheet"]


def _read_record(rows: list[Row], kit: KitFile) -> None:
    """The kit's record from its Lists rows (``hearings.kit.LISTS_HEADER``)."""
    header = [cell_text(value) for value in rows[0].values]

    def at(row: Row | None, name: str) -> str:
        if row is None or name not in header:
            return ""
        index = header.index(name)
        return cell_text(row.values[index]) if index < len(row.values) else ""

    for row in rows[1:]:
        label = cell_text(row.values[0]) if row.values else ""
        slug = at(row, "slugs") if "slugs" in header else label  # old kits: slugs in A
        number = at(row, "versions")
        if slug and number.isdigit():
            kit.versions[slug] = int(number)
        if slug and label:
            kit.documents[label] = slug
    by_number = {row.number: row for row in rows}
    hearing = at(by_number.get(2), "hearing")
    kit.hearing_id = int(hearing) if hearing.isdigit() else None
    kit.hearing_label = at(by_number.get(3), "hearing")
    kit.language = at(by_number.get(2), "kit-language")


def recorded_versions(rows: list[Row]) -> dict[str, int]:
    """The version of each document a kit was made for (its hidden Lists sheet), if said."""
    kit = KitFile([])
    if _is_lists(rows):
        _read_record(rows, kit)
    return kit.versions


def header_language(header: list) -> str | None:
    """The language a kit's Comments headers are in, if only one language has them (a kit
    made before the ``ADDED_COLUMNS`` has the headers before them)."""
    typed = [fold(cell_text(value)) for value in header[:len(COLUMNS)]]
    if len(typed) < len(COLUMNS) - len(ADDED_COLUMNS):
        return None
    found = []
    for lang in languages.codes():
        with force_locale(lang):
            labels = column_labels()
        if typed == [fold(labels[column]) for column in COLUMNS[:len(typed)]]:
            found.append(lang)
    return found[0] if len(found) == 1 else None


def kit_language(kit: KitFile, hearing: Hearing) -> str:
    """The Language column's default: the language the kit was downloaded in (its record;
    for an older kit, the language of its headers, else the hearing's first language)."""
    if kit.language in languages.codes():
        return kit.language
    return header_language(kit.header) or next(
        (code for code in (hearing.languages or "").split(",") if code in languages.codes()),
        languages.default())


def document_names(session: Session, documents: dict[str, Document],
                   versions: dict[str, DocumentVersion], kit: KitFile) -> dict[str, str]:
    """The names the Document column may give each document, folded -> slug: its title in
    every language (in the kit's version and the current one; a title two documents share
    names neither), "title (slug)", and the labels the kit itself offered."""
    owners: dict[str, set[str]] = defaultdict(set)
    for slug, document in documents.items():
        current = session.get(DocumentVersion, document.current_version_id)
        for version in (versions[slug], current):
            for title in (version.title or {}).values() if version is not None else ():
                if title and title.strip():
                    owners[fold(title)].add(slug)
                    owners[fold(f"{title} ({slug})")].add(slug)
    names = {name: next(iter(slugs)) for name, slugs in owners.items() if len(slugs) == 1}
    names.update({fold(label): slug for label, slug in kit.documents.items()
                  if slug in documents})
    return names


def wrong_hearing(session: Session, hearing: Hearing, kit: KitFile) -> UploadError:
    """The refusal of a kit made for another hearing, naming both (city and date)."""
    lang = current_lang()
    other = session.get(Hearing, kit.hearing_id)
    made_for = hearing_label(other, lang) if other is not None else (
        kit.hearing_label or f"#{kit.hearing_id}")
    return UploadError(_l("This kit belongs to another hearing (%(kit)s), not to this one "
                          "(%(hearing)s); nothing was imported. Upload it on that hearing's "
                          "page, or download this hearing's kit.",
                          kit=made_for, hearing=hearing_label(hearing, lang)))


def import_kit(session: Session, hearing: Hearing, data: bytes, filename: str,
               actor: User | None) -> ImportOutcome:
    """Validate a filled kit and import it whole, or report every problem and add nothing.

    Raises UploadError for a file refused as a whole (too big, not a workbook, macros...,
    a kit made for another hearing). Rows already imported (from this file or an earlier
    version of it) are skipped.
    """
    digest = sha256(data)
    if session.scalar(select(ImportBatch.id).where(
            ImportBatch.kind == "hearing-kit", ImportBatch.target == str(hearing.id),
            ImportBatch.sha256 == digest)):
        return ImportOutcome(already=True)
    kit = read_kit(data)
    if kit.hearing_id is not None and kit.hearing_id != hearing.id:
        raise wrong_hearing(session, hearing, kit)
    consultation = session.get(Consultation, hearing.consultation_id)
    received_at = hearing_received_at(hearing)
    documents, versions, clauses = _clause_index(session, consultation, kit.versions,
                                                 received_at)
    records, problems = parse_kit(
        kit.comments, hearing.id, {slug: set(keys) for slug, keys in clauses.items()},
        kit_vocabulary("en"), kit_language(kit, hearing), problem_texts(),
        document_names(session, documents, versions, kit))
    if problems:
        return ImportOutcome(problems=problems)
    entries = [(Target(documents[r.document], clauses[r.document][r.clause],
                       versions[r.document].id), NewComment(
        channel=r.channel, body=r.body, language=r.language, author_name=r.speaker,
        organisation=r.organisation, category=r.category, gender=r.gender,
        consent=r.consent, received_at=received_at, hearing_id=hearing.id,
        source_ref=f"kit:{hearing.id}:{r.key}"))
        for r in records]
    outcome = ImportOutcome()
    for recorded in record_comments(session, entries, actor):
        if recorded.created:
            outcome.added += 1
        else:
            outcome.skipped += 1
    record_batch(session, "hearing-kit", str(hearing.id), digest, filename, outcome, actor)
    return outcome


def record_batch(session: Session, kind: str, target: str, digest: str, filename: str,
                 outcome: ImportOutcome, actor: User | None) -> ImportBatch | None:
    """Remember an imported file (the same bytes again add nothing), audited."""
    batch = ImportBatch(kind=kind, target=target, sha256=digest, filename=filename[:255],
                        rows=outcome.added, user_id=actor.id if actor else None)
    try:
        with session.begin_nested():  # the same file imported by someone else meanwhile
            session.add(batch)
    except IntegrityError:
        outcome.already = True
        return None
    audit.record(session, actor, f"import.{kind}", batch, None,
                 {"target": target, "sha256": digest, "filename": batch.filename,
                  "added": outcome.added, "skipped": outcome.skipped})
    return batch
