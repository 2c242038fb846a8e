"""Answers typed into a synthesis workbook -> validated, set-wise updates of ``response``.

The upload is checked like every other (``consult.uploads``) before any XML is parsed.
Every row is validated before anything is written: one bad row and nothing is applied,
so a drafter fixes the file and uploads it again, never half of it. A row whose answer
was changed on the site after the workbook was exported, and which says something else,
is a conflict: it is reported and left alone (the online answer is newer than what the
drafter saw). Rows saying what the site already says are skipped.

A workbook holds every comment (100,000 and more), so the answers are applied set-wise,
with the guarantees of ``answers.save_answer`` (which the single-answer form uses): the
rules of ``validate_answer``, one answer per duplicate group, a revision check in every
UPDATE (a save on the site between our read and our write is a conflict, never
overwritten), one ``response.save`` audit event per changed answer with before and after.

Rows are read first (``read_answers``: the file alone), then checked against the site
(``plan_answers``): every changed row is validated there, once its comment's document is
known, since a change must name a clause of that document (keys fetched once per
document for the whole file). The language of the uploaded rationales and changes is the
language the workbook was exported in, read from the label of its "Exported at" row on
the About sheet; when that label does not tell (catalogs with the same words in two
languages, a workbook made by hand) it is the language of the page the file is uploaded
from.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime

import openpyxl
from flask import current_app, has_app_context
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from .. import audit
from ..core import languages
from ..core.spreadsheets import Problem
from ..core.time import TIMEZONE, from_local, utcnow
from ..core.uploads import UploadError, check_xlsx, clean_value, sha256
from ..core.vocab import STATUSES
from ..i18n import current_lang
from ..models import Comment, Response, User
from .answers import (
    FINAL,
    AnswerInvalid,
    decided_documents,
    document_clause_keys,
    normalise,
    validate_answer,
)
from .rows import COLUMNS
from .workbook import EXPORTED_AT, sheet_titles

# Defaults of ANSWERS_MAX_BYTES / ANSWERS_MAX_ROWS: a workbook of 100,000 comments is
# about 15 MB; this leaves room and stops abuse.
MAX_ANSWER_BYTES = 64 * 1024 * 1024
MAX_ANSWER_ROWS = 500_000
# A genuine workbook unpacks to about 8 times its size (text XML); the zip-bomb ratio
# check of check_xlsx applies besides.
UNCOMPRESSED_PER_BYTE = 20
# Rows allowed beyond one per comment (the header, rows a drafter added by mistake: they
# are reported by row rather than refused as a whole).
ROW_SLACK = 1000
CHUNK = 1000
# Cells of a genuine workbook per comment: its Comments row, and at most a row of the
# Moderation sheet and of the small summaries.
CELLS_PER_COMMENT = len(COLUMNS) + 12
# Write attempts when answers keep changing on the site during an upload.
MAX_ATTEMPTS = 5
ANSWER_FIELDS = ("status", "rationale", "change")
# Fields of save_answer's messages -> the columns a drafter sees.
FIELD_COLUMNS = {"status": "status", "rationale": "rationale", "change": "change"}




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
    language: str = ""  # of rationale and change; "" until apply_answers knows it


def _vocabulary() -> tuple[dict[str, str], dict[str, str], dict, dict[str, set[str]]]:
    """Header labels, status labels (all languages) -> codes; sheet names; export-time
    labels -> the languages they are written in."""
    headers, statuses, sheets, exported = {}, {}, {"comments": set(), "about": set()}, {}
    for lang in languages.codes():
        with force_locale(lang):
            for code, label in COLUMNS:
                headers[_key(str(label))] = code
            for code in STATUSES:
                statuses[_key(STATUSES.label(code))] = code
            titles = sheet_titles(lang)
            sheets["comments"].add(titles["comments"])
            sheets["about"].add(titles["about"])
            exported.setdefault(_key(str(EXPORTED_AT)), set()).add(lang)
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


def read_answers(data: bytes, *, limit: int | None = None, max_rows: int | None = None
                 ) -> tuple[datetime | None, list[_Row], list[Problem]]:
    """Parse an uploaded synthesis workbook: export time, answer rows, problems.

    Only what the file alone can tell is checked here (columns, comment IDs, statuses from
    the list); the rules of an answer are ``plan_answers``'s, with the document known.
    Each row's ``language`` is the export language when the About sheet tells it, else "".

    ``limit``: bytes of the file (default MAX_ANSWER_BYTES); ``max_rows``: rows of the
    Comments sheet below the header (default MAX_ANSWER_ROWS). Raises UploadError for a
    file that is not a safe .xlsx workbook or has too many rows.
    """
    assert openpyxl.DEFUSEDXML, "defusedxml must be installed to read uploads"
    limit = limit or MAX_ANSWER_BYTES
    max_rows = max_rows or MAX_ANSWER_ROWS
    # Every sheet of a genuine workbook has at most a row per comment (and Comments its
    # columns), so its cells are bounded before a single one is parsed.
    check_xlsx(data, limit, max_uncompressed=limit * UNCOMPRESSED_PER_BYTE,
               max_cells=(max_rows + ROW_SLACK) * CELLS_PER_COMMENT)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False,
                                          keep_links=False)
    except Exception:  # any parser failure is a bad file, never a 500
        raise UploadError(_("The workbook could not be read; save it again as .xlsx "
                            "and retry.")) from None
    try:
        return _read(workbook, max_rows)
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


def _read(workbook, max_rows: int) -> tuple[datetime | None, list[_Row], list[Problem]]:
    headers, statuses, sheets, exported_labels = _vocabulary()
    about = _find_sheet(workbook, sheets["about"], 0)
    comments = _find_sheet(workbook, sheets["comments"], 1)
    if comments is None:
        raise UploadError(_("The workbook has no Comments sheet; upload a synthesis "
                            "workbook exported from this site."))
    exported_at, language = (_exported_at(about, exported_labels) if about is not None
                             else (None, ""))
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
    found, problems = _answer_rows(rows, columns, statuses, labels, max_rows)
    for row in found:
        row.language = language
    return exported_at, found, problems


def _answer_rows(rows, columns, statuses, labels, max_rows: int
                 ) -> tuple[list[_Row], list[Problem]]:
    found: list[_Row] = []
    problems: list[Problem] = []
    width = max(columns.values()) + 1
    id_col, status_col = columns["comment_id"], columns["status"]
    rationale_col, change_col = columns["rationale"], columns["change"]
    for number, values in enumerate(rows, start=2):
        if number > max_rows + 1:
            raise UploadError(_("The sheet has too many rows (at most %(n)s).", n=max_rows))
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
        found.append(_Row(number, comment_id, status, normalise(rationale), normalise(change)))
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


def _exported_at(about, labels: dict[str, set[str]]) -> tuple[datetime | None, str]:
    """The export time of the About sheet, and the export language when its label says
    it (one language only), else ""."""
    for number, values in enumerate(about.iter_rows(max_col=3, values_only=True), start=1):
        if number > 60:
            break
        if values and values[0] is not None and _key(values[0]) in labels:
            written_in = labels[_key(values[0])]
            language = next(iter(written_in)) if len(written_in) == 1 else ""
            utc_text = values[2] if len(values) > 2 else None
            if isinstance(utc_text, str):
                try:
                    return datetime.fromisoformat(utc_text.strip().rstrip("Z")), language
                except ValueError:
                    pass
            if isinstance(values[1], datetime):
                return from_local(values[1]), language
    return None, ""



@dataclass(frozen=True)
class _Answer:
    """An answer as stored when the upload was checked."""
    id: int
    values: tuple[str, str, str]
    language: str
    revision: int
    updated_at: datetime | None
    comment_id: int | None
    group_id: int | None
    responder_id: int | None

    def snapshot(self) -> dict:
        """What the audit log keeps of an answer (as ``answers.snapshot``)."""
        status, rationale, change = self.values
        return {"status": status, "rationale": rationale, "change": change,
                "language": self.language, "revision": self.revision, "comment_id": self.comment_id,
                "group_id": self.group_id, "responder_id": self.responder_id}


@dataclass
class _Planned:
    """A row to apply: to its comment's own answer, or to its group's."""
    row: _Row
    group_id: int | None
    document_id: int
    answer: _Answer | None  # None: no answer yet, one is created

    @property
    def values(self) -> tuple[str, str, str]:
        return (self.row.status, self.row.rationale, self.row.change)

    @property
    def owner(self) -> dict:
        if self.group_id is not None:
            return {"comment_id": None, "group_id": self.group_id}
        return {"comment_id": self.row.comment_id, "group_id": None}


_ANSWER_COLUMNS = ("id", "status", "rationale", "change", "language", "revision",
                   "updated_at", "comment_id", "group_id", "responder_id")


def _answer(values) -> _Answer | None:
    rid, status, rationale, change, language, revision, updated_at, comment_id, group_id, \
        responder = values
    if rid is None:
        return None
    return _Answer(rid, (status, rationale, change), language or "", revision, updated_at,
                   comment_id, group_id, responder)


def _current_answers(session: Session, ids: list[int]) -> dict[int, tuple]:
    """comment id -> (group id, document id, the answer applying to it or None).

    A few queries whatever the size of the file: the ids go in chunks of CHUNK.
    """
    own, shared = aliased(Response), aliased(Response)
    columns = [getattr(own, name) for name in _ANSWER_COLUMNS] + \
              [getattr(shared, name) for name in _ANSWER_COLUMNS]
    width = len(_ANSWER_COLUMNS)
    found = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        query = (select(Comment.id, Comment.group_id, Comment.document_id, *columns)
                 .outerjoin(own, own.comment_id == Comment.id)
                 .outerjoin(shared, (shared.group_id == Comment.group_id)
                            & Comment.group_id.is_not(None))
                 .where(Comment.id.in_(chunk)))
        for rec in session.execute(query):
            answer = rec[3 + width:3 + 2 * width] if rec[1] is not None else rec[3:3 + width]
            found[rec[0]] = (rec[1], rec[2], _answer(answer))
    return found


def _broken_rules(row: _Row, clause_keys: set[str], labels: dict) -> list[Problem]:
    """A Problem per rule of ``validate_answer`` the row breaks (normalising it)."""
    try:
        row.status, row.rationale, row.change = validate_answer(
            row.status, row.rationale, row.change, clause_keys=clause_keys,
            language=row.language or None)
    except AnswerInvalid as invalid:
        return [Problem(row.number, str(labels.get(FIELD_COLUMNS.get(name), name)), message)
                for name, message in invalid.messages.items()]
    return []


def plan_answers(session: Session, rows: list[_Row], exported_at: datetime
                 ) -> tuple[list[_Planned], Outcome]:
    """Decide for every row: apply (against the answer read now), conflict, or unchanged.
    Problems (unknown IDs, repeated IDs, answers breaking a rule, group rows that
    disagree) go into the outcome. Rows saying what the site says are not checked again:
    they change nothing, and an answer stored before a rule was tightened is corrected on
    the site, not by refusing every upload."""
    outcome = Outcome()
    labels = dict(COLUMNS)
    current = _current_answers(session, sorted({row.comment_id for row in rows}))
    documents = {document_id for _g, document_id, _a in current.values()}
    keys = document_clause_keys(session, documents)
    final = decided_documents(session, documents)
    seen_comment: dict[int, int] = {}
    seen_owner: dict[tuple, _Row] = {}
    plan: list[_Planned] = []
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
        group_id, document_id, answer = current[row.comment_id]
        owner = ("group", group_id) if group_id is not None else ("comment", row.comment_id)
        values = (row.status, row.rationale, row.change)
        if answer is not None and answer.values == values:
            outcome.unchanged += 1
            continue
        if document_id in final:
            outcome.problems.append(Problem(row.number, str(labels["status"]), FINAL()))
            continue
        if broken := _broken_rules(row, keys[document_id], labels):
            outcome.problems.extend(broken)
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
        if answer is not None and answer.updated_at is not None \
                and answer.updated_at > exported_at:
            outcome.conflicts.append(Conflict(row.number, row.comment_id, values,
                                              answer.values, answer.updated_at))
            continue
        plan.append(_Planned(row, group_id, document_id, answer))
    return plan, outcome


def apply_answers(session: Session, data: bytes, actor: User | None,
                  filename: str = "", *, limit: int | None = None,
                  max_rows: int | None = None) -> Outcome:
    """Validate the whole uploaded workbook, then apply its answers in the session.

    Nothing is applied when any row has a problem. Conflicting rows are reported and
    skipped. The rest are written set-wise in one savepoint (see ``_write``): each update
    still requires the revision read here, so an answer saved on the site meanwhile is
    reported as a conflict, never overwritten. ``limit`` (bytes) and ``max_rows`` default
    to ANSWERS_MAX_BYTES and to the number of comments (capped by ANSWERS_MAX_ROWS). The
    caller commits when ``ok``, else rolls back. Raises UploadError for a file that is not
    a safe workbook.
    """
    config = current_app.config if has_app_context() else {}
    limit = limit or config.get("ANSWERS_MAX_BYTES", MAX_ANSWER_BYTES)
    if max_rows is None:
        # A genuine file has a row per comment; some slack for rows a drafter added.
        comments = session.scalar(select(func.count(Comment.id))) or 0
        max_rows = min(config.get("ANSWERS_MAX_ROWS", MAX_ANSWER_ROWS), comments + ROW_SLACK)
    exported_at, rows, problems = read_answers(data, limit=limit, max_rows=max_rows)
    for row in rows:
        row.language = row.language or current_lang()
    session.flush()
    plan, outcome = plan_answers(session, rows, exported_at)
    if problems or outcome.problems:
        # Every problem of the file at once, in row order, so one correction pass suffices.
        return Outcome(problems=sorted(problems + outcome.problems, key=lambda p: p.row))
    pending = plan
    for _attempt in range(MAX_ATTEMPTS):
        _before_write(session, pending)
        raced = _write(session, pending, actor)
        if not raced:
            break
        # Saved on the site between our read and our write: conflicts, like those found
        # above; the others are written again against the revisions they were read at.
        for planned, answer in raced:
            outcome.conflicts.append(Conflict(
                planned.row.number, planned.row.comment_id, planned.values,
                answer.values if answer else ("", "", ""),
                answer.updated_at if answer else None))
        lost = {id(planned) for planned, _answer in raced}
        pending = [planned for planned in pending if id(planned) not in lost]
    else:
        raise UploadError(_("Answers are being changed on the site right now; upload the "
                            "file again in a moment."))
    outcome.applied = [Applied(p.row.number, p.row.comment_id, p.row.status)
                       for p in pending]
    outcome.conflicts.sort(key=lambda conflict: conflict.row)
    if actor is not None:
        audit.record(session, actor, "answers.upload", actor, after={
            "filename": filename, "sha256": sha256(data), "applied": len(outcome.applied),
            "conflicts": len(outcome.conflicts), "unchanged": outcome.unchanged})
    session.flush()
    return outcome


def _before_write(session: Session, plan: list[_Planned]) -> None:
    """Called between reading the answers and writing them (a seam for tests that
    simulate a drafter saving on the site at that moment)."""


class _Raced(Exception):
    def __init__(self, raced):
        super().__init__("answers changed between read and write")
        self.raced = raced


def _write(session: Session, plan: list[_Planned], actor: User | None
           ) -> list[tuple[_Planned, _Answer | None]]:
    """Write ``plan`` in one savepoint, set-wise; return the rows that raced (then nothing
    was written).

    Updates are one executemany ``WHERE id = :id AND revision = :read``: if the summed
    rowcount is short, someone saved meanwhile; inserts rely on the unique owner columns
    of ``response``. Either way the savepoint is rolled back and the raced rows named.
    One audit event per changed answer (executemany).
    """
    if not plan:
        return []
    table = Response.__table__
    now = utcnow()
    responder_id = actor.id if actor is not None else None
    updates = [p for p in plan if p.answer is not None]
    inserts = [p for p in plan if p.answer is None]
    try:
        with session.begin_nested():
            events = []
            if updates:
                result = session.execute(
                    update(table)
                    .where(table.c.id == bindparam("b_id"),
                           table.c.revision == bindparam("b_revision"))
                    .values(status=bindparam("b_status"), rationale=bindparam("b_rationale"),
                            change=bindparam("b_change"), language=bindparam("b_language"),
                            responder_id=responder_id, updated_at=now,
                            revision=table.c.revision + 1),
                    [{"b_id": p.answer.id, "b_revision": p.answer.revision,
                      "b_status": p.row.status, "b_rationale": p.row.rationale,
                      "b_change": p.row.change, "b_language": p.row.language}
                     for p in updates])
                if result.rowcount != len(updates):
                    raise _Raced(None)
                for p in updates:
                    after = p.answer.snapshot() | {
                        "status": p.row.status, "rationale": p.row.rationale,
                        "change": p.row.change, "language": p.row.language,
                        "revision": p.answer.revision + 1,
                        "responder_id": responder_id, "for_comment_id": p.row.comment_id}
                    events.append((p.answer.id, p.answer.snapshot(), after))
            if inserts:
                created = session.execute(
                    insert(table).returning(table.c.id, sort_by_parameter_order=True),
                    [p.owner | {"status": p.row.status, "rationale": p.row.rationale,
                                "change": p.row.change, "language": p.row.language,
                                "responder_id": responder_id,
                                "revision": 1, "created_at": now, "updated_at": now}
                     for p in inserts]).scalars().all()
                for p, response_id in zip(inserts, created, strict=True):
                    after = p.owner | {
                        "status": p.row.status, "rationale": p.row.rationale,
                        "change": p.row.change, "language": p.row.language, "revision": 1,
                        "responder_id": responder_id, "for_comment_id": p.row.comment_id}
                    events.append((response_id, None, after))
            audit.record_many(session, actor, "response.save", "response", events)
    except (_Raced, IntegrityError):
        return _raced(session, plan)
    # Objects loaded earlier (a comment's cached answer, a document's revision) are stale.
    session.expire_all()
    return []


def _raced(session: Session, plan: list[_Planned]) -> list[tuple[_Planned, _Answer | None]]:
    """The planned rows whose answer is no longer the one read (or now exists)."""
    columns = [getattr(Response, name) for name in _ANSWER_COLUMNS]
    by_id = {p.answer.id: p for p in plan if p.answer is not None}
    by_comment = {p.row.comment_id: p for p in plan if p.answer is None and p.group_id is None}
    by_group = {p.group_id: p for p in plan if p.answer is None and p.group_id is not None}
    raced, present = [], set()
    for keys, column, check in (
            (list(by_id), Response.id, lambda a: by_id[a.id]),
            (list(by_comment), Response.comment_id, lambda a: by_comment[a.comment_id]),
            (list(by_group), Response.group_id, lambda a: by_group[a.group_id])):
        for start in range(0, len(keys), CHUNK):
            for rec in session.execute(select(*columns).where(
                    column.in_(keys[start:start + CHUNK]))):
                answer = _answer(rec)
                present.add(answer.id)
                planned = check(answer)
                if planned.answer is None or planned.answer.revision != answer.revision:
                    raced.append((planned, answer))
    # An answer read but gone since (not done by this application) is a race too.
    raced += [(planned, None) for rid, planned in by_id.items() if rid not in present]
    return raced
