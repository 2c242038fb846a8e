"""Publishing the synthesis: the completeness rule, the public form of a comment, totals.

Aarhus Art. 6(8)/6(9): the outcome is made public with the reasons for it, so results
go out only once every comment received (any channel, hidden ones included) has an
answer. The public form of a comment is decided here once, for the results page, the
CSV download and the API alike.
"""
from __future__ import annotations

import csv
import io
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session, aliased, selectinload

from .. import audit
from ..models import Clause, Comment, Consultation, Document, DuplicateGroup, Hearing, Response, User
from ..timeutil import to_local, utcnow

# Why a comment's text is not shown, beyond the moderators' hide reasons.
WITHHELD_LABELS = {
    "no-consent": _l("Text not published at the author's request"),
    "not-moderated": _l("Text not published: not yet moderated"),
}

# A cell starting with one of these would be read as a formula by a spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_FIRST = frozenset(FORMULA_STARTS)

RESULTS_PER_PAGE = 200


class PublishRefused(Exception):
    """Publishing was refused: ``unanswered`` lists (some of) the comments without answer."""

    def __init__(self, unanswered: list[Comment], total: int):
        super().__init__(f"{total} comments have no answer")
        self.unanswered = unanswered
        self.total = total


def _effective_status():
    """The status of the answer that applies to a comment, as a column (None: no answer).

    A grouped comment takes its group's answer, exactly as ``Comment.answer`` does.
    Returns the column and a function adding the joins it needs to a query on Comment.
    """
    own, grp = aliased(Response), aliased(Response)
    status = case((Comment.group_id.is_not(None), grp.status), else_=own.status)

    def joined(query):
        return (query.select_from(Comment).outerjoin(own, own.comment_id == Comment.id)
                .outerjoin(grp, grp.group_id == Comment.group_id))
    return status, joined


def unanswered(session: Session, consultation: Consultation,
               limit: int | None = 500) -> tuple[list[Comment], int]:
    """Comments of ``consultation`` without an answer (first ``limit``), and how many."""
    status, joined = _effective_status()
    where = and_(Comment.consultation_id == consultation.id, status.is_(None))
    total = session.scalar(joined(select(func.count())).where(where)) or 0
    if not total:
        return [], 0
    query = (joined(select(Comment)).where(where)
             .options(selectinload(Comment.document).selectinload(Document.current_version))
             .order_by(Comment.document_id, Comment.id))
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query)), total


def publish(session: Session, consultation: Consultation, actor: User | None) -> None:
    """Publish the results now; refused (PublishRefused) while any comment has no answer."""
    missing, total = unanswered(session, consultation)
    if total:
        raise PublishRefused(missing, total)
    before = {"results_published_at": _iso(consultation.results_published_at)}
    consultation.results_published_at = utcnow()
    _bump_documents(consultation)
    session.flush()
    audit.record(session, actor, "results.publish", consultation, before,
                 {"results_published_at": _iso(consultation.results_published_at)})


def unpublish(session: Session, consultation: Consultation, actor: User | None) -> None:
    """Withdraw published results, e.g. to correct an answer; audited."""
    before = {"results_published_at": _iso(consultation.results_published_at)}
    consultation.results_published_at = None
    _bump_documents(consultation)
    session.flush()
    audit.record(session, actor, "results.unpublish", consultation, before,
                 {"results_published_at": None})


def _bump_documents(consultation: Consultation) -> None:
    # Answers appear on (or vanish from) every public page of every document.
    for document in consultation.documents:
        document.bump()


def _iso(value: datetime | None) -> str | None:
    return to_local(value).isoformat() if value else None


# ---------------------------------------------------------------- the public form of a comment

def withheld_reason(comment: Comment) -> str:
    """Why the text is not public ('' when it is): a hide reason or a WITHHELD_LABELS code."""
    if comment.state == "hidden":
        return comment.hidden_reason or "abuse"
    if comment.state == "withdrawn":
        return "withdrawn"
    if comment.state == "new":
        return "not-moderated"
    if comment.consent == "none":
        return "no-consent"
    return ""


def public_text(comment: Comment) -> str | None:
    """The comment's text as the public may read it, None when withheld."""
    return None if withheld_reason(comment) else comment.body


def public_author(comment: Comment) -> tuple[str, str]:
    """(name, organisation) as shown in public.

    A person's name only with consent ``full`` (personal-data law); an organisation is
    named unless the commenter wrote as an individual without consent.
    """
    name = comment.author_name if comment.consent == "full" else ""
    organisation = comment.organisation if (
        comment.consent == "full" or comment.category != "individual") else ""
    return name, organisation


# ---------------------------------------------------------------- totals and pages

@dataclass
class Totals:
    received: int
    by_status: dict[str | None, int]   # None: no answer yet
    by_channel: dict[str, int]
    by_state: dict[str, int]
    by_hearing: list[tuple[Hearing | None, int]]  # None: comments not made at a hearing
    by_document: dict[int, int]


# Counts by (status, channel, state, hearing, document), keyed by what they depend on:
# an answer or moderation change bumps a document, a new comment raises the highest id.
_counts_cache: OrderedDict[tuple, list] = OrderedDict()


def _counts(session: Session, consultation: Consultation) -> list:
    mine = Comment.consultation_id == consultation.id
    key = (consultation.id, consultation.results_published_at,
           session.scalar(select(func.sum(Document.public_revision))
                          .where(Document.consultation_id == consultation.id)),
           session.scalar(select(func.max(Comment.id)).where(mine)))
    if key not in _counts_cache:
        status, joined = _effective_status()
        columns = (status, Comment.channel, Comment.state, Comment.hearing_id,
                   Comment.document_id)
        # One pass over the comments, however many there are; the rest is in Python.
        _counts_cache[key] = [tuple(row) for row in session.execute(
            joined(select(*columns, func.count())).where(mine).group_by(*columns))]
        while len(_counts_cache) > 8:
            _counts_cache.popitem(last=False)
    return _counts_cache[key]


def totals(session: Session, consultation: Consultation) -> Totals:
    """Counts of every comment received, by answer status, channel, state, hearing, document."""
    by: list[Counter] = [Counter() for _ in range(5)]
    for *values, count in _counts(session, consultation):
        for counter, value in zip(by, values):
            counter[value] += count
    by_status, by_channel, by_state, by_hearing_ids, by_document = by
    hearings = {h.id: h for h in session.scalars(
        select(Hearing).where(Hearing.id.in_([k for k in by_hearing_ids if k is not None])))}
    by_hearing = sorted(
        ((hearings.get(k) if k is not None else None, n) for k, n in by_hearing_ids.items()),
        key=lambda item: (item[0] is None, item[0].starts_at or datetime.max if item[0] else 0,
                          item[0].id if item[0] else 0))
    return Totals(received=sum(by_state.values()), by_status=dict(by_status),
                  by_channel=dict(by_channel), by_state=dict(by_state),
                  by_hearing=by_hearing, by_document=dict(by_document))


def _clause_order(document: Document):
    """Join and ORDER BY that list a document's comments clause by clause.

    Whole-document comments first, then clauses in the current version's order, then
    keys the current version no longer has. Ordering by key (not by the clause row of
    the version commented on) keeps a clause's comments together across versions.
    """
    clause = aliased(Clause)
    on = and_(clause.version_id == document.current_version_id, clause.key == Comment.clause_key)
    rank = case((Comment.clause_key.is_(None), 0), (clause.id.is_not(None), 1), else_=2)
    return clause, on, (rank, clause.position, Comment.clause_key)


def comment_count(session: Session, document: Document) -> int:
    """How many comments the document received (all states)."""
    return session.scalar(select(func.count()).select_from(Comment)
                          .where(Comment.document_id == document.id)) or 0


def comment_page(session: Session, document: Document, page: int,
                 per_page: int = RESULTS_PER_PAGE) -> list[Comment]:
    """One page (from 1) of the document's comments (all states), clause by clause."""
    clause, on, order = _clause_order(document)
    comments = list(session.scalars(
        select(Comment).outerjoin(clause, on).where(Comment.document_id == document.id)
        .order_by(*order, Comment.id).offset((page - 1) * per_page).limit(per_page)
        .options(selectinload(Comment.response), selectinload(Comment.hearing),
                 selectinload(Comment.group).selectinload(DuplicateGroup.response))))
    return comments


def group_sizes(session: Session, comments: Iterable[Comment]) -> dict[int, int]:
    """Members per duplicate group, for the groups among ``comments``."""
    ids = {c.group_id for c in comments if c.group_id is not None}
    if not ids:
        return {}
    rows = session.execute(select(Comment.group_id, func.count())
                           .where(Comment.group_id.in_(ids)).group_by(Comment.group_id))
    return {group_id: count for group_id, count in rows}


def clause_index(session: Session, document: Document,
                 per_page: int = RESULTS_PER_PAGE) -> list[tuple[str | None, int, int]]:
    """(clause key, comments, page it starts on) in the order comment_page lists them."""
    clause, on, order = _clause_order(document)
    rows = session.execute(
        select(Comment.clause_key, func.count()).outerjoin(clause, on)
        .where(Comment.document_id == document.id)
        .group_by(Comment.clause_key, clause.id, clause.position).order_by(*order))
    index, seen = [], 0
    for key, count in rows:
        index.append((key, count, seen // per_page + 1))
        seen += count
    return index


# ---------------------------------------------------------------- CSV

def safe_cell(value) -> str:
    """A CSV cell a spreadsheet shows as text: formulas neutralised, dates readable."""
    kind = type(value)
    if kind is str:  # the common case first: this runs for every cell of 100,000 rows
        return "'" + value if value and value[0] in _FORMULA_FIRST else value
    if value is None:
        return ""
    if kind is bool:
        return "1" if value else "0"
    if isinstance(value, datetime):
        return f"{value.day:02d}.{value.month:02d}.{value.year} {value.hour:02d}:{value.minute:02d}"
    return safe_cell(str(value)) if kind is not int else str(value)


def csv_chunks(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    """The CSV text in chunks: a UTF-8 BOM (Excel then reads Cyrillic right), header, rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(map(safe_cell, header))
    for number, row in enumerate(rows, 1):
        writer.writerow(map(safe_cell, row))
        if number % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def by_clause(comments: Iterable[Comment]) -> list[tuple[str | None, list[Comment]]]:
    """Consecutive comments of a page grouped by clause key, order kept."""
    groups: list[tuple[str | None, list[Comment]]] = []
    for comment in comments:
        if groups and groups[-1][0] == comment.clause_key:
            groups[-1][1].append(comment)
        else:
            groups.append((comment.clause_key, [comment]))
    return groups


def clauses_by_key(session: Session, document: Document,
                   comments: Iterable[Comment]) -> dict[str, Clause]:
    """The current version's clauses for the keys among ``comments``."""
    keys = {c.clause_key for c in comments if c.clause_key}
    if not keys:
        return {}
    return {c.key: c for c in session.scalars(select(Clause).where(
        Clause.version_id == document.current_version_id, Clause.key.in_(keys)))}
