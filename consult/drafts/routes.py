"""Public pages of the drafts: the consultation notice, whole documents and single clauses.

The document and clause pages carry the comments published under them and the comment
form (POST to the page itself, DESIGN.md section 4): the online channel's adapter
(``intake.online``) records what is sent, ``comments.public`` decides what is shown.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.wrappers import Response

from .. import db
from ..cache import PageCache, cacheable, lru
from ..comments import public
from ..comments.forms import CommentForm
from ..comments.intake import Refused, target_for
from ..core import consultation as lifecycle
from ..core import languages
from ..core.paging import Page, page_number
from ..core.period import phase
from ..core.time import utcnow
from ..extensions import csrf
from ..hearings.records import hearings
from ..i18n import current_lang
from ..intake import online
from ..models import Consultation
from ..publication.results import totals
from ..ratelimit import limit
from ..security import DATABASE_AWAY
from ..views import public_consultation, visible
from . import services

bp = Blueprint("drafts", __name__, url_prefix="/<lang>")

# Whole pages for anonymous readers (a few MB: documents are ~0.5 MB, clauses ~20 KB),
# rendered clause lists, published comment lists and blank comment forms, keyed by what
# they depend on (consult.cache decides when that changes).
pages = PageCache("drafts.pages", size=1024)
_fragments = lru("drafts.clauses", 64)
_published = lru("drafts.published", 512)
_blank_fields = lru("drafts.blank_form", 32)
_last_state = lru("drafts.page_state", 256)
COMMENTS_PER_PAGE = 100


@bp.get("/")
@bp.get("/consultations/<cslug>/")
def notice(cslug: str | None = None):
    """The consultation notice: what is decided, by whom, when, how to take part, where it
    stands and, at the end, the decision taken. ``/`` shows the current consultation."""
    session = db.session()
    consultation = public_consultation(cslug)
    if consultation is None or not visible(consultation):
        return render_template("drafts/empty.html")
    return render_template(
        "drafts/notice.html", consultation=consultation,
        phase=lifecycle.phase(session, consultation),
        documents=services.documents(session, consultation),
        hearings=hearings(session, consultation),
        totals=totals(session, consultation) if consultation.decision else None)


@bp.get("/consultations/")
def archive():
    """Every consultation announced on this site, past ones included, each at its own
    address with its notice, documents, results and decision."""
    session = db.session()
    items = lifecycle.public_consultations(session)
    return render_template("drafts/archive.html", consultations=[
        (item, lifecycle.phase(session, item)) for item in items])


def _document_or_404(slug: str):
    document = services.document_by_slug(db.session(), slug)
    if document is None or document.current_version is None or \
            not visible(document.consultation):
        abort(404)
    return document


# What the address of a document or clause page may carry and still be served from the
# cache; a page asked for with anything else is rendered afresh and not kept.
CACHED_QUERY = {"document": frozenset(("compare", "page")), "clause": frozenset(("page",))}


def _page_key(kind: str, slug: str, detail: str) -> tuple | None:
    """The cache key of an anonymous GET of a public page (everything the page depends
    on), or None when it is not cacheable."""
    if not cacheable() or not set(request.args) <= CACHED_QUERY[kind]:
        return None
    try:
        state = services.page_state(db.session(), slug)
    except DATABASE_AWAY:
        # While the database is away, readers still get the pages already kept.
        state = _last_state.get(slug)
        if state is None:
            raise
        db.discard_session()
    else:
        _last_state.set(slug, state)
    if state is None:
        abort(404)
    document_id, version_id, revision, opens_at, closes_at, announced_at = state
    if announced_at is None:
        return None  # not public yet: the view answers (staff see it, others do not)
    return (kind, document_id, version_id, revision, phase(opens_at, closes_at, utcnow()),
            current_lang(), detail, _comment_page())


def _comment_page() -> int:
    """The page of published comments asked for (``?page=``)."""
    number = page_number(request.args.get("page"))
    if number is None:
        abort(404)
    return number


# The comment form checks its own CSRF token, so that a failed check re-shows the page with
# the citizen's text instead of a bare error page.
@bp.route("/documents/<slug>/", methods=["GET", "POST"])
@csrf.exempt
@limit("comment", methods=("POST",))
def document(slug: str):
    """A whole document with its table of contents and comment counts per clause."""
    compare = request.args.get("compare", "")
    if compare not in languages.codes() or compare == current_lang():
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


def _clauses_fragment(document, compare: str) -> Markup:
    version = document.current_version
    key = (version.id, version.source_hash, document.public_revision, current_lang(), compare)
    fragment = _fragments.get(key)
    if fragment is None:
        session = db.session()
        version = services.version_with_clauses(session, version.id)
        fragment = Markup(render_template(
            "drafts/_clauses.html", document=document, version=version, compare=compare,
            counts=public.published_counts(session, document.id)))
        _fragments.set(key, fragment)
    return fragment


@bp.route("/documents/<slug>/<key>/", methods=["GET", "POST"])
@csrf.exempt
@limit("comment", methods=("POST",))
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


# ---------------------------------------------------------------- comments under the text

@dataclass
class CommentSection:
    """What a clause or document page shows below the text: comments and the form."""
    form: CommentForm
    comments_html: Markup
    consultation: Consultation
    accepting: bool
    status: int = 200
    response: Response | None = None

    def fields_html(self) -> Markup:
        """The form's fields; a blank form's come from a per-language cache, since
        rendering a dozen translated widgets is most of a clause page's cost."""
        if self.form.is_submitted() or self.form.errors:
            return Markup(render_template("comments/_form_fields.html", form=self.form))
        lang = current_lang()
        html = _blank_fields.get(lang)
        if html is None:
            html = Markup(render_template("comments/_form_fields.html", form=self.form))
            _blank_fields.set(lang, html)
        return html


def comment_section(document, clause=None) -> CommentSection:
    """Handle the comment form of a clause (or the whole document) page.

    On a successful POST, ``response`` redirects to the receipt; otherwise the page is
    rendered with ``status`` (400 for a refused form, 403 outside the period).
    """
    consultation = document.consultation
    form = CommentForm()
    section = CommentSection(form, Markup(), consultation, consultation.is_open())
    if request.method == "POST":
        _handle_post(section, document, clause)
        if section.response is not None:
            return section
    section.comments_html = published_html(document, clause.key if clause else None,
                                           _comment_page())
    return section


def published_html(document, clause_key: str | None, page: int = 1) -> Markup:
    """One page of the published comments on a clause (or the whole document), newest
    first, as HTML, with a link to the older ones."""
    version = document.current_version
    # The version's import time is in the key so that a rebuilt database never meets an
    # older list with the same ids.
    key = (document.id, version.id, version.imported_at, document.public_revision,
           clause_key, current_lang(), page)
    html = _published.get(key)
    if html is None:
        session = db.session()
        total = public.published_counts(session, document.id).get(clause_key, 0)
        shown = Page(page, COMMENTS_PER_PAGE, total)
        comments = public.published_comments(session, document.id, clause_key,
                                             limit=COMMENTS_PER_PAGE, offset=shown.offset)
        html = Markup(render_template("comments/_published.html", comments=comments,
                                      page=shown))
        _published.set(key, html)
    return html


def client_key() -> str:
    """What identifies a submitting client for spotting an accidental resubmission."""
    return f"{request.remote_addr or ''}|{request.user_agent.string}"


def _handle_post(section: CommentSection, document, clause) -> None:
    session = db.session()
    if not section.form.validate():
        # Said at the top as well: on a phone the form may be far below.
        flash(_("Your comment was not sent. Please correct what is marked below."), "error")
        section.status = 400
        return
    try:
        target = target_for(session, document, clause.key if clause else None)
        recorded = online.submit(session, target, section.form.data, client_key(),
                                 current_lang())
    except Refused as refusal:
        session.rollback()
        flash(str(refusal), "error")
        section.status = 403 if not section.accepting else 400
        return
    if recorded is None:  # honeypot: answer as if all went well, store nothing
        flash(_("Thank you. Your comment has been received."), "success")
        section.response = redirect(request.path)
        return
    session.commit()  # durably stored before the citizen is shown the receipt
    if recorded.stripped:
        flash(_("Invisible control characters were removed from your text."), "warning")
    section.response = redirect(url_for("comments.receipt", code=recorded.comment.receipt_code))
