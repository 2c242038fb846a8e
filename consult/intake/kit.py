"""The hearing-kit channel: rows of a filled offline kit -> comments of that hearing.

``parse_kit`` (pure) checks every filled row and returns clean records or every problem
by row and column; ``import_kit`` imports nothing unless there are no problems, then
every row in one go through the intake service. The same rows sent again (the same file,
or a corrected one) are recognised by their content and not added twice.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

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
    CHOICE_COLUMNS,
    COLUMNS,
    MAX_COMMENT,
    MAX_ORGANISATION,
    MAX_SPEAKER,
    Vocabulary,
    kit_vocabulary,
)
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
              vocabulary: Vocabulary, default_language: str,
              texts: dict[str, str]) -> tuple[list[KitRecord], list[Problem]]:
    """Check the filled ``Comments`` rows (header row included, as read).

    ``clause_keys``: document slug -> keys of its current version. Returns the records
    and the problems; the records are only to be imported when there are no problems.
    """
    records: list[KitRecord] = []
    problems: list[Problem] = []
    data = [r for r in rows if r.number > 1]
    for row in data:
        values = [cell_text(v) for v in row.values] + [""] * len(COLUMNS)
        cells = dict(zip(COLUMNS, values, strict=False))
        record, row_problems = _check_row(row.number, cells, clause_keys, vocabulary,
                                          default_language, texts)
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


def recorded_versions(rows: list[Row]) -> dict[str, int]:
    """The version of each document a kit was made for (its hidden Lists sheet), if said."""
    if not rows or "versions" not in [str(v) for v in rows[0].values]:
        return {}
    column = [str(v) for v in rows[0].values].index("versions")
    found = {}
    for row in rows[1:]:
        slug = row.values[0] if row.values else None
        number = row.values[column] if column < len(row.values) else None
        if isinstance(slug, str) and str(number or "").strip().isdigit():
            found[slug] = int(str(number).strip())
    return found


def import_kit(session: Session, hearing: Hearing, data: bytes, filename: str,
               actor: User | None) -> ImportOutcome:
    """Validate a filled kit and import it whole, or report every problem and add nothing.

    Raises UploadError for a file refused as a whole (too big, not a workbook, macros...).
    Rows already imported (from this file or an earlier version of it) are skipped.
    """
    digest = sha256(data)
    if session.scalar(select(ImportBatch.id).where(
            ImportBatch.kind == "hearing-kit", ImportBatch.target == str(hearing.id),
            ImportBatch.sha256 == digest)):
        return ImportOutcome(already=True)
    sheets = read_xlsx(data, sheets=("Comments", "Lists"), max_columns=len(COLUMNS))
    if "Comments" not in sheets:
        raise UploadError(_l("The workbook has no Comments sheet: use the hearing kit."))
    consultation = session.get(Consultation, hearing.consultation_id)
    received_at = hearing_received_at(hearing)
    documents, versions, clauses = _clause_index(
        session, consultation, recorded_versions(sheets.get("Lists", [])), received_at)
    default_language = next((code for code in (hearing.languages or "").split(",")
                             if code in languages.codes()), languages.default())
    records, problems = parse_kit(
        sheets["Comments"], hearing.id, {slug: set(keys) for slug, keys in clauses.items()},
        kit_vocabulary("en"), default_language, problem_texts())
    if problems:
        return ImportOutcome(problems=problems)
    entries = [(Target(documents[r.document], clauses[r.document][r.clause],
                       versions[r.document].id), NewComment(
        channel=r.channel, body=r.body, language=r.language, author_name=r.speaker,
        organisation=r.organisation, category=r.category, gender=r.gender,
        received_at=received_at, hearing_id=hearing.id, source_ref=f"kit:{hearing.id}:{r.key}"))
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
