"""The drafting desk: every comment of a document, clause by clause, with its answer.

Queries only; answering is ``answers``, grouping ``groups``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased, selectinload

from ..core.paging import Page, record_id
from ..core.vocab import CATEGORIES, CHANNELS, STATUSES
from ..drafts import revisions
from ..models import (
    Clause,
    ClauseLineage,
    Comment,
    Document,
    DocumentVersion,
    Response,
    User,
)
from . import review
from .answers import effective_status, joined

DESK_PER_PAGE = 50
DESK_FILTERS = ("clause", "channel", "hearing", "category", "status", "unanswered", "mine")


@dataclass
class DeskPage:
    rows: list  # (comment, own response, group response, group size)
    total: int  # comments matching the filters
    page: Page
    fates: dict = field(default_factory=dict)  # clause id -> revisions.Fate


def _desk_query(document: Document, filters: dict, user: User | None = None):
    """Comment ids of ``document`` matching ``filters`` (not yet in any order).

    The answers are joined only when a filter needs them: most pages count and list
    comments alone, on the (document, clause) index.
    """
    query = select(Comment.id).where(Comment.document_id == document.id)
    if filters.get("clause"):
        key = filters["clause"]
        # A clause of the current version, with the comments made on what it was before.
        current = select(Clause.id).where(Clause.version_id == document.current_version_id,
                                          Clause.key == key).scalar_subquery()
        query = query.where(Comment.clause_id.is_(None) if key == "-" else
                            Comment.clause_id.in_(select(ClauseLineage.clause_id).where(
                                ClauseLineage.current_clause_id == current)))
    if filters.get("mine") and user is not None:
        query = query.where(review.mine(user))
    if filters.get("channel"):
        query = query.where(Comment.channel == filters["channel"])
    if filters.get("hearing"):
        query = query.where(Comment.hearing_id == filters["hearing"])
    if filters.get("category"):
        query = query.where(Comment.category == filters["category"])
    if filters.get("status") or filters.get("unanswered"):
        own, grp, status = effective_status()
        query = joined(query, own, grp)
        if filters.get("status"):
            query = query.where(status == filters["status"])
        if filters.get("unanswered"):
            query = query.where(status.is_(None))
    return query


def _clause_order(session: Session, document: Document, clause_ids) -> list:
    """``clause_ids`` in document order: the whole document (None) first, then clause by
    clause as the current version has them, each clause's earlier versions with it (the
    clause it became, by lineage), then clauses deleted since (by version and position)."""
    wanted = [c for c in clause_ids if c is not None]
    current = aliased(Clause)
    places = {}
    if wanted:
        for clause_id, position, number, now in session.execute(
                select(Clause.id, Clause.position, DocumentVersion.number, current.position)
                .join(DocumentVersion, DocumentVersion.id == Clause.version_id)
                .outerjoin(ClauseLineage, (ClauseLineage.clause_id == Clause.id)
                           & ClauseLineage.first)
                .outerjoin(current, current.id == ClauseLineage.current_clause_id)
                .where(Clause.id.in_(wanted))):
            places[clause_id] = (1, now, -number, position) if now is not None else \
                (2, 0, number, position)
    return sorted(clause_ids, key=lambda c: (0, 0, 0, 0) if c is None else places[c])


def next_in_queue(session: Session, comment: Comment, user: User) -> Comment | None:
    """The next unanswered comment of ``user``'s queue in the same document (after this
    one by id, then from the start); None when the queue is done."""
    own, grp, status = effective_status()
    base = (joined(select(Comment.id), own, grp)
            .where(Comment.document_id == comment.document_id, Comment.id != comment.id,
                   status.is_(None), review.mine(user)))
    found = session.scalar(base.where(Comment.id > comment.id).order_by(Comment.id).limit(1))
    if found is None:
        found = session.scalar(base.order_by(Comment.id).limit(1))
    return session.get(Comment, found) if found is not None else None


def next_unanswered(session: Session, comment: Comment) -> Comment | None:
    """The next comment of the same document, by id, that has no answer yet.

    Walks the primary key onwards in chunks: filtering on the document would make the
    database sort all of the document's comments first (slow with 100,000 of them).
    """
    own, grp, status = effective_status()
    after = comment.id
    while True:
        chunk = session.execute(
            joined(select(Comment.id, Comment.document_id, status), own, grp)
            .where(Comment.id > after).order_by(Comment.id).limit(500)).all()
        for comment_id, document_id, answered in chunk:
            if document_id == comment.document_id and answered is None:
                return session.get(Comment, comment_id)
        if len(chunk) < 500:
            return None
        after = chunk[-1][0]


def clean_filters(args) -> dict:
    """The desk's filters from query parameters, unknown values dropped."""
    filters = {}
    for name in ("clause", "channel", "category", "status"):
        value = (args.get(name) or "").strip()[:40]
        if value:
            filters[name] = value
    if filters.get("channel") not in (None, *CHANNELS):
        filters.pop("channel")
    if filters.get("category") not in (None, *CATEGORIES):
        filters.pop("category")
    if filters.get("status") not in (None, *STATUSES):
        filters.pop("status")
    hearing = record_id((args.get("hearing") or "").strip())
    if hearing is not None:
        filters["hearing"] = hearing
    if args.get("unanswered") in ("1", "on", "y", "true"):
        filters["unanswered"] = True
    if args.get("mine") in ("1", "on", "y", "true"):
        filters["mine"] = True
    return filters


def desk_page(session: Session, document: Document, filters: dict, page: int = 1,
              per_page: int = DESK_PER_PAGE, user: User | None = None) -> DeskPage:
    """One page of the desk: the filtered comments in document order, and how many match.

    A few queries whatever the page size (counts per clause, ids of the one or few
    clauses the page falls on, comments, answers, group sizes): no query per comment, and
    no sort of the whole document. The document's own counts are ``review.progress``.
    """
    # Sorting every comment of the document into clause order to keep fifty is what
    # made large documents slow: count per clause instead (an index scan), find the
    # clauses the page falls on, and read only their ids, in id order.
    query = _desk_query(document, filters, user)
    per_clause = dict(session.execute(
        query.with_only_columns(Comment.clause_id, func.count())
        .group_by(Comment.clause_id)).all())
    total = sum(per_clause.values())
    shown = Page(page, per_page, total).clamped()
    skip, wanted, ids = shown.offset, per_page, []
    for clause_id in _clause_order(session, document, per_clause):
        count = per_clause[clause_id]
        if skip >= count:
            skip -= count
            continue
        ids += session.scalars(
            query.where(Comment.clause_id.is_(None) if clause_id is None else
                        Comment.clause_id == clause_id)
            .order_by(Comment.id).offset(skip).limit(wanted))
        skip, wanted = 0, per_page - len(ids)
        if wanted <= 0:
            break
    comments = {c.id: c for c in session.scalars(
        select(Comment).where(Comment.id.in_(ids))
        .options(selectinload(Comment.hearing), selectinload(Comment.assignee)))}
    own = {r.comment_id: r for r in session.scalars(
        select(Response).where(Response.comment_id.in_(ids)))} if ids else {}
    group_ids = {c.group_id for c in comments.values() if c.group_id is not None}
    grp, sizes = {}, {}
    if group_ids:
        grp = {r.group_id: r for r in session.scalars(
            select(Response).where(Response.group_id.in_(group_ids)))}
        sizes = dict(session.execute(
            select(Comment.group_id, func.count()).where(Comment.group_id.in_(group_ids))
            .group_by(Comment.group_id)).all())
    rows = []
    for comment_id in ids:
        c = comments[comment_id]
        rows.append((c, own.get(c.id), grp.get(c.group_id), sizes.get(c.group_id, 0)))
    return DeskPage(rows=rows, total=total, page=shown,
                    fates=revisions.fates(session, [c.clause_id for c in comments.values()]))

