"""Duplicate groups: comments answered together, every member kept and counted.

A comment is not a vote (US and EU practice on mass campaigns): the drafter answers the
substance once, and each member keeps its own row. Functions take a session and plain
values, flush, and leave the commit to the caller. Every change is audited.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit
from ..core.time import utcnow
from ..mail import events as mail
from ..models import Comment, DuplicateGroup, Response, User
from .answers import FINAL, decided_documents, snapshot

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
    target.language = source.language
    target.responder_id = source.responder_id
    # The same words, reviewed as they were: an approval goes with the text it approved.
    target.ready_at, target.approved_at, target.approved_by_id = (
        source.ready_at, source.approved_at, source.approved_by_id)
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


def _not_final(session: Session, document_id: int) -> None:
    # Grouping changes which answer applies: not after the decision was taken on them.
    if decided_documents(session, [document_id]):
        raise GroupRefused(FINAL())


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
    _not_final(session, comments[0].document_id)
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
    session.flush()
    mail.answers_changed(session, comment_ids=ids)  # members may now have a public answer
    session.expire_all()
    return group, answered_from


def split_member(session: Session, comment: Comment, actor: User | None) -> None:
    """Take ``comment`` out of its group; it keeps a copy of the group's answer.

    A group left with a single member is dissolved. Audits ``group.split``.
    """
    if comment.group_id is None:
        raise GroupRefused(_("This comment is not in a group."))
    _not_final(session, comment.document_id)
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
    _not_final(session, target.document_id)
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
    session.flush()
    mail.answers_changed(session, comment_ids=[m.id for m in moved])
    session.expire_all()
    return target

