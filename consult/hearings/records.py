"""Hearing records: the schedule facts, attendance, minutes and the scans kept with them.

Functions take a session and plain values and flush; the caller commits. Audited.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .. import audit
from ..core import languages
from ..core.consultation import setting
from ..core.time import to_local, utcnow
from ..core.uploads import check_attachment, sha256
from ..models import Comment, Consultation, Hearing, HearingFile, User

ATTENDANCE_FIELDS = ("attendance_total", "attendance_women", "attendance_men",
                     "attendance_unstated")
HEARING_FIELDS = ("city", "starts_at", "ends_at", "venue", "format", "online_link",
                  "languages", "agenda", "status", *ATTENDANCE_FIELDS,
                  "attendance_by_category", "organisations", "minutes",
                  "short_notice_reason")


class HearingRefused(ValueError):
    """The hearing cannot be saved so; ``messages`` maps a field to a translated reason."""

    def __init__(self, messages: dict[str, str]):
        super().__init__("; ".join(messages.values()))
        self.messages = messages


def hearings(session: Session, consultation: Consultation) -> list[Hearing]:
    """A consultation's hearings, dated ones first in date order."""
    return list(session.scalars(
        select(Hearing).where(Hearing.consultation_id == consultation.id)
        .order_by(Hearing.starts_at.is_(None), Hearing.starts_at, Hearing.id)))


def _snapshot(obj, names) -> dict:
    values = {}
    for name in names:
        value = getattr(obj, name)
        values[name] = value.isoformat() if isinstance(value, datetime) else value
    return values


def _slug(session: Session, values: dict) -> str:
    # Latin letters make a readable address: the English name when there is one.
    city = languages.pick(values["city"], "en")[0] or "hearing"
    base = re.sub(r"[^a-z0-9]+", "-", city.lower()).strip("-")
    if values.get("starts_at"):
        base += "-" + to_local(values["starts_at"]).strftime("%Y-%m-%d")
    slug, n = base or "hearing", 1
    while session.scalar(select(Hearing.id).where(Hearing.slug == slug)):
        n += 1
        slug = f"{base}-{n}"
    return slug


def attendance_mismatch(values: dict) -> bool:
    """Whether the attendance by gender fails to add up to the total (both given)."""
    total = values.get("attendance_total")
    parts = [values.get(n) for n in ATTENDANCE_FIELDS[1:]]
    if total is None or all(p is None for p in parts):
        return False
    return sum(p or 0 for p in parts) != total


def save_hearing(session: Session, consultation: Consultation, hearing: Hearing | None,
                 values: dict, actor: User | None) -> Hearing:
    """Create (``hearing`` None) or update a hearing record from ``values``; audited.

    ``values`` holds the HEARING_FIELDS: per-language dicts for city, venue and agenda,
    naive-UTC times, attendance numbers (None when unknown).
    """
    _check_notice(consultation, hearing, values, utcnow())
    before = _snapshot(hearing, HEARING_FIELDS) if hearing is not None else None
    if hearing is None:
        hearing = Hearing(consultation_id=consultation.id, slug=_slug(session, values))
        session.add(hearing)
    for name in HEARING_FIELDS:
        if name in values:
            setattr(hearing, name, values[name])
    session.flush()
    audit.record(session, actor, "hearing.create" if before is None else "hearing.update",
                 hearing, before, _snapshot(hearing, HEARING_FIELDS))
    return hearing


def _check_notice(consultation: Consultation, hearing: Hearing | None, values: dict,
                  now: datetime) -> None:
    """Aarhus Art. 6(2)(d): a hearing is announced with its date, time and venue
    HEARING_NOTICE_DAYS ahead. One scheduled, or moved, to start sooner needs its venue (or
    an online link when held online) and a recorded reason, which the schedule shows."""
    starts = values.get("starts_at")
    if starts is None or starts <= now or values.get("status") == "cancelled":
        return
    moved = hearing is None or hearing.starts_at != starts
    days = setting("HEARING_NOTICE_DAYS", 10)
    if not moved or starts - now >= timedelta(days=days):
        return
    messages = {}
    online = values.get("format") == "online"
    if not (values.get("online_link") if online else any((values.get("venue") or {}).values())):
        messages["venue"] = _("A hearing less than %(days)d days away needs its venue (or, "
                              "online, its link) now.", days=days)
    if len((values.get("short_notice_reason") or "").strip()) < 10:
        messages["short_notice_reason"] = _(
            "The hearing starts in less than %(days)d days: record why it is announced at "
            "short notice (it is shown on the schedule).", days=days)
    if messages:
        raise HearingRefused(messages)


def set_entry_closed(session: Session, hearing: Hearing, closed: bool, actor: User | None):
    """Close the hearing for entry (its comments can no longer be edited here) or reopen."""
    before = {"entry_closed": hearing.entry_closed}
    hearing.entry_closed = closed
    session.flush()
    audit.record(session, actor, "hearing.close-entry" if closed else "hearing.reopen-entry",
                 hearing, before, {"entry_closed": closed})


def add_file(session: Session, hearing: Hearing, kind: str, filename: str, data: bytes,
             actor: User | None) -> HearingFile:
    """Keep a scan of signed minutes or a sign-in sheet; PDF/JPEG/PNG by magic bytes.

    Raises UploadError for anything else."""
    content_type, extension = check_attachment(data)
    stem = re.sub(r"[^\w.-]+", "_", Path(filename or "file").stem)[:100] or "file"
    item = HearingFile(hearing_id=hearing.id, kind=kind, filename=f"{stem}.{extension}",
                       content_type=content_type, size=len(data), data=data,
                       uploaded_by_id=actor.id if actor else None)
    session.add(item)
    session.flush()
    audit.record(session, actor, "hearing.file-add", item, None,
                 {"hearing_id": hearing.id, "kind": kind, "filename": item.filename,
                  "size": item.size, "sha256": sha256(data)})
    return item


def hearing_comments(session: Session, hearing: Hearing) -> list[Comment]:
    """The contributions recorded for a hearing, newest first."""
    return list(session.scalars(select(Comment).where(Comment.hearing_id == hearing.id)
                                .options(selectinload(Comment.document))
                                .order_by(Comment.id.desc())))
