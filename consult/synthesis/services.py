"""Drafters' answers to comments and the duplicate groups that share one answer.

Every function takes a session and plain values, flushes, and leaves the commit to the
view or command that called it. Every change is audited.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, selectinload

from .. import audit
from ..models import (CATEGORIES, CHANNELS, STATUSES, AuditEvent, Clause, Comment, Document,
                      DuplicateGroup, Response, User)
from ..timeutil import utcnow

# Statuses that must say why (Aarhus Art. 6(8): due account, with reasons).
RATIONALE_REQUIRED = ("partly-accepted", "not-accepted", "out-of-scope")
# Statuses that must say what changed in the revised draft ("no change" is an answer).
CHANGE_REQUIRED = ("accepted", "partly-accepted")
# Long enough for a careful bilingual rationale, short enough to stay a cell in Excel.
MAX_TEXT = 20000


class AnswerInvalid(ValueError):
    """The answer breaks a rule; ``messages`` maps a field name to a translated message."""

    def __init__(self, messages: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in messages.items()))
        self.messages = messages


class AnswerConflict(Exception):
    """Someone else saved this answer after the editor opened it; ``current`` is theirs."""

    def __init__(self, current: Response | None):
        super().__init__("the answer was changed by someone else")
        self.current = current


def effective_response(comment: Comment) -> Response | None:
    """The response that applies to ``comment``: its group's when grouped (= comment.answer)."""
    return comment.answer


def snapshot(response: Response | None) -> dict | None:
    """What the audit log keeps of an answer."""
    if response is None:
        return None
    return {"status": response.status, "rationale": response.rationale,
            "change": response.change, "revision": response.revision,
            "comment_id": response.comment_id, "group_id": response.group_id,
            "responder_id": response.responder_id}


def validate_answer(status: str | None, rationale: str | None,
                    change: str | None) -> tuple[str, str, str]:
    """Normalise the three fields, or raise AnswerInvalid naming every broken rule."""
    status = (status or "").strip()
    rationale = (rationale or "").replace("\r\n", "\n").strip()
    change = (change or "").replace("\r\n", "\n").strip()
    messages: dict[str, str] = {}
    if not status:
        messages["status"] = _("Choose a response status.")
    elif status not in STATUSES:
        messages["status"] = _("Unknown response status.")
    if status in RATIONALE_REQUIRED and not rationale:
        messages["rationale"] = _("This status needs a rationale (in Kyrgyz and/or Russian).")
    if status in CHANGE_REQUIRED and not change:
        messages["change"] = _('Say what changes in the revised draft (or write "no change").')
    if len(rationale) > MAX_TEXT:
        messages["rationale"] = _("The rationale is too long (at most %(n)d characters).",
                                  n=MAX_TEXT)
    if len(change) > MAX_TEXT:
        messages["change"] = _("The change is too long (at most %(n)d characters).",
                               n=MAX_TEXT)
    if messages:
        raise AnswerInvalid(messages)
    return status, rationale, change


def _owner_clause(comment: Comment):
    """The column and value that identify the response applying to ``comment``."""
    if comment.group_id is not None:
        return Response.group_id, comment.group_id
    return Response.comment_id, comment.id


def stored_response(session: Session, comment: Comment) -> Response | None:
    """The response applying to ``comment`` as the database has it now (not a stale copy)."""
    column, value = _owner_clause(comment)
    return session.execute(
        select(Response).where(column == value).execution_options(populate_existing=True)
    ).scalar_one_or_none()


def save_answer(session: Session, comment: Comment, status: str, rationale: str, change: str,
                actor: User | None, base_revision: int | None) -> Response:
    """Create or update the answer that applies to ``comment`` and return it.

    The answer is the group's when the comment is in a duplicate group, else its own.
    ``base_revision`` is the revision the editor started from (None when there was no
    answer yet). If the stored answer has moved on, AnswerConflict is raised carrying it,
    and nothing is written: a second drafter never silently overwrites the first. The
    revision check is done in the UPDATE itself, so two saves racing each other cannot
    both pass it. Bad values raise AnswerInvalid. Audits ``response.save``, bumps the
    document. Flushes, does not commit.
    """
    status, rationale, change = validate_answer(status, rationale, change)
    session.flush()
    current = stored_response(session, comment)
    now = utcnow()
    responder_id = actor.id if actor is not None else None

    if current is None:
        response = Response(status=status, rationale=rationale, change=change,
                            responder_id=responder_id, revision=1, created_at=now,
                            updated_at=now)
        try:
            # A savepoint: if another drafter created the answer meanwhile, the unique
            # constraint refuses ours and the outer transaction stays usable.
            with session.begin_nested():
                # The foreign key, not the relationship: assigning a one-to-one relationship
                # would quietly detach an answer someone else has just stored.
                column, value = _owner_clause(comment)
                setattr(response, column.key, value)
                session.add(response)
        except IntegrityError:
            raise AnswerConflict(stored_response(session, comment)) from None
        before = None
        # Let comment.answer load the new answer instead of a cached "none".
        session.expire(comment.group if comment.group_id is not None else comment,
                       ["response"])
    else:
        if base_revision is None or int(base_revision) != current.revision:
            raise AnswerConflict(current)
        before = snapshot(current)
        result = session.execute(
            update(Response)
            .where(Response.id == current.id, Response.revision == current.revision)
            .values(status=status, rationale=rationale, change=change,
                    responder_id=responder_id, updated_at=now,
                    revision=Response.revision + 1)
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:
            raise AnswerConflict(stored_response(session, comment))
        session.refresh(current)
        response = current

    audit.record(session, actor, "response.save", response, before=before,
                 after=snapshot(response) | {"for_comment_id": comment.id})
    comment.document.bump()
    session.flush()
    return response


# ---------------------------------------------------------------- duplicate groups
#
# Decisions, so that what a citizen sees on the receipt never changes by surprise:
# - Confirming a group: the group's answer is a copy of the answer of the first member
#   (lowest comment id) that has one. Members' own answers are kept, set aside while
#   the comment is grouped (comment.answer is the group's).
# - Splitting a member off: it gets its own answer slot again, holding a copy of the
#   group's answer (so it stays answered as it was); the drafter may then change it.
#   A group left with one member is dissolved the same way.
# - Merging group B into A: B's members join A; A's answer stays, or B's is copied
#   when A has none.


class GroupRefused(ValueError):
    """The grouping change is not possible; the message (translated) says why."""


def _copy_answer(session: Session, source: Response, actor: User | None, *, comment=None,
                 group=None, reason: str) -> Response:
    """Give ``comment`` (or ``group``) an answer equal to ``source``, audited."""
    column, value = ((Response.group_id, group.id) if group is not None
                     else (Response.comment_id, comment.id))
    target = session.execute(select(Response).where(column == value)).scalar_one_or_none()
    before = snapshot(target)
    if target is None:
        target = Response(revision=0)
        setattr(target, column.key, value)
        session.add(target)
    target.status, target.rationale, target.change = (source.status, source.rationale,
                                                      source.change)
    target.responder_id = source.responder_id
    target.updated_at = utcnow()
    target.revision = (target.revision or 0) + 1
    session.flush()
    audit.record(session, actor, "response.save", target, before=before,
                 after=snapshot(target) | {"copied_from": source.id, "reason": reason})
    return target


def _group_response(session: Session, group) -> Response | None:
    return session.execute(
        select(Response).where(Response.group_id == group.id)).scalar_one_or_none()


def _members(session: Session, group) -> list[Comment]:
    return list(session.scalars(select(Comment).where(Comment.group_id == group.id)
                                .order_by(Comment.id)))


def create_group(session: Session, comment_ids: list[int], actor: User | None):
    """Confirm a duplicate group of ``comment_ids`` (same document and clause, ungrouped).

    Returns (group, answered_from): the comment whose answer the group took, or None.
    Audits ``group.create``.
    """
    ids = sorted({int(i) for i in comment_ids})
    if len(ids) < 2:
        raise GroupRefused(_("A group needs at least two comments."))
    comments = list(session.scalars(select(Comment).where(Comment.id.in_(ids))
                                    .order_by(Comment.id)))
    if len(comments) != len(ids):
        raise GroupRefused(_("Some of these comments do not exist."))
    if len({(c.document_id, c.clause_key) for c in comments}) != 1:
        raise GroupRefused(_("Only comments on the same clause can be grouped."))
    if any(c.group_id is not None for c in comments):
        raise GroupRefused(_("Some of these comments are already in a group; merge the "
                             "groups instead."))
    first = comments[0]
    group = DuplicateGroup(document_id=first.document_id, clause_key=first.clause_key,
                           created_by_id=actor.id if actor is not None else None)
    session.add(group)
    session.flush()
    earliest = session.execute(select(Response).where(Response.comment_id.in_(ids))
                               .order_by(Response.comment_id).limit(1)).scalar_one_or_none()
    answered_from = (next(c for c in comments if c.id == earliest.comment_id)
                     if earliest is not None else None)
    for comment in comments:
        comment.group_id = group.id
    session.flush()
    if earliest is not None:
        _copy_answer(session, earliest, actor, group=group, reason="group.create")
    audit.record(session, actor, "group.create", group, before=None,
                 after={"members": ids, "clause_key": group.clause_key,
                        "answer_from_comment": answered_from.id if answered_from else None})
    first.document.bump()
    session.flush()
    session.expire_all()
    return group, answered_from


def split_member(session: Session, comment: Comment, actor: User | None) -> None:
    """Take ``comment`` out of its group; it keeps a copy of the group's answer.

    A group left with a single member is dissolved. Audits ``group.split``.
    """
    if comment.group_id is None:
        raise GroupRefused(_("This comment is not in a group."))
    group = session.get(DuplicateGroup, comment.group_id)
    members = _members(session, group)
    leaving = [comment] if len(members) > 2 else members
    answer = _group_response(session, group)
    for member in leaving:
        member.group_id = None
        if answer is not None:
            _copy_answer(session, answer, actor, comment=member, reason="group.split")
    session.flush()
    audit.record(session, actor, "group.split", group,
                 before={"members": [m.id for m in members]},
                 after={"members": [m.id for m in members if m not in leaving],
                        "removed": [m.id for m in leaving]})
    comment.document.bump()
    session.flush()
    session.expire_all()


def merge_groups(session: Session, target_id: int, source_id: int, actor: User | None):
    """Move every member of group ``source_id`` into group ``target_id``.

    The target's answer stays; if it has none, the source's is copied. Audits
    ``group.merge``. Returns the target group.
    """
    target = session.get(DuplicateGroup, int(target_id))
    source = session.get(DuplicateGroup, int(source_id))
    if target is None or source is None:
        raise GroupRefused(_("Choose two existing groups."))
    if target.id == source.id:
        raise GroupRefused(_("A group cannot be merged with itself."))
    if (target.document_id, target.clause_key) != (source.document_id, source.clause_key):
        raise GroupRefused(_("Only groups on the same clause can be merged."))
    moved = _members(session, source)
    if not moved:
        raise GroupRefused(_("That group has no members left."))
    before = {"target_members": [m.id for m in _members(session, target)],
              "source_members": [m.id for m in moved]}
    target_answer, source_answer = (_group_response(session, target),
                                    _group_response(session, source))
    for member in moved:
        member.group_id = target.id
    session.flush()
    if target_answer is None and source_answer is not None:
        _copy_answer(session, source_answer, actor, group=target, reason="group.merge")
    audit.record(session, actor, "group.merge", target, before=before,
                 after={"members": [m.id for m in _members(session, target)],
                        "merged_group": source.id})
    moved[0].document.bump()
    session.flush()
    session.expire_all()
    return target


# ---------------------------------------------------------------- the drafting desk

DESK_PER_PAGE = 50
DESK_FILTERS = ("clause", "channel", "hearing", "category", "status", "unanswered")


@dataclass
class DeskPage:
    rows: list  # (comment, own response, group response, group size)
    total: int  # comments matching the filters
    counts: dict  # the document's total / answered / unanswered
    page: int
    pages: int


def _desk_query(document: Document, filters: dict):
    """Comment ids of ``document`` matching ``filters`` (not yet in any order).

    The answers are joined only when a filter needs them: most pages count and list
    comments alone, on the (document, clause) index.
    """
    query = select(Comment.id).where(Comment.document_id == document.id)
    if filters.get("clause"):
        key = filters["clause"]
        query = query.where(Comment.clause_key.is_(None) if key == "-" else
                            Comment.clause_key == key)
    if filters.get("channel"):
        query = query.where(Comment.channel == filters["channel"])
    if filters.get("hearing"):
        query = query.where(Comment.hearing_id == filters["hearing"])
    if filters.get("category"):
        query = query.where(Comment.category == filters["category"])
    if filters.get("status") or filters.get("unanswered"):
        own, grp, status = _effective_status()
        query = (query.outerjoin(own, own.comment_id == Comment.id)
                 .outerjoin(grp, grp.group_id == Comment.group_id))
        if filters.get("status"):
            query = query.where(status == filters["status"])
        if filters.get("unanswered"):
            query = query.where(status.is_(None))
    return query


def _clause_order(session: Session, document: Document, keys) -> list:
    """``keys`` in document order: the whole document first, then clause by clause as
    the current version has them, then clauses it no longer has (by key)."""
    positions = dict(session.execute(
        select(Clause.key, Clause.position)
        .where(Clause.version_id == document.current_version_id)).all())
    return sorted(keys, key=lambda k: ((0, 0, "") if k is None else
                                       (1, positions[k], k) if k in positions else
                                       (2, 0, k)))


def _effective_status():
    """The two outer joins that give a comment's answer status (its group's when grouped,
    else its own; NULL when unanswered), as (own alias, group alias, status expression).
    Joins on the unique response.comment_id / group_id indexes, no subquery per row."""
    own, grp = aliased(Response), aliased(Response)
    return own, grp, case((Comment.group_id.is_not(None), grp.status), else_=own.status)


def document_counts(session: Session, document: Document) -> dict:
    """Comments received on ``document``, answered (own or group answer) and unanswered."""
    own, grp, status = _effective_status()
    received, answered = session.execute(
        select(func.count(), func.count(status)).select_from(Comment)
        .outerjoin(own, own.comment_id == Comment.id)
        .outerjoin(grp, grp.group_id == Comment.group_id)
        .where(Comment.document_id == document.id)).one()
    return {"total": received, "answered": answered, "unanswered": received - answered}


def next_unanswered(session: Session, comment: Comment) -> Comment | None:
    """The next comment of the same document, by id, that has no answer yet.

    Walks the primary key onwards in chunks: filtering on the document would make the
    database sort all of the document's comments first (slow with 100,000 of them).
    """
    own, grp, status = _effective_status()
    after = comment.id
    while True:
        chunk = session.execute(
            select(Comment.id, Comment.document_id, status)
            .outerjoin(own, own.comment_id == Comment.id)
            .outerjoin(grp, grp.group_id == Comment.group_id)
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
    hearing = (args.get("hearing") or "").strip()
    if hearing.isdigit():
        filters["hearing"] = int(hearing)
    if args.get("unanswered") in ("1", "on", "y", "true"):
        filters["unanswered"] = True
    return filters


def desk_page(session: Session, document: Document, filters: dict, page: int = 1,
              per_page: int = DESK_PER_PAGE) -> DeskPage:
    """One page of the desk: the filtered comments in document order and the counts.

    A few queries whatever the page size (counts per clause, ids of the one or few
    clauses the page falls on, comments, answers, group sizes, document counts): no
    query per comment, and no sort of the whole document.
    """
    # Sorting every comment of the document into clause order to keep fifty is what
    # made large documents slow: count per clause instead (an index scan), find the
    # clauses the page falls on, and read only their ids, in id order.
    query = _desk_query(document, filters)
    per_clause = dict(session.execute(
        query.with_only_columns(Comment.clause_key, func.count())
        .group_by(Comment.clause_key)).all())
    total = sum(per_clause.values())
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    skip, wanted, ids = (page - 1) * per_page, per_page, []
    for key in _clause_order(session, document, per_clause):
        count = per_clause[key]
        if skip >= count:
            skip -= count
            continue
        ids += session.scalars(
            query.where(Comment.clause_key.is_(None) if key is None else
                        Comment.clause_key == key)
            .order_by(Comment.id).offset(skip).limit(wanted))
        skip, wanted = 0, per_page - len(ids)
        if wanted <= 0:
            break
    comments = {c.id: c for c in session.scalars(
        select(Comment).where(Comment.id.in_(ids)).options(selectinload(Comment.hearing)))}
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
    return DeskPage(rows=rows, total=total, page=page, pages=pages,
                    counts=document_counts(session, document))


def answer_history(session: Session, comment: Comment) -> list[AuditEvent]:
    """Audit events of the answers this comment has had (its own and its group's)."""
    ids = [r.id for r in session.scalars(select(Response).where(or_(
        Response.comment_id == comment.id,
        and_(Response.group_id.is_not(None), Response.group_id == comment.group_id))))]
    if not ids:
        return []
    return list(session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "response",
                                 AuditEvent.object_id.in_(ids))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(100)))
