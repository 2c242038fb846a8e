"""Business rules of a consultation as a whole: its period and moderation mode."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from . import audit
from .models import Consultation, User
from .timeutil import to_local


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


MODERATION_MODES = ("pre", "post")


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
    return {"opens_at": _iso(consultation.opens_at), "closes_at": _iso(consultation.closes_at)}


def _iso(value: datetime | None) -> str | None:
    return to_local(value).isoformat() if value else None
