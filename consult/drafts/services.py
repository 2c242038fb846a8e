"""Queries behind the public pages of the drafts: documents, versions and clauses."""
from __future__ import annotations

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session, defer, joinedload, load_only, selectinload

from ..models import Clause, Consultation, Document, DocumentVersion


def documents(session: Session, consultation: Consultation) -> list[Document]:
    return list(session.scalars(
        select(Document).where(Document.consultation_id == consultation.id)
        .options(selectinload(Document.current_version)).order_by(Document.position)))


# A document with what its pages and the comment form need on every request.
_WITH_VERSION_AND_CONSULTATION = (joinedload(Document.current_version),
                                  joinedload(Document.consultation))
# A clause's texts in every language (HTML, plain text, action-plan cells).
_CLAUSE_TEXTS = (Clause.html, Clause.text, Clause.cells)
# What else a comment sent on a page does not need read: the version's texts and the
# notice's (each a JSON object per language, read only when first used: a refused form).
_PAGE_TEXTS = (
    joinedload(Document.current_version).defer(DocumentVersion.title)
    .defer(DocumentVersion.preamble_html),
    joinedload(Document.consultation).load_only(
        Consultation.id, Consultation.announced_at, Consultation.opens_at,
        Consultation.closes_at, Consultation.moderation))


def _texts(query, texts: bool):
    """``query`` reading its clauses' texts, or leaving them to be read when first used."""
    return query if texts else query.options(*(defer(column) for column in _CLAUSE_TEXTS))


# The statements a document or clause page runs on every request, built once: their
# parameters are bound when run, and SQLAlchemy keeps a built statement's cache key.
_DOCUMENT = (select(Document).where(Document.slug == bindparam("slug"))
             .options(*_WITH_VERSION_AND_CONSULTATION))


def _document_and_clause_query(texts: bool):
    query = (select(Document, Clause)
             .outerjoin(Clause, and_(Clause.version_id == Document.current_version_id,
                                     Clause.key == bindparam("key")))
             .where(Document.slug == bindparam("slug"))
             .options(*(_WITH_VERSION_AND_CONSULTATION if texts else _PAGE_TEXTS)))
    return _texts(query, texts)


_DOCUMENT_AND_CLAUSE = {texts: _document_and_clause_query(texts) for texts in (True, False)}
_PAGE_STATE = (select(Document.id, Document.current_version_id, Document.public_revision,
                      Consultation.opens_at, Consultation.closes_at, Consultation.announced_at)
               .join(Consultation, Document.consultation_id == Consultation.id)
               .where(Document.slug == bindparam("slug")))


def document_by_slug(session: Session, slug: str) -> Document | None:
    # One query for the document, its current version and its consultation.
    return session.scalar(_DOCUMENT, {"slug": slug})


def document_and_clause(session: Session, slug: str, key: str,
                        texts: bool = True) -> tuple[Document | None, Clause | None]:
    """The document ``slug`` (as ``document_by_slug``) and its current version's clause
    ``key`` (None: it has none), in one query: a clause page needs both on every request.
    ``texts``: as for ``clause_by_key``, and, without them, neither the version's texts
    nor the notice's are read."""
    row = session.execute(_DOCUMENT_AND_CLAUSE[texts], {"slug": slug, "key": key}).first()
    return (None, None) if row is None else (row[0], row[1])


def page_state(session: Session, slug: str) -> tuple | None:
    """What a cached document or clause page depends on, in one light query (no ORM objects):
    (document id, current version id, public revision, opens_at, closes_at, announced_at)."""
    row = session.execute(_PAGE_STATE, {"slug": slug}).first()
    return tuple(row) if row is not None and row[1] is not None else None


def version_with_clauses(session: Session, version_id: int) -> DocumentVersion:
    return session.scalar(
        select(DocumentVersion).where(DocumentVersion.id == version_id)
        .options(selectinload(DocumentVersion.sections), selectinload(DocumentVersion.clauses)))


def clause_by_key(session: Session, version_id: int, key: str,
                  texts: bool = True) -> Clause | None:
    """The clause ``key`` of a version; without its ``texts`` (every language's HTML, plain
    text and cells, read only when first used) for a comment sent on it, which needs only
    which clause it is."""
    query = select(Clause).where(Clause.version_id == version_id, Clause.key == key)
    return session.scalar(_texts(query, texts))


def neighbours(session: Session, clause: Clause) -> tuple[Clause | None, Clause | None]:
    """The clauses before and after ``clause`` in its version."""
    # Only the keys are shown: leave the texts in every language unloaded.
    base = select(Clause).options(load_only(Clause.key, Clause.position)).where(
        Clause.version_id == clause.version_id)
    before = session.scalar(base.where(Clause.position < clause.position)
                            .order_by(Clause.position.desc()).limit(1))
    after = session.scalar(base.where(Clause.position > clause.position)
                           .order_by(Clause.position).limit(1))
    return before, after



def clause_keys(session: Session, version_id: int) -> frozenset[str]:
    return frozenset(session.scalars(select(Clause.key).where(Clause.version_id == version_id)))
