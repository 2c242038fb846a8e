"""The hearing channel, typed in: one speaker's contribution per form, during or after a
hearing, correctable until the hearing is closed for entry."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from .. import audit
from ..comments.intake import NewComment, Refused, record_comment, snapshot, target_for
from ..core.text import clean
from ..core.time import utcnow
from ..models import Comment, Document, Hearing, User


def hearing_received_at(hearing: Hearing) -> datetime:
    """What was said at a hearing was received when the hearing took place."""
    now = utcnow()
    if hearing.starts_at is not None and hearing.starts_at <= now:
        return hearing.starts_at
    return now


def _contribution(hearing: Hearing, values: dict) -> NewComment:
    speaker = (values.get("speaker") or "").strip()
    return NewComment(
        channel=values["channel"], body=values["body"], language=values["language"],
        author_name=speaker, organisation=values.get("organisation") or "",
        category=values["category"], gender=values["gender"], consent=values["consent"],
        received_at=hearing_received_at(hearing), hearing_id=hearing.id)


def add_contribution(session: Session, hearing: Hearing, document: Document, clause_key: str,
                     values: dict, actor: User | None) -> Comment:
    """Record one contribution: ``values`` has speaker, organisation, consent, category,
    gender, language, channel and body. Refused when the hearing is closed for entry or
    the clause does not exist."""
    if hearing.entry_closed:
        raise Refused(_l("This hearing is closed for entry."))
    target = target_for(session, document, clause_key, at=hearing_received_at(hearing))
    return record_comment(session, target, _contribution(hearing, values), actor).comment


def update_contribution(session: Session, comment: Comment, document: Document,
                        clause_key: str, values: dict, actor: User | None) -> Comment:
    """Correct a contribution while its hearing is open for entry; audited."""
    if comment.hearing is None or comment.hearing.entry_closed:
        raise Refused(_l("This hearing is closed for entry."))
    target = target_for(session, document, clause_key,
                        at=hearing_received_at(comment.hearing))
    new = _contribution(comment.hearing, values)
    before = snapshot(comment)
    comment.document_id, comment.version_id = document.id, target.version_id
    comment.clause_id, comment.clause_key = target.clause.id, target.clause_key
    for name in ("channel", "language", "category", "gender", "consent"):
        setattr(comment, name, getattr(new, name))
    for name in ("body", "author_name", "organisation"):
        setattr(comment, name, clean(getattr(new, name))[0])
    session.flush()
    audit.record(session, actor, "comment.edit", comment, before, snapshot(comment))
    return comment
