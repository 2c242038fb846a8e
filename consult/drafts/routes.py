"""Public pages: the consultation notice, whole documents and single clauses."""
from __future__ import annotations

from collections import OrderedDict

from flask import Blueprint, abort, render_template, request
from markupsafe import Markup

from .. import db
from ..pagecache import PageCache, cacheable, phase
from ..timeutil import utcnow
from ..comments.routes import comment_rate_limit, comment_section
from ..config import LANGUAGES
from ..extensions import csrf, limiter
from ..i18n import current_lang
from . import services

bp = Blueprint("drafts", __name__, url_prefix="/<lang>")

# Rendered clause lists, keyed by what they depend on. Document.public_revision changes
# whenever comments shown on the page change, so every worker rebuilds exactly then.
_fragments: OrderedDict[tuple, Markup] = OrderedDict()
FRAGMENT_CACHE_SIZE = 64
# Whole pages for anonymous readers (a few MB: documents are ~0.5 MB, clauses ~20 KB).
pages = PageCache(size=1024)


@bp.get("/")
def notice():
    """The consultation notice: what is decided, by whom, when, and how to take part."""
    session = db.session()
    consultation = services.current_consultation(session)
    if consultation is None:
        return render_template("drafts/empty.html")
    return render_template(
        "drafts/notice.html", consultation=consultation,
        documents=services.documents(session, consultation),
        hearings=services.hearings(session, consultation))


def _document_or_404(slug: str):
    document = services.document_by_slug(db.session(), slug)
    if document is None or document.current_version is None:
        abort(404)
    return document


# The comment form (POST to the page itself) checks its own CSRF token, so that a failed
# check re-shows the page with the citizen's text instead of a bare error page.
@bp.route("/documents/<slug>/", methods=["GET", "POST"])
@csrf.exempt
@limiter.limit(comment_rate_limit, methods=["POST"])
def document(slug: str):
    """A whole document with its table of contents and comment counts per clause."""
    compare = request.args.get("compare", "")
    if compare not in LANGUAGES or compare == current_lang():
        compare = ""
    key = _page_key("document", slug, compare)
    if key is not None and (page := pages.get(key)) is not None:
        return page
    document = _document_or_404(slug)
    discussion = comment_section(document)
    if discussion.response is not None:
        return discussion.response
    html = render_template("drafts/document.html", document=document,
                           version=document.current_version, compare=compare,
                           clauses_html=_clauses_fragment(document, compare),
                           discussion=discussion)
    if key is not None and discussion.status == 200:
        pages.put(key, html)
    return html, discussion.status


def _page_key(kind: str, slug: str, detail: str) -> tuple | None:
    """The cache key of an anonymous GET of a public page, or None when it is not cacheable."""
    if not cacheable():
        return None
    state = services.page_state(db.session(), slug)
    if state is None:
        abort(404)
    document_id, version_id, revision, opens_at, closes_at = state
    page = max(request.args.get("page", 1, type=int) or 1, 1)  # of the comments shown
    return (kind, document_id, version_id, revision, phase(opens_at, closes_at, utcnow()),
            current_lang(), detail, page)


def _clauses_fragment(document, compare: str) -> Markup:
    version = document.current_version
    key = (version.id, version.source_hash, document.public_revision, current_lang(), compare)
    fragment = _fragments.get(key)
    if fragment is None:
        session = db.session()
        version = services.version_with_clauses(session, version.id)
        fragment = Markup(render_template(
            "drafts/_clauses.html", document=document, version=version, compare=compare,
            counts=services.published_counts(session, document.id)))
        _fragments[key] = fragment
        while len(_fragments) > FRAGMENT_CACHE_SIZE:
            _fragments.popitem(last=False)
    return fragment


@bp.route("/documents/<slug>/<key>/", methods=["GET", "POST"])
@csrf.exempt
@limiter.limit(comment_rate_limit, methods=["POST"])
def clause(slug: str, key: str):
    """One clause with its neighbours, its published comments and the comment form."""
    page_key = _page_key("clause", slug, key)
    if page_key is not None and (page := pages.get(page_key)) is not None:
        return page
    document = _document_or_404(slug)
    session = db.session()
    found = services.clause_by_key(session, document.current_version_id, key)
    if found is None:
        abort(404)
    discussion = comment_section(document, found)
    if discussion.response is not None:
        return discussion.response
    before, after = services.neighbours(session, found)
    html = render_template("drafts/clause.html", document=document,
                           version=document.current_version, clause=found,
                           before=before, after=after, discussion=discussion)
    if page_key is not None and discussion.status == 200:
        pages.put(page_key, html)
    return html, discussion.status
