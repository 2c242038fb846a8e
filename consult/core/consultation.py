"""The consultation as a whole: which one is current, its notice, period, phase and
moderation mode. The lifecycle Aarhus asks for is enforced here:

- nothing opens, and nothing is announced, before the notice carries every item of
  Art. 6(2) (and SEA Protocol Annex V) in the required languages (``NOTICE_ITEMS``);
- a period shorter than ``MIN_PERIOD_DAYS`` needs a justification in those languages;
- an open period can be extended, never shortened or moved;
- the phase follows from the dates and the admins' explicit actions (``phase``).

Functions take a session and plain values and flush; the caller commits. Every change is
audited.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from .. import audit
from ..models import Comment, Consultation, Document, Hearing, Response, User
from . import languages
from .time import iso_local, utcnow

MODERATION_MODES = ("pre", "post")

# What the notice must carry, in every required language, before the consultation is
# announced or its period set (Aarhus Art. 6(2); SEA Protocol Annex V).
NOTICE_ITEMS = (
    ("title", _l("Title")),
    ("proposal", _l("What is proposed and the decision it serves")),
    ("authority", _l("The authority that decides")),
    ("developer", _l("Who drafted it")),
    ("contact", _l("Contact for questions")),
    ("documents_at", _l("Where the documents can be read")),
    ("how_to_comment", _l("How to comment")),
    ("legal_basis", _l("Legal basis")),
)


class LifecycleRefused(ValueError):
    """A step the lifecycle does not allow now; ``reasons`` says every reason, translated."""

    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def setting(name: str, default: int) -> int:
    return current_app.config.get(name, default) if has_app_context() else default


# ---------------------------------------------------------------- which consultation

def current_consultation(session: Session) -> Consultation | None:
    """The consultation the public pages are about: the latest announced one (the next may
    be in preparation meanwhile), else the latest one that has documents, else any."""
    return session.scalar(
        select(Consultation).where(Consultation.announced_at.is_not(None))
        .order_by(Consultation.announced_at.desc(), Consultation.id.desc()).limit(1)
    ) or session.scalar(
        select(Consultation).join(Document).order_by(Consultation.id.desc()).limit(1)
    ) or session.scalar(select(Consultation).order_by(Consultation.id.desc()).limit(1))


def by_slug(session: Session, slug: str) -> Consultation | None:
    return session.scalar(select(Consultation).where(Consultation.slug == slug))


def public_consultations(session: Session) -> list[Consultation]:
    """Every consultation ever announced, newest first (the archive)."""
    return list(session.scalars(
        select(Consultation).where(Consultation.announced_at.is_not(None))
        .order_by(Consultation.announced_at.desc(), Consultation.id.desc())))


# ---------------------------------------------------------------- phase

def phase(session: Session, consultation: Consultation, now: datetime | None = None) -> str:
    """Where the consultation stands (``vocab.PHASES``)."""
    now = now or utcnow()
    if consultation.decision is not None:
        return "decided"
    if consultation.results_published_at is not None:
        return "published"
    if consultation.announced_at is None:
        return "preparation"
    if not consultation.opens_at or not consultation.closes_at or now < consultation.opens_at:
        return "announced"
    if now < consultation.closes_at:
        return "open"
    answered = session.scalar(select(exists().where(
        Comment.consultation_id == consultation.id,
        (Response.comment_id == Comment.id) | (Response.group_id == Comment.group_id))))
    return "answering" if answered else "closed"


# ---------------------------------------------------------------- the notice

@dataclass(frozen=True)
class Missing:
    """An item the notice lacks, in a language (None: not a per-language text)."""
    item: str
    label: object
    language: str | None = None

    def __str__(self) -> str:
        if self.language is None:
            return str(self.label)
        return f"{self.label} ({languages.name(self.language)})"


def notice_missing(session: Session, consultation: Consultation,
                   period_given: bool = False) -> list[Missing]:
    """Everything the notice still lacks before it may be announced or its period set.
    ``period_given``: the period is being set now (it need not be stored yet)."""
    missing = []
    for item, label in NOTICE_ITEMS:
        texts = getattr(consultation, item) or {}
        missing += [Missing(item, label, code) for code in languages.required()
                    if not (texts.get(code) or "").strip()]
    if consultation.assessment_applies is None:
        missing.append(Missing("assessment", _l("Whether an environmental assessment "
                                                "applies")))
    elif consultation.assessment_applies:
        missing += [Missing("assessment_at", _l("Where the environmental assessment can be "
                                                "read"), code)
                    for code in languages.required()
                    if not (consultation.assessment_at or {}).get(code, "").strip()]
    if not period_given and not (consultation.opens_at and consultation.closes_at):
        missing.append(Missing("period", _l("Until when comments are accepted (the period)")))
    announced_hearings = session.scalar(select(exists().where(
        Hearing.consultation_id == consultation.id, Hearing.status != "cancelled",
        Hearing.starts_at.is_not(None))))
    if not announced_hearings:
        missing.append(Missing("hearings", _l("The public hearings (at least one, with its "
                                              "date)")))
    return missing


def announce(session: Session, consultation: Consultation, actor: User | None,
             now: datetime | None = None) -> None:
    """Make the notice public; refused (LifecycleRefused, listing what is missing) while it
    is incomplete. Audited."""
    missing = notice_missing(session, consultation)
    if missing:
        raise LifecycleRefused([str(m) for m in missing])
    if consultation.announced_at is not None:
        return
    consultation.announced_at = now or utcnow()
    session.flush()
    audit.record(session, actor, "consultation.announce", consultation, None,
                 {"announced_at": iso_local(consultation.announced_at)})


# ---------------------------------------------------------------- the period

def set_period(session: Session, consultation: Consultation, opens_at: datetime,
               closes_at: datetime, actor: User | None, justification: dict | None = None,
               now: datetime | None = None) -> None:
    """Set when comments are accepted (naive UTC); audited. Refused (LifecycleRefused, every
    reason at once) while the notice is incomplete, when a period shorter than
    MIN_PERIOD_DAYS has no justification in the required languages, and when an open
    period would be shortened or moved (it may be extended)."""
    now = now or utcnow()
    reasons = [_("The notice is not complete: %(missing)s.",
                 missing=", ".join(str(m) for m in missing))
               for missing in [notice_missing(session, consultation, period_given=True)]
               if missing]
    if closes_at <= opens_at:
        reasons.append(_("The consultation must close after it opens."))
    minimum = setting("MIN_PERIOD_DAYS", 30)
    justification = {code: (text or "").strip()
                     for code, text in (justification or {}).items() if (text or "").strip()}
    short = closes_at - opens_at < timedelta(days=minimum)
    if short:
        lacking = [languages.name(code) for code in languages.required()
                   if len(justification.get(code, "")) < 20]
        if lacking:
            reasons.append(_("A period shorter than %(days)d days needs a justification of at "
                             "least 20 characters in: %(languages)s.", days=minimum,
                             languages=", ".join(lacking)))
    if consultation.results_published_at is not None:
        reasons.append(_("The results are published: the period can no longer change."))
    if consultation.is_open(now) and (opens_at != consultation.opens_at
                                      or closes_at < consultation.closes_at):
        reasons.append(_("The consultation is open: its period can be extended, but its "
                         "opening cannot be moved nor its closing brought forward."))
    if reasons:
        raise LifecycleRefused(reasons)
    before = _period(consultation)
    extended = consultation.is_open(now) and closes_at > consultation.closes_at
    consultation.opens_at, consultation.closes_at = opens_at, closes_at
    consultation.period_justification = justification if short else {}
    session.flush()
    audit.record(session, actor, "consultation.extend" if extended else "consultation.period",
                 consultation, before, _period(consultation))


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


def set_answer_approval(session: Session, consultation: Consultation, required: bool,
                        actor: User | None) -> None:
    """Whether each answer needs a lead drafter's approval before the public reads it;
    audited."""
    if bool(required) == bool(consultation.answer_approval):
        return
    before = {"answer_approval": consultation.answer_approval}
    consultation.answer_approval = bool(required)
    session.flush()
    audit.record(session, actor, "consultation.answer_approval", consultation, before,
                 {"answer_approval": consultation.answer_approval})


NOTICE_FIELDS = tuple(item for item, _label in NOTICE_ITEMS) + ("assessment_at",)


def save_notice(session: Session, consultation: Consultation, values: dict,
                actor: User | None) -> None:
    """Store the notice's texts (``NOTICE_FIELDS``: per-language dicts) and whether an
    environmental assessment applies; audited. An announced notice may be corrected: the
    audit log keeps every version."""
    before = _notice(consultation)
    for name in NOTICE_FIELDS:
        if name in values:
            setattr(consultation, name, {code: text.strip() for code, text
                                         in (values[name] or {}).items() if text.strip()})
    if "assessment_applies" in values:
        consultation.assessment_applies = values["assessment_applies"]
    after = _notice(consultation)
    if after != before:
        session.flush()
        audit.record(session, actor, "consultation.notice", consultation, before, after)


def _notice(consultation: Consultation) -> dict:
    values = {name: dict(getattr(consultation, name) or {}) for name in NOTICE_FIELDS}
    values["assessment_applies"] = consultation.assessment_applies
    return values


def _period(consultation: Consultation) -> dict:
    return {"opens_at": iso_local(consultation.opens_at),
            "closes_at": iso_local(consultation.closes_at),
            "justification": dict(consultation.period_justification or {})}
