"""The stop link at the foot of every message, and what it does.

The link carries the comment's id signed with the site's secret key: only the mailbox the
message went to has it, and it works without an account and never expires (an old message
must still stop the next one). Stopping erases the address from every comment that
carries it and cancels their messages not sent yet: the address was kept for nothing but
these messages (the comment form says so), so once they are refused it has no purpose
left. The comments, their receipts and answers stay as they are.
"""
from __future__ import annotations

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import audit
from ..models import Comment
from . import outbox

_SALT = "mail.stop"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=_SALT)


def token_for(comment_id: int) -> str:
    """The stop link's token for the messages about ``comment_id``."""
    return _serializer().dumps(comment_id)


def comment_for(session: Session, token: str) -> Comment | None:
    """The comment a stop token names; None for a token this site did not sign."""
    try:
        comment_id = _serializer().loads(token)
    except BadData:
        return None
    if not isinstance(comment_id, int) or isinstance(comment_id, bool):
        return None
    return session.get(Comment, comment_id)


def stop_messages(session: Session, comment: Comment) -> int:
    """Send nothing more to ``comment``'s address: erase it from every comment that carries
    it (compared without regard to case) and cancel their unsent messages. Returns how
    many comments had it (0: stopped already). Audited per comment, without the address."""
    address = (comment.email or "").lower()
    if not address:
        return 0
    carriers = list(session.scalars(select(Comment).where(
        func.lower(Comment.email) == address).order_by(Comment.id)))
    for carrier in carriers:
        carrier.email = ""
    session.flush()
    outbox.cancel(session, comment_ids=[c.id for c in carriers])
    audit.record_many(session, None, "comment.mail_stop", Comment.__tablename__,
                      [(c.id, None, {"erased": ["email"], "by": "stop-link"})
                       for c in carriers])
    return len(carriers)
