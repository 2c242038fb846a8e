"""Hearing schedule files (JSON) -> hearing records. Used by ``consult demo`` and
``consult load-hearings``; loading the same file again updates, never duplicates.

Format::

    {"consultation": "biodiversity-2025",
     "notice": {"title": {...}, "proposal": {...}, "authority": {...}, "developer": {...},
                "contact": {...}, "documents_at": {...}, "how_to_comment": {...},
                "legal_basis": {...}, "assessment_applies": false, "assessment_at": {}},
     "hearings": [{"slug": "naryn-2025", "city": {"ky": "Нарын", "ru": "Нарын", "en": "Naryn"},
                   "starts_at": "2025-06-10T14:00", "ends_at": "2025-06-10T16:15",
                   "venue": {}, "format": "hybrid", "online_link": "https://...",
                   "languages": "ky,ru", "agenda": {"ru": "..."}}]}

Times are Asia/Bishkek; an empty ``venue`` or a null ``starts_at`` means "to be confirmed".
"""
from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.consultation import NOTICE_FIELDS, save_notice
from ..core.time import parse_local
from ..core.vocab import FORMATS
from ..drafts.load import get_consultation
from ..models import Hearing

FIELDS = ("city", "venue", "format", "online_link", "languages", "agenda")


def load_schedule(session: Session, path: Path) -> list[Hearing]:
    """Create or update the hearings a schedule file lists."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        consultation = get_consultation(session, data.get("consultation"))
        notice = data.get("notice", {})
        save_notice(session, consultation, {
            name: value for name, value in notice.items()
            if name in NOTICE_FIELDS or name == "assessment_applies"}, actor=None)
        hearings = [_save(session, consultation.id, entry) for entry in data["hearings"]]
    except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a hearing schedule ({exc})") from exc
    session.flush()
    return hearings


def _save(session: Session, consultation_id: int, entry: dict) -> Hearing:
    hearing = session.scalar(select(Hearing).where(Hearing.slug == entry["slug"]))
    if hearing is None:
        hearing = Hearing(slug=entry["slug"], consultation_id=consultation_id)
        session.add(hearing)
    for name in FIELDS:
        if name in entry:
            setattr(hearing, name, entry[name])
    if hearing.format not in FORMATS:
        raise ValueError(f"hearing {entry['slug']}: unknown format {hearing.format}")
    for name in ("starts_at", "ends_at"):
        value = entry.get(name)
        setattr(hearing, name, parse_local(value) if value else None)
    return hearing
