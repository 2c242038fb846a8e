"""The commenter's receipt page and the moderators' queue.

The comment form itself is on the clause and document pages (``drafts.routes``).
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import db
from ..accounts.auth import role_required
from ..core.vocab import STATES
from ..models import Comment
from . import moderation, public, receipts
from .forms import ModerationForm

bp = Blueprint("comments", __name__, url_prefix="/<lang>")


@bp.get("/receipts/<code>/")
def receipt(code: str):
    """A comment as received, its moderation state and, later, the drafters' answer."""
    comment = receipts.by_receipt(db.session(), code)
    if comment is None:
        abort(404)
    response = current_app.make_response(render_template(
        "comments/receipt.html", comment=comment, own=public.author_form(comment),
        answer=comment.answer))
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
    comments = moderation.moderation_list(db.session(), state)
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
    state = request.args.get("state", "new")
    back = url_for("comments.queue", state=state if state in STATES else "new")
    form = ModerationForm()
    if not form.validate():
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
        return redirect(back)
    if form.action.data == "publish":
        moderation.publish_comment(session, comment, current_user)
        flash(_("The comment is published."), "success")
    else:
        moderation.hide_comment(session, comment, form.reason.data, form.note.data or "",
                                current_user)
        flash(_("The comment is hidden. It stays in the record and in every count."),
              "success")
    session.commit()
    return redirect(back)
