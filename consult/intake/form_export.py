"""The imported-form channel: exports of online forms (Google Forms, KoBo, ...) as CSV or
XLSX, mapped column by column, previewed, then imported with their original dates.

An upload is kept in the instance folder between the upload and the import steps and
swept after a day. Importing the same rows again adds nothing (each row's content is its
source reference).
"""
from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..cache import lru
from ..comments.intake import NewComment, record_comments, target_for
from ..core.spreadsheets import Problem
from ..core.time import from_local
from ..core.uploads import Row, UploadError, read_csv, read_xlsx, sha256
from ..drafts import revisions
from ..hearings.kit import MAX_COMMENT
from ..models import Clause, Document, ImportBatch, User
from .kit import ImportOutcome, cell_text, problem_texts, record_batch

# An export of up to 10,000 answers to a form of up to 40 questions.
MAX_ROWS = 10_000
MAX_COLUMNS = 40
_read = lru("intake.exports", 4)
PENDING_FOLDER = "pending-imports"
PENDING_LIFETIME = 24 * 3600  # seconds an upload waits for its import step
MAPPED_FIELDS = ("clause", "comment", "name", "organisation", "date")
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M",
                "%Y-%m-%d", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y",
                # Google Forms writes month/day/year
                "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y")


def pending_folder(instance_path: str) -> Path:
    folder = Path(instance_path) / PENDING_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sweep_pending(folder: Path, now: float | None = None) -> int:
    """Delete uploads older than a day that were never imported; returns how many."""
    limit = (now or time.time()) - PENDING_LIFETIME
    swept = 0
    for path in folder.glob("*"):
        try:
            if path.is_file() and path.stat().st_mtime < limit:
                path.unlink()
                swept += 1
        except FileNotFoundError:  # another worker swept it first
            continue
    return swept


def read_export(data: bytes, filename: str) -> list[Row]:
    """The rows of an online-form export (.xlsx or .csv); raises UploadError. Read once per
    file and worker: the mapping page is shown several times for one upload."""
    digest = sha256(data)
    rows = _read.get(digest)
    if rows is None:
        if data.startswith(b"PK\x03\x04") or filename.lower().endswith((".xlsx", ".xlsm")):
            sheets = read_xlsx(data, max_rows=MAX_ROWS, max_columns=MAX_COLUMNS)
            rows = next(iter(sheets.values()), [])
        else:
            rows = read_csv(data, max_rows=MAX_ROWS, max_columns=MAX_COLUMNS)
        _read.set(digest, rows)
    return rows


def keep_pending(folder: Path, data: bytes, filename: str) -> str:
    """Keep an uploaded export between the upload and the import steps; returns its key."""
    sweep_pending(folder)
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


def map_export(rows: list[Row], mapping: dict[str, int | None],
               clause_keys: Callable[[datetime | None], set[str]]
               ) -> tuple[list[ExportRecord], list[Problem]]:
    """Apply the column mapping (field -> column index) to the data rows; check each.
    ``clause_keys(received_local)``: the keys of the version published on a row's date."""
    texts = problem_texts()
    records, problems = [], []
    for row in rows[1:]:
        def cell(name, row=row):
            index = mapping.get(name)
            if index is None or index >= len(row.values) or row.values[index] is None:
                return ""
            return row.values[index]
        clause = cell_text(cell("clause")) or None
        body = cell_text(cell("comment"))
        raw_date = cell("date")
        received = parse_date(raw_date) if raw_date != "" else None
        before = len(problems)
        if clause is not None and clause not in clause_keys(received):
            problems.append(Problem(row.number, "clause", texts["unknown_clause"]))
        if not body:
            problems.append(Problem(row.number, "comment", texts["empty_comment"]))
        elif len(body) > MAX_COMMENT:
            problems.append(Problem(row.number, "comment",
                                    texts["too_long"].format(n=MAX_COMMENT)))
        if raw_date != "" and received is None:
            problems.append(Problem(row.number, "date", str(_l("Not a date."))))
        if len(problems) == before:
            records.append(ExportRecord(row.number, clause, body,
                                        cell_text(cell("name"))[:200],
                                        cell_text(cell("organisation"))[:300], received))
    return records, problems


def clause_keys(session: Session, document: Document) -> Callable[[datetime | None], set[str]]:
    """A row's date (local) -> the clause keys of the version the public read that day."""
    by_version: dict[int, set[str]] = {}

    def keys_at(received_local: datetime | None) -> set[str]:
        at = from_local(received_local) if received_local else None
        version = revisions.version_at(session, document, at) if at else None
        version_id = version.id if version is not None else document.current_version_id
        if version_id not in by_version:
            by_version[version_id] = set(session.scalars(
                select(Clause.key).where(Clause.version_id == version_id)))
        return by_version[version_id]
    return keys_at


def import_export(session: Session, document: Document, records: list[ExportRecord],
                  language: str, digest: str, filename: str, actor: User | None
                  ) -> ImportOutcome:
    """Import mapped form-export rows (channel form-import, original dates); idempotent."""
    seen: dict[str, int] = {}
    entries = []
    for record in records:
        base = "\x1f".join((document.slug, record.clause or "", record.body, record.name,
                            record.received_local.isoformat() if record.received_local else ""))
        seen[base] = seen.get(base, -1) + 1
        ref = "form:" + hashlib.sha256(f"{base}\x1f{seen[base]}".encode()).hexdigest()[:48]
        received_at = from_local(record.received_local) if record.received_local else None
        entries.append((target_for(session, document, record.clause, at=received_at),
                        NewComment(channel="form-import", body=record.body, language=language,
                                   author_name=record.name, organisation=record.organisation,
                                   received_at=received_at,
                                   source_ref=ref)))
    outcome = ImportOutcome()
    for recorded in record_comments(session, entries, actor):
        if recorded.created:
            outcome.added += 1
        else:
            outcome.skipped += 1
    if not session.scalar(select(ImportBatch.id).where(
            ImportBatch.kind == "form-export", ImportBatch.target == document.slug[:80],
            ImportBatch.sha256 == digest)):
        record_batch(session, "form-export", document.slug[:80], digest, filename, outcome,
                     actor)
    return outcome
