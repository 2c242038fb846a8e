"""The commenter's own page: a comment found by its receipt code."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..models import Comment, Document


def by_receipt(session: Session, code: str) -> Comment | None:
    """The comment a receipt code names, with what its receipt page shows."""
    if not code or len(code) > 64:
        return None
    return session.scalar(
        select(Comment).where(Comment.receipt_code == code)
        .options(selectinload(Comment.clause), selectinload(Comment.document)
                 .selectinload(Document.current_version),
                 selectinload(Comment.document).selectinload(Document.consultation)))
