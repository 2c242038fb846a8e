"""Business rules for comments: submission, receipts, public listing and moderation.

Functions take a session and plain values and ``flush``; the caller commits.
A comment is never deleted: moderation only changes its state and reason.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .. import audit
from ..models import HIDE_REASONS, Clause, Comment, Consultation, Document, User
from ..timeutil import utcnow

# C0 control characters other than tab, line feed and carriage return (line breaks a
# browser sends as CR LF), plus DEL: invisible, and trouble in spreadsheets and terminals.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A resubmission of the same text by the same client within this window is the same comment
# (a double click, a reload after a slow answer), not a second one.
DUPLICATE_WINDOW = timedelta(seconds=60)
TEXT_FIELDS = ("body", "author_name", "organisation", "email")


class Refused(Exception):
    """The comment was not accepted; the message (translated) says why."""


@dataclass
class Submission:
    comment: Comment
    created: bool  # False: an identical recent submission's receipt is returned
    stripped: bool  # control characters were removed from the text


def strip_controls(text: str) -> tuple[str, bool]:
    """``text`` without control characters, and whether any were removed."""
    cleaned = CONTROL_CHARACTERS.sub("", text)
    return cleaned, cleaned != text


def submission_key(client_key: str, document_id: int, clause_key: str | None,
                   body: str) -> str:
    """A hash naming one client's submission of one text on one clause."""
    raw = "\x1f".join((client_key, str(document_id), clause_key or "", body))
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def submit_comment(session: Session, target: Clause | Document, data: dict, client_key: str,
                   now: datetime | None = None, language: str = "ky") -> Submission | None:
    """Record an online comment on a clause or on a whole document.

    ``data`` holds the form fields by their contract names (and ``website``, the honeypot).
    Returns None for a filled honeypot (nothing stored: the caller answers neutrally),
    else the Submission. Raises Refused outside the consultation period or for a body
    that is empty once control characters are removed; nothing is stored then.
    """
    now = now or utcnow()
    if data.get("website"):
        return None
    clause = target if isinstance(target, Clause) else None
    document = target if clause is None else session.get(Document, clause.version.document_id)
    consultation = session.get(Consultation, document.consultation_id)
    if not consultation.is_open(now):
        raise Refused(_("Comments are accepted only during the consultation period. "
                        "Your comment was not stored."))
    values, stripped = {}, False
    for name in TEXT_FIELDS:
        text = data.get(name) or ""
        # The body is kept exactly as typed; the short fields lose stray spaces.
        values[name], removed = strip_controls(text if name == "body" else text.strip())
        stripped = stripped or removed
    if not values["body"].strip():
        raise Refused(_("Please write your comment."))
    clause_key = clause.key if clause is not None else None
    key = submission_key(client_key, document.id, clause_key, values["body"])
    earlier = session.scalar(
        select(Comment).where(Comment.submission_key == key,
                              Comment.received_at >= now - DUPLICATE_WINDOW)
        .order_by(Comment.id).limit(1))
    if earlier is not None:
        return Submission(earlier, created=False, stripped=stripped)
    published = consultation.moderation == "post"
    comment = Comment(
        consultation_id=consultation.id, document_id=document.id,
        version_id=document.current_version_id, clause_id=clause.id if clause else None,
        clause_key=clause_key, channel="online", language=language, body=values["body"],
        author_name=values["author_name"], organisation=values["organisation"],
        category=data.get("category") or "individual", region=data.get("region") or "",
        gender=data.get("gender") or "unstated", email=values["email"],
        consent=data.get("consent") or "anonymous", receipt_code=secrets.token_urlsafe(16),
        received_at=now, in_period=True, state="published" if published else "new",
        submission_key=key, created_at=now, updated_at=now)
    session.add(comment)
    if published:
        document.bump()
    session.flush()
    audit.record(session, None, "comment.submit", comment, None,
                 {"state": comment.state, "channel": comment.channel,
                  "clause": clause_key, "document": document.slug})
    return Submission(comment, created=True, stripped=stripped)


def by_receipt(session: Session, code: str) -> Comment | None:
    """The comment a receipt code names, with what its receipt page shows."""
    if not code or len(code) > 64:
        return None
    return session.scalar(
        select(Comment).where(Comment.receipt_code == code)
        .options(selectinload(Comment.clause), selectinload(Comment.document)
                 .selectinload(Document.current_version)))


def published_comments(session: Session, document_id: int, clause_key: str | None,
                       limit: int = 200, offset: int = 0) -> list[Comment]:
    """Published comments on one clause (None: on the whole document), newest first."""
    key_test = Comment.clause_key.is_(None) if clause_key is None else \
        Comment.clause_key == clause_key
    return list(session.scalars(
        select(Comment).where(Comment.document_id == document_id, key_test,
                              Comment.state == "published")
        .order_by(Comment.received_at.desc(), Comment.id.desc()).limit(limit).offset(offset)))


def moderation_list(session: Session, state: str = "new", limit: int = 200) -> list[Comment]:
    """Comments in ``state`` with their clause context: new ones oldest first, the
    others most recently received first."""
    order = (Comment.received_at, Comment.id) if state == "new" else \
        (Comment.received_at.desc(), Comment.id.desc())
    return list(session.scalars(
        select(Comment).where(Comment.state == state).order_by(*order).limit(limit)
        .options(selectinload(Comment.clause), selectinload(Comment.hearing),
                 selectinload(Comment.document).selectinload(Document.current_version))))


def _moderation_state(comment: Comment) -> dict:
    return {"state": comment.state, "reason": comment.hidden_reason,
            "note": comment.moderation_note}


def _moderate(session: Session, comment: Comment, state: str, reason: str, note: str,
              actor: User | None, action: str) -> bool:
    before = _moderation_state(comment)
    if before["state"] == state and before["reason"] == reason and before["note"] == note:
        return False
    comment.state, comment.hidden_reason, comment.moderation_note = state, reason, note
    comment.moderated_at = utcnow()
    session.get(Document, comment.document_id).bump()
    session.flush()
    audit.record(session, actor, action, comment, before, _moderation_state(comment))
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
    cleaned_note, _removed = strip_controls(note.strip())
    state = "withdrawn" if reason == "withdrawn" else "hidden"
    return _moderate(session, comment, state, reason, cleaned_note, actor, "comment.hide")
