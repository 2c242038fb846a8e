"""Business rules of hearing records and of the comments staff enter on citizens' behalf.

Hearing contributions, kit rows, online-form exports and letters all become ordinary
Comment rows: the same moderation, the same answers, attributed to their channel (and
hearing). Functions take a session and plain values and flush; the caller commits.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, selectinload

from .. import audit
from ..config import LANGUAGES
from ..drafts.services import documents as consultation_documents
from ..i18n import pick
from ..labels import CATEGORY_LABELS, CHANNEL_LABELS, GENDER_LABELS
from ..models import (CATEGORIES, GENDERS, Clause, Comment, Consultation, Document,
                      DocumentVersion, Hearing, HearingFile, ImportBatch, User)
from ..timeutil import to_local, utcnow
from ..uploads import Row, UploadError, check_attachment, read_csv, read_xlsx, sha256
from . import kit

HEARING_CHANNELS = ("hearing-oral", "hearing-written")
LETTER_CHANNELS = ("email", "post")
ATTENDANCE_FIELDS = ("attendance_total", "attendance_women", "attendance_men",
                     "attendance_unstated")
HEARING_FIELDS = ("city", "starts_at", "ends_at", "venue", "format", "online_link",
                  "languages", "agenda", "status", *ATTENDANCE_FIELDS,
                  "attendance_by_category", "organisations", "minutes")
COMMENT_FIELDS = ("document_id", "clause_key", "author_name", "organisation", "category",
                  "gender", "language", "channel", "body", "consent")


# ------------------------------------------------------------------ hearing records

def _snapshot(obj, names) -> dict:
    values = {}
    for name in names:
        value = getattr(obj, name)
        values[name] = value.isoformat() if isinstance(value, datetime) else value
    return values


def _slug(session: Session, values: dict) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", (values["city"].get("en") or "hearing").lower()).strip("-")
    if values.get("starts_at"):
        base += "-" + to_local(values["starts_at"]).strftime("%Y-%m-%d")
    slug, n = base or "hearing", 1
    while session.scalar(select(Hearing.id).where(Hearing.slug == slug)):
        n += 1
        slug = f"{base}-{n}"
    return slug


def attendance_mismatch(values: dict) -> bool:
    """Whether the attendance by gender fails to add up to the total (both given)."""
    total = values.get("attendance_total")
    parts = [values.get(n) for n in ATTENDANCE_FIELDS[1:]]
    if total is None or all(p is None for p in parts):
        return False
    return sum(p or 0 for p in parts) != total


def save_hearing(session: Session, consultation: Consultation, hearing: Hearing | None,
                 values: dict, actor: User | None) -> Hearing:
    """Create (``hearing`` None) or update a hearing record from ``values``; audited.

    ``values`` holds the HEARING_FIELDS: per-language dicts for city, venue and agenda,
    naive-UTC times, attendance numbers (None when unknown).
    """
    before = _snapshot(hearing, HEARING_FIELDS) if hearing is not None else None
    if hearing is None:
        hearing = Hearing(consultation_id=consultation.id, slug=_slug(session, values))
        session.add(hearing)
    for name in HEARING_FIELDS:
        if name in values:
            setattr(hearing, name, values[name])
    session.flush()
    audit.record(session, actor, "hearing.create" if before is None else "hearing.update",
                 hearing, before, _snapshot(hearing, HEARING_FIELDS))
    return hearing


def set_entry_closed(session: Session, hearing: Hearing, closed: bool, actor: User | None):
    """Close the hearing for entry (its comments can no longer be edited here) or reopen."""
    before = {"entry_closed": hearing.entry_closed}
    hearing.entry_closed = closed
    session.flush()
    audit.record(session, actor, "hearing.close-entry" if closed else "hearing.reopen-entry",
                 hearing, before, {"entry_closed": closed})


def add_file(session: Session, hearing: Hearing, kind: str, filename: str, data: bytes,
             actor: User | None) -> HearingFile:
    """Keep a scan of signed minutes or a sign-in sheet; PDF/JPEG/PNG by magic bytes.

    Raises UploadError for anything else."""
    content_type, extension = check_attachment(data)
    stem = re.sub(r"[^\w.-]+", "_", Path(filename or "file").stem)[:100] or "file"
    item = HearingFile(hearing_id=hearing.id, kind=kind, filename=f"{stem}.{extension}",
                       content_type=content_type, size=len(data), data=data,
                       uploaded_by_id=actor.id if actor else None)
    session.add(item)
    session.flush()
    audit.record(session, actor, "hearing.file-add", item, None,
                 {"hearing_id": hearing.id, "kind": kind, "filename": item.filename,
                  "size": item.size, "sha256": sha256(data)})
    return item


# ------------------------------------------------------------------ comments entered by staff

def in_period(consultation: Consultation, at: datetime) -> bool:
    """Whether ``at`` falls inside the consultation period; without a period, it does.

    Never a reason to refuse: a late letter is kept and shown as late."""
    if consultation.opens_at is None or consultation.closes_at is None:
        return True
    return consultation.opens_at <= at < consultation.closes_at


def clause_index(session: Session, consultation: Consultation) -> dict[str, dict[str, int]]:
    """For each document slug, its current version's clause keys -> clause ids."""
    index: dict[str, dict[str, int]] = {}
    for document in consultation_documents(session, consultation):
        rows = session.execute(select(Clause.key, Clause.id).where(
            Clause.version_id == document.current_version_id).order_by(Clause.position))
        index[document.slug] = {key: cid for key, cid in rows}
    return index


def new_comment(session: Session, consultation: Consultation, document: Document,
                clause_key: str | None, values: dict, actor: User | None,
                clause_id: int | None = None, audited: bool = True) -> Comment:
    """A comment entered by staff, on the document's current version.

    ``values``: channel, body, language, received_at (naive UTC) and optionally
    hearing_id, author_name, organisation, category, region, gender, email, consent,
    source_ref. Same moderation as online: published at once only under post-moderation.
    """
    if clause_key and clause_id is None:
        clause_id = session.scalar(select(Clause.id).where(
            Clause.version_id == document.current_version_id, Clause.key == clause_key))
        if clause_id is None:
            raise ValueError(str(_l("There is no clause %(key)s in this document.",
                                    key=clause_key)))
    received_at = values.get("received_at") or utcnow()
    state = "published" if consultation.moderation == "post" else "new"
    comment = Comment(
        consultation_id=consultation.id, document_id=document.id,
        version_id=document.current_version_id, clause_id=clause_id,
        clause_key=clause_key or None, receipt_code=secrets.token_urlsafe(12),
        in_period=in_period(consultation, received_at), state=state,
        entered_by_id=actor.id if actor else None,
        **{**values, "received_at": received_at})
    if not comment.consent:
        comment.consent = "anonymous"
    session.add(comment)
    if state == "published":
        document.bump()
    if audited:
        session.flush()
        audit.record(session, actor, "comment.enter", comment, None, _comment_snapshot(comment))
    return comment


def _comment_snapshot(comment: Comment) -> dict:
    return {"channel": comment.channel, "clause_key": comment.clause_key,
            "hearing_id": comment.hearing_id, "document_id": comment.document_id,
            "body": comment.body, "author_name": comment.author_name,
            "organisation": comment.organisation, "category": comment.category,
            "gender": comment.gender, "language": comment.language,
            "consent": comment.consent, "state": comment.state}


def hearing_received_at(hearing: Hearing) -> datetime:
    """What was said at a hearing was received when the hearing took place."""
    now = utcnow()
    if hearing.starts_at is not None and hearing.starts_at <= now:
        return hearing.starts_at
    return now


def add_hearing_comment(session: Session, hearing: Hearing, document: Document,
                        values: dict, actor: User | None) -> Comment:
    """One speaker's contribution typed in during or after the hearing."""
    if hearing.entry_closed:
        raise ValueError(str(_l("This hearing is closed for entry.")))
    consultation = session.get(Consultation, hearing.consultation_id)
    values = dict(values, hearing_id=hearing.id, received_at=hearing_received_at(hearing))
    clause_key = values.pop("clause_key")
    return new_comment(session, consultation, document, clause_key, values, actor)


def update_hearing_comment(session: Session, comment: Comment, document: Document,
                           values: dict, actor: User | None) -> Comment:
    """Correct a contribution while its hearing is open for entry; audited."""
    if comment.hearing is None or comment.hearing.entry_closed:
        raise ValueError(str(_l("This hearing is closed for entry.")))
    before = _comment_snapshot(comment)
    clause_key = values.pop("clause_key")
    clause_id = session.scalar(select(Clause.id).where(
        Clause.version_id == document.current_version_id, Clause.key == clause_key))
    if clause_id is None:
        raise ValueError(str(_l("There is no clause %(key)s in this document.", key=clause_key)))
    comment.document_id, comment.version_id = document.id, document.current_version_id
    comment.clause_id, comment.clause_key = clause_id, clause_key
    for name, value in values.items():
        setattr(comment, name, value)
    if comment.state == "published":
        document.bump()
    session.flush()
    audit.record(session, actor, "comment.edit", comment, before, _comment_snapshot(comment))
    return comment


def hearing_comments(session: Session, hearing: Hearing) -> list[Comment]:
    return list(session.scalars(select(Comment).where(Comment.hearing_id == hearing.id)
                                .options(selectinload(Comment.document))
                                .order_by(Comment.id.desc())))


# ------------------------------------------------------------------ the offline kit

def vocabulary(lang: str) -> kit.Vocabulary:
    """The kit's restricted values: labels in ``lang``, any language or code accepted."""
    sources = {"category": (CATEGORIES, CATEGORY_LABELS), "gender": (GENDERS, GENDER_LABELS),
               "channel": (HEARING_CHANNELS, CHANNEL_LABELS)}
    labels: dict[str, list[tuple[str, str]]] = {}
    accepted: dict[str, dict[str, str]] = {}
    from ..i18n import LANGUAGE_NAMES
    for column, (codes, names) in sources.items():
        accepted[column] = {code.lower(): code for code in codes}
        for other in LANGUAGES:
            with force_locale(other):
                accepted[column].update({str(names[c]).lower(): c for c in codes})
        with force_locale(lang):
            labels[column] = [(c, str(names[c])) for c in codes]
    labels["language"] = [(c, LANGUAGE_NAMES[c]) for c in LANGUAGES]
    accepted["language"] = {c: c for c in LANGUAGES}
    accepted["language"].update({LANGUAGE_NAMES[c].lower(): c for c in LANGUAGES})
    return kit.Vocabulary(labels, accepted)


def column_labels() -> dict[str, str]:
    return {"document": str(_l("Document")), "clause": str(_l("Clause")),
            "speaker": str(_l("Speaker")), "organisation": str(_l("Organisation")),
            "category": str(_l("Category")), "gender": str(_l("Gender")),
            "language": str(_l("Language")), "channel": str(_l("Channel")),
            "comment": str(_l("Comment")), "": str(_l("File"))}


def problem_texts() -> dict[str, str]:
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


def kit_workbook(session: Session, hearing: Hearing, lang: str) -> bytes:
    """The offline kit of ``hearing`` with labels in ``lang``."""
    consultation = session.get(Consultation, hearing.consultation_id)
    documents = []
    for document in consultation_documents(session, consultation):
        version = session.get(DocumentVersion, document.current_version_id)
        clauses = session.scalars(select(Clause).where(Clause.version_id == version.id)
                                  .order_by(Clause.position))
        documents.append(kit.KitDocument(document.slug, pick(version.title, lang)[0], [
            kit.KitClause(c.key, c.text.get("ky", ""), c.text.get("ru", "")) for c in clauses]))
    when = to_local(hearing.starts_at).strftime("%d.%m.%Y %H:%M") if hearing.starts_at else ""
    with force_locale(lang):
        texts = {**column_labels(), "hearing": str(_l("Hearing")), "city": str(_l("City")),
                 "date": str(_l("Date and time")), "venue": str(_l("Venue")),
                 "text_ky": str(_l("Text (Kyrgyz)")), "text_ru": str(_l("Text (Russian)")),
                 "instructions": str(_l(
                     "One row per speaker contribution on the Comments sheet.\n"
                     "Document and Clause: choose from the lists (see the Clauses sheet).\n"
                     "Speaker and Organisation may stay empty.\n"
                     "Category, Gender, Language and Channel: choose from the lists; empty "
                     "means individual, not stated, the hearing's first language, oral.\n"
                     "Upload the file on the hearing's page; every row is checked first and "
                     "nothing is imported until all rows are correct. Uploading it again "
                     "adds nothing twice."))}
        return kit.build_kit(
            kit.KitHearing(hearing.id, hearing.city_name(lang), when,
                           pick(hearing.venue, lang)[0]),
            documents, vocabulary(lang), texts)


@dataclass
class ImportOutcome:
    added: int = 0
    skipped: int = 0
    already: bool = False  # the very same file was imported before
    problems: list[kit.Problem] = field(default_factory=list)


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
    sheets = read_xlsx(data, sheets=("Comments",), max_columns=len(kit.COLUMNS))
    if "Comments" not in sheets:
        raise UploadError(_l("The workbook has no Comments sheet: use the hearing kit."))
    consultation = session.get(Consultation, hearing.consultation_id)
    index = clause_index(session, consultation)
    default_language = (hearing.languages or "ky").split(",")[0].strip() or "ky"
    if default_language not in LANGUAGES:
        default_language = "ky"
    records, problems = kit.parse_kit(
        sheets["Comments"], hearing.id, {slug: set(keys) for slug, keys in index.items()},
        vocabulary("en"), default_language, problem_texts())
    if problems:
        return ImportOutcome(problems=problems)
    outcome = ImportOutcome()
    existing = set(session.scalars(select(Comment.source_ref).where(
        Comment.source_ref.like(f"kit:{hearing.id}:%"))))
    documents = {d.slug: d for d in consultation_documents(session, consultation)}
    received_at = hearing_received_at(hearing)
    state = "published" if consultation.moderation == "post" else "new"
    now = utcnow()
    rows = []
    for record in records:
        ref = f"kit:{hearing.id}:{record.key}"
        if ref in existing:
            outcome.skipped += 1
            continue
        existing.add(ref)
        document = documents[record.document]
        # One executemany instead of 5,000 ORM objects: a full kit imports in seconds.
        rows.append({
            "consultation_id": consultation.id, "document_id": document.id,
            "version_id": document.current_version_id,
            "clause_id": index[record.document][record.clause], "clause_key": record.clause,
            "channel": record.channel, "hearing_id": hearing.id, "language": record.language,
            "body": record.body, "author_name": record.speaker,
            "organisation": record.organisation, "category": record.category,
            "gender": record.gender, "consent": "anonymous",
            "receipt_code": secrets.token_urlsafe(12), "received_at": received_at,
            "in_period": in_period(consultation, received_at), "state": state,
            "source_ref": ref, "entered_by_id": actor.id if actor else None,
            "created_at": now, "updated_at": now})
        if state == "published":
            document.bump()
    if rows:
        session.execute(insert(Comment), rows)
    outcome.added = len(rows)
    _batch(session, "hearing-kit", str(hearing.id), digest, filename, outcome, actor)
    return outcome


def _batch(session: Session, kind: str, target: str, digest: str, filename: str,
           outcome: ImportOutcome, actor: User | None) -> ImportBatch:
    batch = ImportBatch(kind=kind, target=target, sha256=digest, filename=filename[:255],
                        rows=outcome.added, user_id=actor.id if actor else None)
    session.add(batch)
    session.flush()
    audit.record(session, actor, f"import.{kind}", batch, None,
                 {"target": target, "sha256": digest, "filename": batch.filename,
                  "added": outcome.added, "skipped": outcome.skipped})
    return batch


# ------------------------------------------------------------------ online-form exports

def pending_folder(instance_path: str) -> Path:
    folder = Path(instance_path) / "pending-imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def read_export(data: bytes, filename: str) -> list[Row]:
    """The rows of an online-form export (.xlsx or .csv); raises UploadError."""
    if data.startswith(b"PK\x03\x04") or filename.lower().endswith((".xlsx", ".xlsm")):
        sheets = read_xlsx(data)
        return next(iter(sheets.values()), [])
    return read_csv(data)


def keep_pending(folder: Path, data: bytes, filename: str) -> str:
    """Keep an uploaded export between the upload and the import steps; returns its key."""
    rows = read_export(data, filename)  # refuse a bad file at once, not at the last step
    if len(rows) < 2:
        raise UploadError(_l("The file has a header row but no data rows."))
    digest = sha256(data)
    suffix = ".xlsx" if data.startswith(b"PK\x03\x04") else ".csv"
    (folder / f"{digest}{suffix}").write_bytes(data)
    return digest


def load_pending(folder: Path, digest: str) -> tuple[bytes, str] | None:
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        return None
    for suffix in (".xlsx", ".csv"):
        path = folder / f"{digest}{suffix}"
        if path.exists():
            return path.read_bytes(), path.name
    return None


DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M",
                "%Y-%m-%d", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y",
                # Google Forms writes month/day/year
                "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y")


def parse_date(value) -> datetime | None:
    """A date from an export cell (a real date, or text in a common format), local time."""
    if isinstance(value, datetime):
        return value
    text = str(value or "").strip()
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


@dataclass
class ExportRecord:
    row: int
    clause: str | None
    body: str
    name: str
    organisation: str
    received_local: datetime | None


def map_export(rows: list[Row], mapping: dict[str, int | None], clause_keys: set[str]
               ) -> tuple[list[ExportRecord], list[kit.Problem]]:
    """Apply the column mapping (field -> column index) to the data rows; check each."""
    texts = problem_texts()
    records, problems = [], []
    for row in rows[1:]:
        def cell(name):
            index = mapping.get(name)
            if index is None or index >= len(row.values) or row.values[index] is None:
                return ""
            return row.values[index]
        clause = kit._cell_text(cell("clause")) or None
        body = kit._cell_text(cell("comment"))
        raw_date = cell("date")
        received = parse_date(raw_date) if raw_date != "" else None
        before = len(problems)
        if clause is not None and clause not in clause_keys:
            problems.append(kit.Problem(row.number, "clause", texts["unknown_clause"]))
        if not body:
            problems.append(kit.Problem(row.number, "comment", texts["empty_comment"]))
        elif len(body) > kit.MAX_COMMENT:
            problems.append(kit.Problem(row.number, "comment",
                                        texts["too_long"].format(n=kit.MAX_COMMENT)))
        if raw_date != "" and received is None:
            problems.append(kit.Problem(row.number, "date", str(_l("Not a date."))))
        if len(problems) == before:
            records.append(ExportRecord(row.number, clause, body,
                                        kit._cell_text(cell("name"))[:200],
                                        kit._cell_text(cell("organisation"))[:300], received))
    return records, problems


def import_export(session: Session, document: Document, records: list[ExportRecord],
                  language: str, digest: str, filename: str, actor: User | None
                  ) -> ImportOutcome:
    """Import mapped form-export rows (channel form-import, original dates); idempotent."""
    from ..timeutil import from_local
    consultation = session.get(Consultation, document.consultation_id)
    index = clause_index(session, consultation)[document.slug]
    outcome = ImportOutcome()
    seen: dict[str, int] = {}
    for record in records:
        base = "\x1f".join((document.slug, record.clause or "", record.body, record.name,
                            record.received_local.isoformat() if record.received_local else ""))
        seen[base] = seen.get(base, -1) + 1
        ref = "form:" + hashlib.sha256(f"{base}\x1f{seen[base]}".encode()).hexdigest()[:48]
        if session.scalar(select(Comment.id).where(Comment.source_ref == ref)):
            outcome.skipped += 1
            continue
        received = from_local(record.received_local) if record.received_local else utcnow()
        new_comment(session, consultation, document, record.clause, {
            "channel": "form-import", "language": language, "body": record.body,
            "author_name": record.name, "organisation": record.organisation,
            "received_at": received, "source_ref": ref},
            actor, clause_id=index.get(record.clause) if record.clause else None, audited=False)
        outcome.added += 1
    if not session.scalar(select(ImportBatch.id).where(
            ImportBatch.kind == "form-export", ImportBatch.target == document.slug[:80],
            ImportBatch.sha256 == digest)):
        _batch(session, "form-export", document.slug[:80], digest, filename, outcome, actor)
    else:
        session.flush()
    return outcome


# ------------------------------------------------------------------ letters and e-mails

def split_keys(text: str) -> list[str]:
    """Clause keys as typed: ``5, 7 annex-1.2`` -> ["5", "7", "annex-1.2"] (order kept)."""
    keys = []
    for key in re.split(r"[\s,;]+", text or ""):
        if key and key not in keys:
            keys.append(key)
    return keys


def add_letter(session: Session, document: Document, clause_keys: list[str], values: dict,
               actor: User | None) -> list[Comment]:
    """A letter or e-mail as comments, one per clause it addresses (none: whole document).

    A letter received after the period closed is kept, flagged not in period."""
    consultation = session.get(Consultation, document.consultation_id)
    return [new_comment(session, consultation, document, key, dict(values), actor)
            for key in (clause_keys or [None])]


# ------------------------------------------------------------------ statistics

def statistics(session: Session, consultation: Consultation) -> dict:
    """Comments and attendance per hearing, by gender and by category."""
    hearings = list(session.scalars(select(Hearing).where(
        Hearing.consultation_id == consultation.id)
        .order_by(Hearing.starts_at.is_(None), Hearing.starts_at, Hearing.id)))
    counts = {hid: n for hid, n in session.execute(
        select(Comment.hearing_id, func.count()).where(Comment.hearing_id.is_not(None))
        .group_by(Comment.hearing_id))}
    base = select(func.count()).where(Comment.consultation_id == consultation.id,
                                      Comment.hearing_id.is_not(None))
    by_gender = dict(session.execute(
        select(Comment.gender, func.count()).where(Comment.consultation_id == consultation.id,
                                                  Comment.hearing_id.is_not(None))
        .group_by(Comment.gender)).all())
    by_category = dict(session.execute(
        select(Comment.category, func.count()).where(Comment.consultation_id == consultation.id,
                                                    Comment.hearing_id.is_not(None))
        .group_by(Comment.category)).all())
    attendance_by_category: dict[str, int] = {c: 0 for c in CATEGORIES}
    for hearing in hearings:
        for code, number in (hearing.attendance_by_category or {}).items():
            if code in attendance_by_category and isinstance(number, int):
                attendance_by_category[code] += number
    return {
        "hearings": [{"hearing": h, "comments": counts.get(h.id, 0),
                      "total": h.attendance_total or 0, "women": h.attendance_women or 0,
                      "men": h.attendance_men or 0, "unstated": h.attendance_unstated or 0}
                     for h in hearings],
        "comments_total": session.scalar(base) or 0,
        "comments_by_gender": {g: by_gender.get(g, 0) for g in GENDERS},
        "comments_by_category": {c: by_category.get(c, 0) for c in CATEGORIES},
        "attendance_by_category": attendance_by_category,
        "attendance_by_gender": {
            "female": sum(h.attendance_women or 0 for h in hearings),
            "male": sum(h.attendance_men or 0 for h in hearings),
            "unstated": sum(h.attendance_unstated or 0 for h in hearings)},
    }
