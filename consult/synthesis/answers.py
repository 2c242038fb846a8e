"""Answers typed into a synthesis workbook -> validated updates -> ``save_answer``.

The upload is checked like every other (``consult.uploads``) before any XML is parsed.
Every row is validated before anything is written: one bad row and nothing is applied,
so a drafter fixes the file and uploads it again, never half of it. A row whose answer
was changed on the site after the workbook was exported, and which says something else,
is a conflict: it is reported and left alone (the online answer is newer than what the
drafter saw). Rows saying what the site already says are skipped.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime

import openpyxl
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased, selectinload

from .. import audit
from ..config import LANGUAGES, TIMEZONE
from ..labels import STATUS_LABELS
from ..models import STATUSES, Comment, Response, User
from ..timeutil import from_local
from ..uploads import UploadError, check_xlsx, clean_value, sha256
from .rows import COLUMNS
from .services import AnswerConflict, AnswerInvalid, save_answer, validate_answer
from .workbook import EXPORTED_AT, sheet_titles

# A workbook of 100,000 comments is about 15 MB; this leaves room and stops abuse.
MAX_ANSWER_BYTES = 40 * 1024 * 1024
MAX_ANSWER_ROWS = 250_000
CHUNK = 1000
ANSWER_FIELDS = ("status", "rationale", "change")
# Fields of save_answer's messages -> the columns a drafter sees.
FIELD_COLUMNS = {"status": "status", "rationale": "rationale", "change": "change"}


@dataclass
class Problem:
    row: int
    column: str
    message: str


@dataclass
class Conflict:
    row: int
    comment_id: int
    in_file: tuple[str, str, str]
    on_site: tuple[str, str, str]
    changed_at: datetime | None


@dataclass
class Applied:
    row: int
    comment_id: int
    status: str


@dataclass
class Outcome:
    """What an upload did: applied rows, conflicts, problems (then nothing was applied)."""
    applied: list[Applied] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _Row:
    number: int
    comment_id: int
    status: str
    rationale: str
    change: str


def _vocabulary() -> tuple[dict[str, str], dict[str, str], set[str], set[str]]:
    """Header labels, status labels (all languages) -> codes; sheet names; export-time labels."""
    headers, statuses, sheets, exported = {}, {}, {"comments": set(), "about": set()}, set()
    for lang in LANGUAGES:
        with force_locale(lang):
            for code, label in COLUMNS:
                headers[_key(str(label))] = code
            for code in STATUSES:
                statuses[_key(str(STATUS_LABELS[code]))] = code
            titles = sheet_titles(lang)
            sheets["comments"].add(titles["comments"])
            sheets["about"].add(titles["about"])
            exported.add(_key(str(EXPORTED_AT)))
    for code in STATUSES:
        statuses[_key(code)] = code
    return headers, statuses, sheets, exported


def _key(text: str) -> str:
    """How a header or label is compared: trimmed, case-folded, without the time zone."""
    text = " ".join(str(text).split()).casefold()
    suffix = f" ({TIMEZONE})".casefold()
    return text[: -len(suffix)] if text.endswith(suffix) else text


def _text(value) -> str:
    value = clean_value(value)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def read_answers(data: bytes) -> tuple[datetime | None, list[_Row], list[Problem]]:
    """Parse an uploaded synthesis workbook: export time, answer rows, problems.

    Raises UploadError for a file that is not a safe .xlsx workbook.
    """
    assert openpyxl.DEFUSEDXML, "defusedxml must be installed to read uploads"
    check_xlsx(data, MAX_ANSWER_BYTES)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False,
                                          keep_links=False)
    except Exception:  # any parser failure is a bad file, never a 500
        raise UploadError(_("The workbook could not be read; save it again as .xlsx "
                            "and retry.")) from None
    try:
        return _read(workbook)
    except UploadError:
        raise
    except Exception:
        raise UploadError(_("The workbook could not be read; save it again as .xlsx "
                            "and retry.")) from None
    finally:
        workbook.close()


def _find_sheet(workbook, names: set[str], position: int):
    for name in workbook.sheetnames:
        if name in names:
            return workbook[name]
    if len(workbook.sheetnames) > position:
        return workbook.worksheets[position]
    return None


def _read(workbook) -> tuple[datetime | None, list[_Row], list[Problem]]:
    headers, statuses, sheets, exported_labels = _vocabulary()
    about = _find_sheet(workbook, sheets["about"], 0)
    comments = _find_sheet(workbook, sheets["comments"], 1)
    if comments is None:
        raise UploadError(_("The workbook has no Comments sheet; upload a synthesis "
                            "workbook exported from this site."))
    exported_at = _exported_at(about, exported_labels) if about is not None else None
    if exported_at is None:
        raise UploadError(_("The About sheet does not say when the workbook was exported; "
                            "upload a synthesis workbook exported from this site."))
    rows = comments.iter_rows(values_only=True)
    header_row = next(rows, None) or ()
    columns: dict[str, int] = {}
    for index, value in enumerate(header_row):
        code = headers.get(_key(value)) if value is not None else None
        if code is not None and code not in columns:
            columns[code] = index
    labels = dict(COLUMNS)
    missing = [code for code in ("comment_id", *ANSWER_FIELDS) if code not in columns]
    if missing:
        return exported_at, [], [Problem(1, str(labels[code]), _("This column is missing."))
                                 for code in missing]
    return (exported_at, *_answer_rows(rows, columns, statuses, labels))


def _answer_rows(rows, columns, statuses, labels) -> tuple[list[_Row], list[Problem]]:
    found: list[_Row] = []
    problems: list[Problem] = []
    width = max(columns.values()) + 1
    id_col, status_col = columns["comment_id"], columns["status"]
    rationale_col, change_col = columns["rationale"], columns["change"]
    for number, values in enumerate(rows, start=2):
        if number > MAX_ANSWER_ROWS + 1:
            raise UploadError(_("The sheet has too many rows (at most %(n)s).",
                                n=MAX_ANSWER_ROWS))
        values = tuple(values[:width]) + (None,) * (width - len(values))
        status_text = _text(values[status_col])
        rationale, change = _text(values[rationale_col]), _text(values[change_col])
        raw_id = values[id_col]
        if raw_id is None or raw_id == "":
            if status_text or rationale or change:
                problems.append(Problem(number, str(labels["comment_id"]),
                                        _("An answer without a comment ID.")))
            continue
        comment_id = _comment_id(raw_id)
        if comment_id is None:
            problems.append(Problem(number, str(labels["comment_id"]),
                                    _("Not a comment ID: %(value)s", value=_text(raw_id))))
            continue
        if not (status_text or rationale or change):
            continue  # not answered in the file: nothing to do
        status = statuses.get(_key(status_text)) if status_text else ""
        if status is None:
            problems.append(Problem(number, str(labels["status"]), _(
                "Not a response status from the list: %(value)s", value=status_text)))
            continue
        try:
            status, rationale, change = validate_answer(status, rationale, change)
        except AnswerInvalid as invalid:
            for name, message in invalid.messages.items():
                problems.append(Problem(number, str(labels[FIELD_COLUMNS.get(name, name)]),
                                        message))
            continue
        found.append(_Row(number, comment_id, status, rationale, change))
    return found, problems


def _comment_id(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return int(value) if value.is_integer() and value > 0 else None
    if isinstance(value, int):
        return value if value > 0 else None
    text = str(value).strip()
    return int(text) if text.isdigit() else None


def _exported_at(about, labels: set[str]) -> datetime | None:
    for number, values in enumerate(about.iter_rows(max_col=3, values_only=True), start=1):
        if number > 60:
            break
        if values and values[0] is not None and _key(values[0]) in labels:
            utc_text = values[2] if len(values) > 2 else None
            if isinstance(utc_text, str):
                try:
                    return datetime.fromisoformat(utc_text.strip().rstrip("Z"))
                except ValueError:
                    pass
            if isinstance(values[1], datetime):
                return from_local(values[1])
    return None


def _current_answers(session: Session, ids: list[int]) -> dict[int, tuple]:
    """comment id -> (group id, (status, rationale, change), revision, updated_at) or absent."""
    own, shared = aliased(Response), aliased(Response)
    found = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        query = (select(Comment.id, Comment.group_id, own.status, own.rationale, own.change,
                        own.revision, own.updated_at, shared.status, shared.rationale,
                        shared.change, shared.revision, shared.updated_at)
                 .outerjoin(own, own.comment_id == Comment.id)
                 .outerjoin(shared, (shared.group_id == Comment.group_id)
                            & Comment.group_id.is_not(None))
                 .where(Comment.id.in_(chunk)))
        for rec in session.execute(query):
            answer = rec[7:12] if rec.group_id is not None else rec[2:7]
            current = None
            if answer[0] is not None:
                current = (tuple(answer[:3]), answer[3], answer[4])
            found[rec.id] = (rec.group_id, current)
    return found


def plan_answers(session: Session, rows: list[_Row], exported_at: datetime
                 ) -> tuple[list[tuple[_Row, int | None]], Outcome]:
    """Decide for every valid row: apply (with its base revision), conflict, or unchanged."""
    outcome = Outcome()
    labels = dict(COLUMNS)
    current = _current_answers(session, sorted({row.comment_id for row in rows}))
    seen_comment: dict[int, int] = {}
    seen_owner: dict[tuple, _Row] = {}
    plan: list[tuple[_Row, int | None]] = []
    for row in rows:
        if row.comment_id not in current:
            outcome.problems.append(Problem(row.number, str(labels["comment_id"]), _(
                "No comment has the ID %(id)s.", id=row.comment_id)))
            continue
        if row.comment_id in seen_comment:
            outcome.problems.append(Problem(row.number, str(labels["comment_id"]), _(
                "The same comment ID is on row %(row)s too.", row=seen_comment[row.comment_id])))
            continue
        seen_comment[row.comment_id] = row.number
        group_id, answer = current[row.comment_id]
        owner = ("group", group_id) if group_id is not None else ("comment", row.comment_id)
        values = (row.status, row.rationale, row.change)
        if answer is not None and answer[0] == values:
            outcome.unchanged += 1
            continue
        if owner in seen_owner:
            # Members of one duplicate group share one answer: rows changing it must agree.
            first = seen_owner[owner]
            if (first.status, first.rationale, first.change) != values:
                outcome.problems.append(Problem(row.number, str(labels["status"]), _(
                    "This comment is in group %(group)s with row %(row)s, which has another "
                    "answer; one answer applies to the whole group.",
                    group=group_id, row=first.number)))
            continue
        seen_owner[owner] = row
        if answer is not None and answer[2] is not None and answer[2] > exported_at:
            outcome.conflicts.append(Conflict(row.number, row.comment_id, values, answer[0],
                                              answer[2]))
            continue
        plan.append((row, answer[1] if answer is not None else None))
    return plan, outcome


def apply_answers(session: Session, data: bytes, actor: User | None,
                  filename: str = "") -> Outcome:
    """Validate the whole uploaded workbook, then apply its answers in the session.

    Nothing is applied when any row has a problem. Conflicting rows are reported and
    skipped; the rest go through ``save_answer`` with the revision read just now, so a
    save racing this upload is refused there too. The caller commits when ``ok``, else
    rolls back. Raises UploadError for a file that is not a safe workbook.
    """
    exported_at, rows, problems = read_answers(data)
    plan, outcome = plan_answers(session, rows, exported_at)
    if problems or outcome.problems:
        # Every problem of the file at once, in row order, so one correction pass suffices.
        return Outcome(problems=sorted(problems + outcome.problems, key=lambda p: p.row))
    comments = _load_comments(session, [row.comment_id for row, _base in plan])
    labels = dict(COLUMNS)
    for row, base_revision in plan:
        try:
            save_answer(session, comments[row.comment_id], row.status, row.rationale,
                        row.change, actor, base_revision)
        except AnswerConflict as conflict:
            current = conflict.current
            outcome.conflicts.append(Conflict(
                row.number, row.comment_id, (row.status, row.rationale, row.change),
                (current.status, current.rationale, current.change) if current else ("", "", ""),
                current.updated_at if current else None))
            continue
        except AnswerInvalid as invalid:  # validated above; kept for safety, applies nothing
            outcome.problems += [Problem(row.number, str(labels[FIELD_COLUMNS.get(k, k)]), m)
                                 for k, m in invalid.messages.items()]
            outcome.applied.clear()
            return outcome
        outcome.applied.append(Applied(row.number, row.comment_id, row.status))
    if actor is not None:
        audit.record(session, actor, "answers.upload", actor, after={
            "filename": filename, "sha256": sha256(data), "applied": len(outcome.applied),
            "conflicts": len(outcome.conflicts), "unchanged": outcome.unchanged})
    session.flush()
    return outcome


def _load_comments(session: Session, ids: list[int]) -> dict[int, Comment]:
    found = {}
    for start in range(0, len(ids), CHUNK):
        # Documents and groups preloaded: save_answer bumps one and may attach to the other.
        for comment in session.scalars(select(Comment).where(
                Comment.id.in_(ids[start:start + CHUNK])).options(
                selectinload(Comment.document), selectinload(Comment.group))):
            found[comment.id] = comment
    return found
