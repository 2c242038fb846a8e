"""Queries behind the open-data API: what is listed, filtered and paged.

What each comment shows is ``comments.public``'s to decide; which comments are listed is
its ``LISTED_IN_OPEN_DATA``; answers appear once the consultation's results are public.
"""
from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from ...comments.public import LISTED_IN_OPEN_DATA, answers_public
from ...core.consultation import current_consultation
from ...models import Comment, Consultation, Document, DuplicateGroup, Hearing

DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 500
MAX_PAGE = 1_000_000  # keeps OFFSET within what every database accepts
MAX_ID = 2**31 - 1  # ids are 32-bit integers in PostgreSQL


def public_consultation_ids(consultation: Consultation | None = None) -> Select:
    """The consultations open data covers: every announced one (or just ``consultation``);
    one in preparation is not public."""
    query = select(Consultation.id).where(Consultation.announced_at.is_not(None))
    if consultation is not None:
        query = query.where(Consultation.id == consultation.id)
    return query


def announced_consultation(session: Session, slug: str) -> Consultation | None:
    return session.scalar(select(Consultation).where(
        Consultation.slug == slug, Consultation.announced_at.is_not(None)))


def documents_query(consultation: Consultation | None = None) -> Select:
    return (select(Document)
            .where(Document.consultation_id.in_(public_consultation_ids(consultation)))
            .order_by(Document.consultation_id, Document.position, Document.id)
            .options(selectinload(Document.versions), selectinload(Document.current_version)))


def document_by_slug(session: Session, slug: str) -> Document | None:
    return session.scalar(select(Document).where(
        Document.slug == slug, Document.consultation_id.in_(public_consultation_ids())))


def comment_filters(document: Document | None, clause: str | None,
                    channel: str | None, consultation: Consultation | None = None) -> list:
    where = [Comment.state.in_(LISTED_IN_OPEN_DATA),
             Comment.consultation_id.in_(public_consultation_ids(consultation))]
    if document is not None:
        where.append(Comment.document_id == document.id)
    if clause:
        where.append(Comment.clause_key == clause)
    if channel:
        where.append(Comment.channel == channel)
    return where


def _comment_options():
    return (selectinload(Comment.document), selectinload(Comment.version),
            selectinload(Comment.hearing), selectinload(Comment.response),
            selectinload(Comment.group).selectinload(DuplicateGroup.response))


def comments_query(where: list) -> Select:
    return select(Comment).where(*where).order_by(Comment.id).options(*_comment_options())


def count(query: Select) -> Select:
    return select(func.count()).select_from(query.order_by(None).subquery())


def listed_comment(session: Session, comment_id: int) -> Comment | None:
    return session.scalar(select(Comment).where(
        Comment.id == comment_id, Comment.state.in_(LISTED_IN_OPEN_DATA),
        Comment.consultation_id.in_(public_consultation_ids()))
        .options(*_comment_options()))


def consultations_with_answers(session: Session) -> set[int]:
    """Consultations whose answers the API may show."""
    return {c.id for c in session.scalars(select(Consultation)) if answers_public(c)}


def hearings_query(consultation: Consultation | None = None) -> Select:
    return (select(Hearing)
            .where(Hearing.consultation_id.in_(public_consultation_ids(consultation)))
            .order_by(Hearing.starts_at.is_(None), Hearing.starts_at, Hearing.id))


def results_consultation(session: Session, consultation: Consultation | None = None
                         ) -> Consultation | None:
    """The consultation whose results the API reports (default: the current one), once
    they are public."""
    consultation = consultation or current_consultation(session)
    return consultation if consultation is not None and answers_public(consultation) else None
