"""All tables, importable from one place (Alembic and tests read ``Base.metadata``).

Code lists (channels, categories, statuses, ...) are in ``consult.core.vocab``.
"""
from ..db import Base
from .accounts import User
from .audit import AuditEvent
from .comments import ChapterAssignment, Comment, DuplicateGroup, Response, SubmissionClaim
from .drafts import (
    Clause,
    ClauseLineage,
    ClauseMatch,
    Consultation,
    Decision,
    Document,
    DocumentVersion,
    Section,
)
from .hearings import Hearing, HearingFile, ImportBatch
from .mail import OutboxMessage

__all__ = [
    "Base", "User", "AuditEvent", "ChapterAssignment", "Comment", "DuplicateGroup", "Response",
    "SubmissionClaim",
    "Clause", "ClauseLineage", "ClauseMatch", "Decision",
    "Consultation", "Document", "DocumentVersion", "Section", "Hearing", "HearingFile",
    "ImportBatch", "OutboxMessage",
]
