"""Publishing the synthesis: the completeness rule, the totals and the pages of results.

Aarhus Art. 6(8)/6(9): the outcome is made public with the reasons for it, so results
go out only once every comment received (any channel, hidden ones included) has an
answer. What the public may see of each comment is ``comments.public``'s to decide.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased, selectinload

from .. import audit
from ..cache import lru
from ..core.time import iso_local, utcnow
from ..mail import events as mail
from ..models import (
    Clause,
    ClauseLineage,
    Comment,
    Consultation,
    Document,
    DocumentVersion,
    DuplicateGroup,
    Hearing,
    Response,
    User,
)
from ..synthesis.answers import effective_status, joined

RESULTS_PER_PAGE = 200


class PublishRefused(Exception):
    """Publishing was refused: ``unanswered`` lists (some of) the comments without answer;
    ``still_open`` says the period has not closed yet."""

    def __init__(self, unanswered: list[Comment], total: int, still_open: bool = False,
                 unapproved: int = 0):
        super().__init__(f"{total} comments have no answer; still open: {still_open}; "
                         f"{unapproved} answers not approved")
        self.unanswered = unanswered
        self.total = total
        self.still_open = still_open
        self.unapproved = unapproved  # answers awaiting a lead drafter's approval



def unanswered(session: Session, consultation: Consultation,
               limit: int | None = 500) -> tuple[list[Comment], int]:
    """Comments of ``consultation`` without an answer (first ``limit``), and how many."""
    own, grp, status = effective_status()
    where = and_(Comment.consultation_id == consultation.id, status.is_(None))
    total = session.scalar(joined(select(func.count()).select_from(Comment), own, grp)
                           .where(where)) or 0
    if not total:
        return [], 0
    query = (joined(select(Comment), own, grp).where(where)
             .options(selectinload(Comment.document).selectinload(Document.current_version))
             .order_by(Comment.document_id, Comment.id))
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query)), total


def publish(session: Session, consultation: Consultation, actor: User | None,
            now: datetime | None = None) -> None:
    """Publish the results now; refused (PublishRefused) before the period has closed and
    while any comment received has no answer (Aarhus Art. 6(8), 6(9))."""
    now = now or utcnow()
    still_open = not consultation.closes_at or now < consultation.closes_at
    missing, total = unanswered(session, consultation)
    waiting = unapproved(session, consultation)
    if total or still_open or waiting:
        raise PublishRefused(missing, total, still_open, waiting)
    before = {"results_published_at": iso_local(consultation.results_published_at)}
    consultation.results_published_at = utcnow()
    session.flush()
    audit.record(session, actor, "results.publish", consultation, before,
                 {"results_published_at": iso_local(consultation.results_published_at)})
    mail.results_published(session, consultation)


def unapproved(session: Session, consultation: Consultation) -> int:
    """Answers of the consultation not yet approved, when approval is required: the results
    would show them as unanswered."""
    if not consultation.answer_approval:
        return 0
    on = or_(Comment.id == Response.comment_id,
             and_(Response.group_id.is_not(None), Comment.group_id == Response.group_id))
    return session.scalar(
        select(func.count(func.distinct(Response.id))).select_from(Response).join(Comment, on)
        .where(Comment.consultation_id == consultation.id,
               Response.approved_at.is_(None))) or 0


def unpublish(session: Session, consultation: Consultation, actor: User | None) -> None:
    """Withdraw published results, e.g. to correct an answer; audited. Refused once the
    decision is recorded: it was taken on these results."""
    if consultation.decision is not None:
        raise PublishRefused([], 0)
    before = {"results_published_at": iso_local(consultation.results_published_at)}
    consultation.results_published_at = None
    session.flush()
    audit.record(session, actor, "results.unpublish", consultation, before,
                 {"results_published_at": None})
    mail.results_withdrawn(session, consultation)





# ---------------------------------------------------------------- totals and pages

@dataclass
class Totals:
    received: int
    by_status: dict[str | None, int]   # None: no answer yet
    by_channel: dict[str, int]
    by_state: dict[str, int]
    by_hearing: list[tuple[Hearing | None, int]]  # None: comments not made at a hearing
    by_document: dict[int, int]
    after_publication: int = 0  # recorded after the results were published

    @property
    def unanswered(self) -> int:
        return self.by_status.get(None, 0)


# Counts by (status, channel, state, hearing, document), keyed by what they depend on:
# an answer or moderation change revises a document, a new comment raises the highest id.
_counts_cache = lru("results.counts", 8)


def _counts(session: Session, consultation: Consultation) -> list:
    mine = Comment.consultation_id == consultation.id
    key = (consultation.id, consultation.results_published_at,
           session.scalar(select(func.sum(Document.public_revision))
                          .where(Document.consultation_id == consultation.id)),
           session.scalar(select(func.max(Comment.id)).where(mine)))
    counts = _counts_cache.get(key)
    if counts is None:
        own, grp, status = effective_status()
        columns = (status, Comment.channel, Comment.state, Comment.hearing_id,
                   Comment.document_id)
        # One pass over the comments, however many there are; the rest is in Python.
        counts = [tuple(row) for row in session.execute(
            joined(select(*columns, func.count()).select_from(Comment), own, grp)
            .where(mine).group_by(*columns))]
        _counts_cache.set(key, counts)
    return counts


def totals(session: Session, consultation: Consultation) -> Totals:
    """Counts of every comment received, by answer status, channel, state, hearing, document."""
    by: list[Counter] = [Counter() for _ in range(5)]
    for *values, count in _counts(session, consultation):
        for counter, value in zip(by, values, strict=True):
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
                  by_hearing=by_hearing, by_document=dict(by_document),
                  after_publication=after_publication(session, consultation))


def after_publication(session: Session, consultation: Consultation) -> int:
    """Comments recorded after the results were published (a late letter, a kit uploaded
    late): the results page says so, and counts them."""
    if consultation.results_published_at is None:
        return 0
    return session.scalar(select(func.count()).select_from(Comment).where(
        Comment.consultation_id == consultation.id,
        Comment.created_at > consultation.results_published_at)) or 0


def _clause_order(document: Document):
    """Joins and ORDER BY that list a document's comments clause by clause, each under
    the clause it is in the current version (its lineage), so that a comment made on an
    earlier version sits with what its clause became, never under a text by key alone.

    Whole-document comments first, then the current version's clauses in order, then the
    clauses deleted since (by version and position).
    """
    lineage = aliased(ClauseLineage)
    current = aliased(Clause)
    own = aliased(Clause)
    joins = ((lineage, (lineage.clause_id == Comment.clause_id) & lineage.first),
             (current, current.id == lineage.current_clause_id),
             (own, own.id == Comment.clause_id))
    rank = case((Comment.clause_id.is_(None), 0), (current.id.is_not(None), 1), else_=2)
    return joins, (rank, current.position, own.version_id, own.position), current, own


def _joined(query, joins):
    for target, on in joins:
        query = query.outerjoin(target, on)
    return query


def comment_count(session: Session, document: Document) -> int:
    """How many comments the document received (all states)."""
    return session.scalar(select(func.count()).select_from(Comment)
                          .where(Comment.document_id == document.id)) or 0


def comment_page(session: Session, document: Document, page: int,
                 per_page: int = RESULTS_PER_PAGE) -> list[Comment]:
    """One page (from 1) of the document's comments (all states), clause by clause."""
    joins, order, _current, _own = _clause_order(document)
    comments = list(session.scalars(
        _joined(select(Comment), joins).where(Comment.document_id == document.id)
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
    return dict(rows.all())


@dataclass(frozen=True)
class Place:
    """A heading of the results: a clause of the current version, a clause deleted since
    (with the version that had it), or the whole document (key None)."""
    key: str | None
    deleted_from: int | None = None  # the version number of a deleted clause

    @property
    def anchor(self) -> str:
        if self.key is None:
            return "document"
        return f"v{self.deleted_from}-{self.key}" if self.deleted_from else self.key


def clause_index(session: Session, document: Document,
                 per_page: int = RESULTS_PER_PAGE) -> list[tuple[Place, int, int]]:
    """(place, comments, page it starts on) in the order comment_page lists them."""
    joins, order, current, own = _clause_order(document)
    rows = session.execute(
        _joined(select(current.key, own.key, DocumentVersion.number, func.count())
                .select_from(Comment), joins)
        .outerjoin(DocumentVersion, DocumentVersion.id == own.version_id)
        .where(Comment.document_id == document.id)
        .group_by(current.key, own.key, DocumentVersion.number, *order).order_by(*order))
    index: list[tuple[Place, int, int]] = []
    seen = 0
    for current_key, own_key, number, count in rows:
        place = place_of(current_key, own_key, number)
        if index and index[-1][0] == place:
            place, before, start = index.pop()
            index.append((place, before + count, start))
        else:
            index.append((place, count, seen // per_page + 1))
        seen += count
    return index


def place_of(current_key: str | None, own_key: str | None, number: int | None) -> Place:
    if own_key is None:
        return Place(None)
    if current_key is None:
        return Place(own_key, number)
    return Place(current_key)


def by_clause(entries: Iterable[tuple], fates: dict) -> list[tuple[Place, list[tuple]]]:
    """Consecutive entries of a page (a public comment first in each) grouped under the
    place their clause has now (``fates``: clause id -> revisions.Fate), order kept."""
    groups: list[tuple[Place, list[tuple]]] = []
    for entry in entries:
        fate = fates.get(entry[0].clause_id)
        if fate is None:
            place = Place(None)
        elif fate.current:
            place = Place(fate.current[0])
        else:
            place = Place(fate.key, fate.version)
        if groups and groups[-1][0] == place:
            groups[-1][1].append(entry)
        else:
            groups.append((place, [entry]))
    return groups


def clauses_by_key(session: Session, document: Document,
                   places: Iterable[Place]) -> dict[str, Clause]:
    """The current version's clauses for the places among a page's groups."""
    keys = {p.key for p in places if p.key and not p.deleted_from}
    if not keys:
        return {}
    return {c.key: c for c in session.scalars(select(Clause).where(
        Clause.version_id == document.current_version_id, Clause.key.in_(keys)))}
