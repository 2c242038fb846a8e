"""The public hearing schedule (and, for moderators, hearing records)."""
from __future__ import annotations

import segno
from flask import Blueprint, render_template, url_for
from markupsafe import Markup

from .. import db
from ..drafts import services as draft_services

bp = Blueprint("hearings", __name__, url_prefix="/<lang>")


def qr_svg(url: str) -> Markup:
    """An inline SVG QR code (no script, no style: it passes the content security policy)."""
    svg = segno.make(url, error="m").svg_inline(scale=4, dark="#000", light="#fff",
                                                 title=url, omitsize=True)
    return Markup(svg)


def public_url(endpoint: str, **values) -> str:
    """An absolute URL for print and QR codes; PUBLIC_URL wins over the request's host."""
    from flask import current_app
    base = current_app.config.get("PUBLIC_URL", "").rstrip("/")
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


@bp.get("/hearings/")
def schedule():
    """Every hearing: city, date and time, venue, online link, and a QR code to the drafts."""
    session = db.session()
    consultation = draft_services.current_consultation(session)
    hearings = draft_services.hearings(session, consultation) if consultation else []
    drafts_url = public_url("drafts.notice")
    return render_template("hearings/schedule.html", hearings=hearings,
                           drafts_url=drafts_url, qr=qr_svg(drafts_url))
