"""All tables, importable from one place (Alembic and tests read ``Base.metadata``)."""
from ..db import Base
from .accounts import ROLES, User
from .audit import AuditEvent
from .comments import (CATEGORIES, CHANNELS, CONSENTS, GENDERS, HIDE_REASONS, REGIONS,
                       STATES, STATUSES, Comment, DuplicateGroup, Response)
from .drafts import Clause, Consultation, Document, DocumentVersion, Section
from .hearings import FORMATS, HEARING_STATUSES, Hearing, HearingFile, ImportBatch

__all__ = [
    "Base", "User", "ROLES", "AuditEvent", "Comment", "DuplicateGroup", "Response",
    "CATEGORIES", "CHANNELS", "CONSENTS", "GENDERS", "HIDE_REASONS", "REGIONS", "STATES",
    "STATUSES", "Clause", "Consultation", "Document", "DocumentVersion", "Section",
    "FORMATS", "HEARING_STATUSES", "Hearing", "HearingFile", "ImportBatch",
]
