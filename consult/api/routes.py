"""Open-data JSON API under /api/v1/: public, read-only, paginated, described by openapi.json.

What is listed: documents and their versions with every text; comments that passed
moderation or were hidden or withdrawn (in their public form; comments awaiting
moderation are not listed); answers only once the consultation's results are published,
so the API never shows what the results page does not; hearings with attendance.
"""
from __future__ import annotations

from flask import Blueprint, abort, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import db
from ..models import CHANNELS, Comment, Consultation, Document, DuplicateGroup, Hearing
from ..synthesis import publish
from . import openapi, serialize

bp = Blueprint("api", __name__, url_prefix="/api/v1")

DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 500
MAX_PAGE = 1_000_000  # keeps OFFSET within what every database accepts
LISTED_STATES = ("published", "hidden", "withdrawn")


@bp.after_request
def _open_data_headers(response):
    # Open data: any site may read it from a browser; nothing here depends on cookies.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers.setdefault("Cache-Control", "public, max-age=60")
    return response


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        abort(400, _("The parameter %(name)s must be a whole number from %(low)d to %(high)d.",
                     name=name, low=low, high=high))
    return int(raw)


def _page(query, count_query, to_json, endpoint: str, **args) -> dict:
    """Run ``query`` for the requested page; the envelope with total and links."""
    page = _int_arg("page", 1, 1, MAX_PAGE)
    per_page = _int_arg("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    session = db.session()
    total = session.scalar(count_query) or 0
    items = session.scalars(query.offset((page - 1) * per_page).limit(per_page))
    last = max(1, -(-total // per_page))

    def link(number: int) -> str:
        return url_for(endpoint, page=number, per_page=per_page, _external=True, **args)
    return {"data": [to_json(item) for item in items], "total": total, "page": page,
            "per_page": per_page,
            "links": {"self": link(page), "first": link(1), "last": link(last),
                      "prev": link(min(page - 1, last)) if page > 1 else None,
                      "next": link(page + 1) if page < last else None}}


@bp.get("/")
def index():
    """Where to start: the collections and the API description."""
    return {"documents": url_for("api.documents", _external=True),
            "comments": url_for("api.comments", _external=True),
            "hearings": url_for("api.hearings", _external=True),
            "results": url_for("api.results", _external=True),
            "openapi": url_for("api.openapi", _external=True)}


@bp.get("/openapi.json", endpoint="openapi")
def openapi_document():
    """The OpenAPI 3.1 description of this API."""
    return openapi.document(url_for("api.index", _external=True).rstrip("/"))


@bp.get("/documents")
def documents():
    """Every document put to consultation, with its versions."""
    query = select(Document).order_by(Document.consultation_id, Document.position, Document.id) \
        .options(selectinload(Document.versions), selectinload(Document.current_version))
    return _page(query, select(func.count()).select_from(Document), serialize.document,
                 "api.documents")


def _document_or_404(slug: str) -> Document:
    found = db.session().scalar(select(Document).where(Document.slug == slug))
    if found is None:
        abort(404, _("No document has this slug."))
    return found


@bp.get("/documents/<slug>")
def document(slug: str):
    """One document with its versions."""
    return serialize.document(_document_or_404(slug))


@bp.get("/documents/<slug>/versions/<int:number>")
def version(slug: str, number: int):
    """One version of a document: sections and clauses, html and plain text per language."""
    found = _document_or_404(slug)
    item = next((v for v in found.versions if v.number == number), None)
    if item is None:
        abort(404, _("This document has no version with this number."))
    return serialize.version(found, item)


def _published_consultations() -> set[int]:
    return set(db.session().scalars(select(Consultation.id).where(
        Consultation.results_published_at.is_not(None))))


def _comment_options():
    return (selectinload(Comment.document), selectinload(Comment.version),
            selectinload(Comment.hearing), selectinload(Comment.response),
            selectinload(Comment.group).selectinload(DuplicateGroup.response))


@bp.get("/comments")
def comments():
    """Comments in their public form, oldest first; filters: document, clause, channel."""
    where = [Comment.state.in_(LISTED_STATES)]
    args = {}
    if request.args.get("document"):
        args["document"] = request.args["document"]
        where.append(Comment.document_id == _document_or_404(args["document"]).id)
    if request.args.get("clause"):
        args["clause"] = request.args["clause"]
        where.append(Comment.clause_key == args["clause"])
    if request.args.get("channel"):
        if request.args["channel"] not in CHANNELS:
            abort(400, _("Unknown channel."))
        args["channel"] = request.args["channel"]
        where.append(Comment.channel == args["channel"])
    published = _published_consultations()
    query = select(Comment).where(*where).order_by(Comment.id).options(*_comment_options())
    return _page(query, select(func.count()).select_from(Comment).where(*where),
                 lambda c: serialize.comment(c, c.consultation_id in published),
                 "api.comments", **args)


@bp.get("/comments/<int:comment_id>")
def comment(comment_id: int):
    """One comment in its public form."""
    item = db.session().scalar(select(Comment).where(
        Comment.id == comment_id, Comment.state.in_(LISTED_STATES)).options(*_comment_options()))
    if item is None:
        abort(404, _("No public comment has this number."))
    return serialize.comment(item, item.consultation_id in _published_consultations())


@bp.get("/hearings")
def hearings():
    """Public hearings with their status and attendance by gender and category."""
    query = select(Hearing).order_by(Hearing.starts_at.is_(None), Hearing.starts_at, Hearing.id)
    return _page(query, select(func.count()).select_from(Hearing), serialize.hearing,
                 "api.hearings")


@bp.get("/results")
def results():
    """Whether the results are published, and the totals once they are."""
    session = db.session()
    from ..drafts.services import current_consultation
    consultation = current_consultation(session)
    if consultation is None or consultation.results_published_at is None:
        return {"published_at": None, "totals": None}
    totals = publish.totals(session, consultation)
    return {"published_at": serialize.when(consultation.results_published_at),
            "totals": {"received": totals.received,
                       "by_status": {k: v for k, v in totals.by_status.items() if k},
                       "by_channel": totals.by_channel, "by_state": totals.by_state,
                       "by_hearing": [{"hearing": h.slug if h else None, "comments": n}
                                      for h, n in totals.by_hearing]}}
