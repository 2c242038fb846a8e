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
from ..core.paging import Page, page_number, whole_number
from ..core.period import phase
from ..core.time import utcnow
from ..delivery import shared_page
from ..extensions import csrf
from ..hearings.records import hearings
from ..i18n import clause_label, current_lang
from ..intake import online
from ..models import Consultation
from ..publication.results import totals
from ..ratelimit import limit
from ..security import DATABASE_AWAY
from ..views import public_consultation, visible
from . import diff, revisions, services

bp = Blueprint("drafts", __name__, url_prefix="/<lang>")

# Whole pages for anonymous readers (a few MB: documents are ~0.5 MB, clauses ~20 KB),
# rendered clause lists, published comment lists and blank comment forms, keyed by what
# they depend on (consult.cache decides when that changes).
pages = PageCache("drafts.pages", size=1024)
_fragments = lru("drafts.clauses", 64)
_published = lru("drafts.published", 512)
_blank_fields = lru("drafts.blank_form", 32)
_last_state = lru("drafts.page_state", 256)
_counts = lru("drafts.comment_counts", 64)
COMMENTS_PER_PAGE = 100
MAX_VERSION = 9999  # a version number in an address beyond this is no version


@bp.app_template_global("diff_html")
def diff_html(ops) -> Markup:
    """A word diff as HTML, its deletions and insertions said in words (every page that
    shows a change between versions uses this)."""
    return diff.diff_html(ops, _("Deleted:"), _("Inserted:"))


@bp.get("/")
@bp.get("/consultations/<cslug>/")
@shared_page
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
@shared_page
def archive():
    """Every consultation announced on this site, past ones included, each at its own
    address with its notice, documents, results and decision."""
    session = db.session()
    items = lifecycle.public_consultations(session)
    return render_template("drafts/archive.html", consultations=[
        (item, lifecycle.phase(session, item)) for item in items])


def _document_or_404(slug: str):
    return _shown_or_404(services.document_by_slug(db.session(), slug))


def _shown_or_404(document):
    """The document, if the public may read it."""
    if document is None or document.current_version is None or \
            not visible(document.consultation):
        abort(404)
    return document


def _version_or_404(document):
    """The version the address asks for (``?version=N``, a published one), else the
    current one."""
    raw = request.args.get("version")
    if raw is None or raw == "":
        return document.current_version
    number = whole_number(raw, MAX_VERSION)
    version = revisions.version_by_number(db.session(), document, number) if number else None
    if version is None or version.published_at is None:
        abort(404)
    return version


# What the address of a document or clause page may carry and still be served from the
# cache; a page asked for with anything else is rendered afresh and not kept.
CACHED_QUERY = {"document": frozenset(("compare", "page", "version")),
                "clause": frozenset(("page", "version"))}


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
            current_lang(), detail, request.args.get("version", ""), _comment_page())


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
    """A whole document with its table of contents and comment counts per clause; an
    earlier version with ``?version=N``."""
    compare = request.args.get("compare", "")
    if compare not in languages.codes() or compare == current_lang():
        compare = ""
    key = _page_key("document", slug, compare)
    if key is not None and (page := pages.get(key)) is not None:
        return page
    document = _document_or_404(slug)
    version = _version_or_404(document)
    if request.method == "POST":
        version = _version_sent_on(document, version)
    discussion = comment_section(document, version)
    if discussion.response is not None:
        return discussion.response
    version = discussion.show_version
    html = render_template("drafts/document.html", document=document, version=version,
                           compare=compare, versions=_versions(document),
                           clauses_html=_clauses_fragment(document, version, compare),
                           discussion=discussion)
    if key is not None and discussion.status == 200:
        pages.put(key, html)
    return html, discussion.status


def _versions(document) -> list:
    """The document's published versions, newest first (the document page lists them)."""
    return list(reversed(revisions.published_versions(db.session(), document)))


def _clauses_fragment(document, version, compare: str) -> Markup:
    key = (version.id, version.source_hash, document.public_revision, current_lang(), compare)
    fragment = _fragments.get(key)
    if fragment is None:
        session = db.session()
        current = version.id == document.current_version_id
        version = services.version_with_clauses(session, version.id)
        fragment = Markup(render_template(
            "drafts/_clauses.html", document=document, version=version, compare=compare,
            earlier=None if current else version.number,
            counts=_published_counts(document, version)))
        _fragments.set(key, fragment)
    return fragment


@bp.route("/documents/<slug>/<key>/", methods=["GET", "POST"])
@csrf.exempt
@limit("comment", methods=("POST",))
def clause(slug: str, key: str):
    """One clause with its neighbours, the change from the previous version, its
    published comments (those on earlier versions labelled) and the comment form."""
    page_key = _page_key("clause", slug, key)
    if page_key is not None and (page := pages.get(page_key)) is not None:
        return page
    session = db.session()
    # A comment sent on the clause needs only which clause it is, not its texts.
    texts = request.method != "POST"
    document, found = services.document_and_clause(session, slug, key, texts)
    document = _shown_or_404(document)
    version = _version_or_404(document)
    if request.method == "POST":
        version = _version_sent_on(document, version)
    if version.id != document.current_version_id:
        found = services.clause_by_key(session, version.id, key, texts)
    if found is None:
        abort(404)
    discussion = comment_section(document, version, found)
    if discussion.response is not None:
        return discussion.response
    found, version = discussion.show_clause, discussion.show_version
    before, after = services.neighbours(session, found)
    current = version.id == document.current_version_id
    html = render_template("drafts/clause.html", document=document, version=version,
                           clause=found, before=before, after=after, discussion=discussion,
                           change=revisions.previous_text(session, found),
                           # Where an earlier version's clause went (the current one's is
                           # itself): said only on an earlier version's page.
                           fate=None if current else
                           revisions.fates(session, [found.id]).get(found.id),
                           earlier=None if current else version.number)
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
    # What the page shows: the version and clause asked for, or, for a comment sent on a
    # text revised since, the current text it became (the form keeps the comment).
    show_version: object = None
    show_clause: object = None
    action: str | None = None  # where the form posts, when not to the page shown
    stale: object = None  # revisions.Fate of a revised clause a comment was sent on

    @property
    def form_shown(self) -> bool:
        """Comments are made on the current version; an earlier one is read only."""
        current = self.show_version.id == self.show_version.document.current_version_id
        return current or self.action is not None

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


def comment_section(document, version, clause=None) -> CommentSection:
    """Handle the comment form of a clause (or the whole document) page.

    On a successful POST, ``response`` redirects to the receipt; otherwise the page is
    rendered with ``status`` (400 for a refused form, 403 outside the period, 409 for a
    comment sent on a version revised since: its text is kept in the form, now aimed at
    the clause's current text).
    """
    consultation = document.consultation
    form = CommentForm()
    section = CommentSection(form, Markup(), consultation, consultation.is_open(),
                             show_version=version, show_clause=clause)
    if request.method == "POST":
        if version.id != document.current_version_id:
            _revised_since(section, document, clause)
        else:
            _handle_post(section, document, clause)
        if section.response is not None:
            return section
    section.comments_html = published_html(document, section.show_version,
                                           section.show_clause, _comment_page())
    return section


def _version_sent_on(document, version):
    """The version a posted form was read on: its hidden ``version`` field (a page kept
    open while a revision was published), else the page's own."""
    number = whole_number(request.form.get("version", ""), MAX_VERSION)
    if number is None or number == version.number:
        return version
    found = revisions.version_by_number(db.session(), document, number)
    return found if found is not None and found.published_at is not None else version


def _revised_since(section: CommentSection, document, clause) -> None:
    """Refuse a comment on an earlier version, keeping its text: the form is shown again
    under what the clause became (for the commenter to read the new text first), or, for
    a clause since deleted, aimed at the whole document."""
    session = db.session()
    section.status = 409
    current = document.current_version
    message = _("Your comment was not sent: the text you read was revised since (version "
                "%(number)d is now published). Read the current text; your comment is kept "
                "in the form below, ready to send.", number=current.number)
    if clause is None:
        section.show_version = current
    else:
        fate = revisions.fates(session, [clause.id]).get(clause.id)
        section.stale = fate
        if fate is not None and fate.current:
            section.show_version = current
            section.show_clause = services.clause_by_key(session, current.id, fate.current[0])
        else:
            section.action = url_for("drafts.document", slug=document.slug)
            message = _("Your comment was not sent: clause %(key)s was deleted in version "
                        "%(number)d. Your comment is kept in the form below: you can send it "
                        "on the whole document.", key=clause_label(clause.key),
                        number=fate.deleted_in if fate else current.number)
    flash(message, "error")


def published_html(document, version, clause, page: int = 1) -> Markup:
    """One page of the published comments on a clause (or the whole document), newest
    first, as HTML, with a link to the older ones. Under the current version, a clause
    lists the comments made on its earlier versions too, each labelled with the version
    and the text it was made on; under an earlier version, those made on it."""
    current = version.id == document.current_version_id
    clause_id = clause.id if clause is not None else None
    # The version's import time is in the key so that a rebuilt database never meets an
    # older list with the same ids.
    key = (document.id, version.id, version.imported_at, document.public_revision,
           clause_id, current_lang(), page)
    html = _published.get(key)
    if html is None:
        session = db.session()
        counts = _published_counts(document, version)
        total = counts.get(clause.key if clause is not None else None, 0)
        shown = Page(page, COMMENTS_PER_PAGE, total)
        # Most clauses have none: the counts say so without asking for the list.
        comments = public.published_comments(session, document.id, clause_id,
                                             limit=COMMENTS_PER_PAGE, offset=shown.offset,
                                             follow=current) if total else []
        made_on = revisions.clauses_by_id(session, {
            c.clause_id for c in comments if c.clause_id not in (None, clause_id)})
        html = Markup(render_template("comments/_published.html", comments=comments,
                                      page=shown, made_on=made_on, document=document))
        _published.set(key, html)
    return html


def _published_counts(document, version) -> dict[str | None, int]:
    """The comments listed under each clause of ``version`` (public.published_counts),
    counted once per document revision for all its pages, not once per clause page."""
    current = version.id == document.current_version_id
    key = (document.id, version.id, version.imported_at, document.public_revision, current)
    counts = _counts.get(key)
    if counts is None:
        counts = public.published_counts(db.session(), document.id,
                                         None if current else version.id)
        _counts.set(key, counts)
    return counts


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
        target = target_for(session, document, clause.key if clause else None, loaded=clause)
        # The comment is the request's only write: it needs no savepoint of its own.
        recorded = online.submit(session, target, section.form.data, client_key(),
                                 current_lang(), alone=True)
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
