"""Answers typed into a synthesis workbook -> validated, set-wise updates of ``response``.

The upload is checked like every other (``core.uploads.check_xlsx``: sizes, zip, macros,
entities, cells) before any XML is parsed, then streamed (``core.uploads.StreamedWorkbook``):
only the cells of the columns read here are picked out of the Comments sheet, so memory
stays flat for 100,000 rows. A formula is read as the value it shows. Every row is
validated before anything is written: one bad row and nothing is applied, so a drafter
fixes the file and uploads it again, never half of it.

Only what the drafter changed is applied. Each Comments row carries what its answer was
at the export (hidden columns written by ``workbook``: the answer and its revision, and a
check of its three answer cells); a row whose cells still give that check is untouched
and is not even looked at. A changed row is a conflict only when its answer was also
changed on the site since the export, by someone else or by hand: answers the drafter
applied from an earlier upload of the same export (or chose in a conflict of it) are
their own, and a corrected file of theirs applies over them. Conflicts are shown beside
the site's answer for the drafter to choose (``resolve_conflicts``). Rows saying what the
site already says are left alone. A workbook without the hidden columns (made by hand, or
exported before they existed) is read by the older rule: an answered row differing from
the site is applied unless its answer changed on the site after the export time.

A workbook holds every comment (100,000 and more), so the answers are applied set-wise,
with the guarantees of ``answers.save_answer`` (which the single-answer form uses): the
rules of ``validate_answer``, one answer per duplicate group, a revision check in every
UPDATE (a save on the site between our read and our write is a conflict, never
overwritten), one ``response.save`` audit event per changed answer with before and after,
and a changed answer loses its review marks (ready, approved): it is approved again.

The language of the uploaded rationales and changes is the language the workbook was
exported in, read from the label of its "Exported at" row on the About sheet; when that
label does not tell (catalogs with the same words in two languages, a workbook made by
hand) it is the language of the page the file is uploaded from.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from .. import audit
from ..core import languages
from ..core.spreadsheets import Problem
from ..core.time import TIMEZONE, from_local, utcnow
from ..core.uploads import (
    StreamedWorkbook,
    UploadError,
    check_xlsx,
    clean_text,
    sha256,
)
from ..core.vocab import STATUSES
from ..i18n import current_lang
from ..mail import events as mail
from ..models import AuditEvent, Comment, Response, User
from .answers import (
    FINAL,
    AnswerInvalid,
    decided_documents,
    document_clause_keys,
    normalise,
    validate_answer,
)
from .rows import COLUMNS
from .workbook import (
    EXPORT_ID,
    EXPORTED_AT,
    HIDDEN_COLUMNS,
    answer_check,
    sheet_titles,
)

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
# Answers written (and audited) per statement.
WRITE_CHUNK = 2000
# Cells of a genuine workbook per comment: its Comments row, and at most a row of the
# Moderation sheet and of the small summaries.
CELLS_PER_COMMENT = len(COLUMNS) + len(HIDDEN_COLUMNS) + 12
# Write attempts when answers keep changing on the site during an upload.
MAX_ATTEMPTS = 5
ANSWER_FIELDS = ("status", "rationale", "change")
# The Comments columns an upload reads (besides the hidden ones).
READ_COLUMNS = ("comment_id", *ANSWER_FIELDS)
# Fields of save_answer's messages -> the columns a drafter sees.
FIELD_COLUMNS = {"status": "status", "rationale": "rationale", "change": "change"}
# Conflicts offered for a choice in one form (each is one form field).
MAX_CHOICES = 500
_TOKEN_SALT = "synthesis.answers.conflict"


def _unreadable() -> UploadError:
    return UploadError(_("The workbook could not be read; save it again as .xlsx and retry."))


@dataclass
class Conflict:
    """A row the drafter changed whose answer was also changed on the site since the
    export: the file's answer beside the site's, for the drafter to choose."""
    row: int
    comment_id: int
    in_file: tuple[str, str, str]
    on_site: tuple[str, str, str]
    changed_at: datetime | None
    language: str = ""
    # The site's answer as read (None: it has none), so that applying the file's answer
    # later overwrites only what the drafter saw.
    answer_id: int | None = None
    revision: int | None = None
    responder_id: int | None = None
    changed_by: str = ""  # the responder's name
    token: str = ""  # signed, carries the choice through the form


@dataclass
class Applied:
    row: int
    comment_id: int
    status: str


@dataclass
class Outcome:
    """What an upload did: applied rows, conflicts, problems (then nothing was applied).
    ``unchanged``: rows changed in the file that say what the site says; ``untouched``:
    rows as they were exported; ``kept``: conflicts decided for the site's answer."""
    applied: list[Applied] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unchanged: int = 0
    untouched: int = 0
    kept: int = 0
    resolved: bool = False  # the outcome of a choice among conflicts, not of an upload

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Export:
    """What the About sheet says of the export: when (UTC), its id, in which language
    ("" when the label does not tell)."""
    at: datetime
    id: str = ""
    language: str = ""


# What a row says about its answer at the export: not said (a file without the hidden
# columns) is UNKNOWN; no answer then is None; else (answer id, revision).
UNKNOWN = "unknown"


@dataclass
class _Row:
    number: int
    comment_id: int
    status: str
    rationale: str
    change: str
    language: str = ""  # of rationale and change; "" until apply_answers knows it
    exported: object = UNKNOWN

    @property
    def values(self) -> tuple[str, str, str]:
        return (self.status, self.rationale, self.change)


@dataclass
class Reading:
    """An uploaded workbook as read: the export, the changed rows, problems, and how many
    rows were as exported."""
    export: Export
    rows: list[_Row]
    problems: list[Problem]
    untouched: int = 0


def _vocabulary() -> tuple[dict[str, str], dict, dict[str, set[str]], set[str]]:
    """Header labels (all languages) -> codes; sheet names; export-time labels -> the
    languages they are written in; export-id labels."""
    headers, sheets, exported, ids = {}, {"comments": set(), "about": set()}, {}, set()
    for lang in languages.codes():
        with force_locale(lang):
            for code, label in (*COLUMNS, *HIDDEN_COLUMNS):
                headers[_key(str(label))] = code
            titles = sheet_titles(lang)
            sheets["comments"].add(titles["comments"])
            sheets["about"].add(titles["about"])
            exported.setdefault(_key(str(EXPORTED_AT)), set()).add(lang)
            ids.add(_key(str(EXPORT_ID)))
    return headers, sheets, exported, ids


def _key(text) -> str:
    """How a header or label is compared: trimmed, case-folded, without the time zone."""
    text = " ".join(str(text).split()).casefold()
    suffix = f" ({TIMEZONE})".casefold()
    return text[: -len(suffix)] if text.endswith(suffix) else text


def _text(value) -> str:
    """A cell as text: control characters dropped, trimmed; 12.0 read as 12."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean_text(str(value)).strip()


def read_answers(data: bytes, *, limit: int | None = None,
                 max_rows: int | None = None) -> Reading:
    """Parse an uploaded synthesis workbook: the export, the rows the drafter changed,
    problems.

    Only what the file alone can tell is checked here (columns, comment IDs, statuses from
    the list); the rules of an answer are ``plan_answers``'s, with the document known.
    Each row's ``language`` is the export language when the About sheet tells it, else "".

    ``limit``: bytes of the file (default MAX_ANSWER_BYTES); ``max_rows``: rows of the
    Comments sheet below the header (default MAX_ANSWER_ROWS). Raises UploadError for a
    file that is not a safe .xlsx workbook or has too many rows.
    """
    limit = limit or MAX_ANSWER_BYTES
    max_rows = max_rows or MAX_ANSWER_ROWS
    # Every sheet of a genuine workbook has at most a row per comment (and Comments its
    # columns), so its cells are bounded before a single one is parsed.
    check_xlsx(data, limit, max_uncompressed=limit * UNCOMPRESSED_PER_BYTE,
               max_cells=(max_rows + ROW_SLACK) * CELLS_PER_COMMENT)
    workbook = StreamedWorkbook(data)
    try:
        return _read(workbook, max_rows)
    except UploadError:
        raise
    except Exception:  # any parser failure is a bad file, never a 500
        raise _unreadable() from None
    finally:
        workbook.close()


def _find_sheet(workbook: StreamedWorkbook, names: set[str], position: int) -> str | None:
    for name in workbook.sheet_names:
        if name in names:
            return name
    if len(workbook.sheet_names) > position:
        return workbook.sheet_names[position]
    return None


def _read(workbook: StreamedWorkbook, max_rows: int) -> Reading:
    headers, sheets, exported_labels, id_labels = _vocabulary()
    about = _find_sheet(workbook, sheets["about"], 0)
    comments = _find_sheet(workbook, sheets["comments"], 1)
    if comments is None:
        raise UploadError(_("The workbook has no Comments sheet; upload a synthesis "
                            "workbook exported from this site."))
    export = _export(workbook.head(about, 60), exported_labels, id_labels) \
        if about is not None else None
    if export is None:
        raise UploadError(_("The About sheet does not say when the workbook was exported; "
                            "upload a synthesis workbook exported from this site."))
    header_number, header_row = (workbook.head(comments, 1) or [(1, {})])[0]
    columns: dict[str, str] = {}  # code -> column letters
    for letters, value in sorted(header_row.items(), key=lambda item: (len(item[0]),
                                                                       item[0])):
        code = headers.get(_key(value)) if value not in (None, "") else None
        if code is not None and code not in columns:
            columns[code] = letters
    labels = dict(COLUMNS)
    missing = [code for code in ("comment_id", *ANSWER_FIELDS) if code not in columns]
    if missing:
        return Reading(export, [], [Problem(header_number, str(labels[code]),
                                            _("This column is missing."))
                                    for code in missing])
    read = {columns[code] for code in (*READ_COLUMNS, *(c for c, _l in HIDDEN_COLUMNS))
            if code in columns}  # only these cells are parsed
    rows = ((number, cells) for number, cells in
            workbook.rows(comments, read) if number > header_number)
    reading = _answer_rows(rows, columns, labels, header_number + max_rows)
    reading.export = export
    for row in reading.rows:
        row.language = export.language
    return reading


def _answer_rows(rows, columns, labels, last_row: int) -> Reading:
    found: list[_Row] = []
    problems: list[Problem] = []
    untouched = 0
    statuses = STATUSES.reader(languages.codes())
    id_col, status_col = columns["comment_id"], columns["status"]
    rationale_col, change_col = columns["rationale"], columns["change"]
    answer_col = columns.get("exported_answer")
    check_col = columns.get("exported_check")
    for number, cells in rows:
        if number > last_row:
            raise UploadError(_("The sheet has too many rows (at most %(n)s).",
                                n=last_row - 1))
        status_text = _text(cells.get(status_col))
        rationale, change = _text(cells.get(rationale_col)), _text(cells.get(change_col))
        status = statuses.get(" ".join(status_text.split()).casefold()) \
            if status_text else ""
        check = cells.get(check_col) if check_col is not None else None
        if isinstance(check, str) and status is not None and \
                answer_check(status, rationale, change) == check.strip():
            untouched += 1  # as exported: the drafter did not change it
            continue
        raw_id = cells.get(id_col)
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
        if status is None:
            problems.append(Problem(number, str(labels["status"]), _(
                "Not a response status from the list: %(value)s", value=status_text)))
            continue
        exported = _exported_answer(cells.get(answer_col)) \
            if check is not None and answer_col is not None else UNKNOWN
        found.append(_Row(number, comment_id, status, normalise(rationale), normalise(change),
                          exported=exported))
    return Reading(Export(datetime.min), found, problems, untouched)


def _exported_answer(value):
    """The hidden "answer at export" cell: (answer id, revision), None (no answer then),
    or UNKNOWN (damaged)."""
    text = _text(value)
    if not text:
        return None
    answer_id, _sep, revision = text.partition(":")
    if answer_id.isdigit() and revision.isdigit():
        return int(answer_id), int(revision)
    return UNKNOWN


def _comment_id(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return int(value) if value.is_integer() and value > 0 else None
    if isinstance(value, int):
        return value if value > 0 else None
    text = str(value).strip()
    return int(text) if text.isdigit() else None


def _export(about_rows, labels: dict[str, set[str]], id_labels: set[str]) -> Export | None:
    """The export time of the About sheet, its id, and the export language when the
    label of the time says it (one language only), else ""."""
    found_at, language, export_id = None, "", ""
    for _number, cells in about_rows:
        label = cells.get("A")
        if label in (None, ""):
            continue
        key = _key(label)
        if key in id_labels:
            export_id = _text(cells.get("B"))
        if key in labels and found_at is None:
            written_in = labels[key]
            language = next(iter(written_in)) if len(written_in) == 1 else ""
            found_at = _export_time(cells.get("B"), cells.get("C"))
    if found_at is None:
        return None
    return Export(found_at, export_id, language)


EXCEL_EPOCH = datetime(1899, 12, 30)


def _export_time(local, utc_text) -> datetime | None:
    """The export time: the UTC text beside it, else the local (Asia/Bishkek) date cell
    (a number of days: the reader does not apply number formats)."""
    if isinstance(utc_text, str) and utc_text.strip():
        try:
            return datetime.fromisoformat(utc_text.strip().rstrip("Z"))
        except ValueError:
            pass
    if isinstance(local, float) and 0 < local < 2958466:  # up to 9999-12-31
        return from_local(EXCEL_EPOCH + timedelta(days=local))
    return None


# ---------------------------------------------------------------- against the site


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
    ready: bool = False
    approved: bool = False

    def snapshot(self) -> dict:
        """What the audit log keeps of an answer (as ``answers.snapshot``)."""
        status, rationale, change = self.values
        return {"status": status, "rationale": rationale, "change": change,
                "language": self.language, "revision": self.revision,
                "ready": self.ready, "approved": self.approved,
                "comment_id": self.comment_id, "group_id": self.group_id,
                "responder_id": self.responder_id}


@dataclass
class _Planned:
    """A row to apply: to its comment's own answer, or to its group's."""
    row: _Row
    group_id: int | None
    document_id: int
    answer: _Answer | None  # None: no answer yet, one is created

    @property
    def values(self) -> tuple[str, str, str]:
        return self.row.values

    @property
    def owner(self) -> dict:
        if self.group_id is not None:
            return {"comment_id": None, "group_id": self.group_id}
        return {"comment_id": self.row.comment_id, "group_id": None}


_ANSWER_COLUMNS = ("id", "status", "rationale", "change", "language", "revision",
                   "updated_at", "comment_id", "group_id", "responder_id", "ready_at",
                   "approved_at")


def _answer(values) -> _Answer | None:
    rid, status, rationale, change, language, revision, updated_at, comment_id, group_id, \
        responder, ready_at, approved_at = values
    if rid is None:
        return None
    return _Answer(rid, (status, rationale, change), language or "", revision, updated_at,
                   comment_id, group_id, responder, ready_at is not None,
                   approved_at is not None)


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


def _own_saves(session: Session, actor: User | None, export: Export) -> set[tuple[int, int]]:
    """(answer id, revision) of the saves ``actor`` made from uploads of this export (or
    choices among its conflicts): a corrected file of theirs is no conflict with them."""
    if actor is None or not export.id:
        return set()
    found = set()
    query = (select(AuditEvent.object_id, AuditEvent.after)
             .where(AuditEvent.at >= export.at, AuditEvent.action == "response.save",
                    AuditEvent.object_type == "response", AuditEvent.actor_id == actor.id))
    for answer_id, after in session.execute(query):
        if isinstance(after, dict) and after.get("export_id") == export.id:
            found.add((answer_id, after.get("revision")))
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


def _moved(row: _Row, answer: _Answer | None, export: Export) -> bool:
    """Whether the row's answer was changed on the site since the export."""
    if row.exported == UNKNOWN:  # a file without the hidden columns: by the time
        return answer is not None and answer.updated_at is not None \
            and answer.updated_at > export.at
    now = (answer.id, answer.revision) if answer is not None else None
    return now != row.exported


def plan_answers(session: Session, rows: list[_Row], export: Export,
                 actor: User | None = None) -> tuple[list[_Planned], Outcome]:
    """Decide for every changed row: apply (against the answer read now), conflict, or
    unchanged. Problems (unknown IDs, repeated IDs, answers breaking a rule, group rows
    that disagree) go into the outcome. Rows saying what the site says are not checked
    again: they change nothing, and an answer stored before a rule was tightened is
    corrected on the site, not by refusing every upload."""
    outcome = Outcome()
    labels = dict(COLUMNS)
    current = _current_answers(session, sorted({row.comment_id for row in rows}))
    documents = {document_id for _g, document_id, _a in current.values()}
    keys = document_clause_keys(session, documents)
    final = decided_documents(session, documents)
    own: set | None = None  # read when first needed
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
        if answer is not None and answer.values == row.values:
            outcome.unchanged += 1
            continue
        if document_id in final:
            outcome.problems.append(Problem(row.number, str(labels["status"]), FINAL()))
            continue
        if broken := _broken_rules(row, keys[document_id], labels):
            outcome.problems.extend(broken)
            continue
        if answer is not None and answer.values == row.values:  # once normalised
            outcome.unchanged += 1
            continue
        if owner in seen_owner:
            # Members of one duplicate group share one answer: rows changing it must agree.
            first = seen_owner[owner]
            if first.values != row.values:
                outcome.problems.append(Problem(row.number, str(labels["status"]), _(
                    "This comment is in group %(group)s with row %(row)s, which has another "
                    "answer; one answer applies to the whole group.",
                    group=group_id, row=first.number)))
            continue
        seen_owner[owner] = row
        if _moved(row, answer, export):
            if own is None:
                own = _own_saves(session, actor, export)
            if answer is None or (answer.id, answer.revision) not in own:
                outcome.conflicts.append(_conflict(row, answer))
                continue
        plan.append(_Planned(row, group_id, document_id, answer))
    return plan, outcome


def _conflict(row: _Row, answer: _Answer | None) -> Conflict:
    return Conflict(row.number, row.comment_id, row.values,
                    answer.values if answer else ("", "", ""),
                    answer.updated_at if answer else None, language=row.language,
                    answer_id=answer.id if answer else None,
                    revision=answer.revision if answer else None,
                    responder_id=answer.responder_id if answer else None)


def apply_answers(session: Session, data: bytes, actor: User | None,
                  filename: str = "", *, limit: int | None = None,
                  max_rows: int | None = None) -> Outcome:
    """Validate the whole uploaded workbook, then apply the answers the drafter changed.

    Nothing is applied when any row has a problem. Conflicting rows are reported (with a
    signed token each, to choose later: ``resolve_conflicts``) and skipped. The rest are
    written set-wise in one savepoint (see ``_write``): each update still requires the
    revision read here, so an answer saved on the site meanwhile is reported as a
    conflict, never overwritten. ``limit`` (bytes) and ``max_rows`` default to
    ANSWERS_MAX_BYTES and to the number of comments (capped by ANSWERS_MAX_ROWS). The
    caller commits when ``ok``, else rolls back. Raises UploadError for a file that is not
    a safe workbook.
    """
    config = current_app.config if has_app_context() else {}
    limit = limit or config.get("ANSWERS_MAX_BYTES", MAX_ANSWER_BYTES)
    if max_rows is None:
        # A genuine file has a row per comment; some slack for rows a drafter added.
        comments = session.scalar(select(func.count(Comment.id))) or 0
        max_rows = min(config.get("ANSWERS_MAX_ROWS", MAX_ANSWER_ROWS), comments + ROW_SLACK)
    reading = read_answers(data, limit=limit, max_rows=max_rows)
    for row in reading.rows:
        row.language = row.language or current_lang()
    session.flush()
    plan, outcome = plan_answers(session, reading.rows, reading.export, actor)
    outcome.untouched = reading.untouched
    if reading.problems or outcome.problems:
        # Every problem of the file at once, in row order, so one correction pass suffices.
        return Outcome(problems=sorted(reading.problems + outcome.problems,
                                       key=lambda p: p.row), untouched=reading.untouched)
    _apply(session, plan, outcome, actor, reading.export)
    _finish_conflicts(session, outcome, actor, reading.export)
    if actor is not None:
        audit.record(session, actor, "answers.upload", actor, after={
            "filename": filename, "sha256": sha256(data), "export_id": reading.export.id,
            "applied": len(outcome.applied), "conflicts": len(outcome.conflicts),
            "unchanged": outcome.unchanged, "untouched": outcome.untouched})
    session.flush()
    return outcome


def _apply(session: Session, plan: list[_Planned], outcome: Outcome, actor: User | None,
           export: Export) -> None:
    """Write ``plan``; rows raced by a save on the site become conflicts."""
    pending = plan
    for _attempt in range(MAX_ATTEMPTS):
        _before_write(session, pending)
        raced = _write(session, pending, actor, export.id)
        if not raced:
            break
        # Saved on the site between our read and our write: conflicts, like those found
        # before; the others are written again against the revisions they were read at.
        for planned, answer in raced:
            outcome.conflicts.append(_conflict(planned.row, answer))
        lost = {id(planned) for planned, _answer in raced}
        pending = [planned for planned in pending if id(planned) not in lost]
    else:
        raise UploadError(_("Answers are being changed on the site right now; upload the "
                            "file again in a moment."))
    outcome.applied = [Applied(p.row.number, p.row.comment_id, p.row.status)
                       for p in pending]
    mail.answers_changed(session, comment_ids=[p.row.comment_id for p in pending])


def _finish_conflicts(session: Session, outcome: Outcome, actor: User | None,
                      export: Export) -> None:
    """Conflicts in row order, each with who changed the site's answer and its token."""
    outcome.conflicts.sort(key=lambda conflict: conflict.row)
    ids = {c.responder_id for c in outcome.conflicts if c.responder_id is not None}
    names = dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all()) \
        if ids else {}
    serializer = _serializer()
    for conflict in outcome.conflicts:
        conflict.changed_by = names.get(conflict.responder_id, "")
        conflict.token = serializer.dumps({
            "actor": actor.id if actor is not None else None, "export": export.id,
            "at": export.at.isoformat(), "row": conflict.row, "comment": conflict.comment_id,
            "values": list(conflict.in_file), "language": conflict.language,
            "answer": conflict.answer_id, "revision": conflict.revision})


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=_TOKEN_SALT)


def resolve_conflicts(session: Session, choices: list[tuple[str, str]],
                      actor: User | None) -> Outcome:
    """Apply the drafter's choice for conflicts of an upload: ``choices`` is
    ``[("keep" | "mine", token)]``, the tokens ``apply_answers`` gave.

    "keep" leaves the site's answer. "mine" applies the file's answer with the guarantees
    of an upload: the rules (checked again: the document may have changed), the revision
    check (an answer changed on the site again since the conflict was shown is a conflict
    again, never overwritten), one audit event per changed answer, the review marks taken
    away. Nothing is applied when any chosen row has a problem. Raises UploadError for a
    token not made for ``actor`` by this site.
    """
    serializer = _serializer()
    outcome = Outcome(resolved=True)
    rows, seen, export = [], {}, None
    for choice, token in choices:
        try:
            data = serializer.loads(token)
            if data.get("actor") != (actor.id if actor is not None else None):
                raise BadSignature("another's choice")
            export = Export(datetime.fromisoformat(data["at"]), data.get("export") or "")
            status, rationale, change = data["values"]
            row = _Row(int(data["row"]), int(data["comment"]), status, rationale, change,
                       language=data.get("language") or current_lang(),
                       exported=(data["answer"], data["revision"])
                       if data.get("answer") is not None else None)
        except (BadSignature, KeyError, TypeError, ValueError):
            raise UploadError(_("The form was damaged; upload the workbook again.")) from None
        if choice == "keep":
            outcome.kept += 1
        elif row.comment_id not in seen:
            seen[row.comment_id] = row
            rows.append(row)
    if not rows or export is None:
        return outcome
    plan, planned = plan_answers(session, rows, export, None)
    outcome.unchanged = planned.unchanged
    outcome.conflicts = planned.conflicts  # changed on the site again meanwhile
    if planned.problems:
        outcome.problems = sorted(planned.problems, key=lambda p: p.row)
        return outcome
    _apply(session, plan, outcome, actor, export)
    _finish_conflicts(session, outcome, actor, export)
    if actor is not None:
        audit.record(session, actor, "answers.resolve", actor, after={
            "export_id": export.id, "applied": len(outcome.applied),
            "kept": outcome.kept, "conflicts": len(outcome.conflicts)})
    session.flush()
    return outcome


def _before_write(session: Session, plan: list[_Planned]) -> None:
    """Called between reading the answers and writing them (a seam for tests that
    simulate a drafter saving on the site at that moment)."""


class _Raced(Exception):
    def __init__(self, raced):
        super().__init__("answers changed between read and write")
        self.raced = raced


def _write(session: Session, plan: list[_Planned], actor: User | None, export_id: str = ""
           ) -> list[tuple[_Planned, _Answer | None]]:
    """Write ``plan`` in one savepoint, set-wise; return the rows that raced (then nothing
    was written).

    Updates are executemany ``WHERE id = :id AND revision = :read`` (WRITE_CHUNK at a time): if a
    rowcount is short, someone saved meanwhile; inserts rely on the unique owner columns
    of ``response``. Either way the savepoint is rolled back and the raced rows named.
    An updated answer is no longer ready nor approved (it is reviewed again). One audit
    event per changed answer (executemany), naming the export it came from.
    """
    if not plan:
        return []
    now = utcnow()  # one time for the whole upload, whatever the number of slices
    try:
        with session.begin_nested():
            # A slice at a time: the parameters and audit events of 100,000 answers at
            # once would take more memory than the rest of the upload.
            for start in range(0, len(plan), WRITE_CHUNK):
                _write_slice(session, plan[start:start + WRITE_CHUNK], actor, export_id, now)
    except (_Raced, IntegrityError):
        return _raced(session, plan)
    # Objects loaded earlier (a comment's cached answer, a document's revision) are stale.
    session.expire_all()
    return []


def _write_slice(session: Session, plan: list[_Planned], actor: User | None,
                 export_id: str, now: datetime) -> None:
    """Write a slice of ``_write``'s plan; raises _Raced (or IntegrityError) on a race."""
    table = Response.__table__
    responder_id = actor.id if actor is not None else None
    updates = [p for p in plan if p.answer is not None]
    inserts = [p for p in plan if p.answer is None]
    origin = {"export_id": export_id} if export_id else {}
    events = []
    if updates:
        result = session.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"),
                   table.c.revision == bindparam("b_revision"))
            .values(status=bindparam("b_status"), rationale=bindparam("b_rationale"),
                    change=bindparam("b_change"), language=bindparam("b_language"),
                    responder_id=responder_id, updated_at=now,
                    revision=table.c.revision + 1,
                    # Edited: a draft again, to be marked ready and approved anew.
                    ready_at=None, approved_at=None, approved_by_id=None),
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
                "revision": p.answer.revision + 1, "ready": False,
                "approved": False, "responder_id": responder_id,
                "for_comment_id": p.row.comment_id} | origin
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
                "ready": False, "approved": False,
                "responder_id": responder_id, "for_comment_id": p.row.comment_id} \
                | origin
            events.append((response_id, None, after))
    audit.record_many(session, actor, "response.save", "response", events)


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
