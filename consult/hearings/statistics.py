"""Participation statistics: comments and attendance per hearing, by gender and category."""
from __future__ import annotations

import textwrap

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


# Bar charts are drawn as SVG on a 100-unit-wide canvas. SVG text does not wrap, so a
# label is cut into lines here, short enough for the canvas at LABEL_SIZE (a glyph is
# at most about 0.6 of the font size wide); the bar starts under its label.
CANVAS = 100
LABEL_SIZE = 5.5
LABEL_CHARS = 26
LINE_HEIGHT = 7
BAR_HEIGHT = 8
ROW_GAP = 6
BAR_MAX = 82  # leaves room for the number after the longest bar


def bar_chart(values: dict, labels) -> dict:
    """Geometry of a horizontal bar chart, in canvas units: for each code of ``values``
    its label (in lines), its value, its bar's width and where its row starts."""
    top = max(values.values(), default=0) or 1
    rows, y = [], 0.0
    for code, value in values.items():
        lines = textwrap.wrap(str(labels.get(code, code)), LABEL_CHARS) or [""]
        rows.append({"lines": lines, "value": value, "y": y,
                     "bar_y": y + len(lines) * LINE_HEIGHT,
                     "width": round(BAR_MAX * value / top, 2)})
        y += len(lines) * LINE_HEIGHT + BAR_HEIGHT + ROW_GAP
    return {"rows": rows, "height": max(y, 1), "line_height": LINE_HEIGHT,
            "label_size": LABEL_SIZE, "bar_height": BAR_HEIGHT, "width": CANVAS}
