"""What staff views of several areas share: the consultation and documents they work on."""
from __future__ import annotations

from flask import abort, request
from flask_login import current_user
from sqlalchemy import select

from . import db
from .core.consultation import by_slug, current_consultation, phase
from .drafts import services as drafts
from .i18n import pick
from .models import Consultation, Document


def staff_consultation(optional: bool = False) -> Consultation | None:
    """The consultation a staff page works on: the one named by ``?consultation=``, else
    the latest made (which may be the next one, in preparation). None (``optional``) or
    404 when there is none."""
    session = db.session()
    slug = request.args.get("consultation", "")
    if slug:
        found = by_slug(session, slug)
        if found is None:
            abort(404)
        return found
    latest = session.scalar(select(Consultation).order_by(Consultation.id.desc()).limit(1))
    if latest is None and not optional:
        abort(404)
    return latest


def staff_phase() -> tuple[Consultation, str] | None:
    """For the staff header: the consultation staff work on and where it stands."""
    session = db.session()
    latest = session.scalar(select(Consultation).order_by(Consultation.id.desc()).limit(1))
    return (latest, phase(session, latest)) if latest is not None else None


def public_consultation(slug: str | None = None) -> Consultation | None:
    """The consultation a public page is about: the one named in the address, which must
    have been announced (staff may look at one in preparation), or the current one."""
    session = db.session()
    if slug is None:
        return current_consultation(session)
    found = by_slug(session, slug)
    if found is None or (found.announced_at is None and not is_staff()):
        abort(404)
    return found


def is_staff() -> bool:
    return current_user.is_authenticated


def visible(consultation: Consultation) -> bool:
    """Whether this visitor may read the consultation's pages: once it is announced, or
    staff preparing it."""
    return consultation.announced_at is not None or is_staff()


def published_documents(consultation: Consultation) -> list[Document]:
    """The consultation's documents that have a current version."""
    return [d for d in drafts.documents(db.session(), consultation) if d.current_version_id]


def document_choices(documents) -> list[tuple[str, str]]:
    """Documents for a select field: slug, title in the page's language."""
    return [(d.slug, pick(d.current_version.title)[0] or d.slug) for d in documents]
