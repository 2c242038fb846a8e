"""Open-data JSON API under /api/v1/: public, read-only, paginated, described by openapi.json.

What is listed: documents and their versions with every text; comments that went through
moderation (in their public form; comments awaiting moderation are not listed); answers
only once the consultation's results are published, so the API never shows what the
results page does not; hearings with attendance.
"""
from __future__ import annotations

from functools import partial

from flask import Blueprint, abort, request, url_for
from flask_babel import gettext as _

from ... import db
from ...core.vocab import CHANNELS
from ...drafts import revisions
from ..results import totals as result_totals
from . import openapi, serialize, services

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.after_request
def _open_data_headers(response):
    # Open data: any site may read it from a browser; nothing here depends on cookies.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers.setdefault("Cache-Control", "public, max-age=60")
    return response


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 12 or not low <= int(raw) <= high:
        abort(400, _("The parameter %(name)s must be a whole number from %(low)d to %(high)d.",
                     name=name, low=low, high=high))
    return int(raw)


def _page(query, to_json, endpoint: str, **args) -> dict:
    """Run ``query`` for the requested page; the envelope with total and links.
    ``to_json`` turns one item into JSON; one that needs the whole page at once (to look
    up what the items share in one query) has ``to_json.many``."""
    page = _int_arg("page", 1, 1, services.MAX_PAGE)
    per_page = _int_arg("per_page", services.DEFAULT_PER_PAGE, 1, services.MAX_PER_PAGE)
    session = db.session()
    total = session.scalar(services.count(query)) or 0
    items = list(session.scalars(query.offset((page - 1) * per_page).limit(per_page)))
    many = getattr(to_json, "many", None)
    data = many(items) if many is not None else [to_json(item) for item in items]
    last = max(1, -(-total // per_page))

    def link(number: int) -> str:
        return url_for(endpoint, page=number, per_page=per_page, _external=True, **args)
    return {"data": data, "total": total, "page": page,
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


def _consultation_arg():
    """The consultation named by ``?consultation=`` (announced), or None for all."""
    slug = request.args.get("consultation")
    if slug is None:
        return None, {}
    found = services.announced_consultation(db.session(), slug)
    if found is None:
        abort(404, _("No consultation has this slug."))
    return found, {"consultation": slug}


@bp.get("/documents")
def documents():
    """Every document put to consultation, with its versions (``?consultation=``)."""
    consultation, args = _consultation_arg()
    return _page(services.documents_query(consultation), serialize.document, "api.documents",
                 **args)


def _document_or_404(slug: str):
    found = services.document_by_slug(db.session(), slug)
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
    if item is None or item.published_at is None:
        abort(404, _("This document has no version with this number."))
    return serialize.version(found, item)


@bp.get("/comments")
def comments():
    """Comments in their public form, oldest first; filters: document, clause, channel."""
    if "channel" in request.args and request.args["channel"] not in CHANNELS:
        abort(400, _("Unknown channel."))
    args = {name: request.args[name] for name in ("document", "clause", "channel")
            if request.args.get(name)}
    document = _document_or_404(args["document"]) if "document" in args else None
    consultation, named = _consultation_arg()
    args.update(named)
    where = services.comment_filters(document, args.get("clause"), args.get("channel"),
                                     consultation)
    session = db.session()
    answered = services.consultations_with_answers(session)

    def page_of(items):
        fates = revisions.fates(session, [c.clause_id for c in items])
        return [serialize.comment(c, c.consultation_id in answered, fates.get(c.clause_id))
                for c in items]
    to_json = partial(serialize.comment, with_answer=False)
    to_json.many = page_of
    return _page(services.comments_query(where), to_json, "api.comments", **args)


@bp.get("/comments/<int:comment_id>")
def comment(comment_id: int):
    """One comment in its public form."""
    session = db.session()
    item = services.listed_comment(session, comment_id)
    if item is None:
        abort(404, _("No public comment has this number."))
    return serialize.comment(item, item.consultation_id in
                             services.consultations_with_answers(session),
                             revisions.fates(session, [item.clause_id]).get(item.clause_id))


@bp.get("/hearings")
def hearings():
    """Public hearings with their status and attendance by gender and category."""
    consultation, args = _consultation_arg()
    return _page(services.hearings_query(consultation), serialize.hearing, "api.hearings",
                 **args)


@bp.get("/results")
def results():
    """Whether the results are published, and the totals once they are."""
    session = db.session()
    named, _args = _consultation_arg()
    consultation = services.results_consultation(session, named)
    if consultation is None:
        return {"published_at": None, "totals": None}
    totals = result_totals(session, consultation)
    return {"published_at": serialize.when(consultation.results_published_at),
            "totals": {"received": totals.received,
                       "by_status": {k: v for k, v in totals.by_status.items() if k},
                       "by_channel": totals.by_channel, "by_state": totals.by_state,
                       "by_hearing": [{"hearing": h.slug if h else None, "comments": n}
                                      for h, n in totals.by_hearing]}}
