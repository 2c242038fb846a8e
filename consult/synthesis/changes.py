"""What changed because of the consultation (Aarhus Art. 6(8), 6(9)): each clause changed
between a document's last two published versions, with the comments whose answers point
at that change. The results page and the workbook's Changes sheet read this.

An answer points at a change when its "change in revised draft" names a key of the
revised clause(s) in the current version, or, for a deleted clause, its old key. A clause
changed with no answer pointing at it is listed all the same: the ministry's own edits.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from ..drafts import revisions
from ..models import Clause, Comment, Document, DocumentVersion
from .answers import effective_status, joined, referenced_keys


@dataclass(frozen=True)
class Pointer:
    """A comment whose answer points at a change."""
    comment_id: int
    status: str


def changes_for(session: Session, document: Document, *,
                public: bool = False) -> list[revisions.Change]:
    """The document's changes, each with ``pointing`` filled (comments in id order).
    ``public``: only answers the public may read (approved, where approval is asked)."""
    changes = revisions.changes(session, document)
    if not changes:
        return []
    keys = set(session.scalars(
        select(Clause.key).join(DocumentVersion, DocumentVersion.id == Clause.version_id)
        .where(DocumentVersion.document_id == document.id)))
    own, grp, status = effective_status()
    change_text = case((Comment.group_id.is_not(None), grp.change), else_=own.change)
    approved = case((Comment.group_id.is_not(None), grp.approved_at), else_=own.approved_at)
    query = (joined(select(Comment.id, status, change_text), own, grp)
             .where(Comment.document_id == document.id, status.is_not(None),
                    change_text.is_not(None), change_text != "")
             .order_by(Comment.id))
    if public and document.consultation.answer_approval:
        query = query.where(approved.is_not(None))
    rows = session.execute(query)
    named: dict[str, list[Pointer]] = {}
    for comment_id, comment_status, text in rows:
        for key in referenced_keys(text, keys):
            named.setdefault(key, []).append(Pointer(comment_id, comment_status))
    for change in changes:
        targets = change.new_keys or change.old_keys
        seen = set()
        for key in targets:
            for pointer in named.get(key, []):
                if pointer.comment_id not in seen:
                    seen.add(pointer.comment_id)
                    change.pointing.append(pointer)
        change.pointing.sort(key=lambda p: p.comment_id)
    return changes
