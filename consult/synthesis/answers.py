"""Drafters' answers to comments (Aarhus Art. 6(8)): the rules an answer must keep, saving
one safely against a colleague's concurrent save, and its history.

Every function takes a session and plain values, flushes, and leaves the commit to the
view or command that called it. Every change is audited.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from .. import audit
from ..core.time import utcnow
from ..core.vocab import STATUSES
from ..models import AuditEvent, Comment, Response, User

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
    session.flush()
    return response


def effective_status():
    """The status of the answer that applies to a comment, as a column: its group's when
    the comment is grouped, else its own; NULL when unanswered. Returns the two aliases
    to join (``joined``) and the expression. Joins on the unique response.comment_id and
    group_id indexes, no subquery per row."""
    own, grp = aliased(Response), aliased(Response)
    return own, grp, case((Comment.group_id.is_not(None), grp.status), else_=own.status)


def joined(query, own, grp):
    """``query`` (on comments) with the outer joins ``effective_status`` needs."""
    return (query.outerjoin(own, own.comment_id == Comment.id)
            .outerjoin(grp, grp.group_id == Comment.group_id))


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

