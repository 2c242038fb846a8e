"""The decision taken after the consultation (Aarhus Art. 6(9)): recorded by an admin once
the results are public, then shown with its reasons on the notice and the results page."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit
from ..core import languages
from ..core.consultation import LifecycleRefused
from ..core.time import utcnow
from ..models import Consultation, Decision, Document, DocumentVersion, User

FIELDS = ("title", "number", "adopted_on", "text_url", "version_id", "published_url",
          "reasons")


def adoptable_versions(session: Session, consultation: Consultation) -> list[DocumentVersion]:
    """The versions of the consultation's documents a decision may name as adopted."""
    return list(session.scalars(
        select(DocumentVersion).join(Document, Document.id == DocumentVersion.document_id)
        .where(Document.consultation_id == consultation.id)
        .order_by(Document.position, DocumentVersion.number)))


def record_decision(session: Session, consultation: Consultation, values: dict,
                    actor: User | None) -> Decision:
    """Record (or correct) the decision: ``values`` has title and reasons (per-language
    dicts), number, adopted_on (a date), text_url, version_id (or None) and
    published_url. Refused (LifecycleRefused) before the results are public, without the
    title and reasons in the required languages, or with neither the adopted text's address
    nor an adopted version. Audited."""
    reasons = []
    if consultation.results_published_at is None:
        reasons.append(_("The results must be published before the decision is recorded."))
    for field, words in (("title", _("the decision's title")), ("reasons", _("the reasons"))):
        lacking = [languages.name(code) for code in languages.required()
                   if not (values.get(field) or {}).get(code, "").strip()]
        if lacking:
            reasons.append(_("Give %(what)s in: %(languages)s.", what=words,
                             languages=", ".join(lacking)))
    if not values.get("text_url") and not values.get("version_id"):
        reasons.append(_("Give the address of the adopted text or choose the adopted version."))
    version_id = values.get("version_id")
    if version_id and version_id not in {v.id for v in adoptable_versions(session,
                                                                           consultation)}:
        reasons.append(_("Choose a version of this consultation's documents."))
    if not isinstance(values.get("adopted_on"), date):
        reasons.append(_("Enter the date of adoption."))
    if reasons:
        raise LifecycleRefused(reasons)
    decision = consultation.decision
    before = _snapshot(decision) if decision is not None else None
    if decision is None:
        decision = Decision(consultation_id=consultation.id, adopted_on=values["adopted_on"])
        session.add(decision)
    for name in FIELDS:
        setattr(decision, name, values.get(name) or ({} if name in ("title", "reasons")
                                                     else None if name == "version_id"
                                                     else ""))
    decision.adopted_on = values["adopted_on"]
    decision.recorded_at = utcnow()
    decision.recorded_by_id = actor.id if actor is not None else None
    session.flush()
    session.refresh(consultation, ["decision"])
    audit.record(session, actor, "consultation.decision", consultation, before,
                 _snapshot(decision))
    return decision


def _snapshot(decision: Decision) -> dict:
    values = {name: getattr(decision, name) for name in FIELDS}
    values["adopted_on"] = decision.adopted_on.isoformat() if decision.adopted_on else None
    return values
