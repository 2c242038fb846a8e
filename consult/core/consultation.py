"""The consultation as a whole: which one is current, its period, phase and moderation mode.

Functions take a session and plain values and flush; the caller commits. Every change
is audited.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit
from ..models import Consultation, Document, User
from .time import iso_local

MODERATION_MODES = ("pre", "post")


def current_consultation(session: Session) -> Consultation | None:
    """The consultation the public pages are about: the latest one that has documents."""
    return session.scalar(
        select(Consultation).join(Document).order_by(Consultation.id.desc()).limit(1)
    ) or session.scalar(select(Consultation).order_by(Consultation.id.desc()).limit(1))


def by_slug(session: Session, slug: str) -> Consultation | None:
    return session.scalar(select(Consultation).where(Consultation.slug == slug))


def set_period(session: Session, consultation: Consultation, opens_at: datetime,
               closes_at: datetime, actor: User | None) -> None:
    """Set the period (naive UTC) in which comments are accepted; audited."""
    if closes_at <= opens_at:
        raise ValueError(str(_l("The consultation must close after it opens.")))
    before = _period(consultation)
    consultation.opens_at, consultation.closes_at = opens_at, closes_at
    session.flush()
    audit.record(session, actor, "consultation.period", consultation, before,
                 _period(consultation))


def set_moderation(session: Session, consultation: Consultation, mode: str,
                   actor: User | None) -> None:
    """Choose pre-moderation (public once a moderator publishes) or post-moderation
    (public at once, hidden later if need be); audited."""
    if mode not in MODERATION_MODES:
        raise ValueError(str(_l("Choose pre-moderation or post-moderation.")))
    if mode == consultation.moderation:
        return
    before = {"moderation": consultation.moderation}
    consultation.moderation = mode
    session.flush()
    audit.record(session, actor, "consultation.moderation", consultation, before,
                 {"moderation": mode})


def _period(consultation: Consultation) -> dict:
    return {"opens_at": iso_local(consultation.opens_at),
            "closes_at": iso_local(consultation.closes_at)}
