"""The letter and e-mail channel: one comment per clause a letter addresses.

A letter received after the period closed is kept and marked late (Aarhus Art. 6(7):
the public, not the authority, judges relevance; lateness is recorded, not punished).
"""
from __future__ import annotations

import re

from sqlalchemy.orm import Session

from ..comments.intake import NewComment, record_comments, target_for
from ..models import Comment, Document, User


def split_keys(text: str) -> list[str]:
    """Clause keys as typed: ``5, 7 annex-1.2`` -> ["5", "7", "annex-1.2"] (order kept)."""
    keys = []
    for key in re.split(r"[\s,;]+", text or ""):
        if key and key not in keys:
            keys.append(key)
    return keys


def add_letter(session: Session, document: Document, clause_keys: list[str], values: dict,
               actor: User | None) -> list[Comment]:
    """Record a letter: ``values`` has channel, received_at (naive UTC), author_name,
    organisation, category, region, gender, consent, language and body. Refused (nothing
    stored) when a clause key is unknown."""
    # A letter concerns the text published when it was written (received, at the latest).
    targets = [target_for(session, document, key, at=values.get("received_at"))
               for key in (clause_keys or [None])]
    return [recorded.comment for recorded in record_comments(
        session, [(target, NewComment(**values)) for target in targets], actor)]
