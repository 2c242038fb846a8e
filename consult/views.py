"""What staff views of several areas share: the consultation and documents they work on."""
from __future__ import annotations

from flask import abort

from . import db
from .core.consultation import current_consultation
from .drafts import services as drafts
from .i18n import pick
from .models import Consultation, Document


def consultation_or_404() -> Consultation:
    consultation = current_consultation(db.session())
    if consultation is None:
        abort(404)
    return consultation


def published_documents(consultation: Consultation) -> list[Document]:
    """The consultation's documents that have a current version."""
    return [d for d in drafts.documents(db.session(), consultation) if d.current_version_id]


def document_choices(documents) -> list[tuple[str, str]]:
    """Documents for a select field: slug, title in the page's language."""
    return [(d.slug, pick(d.current_version.title)[0] or d.slug) for d in documents]
