"""Participation statistics: comments and attendance per hearing, by gender and category."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..core.vocab import CATEGORIES, GENDERS
from ..models import Comment, Consultation
from .records import hearings as consultation_hearings


def statistics(session: Session, consultation: Consultation) -> dict:
    """Comments and attendance per hearing, by gender and by category."""
    hearings = consultation_hearings(session, consultation)
    counts = dict(session.execute(
        select(Comment.hearing_id, func.count()).where(Comment.consultation_id == consultation.id,
                                                       Comment.hearing_id.is_not(None))
        .group_by(Comment.hearing_id)).all())
    base = select(func.count()).where(Comment.consultation_id == consultation.id,
                                      Comment.hearing_id.is_not(None))
    by_gender = dict(session.execute(
        select(Comment.gender, func.count()).where(Comment.consultation_id == consultation.id,
                                                  Comment.hearing_id.is_not(None))
        .group_by(Comment.gender)).all())
    by_category = dict(session.execute(
        select(Comment.category, func.count()).where(Comment.consultation_id == consultation.id,
                                                    Comment.hearing_id.is_not(None))
        .group_by(Comment.category)).all())
    attendance_by_category: dict[str, int] = dict.fromkeys(CATEGORIES, 0)
    for hearing in hearings:
        for code, number in (hearing.attendance_by_category or {}).items():
            if code in attendance_by_category and isinstance(number, int):
                attendance_by_category[code] += number
    return {
        "hearings": [{"hearing": h, "comments": counts.get(h.id, 0),
                      "total": h.attendance_total or 0, "women": h.attendance_women or 0,
                      "men": h.attendance_men or 0, "unstated": h.attendance_unstated or 0}
                     for h in hearings],
        "comments_total": session.scalar(base) or 0,
        "comments_by_gender": {g: by_gender.get(g, 0) for g in GENDERS},
        "comments_by_category": {c: by_category.get(c, 0) for c in CATEGORIES},
        "attendance_by_category": attendance_by_category,
        "attendance_by_gender": {
            "female": sum(h.attendance_women or 0 for h in hearings),
            "male": sum(h.attendance_men or 0 for h in hearings),
            "unstated": sum(h.attendance_unstated or 0 for h in hearings)},
    }
