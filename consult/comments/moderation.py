"""Moderation: publishing a comment, or hiding it with a reason. Never deleting it.

Functions take a session and plain values and flush; the caller commits. Hidden and
withdrawn comments stay in the register, keep their answer and count in every total.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .. import audit
from ..core.text import clean
from ..core.time import utcnow
from ..core.vocab import HIDE_REASONS
from ..models import Comment, Document, User


def moderation_list(session: Session, state: str = "new", limit: int = 200) -> list[Comment]:
    """Comments in ``state`` with their clause context: new ones oldest first, the
    others most recently received first."""
    order = (Comment.received_at, Comment.id) if state == "new" else \
        (Comment.received_at.desc(), Comment.id.desc())
    return list(session.scalars(
        select(Comment).where(Comment.state == state).order_by(*order).limit(limit)
        .options(selectinload(Comment.clause), selectinload(Comment.hearing),
                 selectinload(Comment.document).selectinload(Document.current_version))))


def _state(comment: Comment) -> dict:
    return {"state": comment.state, "reason": comment.hidden_reason,
            "note": comment.moderation_note}


def _moderate(session: Session, comment: Comment, state: str, reason: str, note: str,
              actor: User | None, action: str) -> bool:
    before = _state(comment)
    if before == {"state": state, "reason": reason, "note": note}:
        return False
    comment.state, comment.hidden_reason, comment.moderation_note = state, reason, note
    comment.moderated_at = utcnow()
    session.flush()
    audit.record(session, actor, action, comment, before, _state(comment))
    return True


def publish_comment(session: Session, comment: Comment, actor: User | None) -> bool:
    """Make a comment public (again); returns whether anything changed. Audited."""
    return _moderate(session, comment, "published", "", "", actor, "comment.publish")


def hide_comment(session: Session, comment: Comment, reason: str, note: str,
                 actor: User | None) -> bool:
    """Take a comment out of public view with a reason code; it stays in the record and
    in every count. Withdrawal by the author is its own state. Audited."""
    if reason not in HIDE_REASONS:
        raise ValueError(f"unknown reason {reason!r}")
    cleaned_note, _removed = clean(note.strip())
    state = "withdrawn" if reason == "withdrawn" else "hidden"
    return _moderate(session, comment, state, reason, cleaned_note, actor, "comment.hide")
