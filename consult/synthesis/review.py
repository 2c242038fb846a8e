"""Work shared out and answers reviewed.

A lead drafter (or an administrator) gives chapters of a document, or single comments, to
drafters; a drafter's queue is what is given to them: the comments given to them singly,
and those of their chapters not given to someone else. A comment's chapter is the
chapter its clause is in now (its lineage, for comments made on earlier versions).

When the consultation asks for it (``Consultation.answer_approval``, on by default), an
answer reaches the public (``comments.public.answer_public``) only once a lead drafter has
approved it; a drafter marks their answer ready for that review, and a lead drafter
approves it or sends it back with a note. Any change of the answer's words takes the
approval away (``answers.save_answer``). Every step is audited.

Services take a session and plain values, flush, and leave the commit to the caller.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from .. import audit
from ..core.time import iso_local, utcnow
from ..mail import events as mail
from ..models import (
    AuditEvent,
    ChapterAssignment,
    Clause,
    ClauseLineage,
    Comment,
    Consultation,
    Document,
    DocumentVersion,
    Response,
    Section,
    User,
)
from .answers import effective_status, joined

NOTE_MAX = 2000


class ReviewRefused(ValueError):
    """The step was not taken; the message (translated) says why."""


# ---------------------------------------------------------------- chapters

def chapter_of(clause_id=None):
    """(joins, expression): the position of the chapter a clause is in now (its first
    current clause's top-level section); NULL for the whole document or a clause deleted
    since. ``clause_id``: the column naming the clause (by default the comment's)."""
    clause_id = Comment.clause_id if clause_id is None else clause_id
    lineage, current, section = aliased(ClauseLineage), aliased(Clause), aliased(Section)
    joins = ((lineage, and_(lineage.clause_id == clause_id, lineage.first)),
             (current, current.id == lineage.current_clause_id),
             (section, section.id == current.section_id))
    return joins, section.chapter_position


def _with(query, joins):
    for target, on in joins:
        query = query.outerjoin(target, on)
    return query


@dataclass
class Chapter:
    """A chapter of a document's current version, with who has it and how far it is."""
    position: int | None  # None: comments on the whole document or on deleted clauses
    heading: dict
    assignee: User | None
    received: int = 0
    answered: int = 0

    @property
    def share(self) -> int:
        """Answered, in per cent (rounded down: 100 only when every comment is answered)."""
        return self.answered * 100 // self.received if self.received else 100


@dataclass
class Progress:
    """How far the answering of a document is, from one pass over its comments (a desk
    page shows the document's totals, its chapters and the drafter's queue from it)."""
    document_id: int
    # (chapter position or None, drafter given the comments singly or None,
    #  comments received, of which answered): one row per clause and drafter.
    rows: list[tuple[int | None, int | None, int, int]]

    def counts(self) -> dict:
        """Comments received on the document, answered (own or group answer) and not."""
        received = sum(row[2] for row in self.rows)
        answered = sum(row[3] for row in self.rows)
        return {"total": received, "answered": answered, "unanswered": received - answered}


def progress(session: Session, document: Document) -> Progress:
    """Count ``document``'s comments, received and answered, by clause and by the drafter
    each was given to singly; then place each clause in its chapter (a few hundred rows,
    not a join per comment)."""
    own, grp, status = effective_status()
    per_clause = (joined(select(Comment.clause_id, Comment.assignee_id,
                                func.count().label("received"),
                                func.count(status).label("answered"))
                         .select_from(Comment), own, grp)
                  .where(Comment.document_id == document.id)
                  .group_by(Comment.clause_id, Comment.assignee_id).subquery())
    joins, chapter = chapter_of(per_clause.c.clause_id)
    rows = session.execute(_with(
        select(chapter, per_clause.c.assignee_id, per_clause.c.received,
               per_clause.c.answered).select_from(per_clause), joins))
    return Progress(document.id, [(position, assignee, int(received), int(answered))
                                  for position, assignee, received, answered in rows])


def chapters(session: Session, document: Document,
             counted: Progress | None = None) -> list[Chapter]:
    """The document's chapters in order (then "other": whole document, deleted clauses),
    each with its drafter and its comments received and answered (from ``counted``, else
    counted here)."""
    found = {s.chapter_position: Chapter(s.chapter_position, s.heading, None)
             for s in session.scalars(
                 select(Section).where(Section.version_id == document.current_version_id,
                                       Section.position == Section.chapter_position)
                 .order_by(Section.position))}
    other = Chapter(None, {}, None)
    for item in session.scalars(select(ChapterAssignment).where(
            ChapterAssignment.document_id == document.id)):
        if item.chapter_position in found:
            found[item.chapter_position].assignee = item.user
    counted = counted or progress(session, document)
    for position, _assignee, received, answered in counted.rows:
        target = found.get(position, other)
        target.received += received
        target.answered += answered
    return [*found.values(), *([other] if other.received else [])]


def assign_chapter(session: Session, document: Document, position: int,
                   drafter: User | None, actor: User | None) -> None:
    """Give chapter ``position`` to ``drafter`` (None: to nobody). Audited."""
    chapter = session.scalar(select(Section).where(
        Section.version_id == document.current_version_id, Section.position == position,
        Section.chapter_position == position))
    if chapter is None:
        raise ReviewRefused(_("This document has no such chapter."))
    _check_drafter(drafter)
    item = session.scalar(select(ChapterAssignment).where(
        ChapterAssignment.document_id == document.id,
        ChapterAssignment.chapter_position == position))
    before = item.user_id if item is not None else None
    after = drafter.id if drafter is not None else None
    if before == after:
        return
    if item is not None and drafter is None:
        session.delete(item)
    elif item is None:
        session.add(ChapterAssignment(document_id=document.id, chapter_position=position,
                                      user_id=after, assigned_by_id=_id(actor)))
    else:
        item.user_id, item.assigned_by_id, item.assigned_at = after, _id(actor), utcnow()
    session.flush()
    audit.record(session, actor, "assignment.chapter", document,
                 before={"chapter": position, "drafter": before},
                 after={"chapter": position, "drafter": after})


def assign_comment(session: Session, comment: Comment, drafter: User | None,
                   actor: User | None) -> None:
    """Give one comment to ``drafter`` (None: back to its chapter's drafter). Audited."""
    _check_drafter(drafter)
    after = drafter.id if drafter is not None else None
    if comment.assignee_id == after:
        return
    before = comment.assignee_id
    comment.assignee_id = after
    session.flush()
    audit.record(session, actor, "assignment.comment", comment,
                 before={"drafter": before}, after={"drafter": after})


def _check_drafter(user: User | None) -> None:
    if user is not None and (not user.active or not user.has_role("drafter")
                             or user.role == "admin"):
        raise ReviewRefused(_("Comments can only be given to an active drafter."))


def _id(user: User | None) -> int | None:
    return user.id if user is not None else None


def drafters(session: Session) -> list[User]:
    """Who can be given work: active drafters and lead drafters, by name."""
    return list(session.scalars(select(User).where(
        User.active.is_(True), User.role.in_(("drafter", "lead")))
        .order_by(User.name, User.email)))


def mine(user: User):
    """A condition on Comment: in ``user``'s queue (given to them singly, or in one of
    their chapters and not given to someone else). ``queue_counts`` counts the same rule
    on a document's ``Progress``."""
    # The clauses (of every version) now in their chapters: a few hundred ids, found once,
    # not a chapter looked up for each comment.
    joins, chapter = chapter_of(Clause.id)
    theirs = (_with(select(Clause.id), joins)
              .join(DocumentVersion, DocumentVersion.id == Clause.version_id)
              .join(ChapterAssignment, and_(
                  ChapterAssignment.document_id == DocumentVersion.document_id,
                  ChapterAssignment.chapter_position == chapter,
                  ChapterAssignment.user_id == user.id)))
    return or_(Comment.assignee_id == user.id,
               and_(Comment.assignee_id.is_(None), Comment.clause_id.in_(theirs)))


def queue_counts(session: Session, user: User, counted: Progress) -> tuple[int, int] | None:
    """The comments of the counted document in ``user``'s queue (the rule of ``mine``),
    and those still unanswered; None when the queue holds none."""
    theirs = set(session.scalars(select(ChapterAssignment.chapter_position).where(
        ChapterAssignment.user_id == user.id,
        ChapterAssignment.document_id == counted.document_id)))
    total = answered = 0
    for position, assignee, received, done in counted.rows:
        if assignee == user.id or (assignee is None and position in theirs):
            total, answered = total + received, answered + done
    return (total, total - answered) if total else None


def has_queue(session: Session, user: User, document_id: int) -> bool:
    """Whether ``user``'s queue (``mine``) holds any comment of the document: first what
    the indexes answer at once (a comment given to them; no chapter of theirs)."""
    def any_comment(*conditions) -> bool:
        return session.scalar(select(select(Comment.id).where(
            Comment.document_id == document_id, *conditions).exists()))

    if any_comment(Comment.assignee_id == user.id):
        return True
    if not session.scalar(select(select(ChapterAssignment.id).where(
            ChapterAssignment.user_id == user.id,
            ChapterAssignment.document_id == document_id).exists())):
        return False
    return any_comment(mine(user))


# ---------------------------------------------------------------- review of answers

def approval_required(consultation: Consultation) -> bool:
    return bool(consultation.answer_approval)


def review_state(response: Response | None) -> str:
    """"none", "draft", "ready" (for review) or "approved"."""
    if response is None:
        return "none"
    if response.approved_at is not None:
        return "approved"
    return "ready" if response.ready_at is not None else "draft"


def approve(session: Session, responses: Iterable[Response], actor: User) -> int:
    """Approve answers (a lead drafter or an administrator); returns how many were not
    approved yet. Each approval is audited; the public reads them at once."""
    if not actor.has_role("lead"):
        raise ReviewRefused(_("Only a lead drafter approves answers."))
    now, count = utcnow(), 0
    for response in responses:
        if response.approved_at is not None:
            continue
        # The revision guards against approving words changed after the page was read.
        done = session.execute(
            update(Response).where(Response.id == response.id,
                                   Response.revision == response.revision)
            .values(approved_at=now, approved_by_id=actor.id,
                    ready_at=case((Response.ready_at.is_(None), now),
                                  else_=Response.ready_at))
            .execution_options(synchronize_session=False))
        if done.rowcount != 1:
            raise ReviewRefused(_("An answer was changed while you were reviewing it: "
                                  "read it again before approving it."))
        session.refresh(response)
        audit.record(session, actor, "response.approve", response,
                     before={"revision": response.revision},
                     after={"approved_at": iso_local(now)})
        mail.answers_changed(session, responses=[response])
        count += 1
    session.flush()
    return count


def send_back(session: Session, response: Response, actor: User, note: str) -> None:
    """Return an answer to its drafter with a note (why it is not approved). Audited."""
    if not actor.has_role("lead"):
        raise ReviewRefused(_("Only a lead drafter approves answers."))
    note = " ".join((note or "").split())[:NOTE_MAX]
    if not note:
        raise ReviewRefused(_("Say what should change before the answer can be approved."))
    before = {"ready": response.ready_at is not None,
              "approved": response.approved_at is not None}
    response.ready_at = response.approved_at = response.approved_by_id = None
    session.flush()
    audit.record(session, actor, "response.return", response, before=before,
                 after={"note": note})
    mail.answers_changed(session, responses=[response])


def last_note(session: Session, response: Response | None) -> str:
    """The note of the latest return of this answer, while it has not been saved since."""
    if response is None or response.ready_at is not None:
        return ""
    event = session.scalar(select(AuditEvent).where(
        AuditEvent.object_type == "response", AuditEvent.object_id == response.id,
        AuditEvent.action.in_(("response.return", "response.save")))
        .order_by(AuditEvent.id.desc()).limit(1))
    return (event.after or {}).get("note", "") if event is not None and \
        event.action == "response.return" else ""


def awaiting_review(session: Session, consultation: Consultation, *, ready_only: bool = True,
                    limit: int = 100, offset: int = 0) -> tuple[list[tuple], int]:
    """Answers not approved yet (marked ready first, oldest first), each with one comment
    it answers and the number of comments it answers; and their total."""
    where = [Response.approved_at.is_(None)]
    if ready_only:
        where.append(Response.ready_at.is_not(None))
    member = aliased(Comment)
    on = or_(member.id == Response.comment_id,
             and_(Response.group_id.is_not(None), member.group_id == Response.group_id))
    base = (select(Response.id, func.min(member.id), func.count(member.id))
            .join(member, on).where(member.consultation_id == consultation.id, *where)
            .group_by(Response.id))
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = session.execute(base.order_by(func.min(Response.ready_at), Response.id)
                           .limit(limit).offset(offset)).all()
    responses = {r.id: r for r in session.scalars(
        select(Response).where(Response.id.in_([row[0] for row in rows] or [0])))}
    comments = {c.id: c for c in session.scalars(
        select(Comment).where(Comment.id.in_([row[1] for row in rows] or [0])))}
    return [(responses[rid], comments[cid], count) for rid, cid, count in rows], total
