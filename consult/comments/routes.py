"""Comment form handling, receipts and the moderation queue.

The comment form itself lives on the clause and document pages (drafts blueprint), which
call ``comment_section``; receipts and moderation are this blueprint's own pages.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response

from .. import db
from ..accounts.auth import role_required
from ..i18n import current_lang
from ..models import STATES, Clause, Comment, Consultation, Document
from . import services
from .forms import CommentForm, ModerationForm

bp = Blueprint("comments", __name__, url_prefix="/<lang>")


def comment_rate_limit() -> str:
    """The limit on comment POSTs per client, read per request so tests and ops can set it."""
    return current_app.config["COMMENT_RATE_LIMIT"]


def client_key() -> str:
    """What identifies a submitting client for spotting an accidental resubmission."""
    return f"{request.remote_addr or ''}|{request.user_agent.string}"


@dataclass
class CommentSection:
    """What a clause or document page shows below the text: comments and the form."""
    form: CommentForm
    comments_html: Markup
    consultation: Consultation
    accepting: bool
    status: int = 200
    response: Response | None = field(default=None)

    def fields_html(self) -> Markup:
        """The form's fields; a blank form's come from a per-language cache, since
        rendering a dozen translated widgets is most of a clause page's cost."""
        if self.form.is_submitted() or self.form.errors:
            return Markup(render_template("comments/_form_fields.html", form=self.form))
        lang = current_lang()
        html = _blank_fields.get(lang)
        if html is None:
            html = _blank_fields[lang] = Markup(
                render_template("comments/_form_fields.html", form=self.form))
        return html


# Rendered fields of a blank comment form, by language (labels only; no per-user data).
_blank_fields: dict[str, Markup] = {}


def comment_section(document: Document, clause: Clause | None = None) -> CommentSection:
    """Handle the comment form of a clause (or the whole document) page.

    On a successful POST, ``response`` redirects to the receipt; otherwise the page is
    rendered with ``status`` (400 for a refused form, 403 outside the period).
    """
    session = db.session()
    consultation = document.consultation
    form = CommentForm()
    section = CommentSection(form, Markup(), consultation, consultation.is_open())
    if request.method == "POST":
        _handle_post(session, section, clause or document)
        if section.response is not None:
            return section
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    section.comments_html = published_html(document, clause.key if clause else None, page)
    return section


# Rendered lists of published comments, keyed by what they depend on: the document's
# public_revision changes whenever a comment is published or hidden, in every worker.
# (The version's import time is in the key so that a rebuilt database never meets an
# older list with the same ids.)
_published: OrderedDict[tuple, Markup] = OrderedDict()
PUBLISHED_CACHE_SIZE = 512
COMMENTS_PER_PAGE = 100


def published_html(document: Document, clause_key: str | None, page: int = 1) -> Markup:
    """One page of the published comments on a clause (or the whole document), newest
    first, as HTML, with a link to the older ones."""
    version = document.current_version
    key = (document.id, version.id, version.imported_at, document.public_revision,
           clause_key, current_lang(), page)
    html = _published.get(key)
    if html is None:
        comments = services.published_comments(
            db.session(), document.id, clause_key, limit=COMMENTS_PER_PAGE + 1,
            offset=(page - 1) * COMMENTS_PER_PAGE)
        html = _published[key] = Markup(render_template(
            "comments/_published.html", comments=comments[:COMMENTS_PER_PAGE], page=page,
            older=len(comments) > COMMENTS_PER_PAGE))
        while len(_published) > PUBLISHED_CACHE_SIZE:
            _published.popitem(last=False)
    return html


def _handle_post(session, section: CommentSection, target) -> None:
    if not section.form.validate():
        # Said at the top as well: on a phone the form may be far below.
        flash(_("Your comment was not sent. Please correct what is marked below."),
              "error")
        section.status = 400
        return
    try:
        outcome = services.submit_comment(session, target, section.form.submitted_data(),
                                          client_key(), language=current_lang())
    except services.Refused as refusal:
        flash(str(refusal), "error")
        section.status = 403 if not section.accepting else 400
        return
    if outcome is None:  # honeypot: answer as if all went well, store nothing
        flash(_("Thank you. Your comment has been received."), "success")
        section.response = redirect(request.path)
        return
    session.commit()  # durably stored before the citizen is shown the receipt
    if outcome.stripped:
        flash(_("Invisible control characters were removed from your text."), "warning")
    section.response = redirect(url_for("comments.receipt", code=outcome.comment.receipt_code))


@bp.get("/receipts/<code>/")
def receipt(code: str):
    """A comment as received, its moderation state and, later, the drafters' answer."""
    comment = services.by_receipt(db.session(), code)
    if comment is None:
        abort(404)
    response = current_app.make_response(render_template("comments/receipt.html",
                                                         comment=comment))
    # The code is the citizen's key to this page: keep it out of shared caches.
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/moderation/")
@role_required("moderator")
def queue():
    """Comments awaiting moderation, oldest first; or those already published or hidden."""
    state = request.args.get("state", "new")
    if state not in STATES:
        state = "new"
    comments = services.moderation_list(db.session(), state)
    return render_template("comments/queue.html", comments=comments, state=state,
                           form=ModerationForm())


@bp.post("/moderation/<int:comment_id>/")
@role_required("moderator")
def moderate(comment_id: int):
    """Publish or hide one comment, then go back to the list it was on."""
    session = db.session()
    comment = session.get(Comment, comment_id)
    if comment is None:
        abort(404)
    back = url_for("comments.queue", state=request.args.get("state", "new"))
    form = ModerationForm()
    if not form.validate():
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
        return redirect(back)
    if form.action.data == "publish":
        services.publish_comment(session, comment, current_user)
        flash(_("The comment is published."), "success")
    else:
        services.hide_comment(session, comment, form.reason.data, form.note.data or "",
                              current_user)
        flash(_("The comment is hidden. It stays in the record and in every count."),
              "success")
    session.commit()
    return redirect(back)
