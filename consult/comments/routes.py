"""The commenter's receipt page (and what its holder may do there) and the moderators'
queue (with the same changes made on a written request).

The comment form itself is on the clause and document pages (``drafts.routes``).
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import db
from ..accounts.auth import role_required
from ..core.vocab import CONSENTS, STATES
from ..drafts import revisions
from ..models import Comment
from . import moderation, public, receipts
from .forms import (
    ConsentForm,
    EraseForm,
    ModerationForm,
    WithdrawForm,
    WrittenRequestForm,
    request_prefix,
)

bp = Blueprint("comments", __name__, url_prefix="/<lang>")


def _by_code_or_404(code: str) -> Comment:
    comment = receipts.by_receipt(db.session(), code)
    if comment is None:
        abort(404)
    return comment


def _receipt_page(comment: Comment, status: int = 200, **forms):
    """The receipt page; ``forms`` replaces a blank form by one refused, with its errors."""
    blank = {"withdraw_form": WithdrawForm(formdata=None),
             "consent_form": ConsentForm(formdata=None, consent=comment.consent),
             "erase_form": EraseForm(formdata=None)}
    response = current_app.make_response((render_template(
        "comments/receipt.html", comment=comment, own=public.author_form(comment),
        answer=comment.answer if public.answer_public(
            comment.answer, comment.document.consultation) else None,
        fate=revisions.fates(db.session(), [comment.clause_id]).get(comment.clause_id),
        **(blank | forms)), status))
    # The code is the citizen's key to this page: keep it out of shared caches.
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/receipts/<code>/")
def receipt(code: str):
    """A comment as received, its moderation state and, later, the drafters' answer."""
    return _receipt_page(_by_code_or_404(code))


def _act_on_receipt(comment: Comment, form, form_name: str, change, done: str):
    """Validate ``form``, make ``change(session)`` and go back to the receipt (PRG); a
    refused form shows the receipt again with what to correct."""
    if not form.validate():
        flash(_("Nothing was changed. Please correct what is marked below."), "error")
        return _receipt_page(comment, 400, **{form_name: form})
    session = db.session()
    back = url_for("comments.receipt", code=comment.receipt_code)
    try:
        changed = change(session)
    except receipts.ReceiptRefused as refusal:
        session.rollback()
        flash(str(refusal), "error")
        return redirect(back)
    session.commit()
    flash(done if changed else _("Nothing needed changing."), "success")
    return redirect(back)


@bp.post("/receipts/<code>/withdraw")
def withdraw(code: str):
    """The commenter withdraws their comment."""
    comment = _by_code_or_404(code)
    return _act_on_receipt(
        comment, WithdrawForm(), "withdraw_form",
        lambda session: receipts.withdraw(session, comment),
        _("Your comment is withdrawn. Its text is no longer shown in public; it stays in "
          "the register as withdrawn."))


@bp.post("/receipts/<code>/consent")
def consent(code: str):
    """The commenter changes how their comment may be published."""
    comment = _by_code_or_404(code)
    form = ConsentForm()
    return _act_on_receipt(
        comment, form, "consent_form",
        lambda session: receipts.change_consent(session, comment, form.consent.data),
        _("Your choice is saved: %(consent)s.", consent=CONSENTS.label(form.consent.data)))


@bp.post("/receipts/<code>/erase")
def erase(code: str):
    """The commenter has their name, organisation and e-mail address erased."""
    comment = _by_code_or_404(code)
    return _act_on_receipt(
        comment, EraseForm(), "erase_form",
        lambda session: receipts.erase_personal_data(session, comment),
        _("Your name, organisation and e-mail address are erased."))


def _queue_state() -> str:
    state = request.args.get("state", "new")
    return state if state in STATES else "new"


def _queue_page(state: str, refused: tuple[int, WrittenRequestForm] | None = None,
                status: int = 200):
    """The queue; ``refused`` (comment id, form) shows one written request with its errors."""
    comments = moderation.moderation_list(db.session(), state)
    requests = {c.id: WrittenRequestForm(formdata=None, prefix=request_prefix(c.id))
                for c in comments}
    if refused is not None:
        requests[refused[0]] = refused[1]
    return render_template("comments/queue.html", comments=comments, state=state,
                           form=ModerationForm(), requests=requests), status


@bp.get("/moderation/")
@role_required("moderator")
def queue():
    """Comments awaiting moderation, oldest first; or those already published or hidden."""
    return _queue_page(_queue_state())


# Staff make the commenter's own changes when the request comes in writing (a letter, an
# e-mail without the receipt code); the reason says which request.
WRITTEN_REQUESTS = {
    "withdraw": lambda s, c, form: receipts.withdraw(
        s, c, current_user, form.reason.data),
    "consent": lambda s, c, form: receipts.change_consent(
        s, c, form.consent.data, current_user, form.reason.data),
    "erase": lambda s, c, form: receipts.erase_personal_data(
        s, c, current_user, form.reason.data),
}


@bp.post("/moderation/<int:comment_id>/request")
@role_required("moderator")
def written_request(comment_id: int):
    """Withdraw, change consent or erase personal data on a commenter's written request."""
    session = db.session()
    comment = session.get(Comment, comment_id)
    if comment is None:
        abort(404)
    state = _queue_state()
    form = WrittenRequestForm(prefix=request_prefix(comment_id))
    if not form.validate():
        flash(_("Nothing was changed. Please correct what is marked below."), "error")
        return _queue_page(state, (comment_id, form), 400)
    try:
        changed = WRITTEN_REQUESTS[form.action.data](session, comment, form)
    except receipts.ReceiptRefused as refusal:
        session.rollback()
        flash(str(refusal), "error")
        return _queue_page(state, (comment_id, form), 400)
    session.commit()
    flash(_("The request is carried out and recorded.") if changed
          else _("Nothing needed changing."), "success")
    return redirect(url_for("comments.queue", state=state) + f"#comment-{comment_id}")


@bp.post("/moderation/<int:comment_id>/")
@role_required("moderator")
def moderate(comment_id: int):
    """Publish or hide one comment, then go back to the list it was on."""
    session = db.session()
    comment = session.get(Comment, comment_id)
    if comment is None:
        abort(404)
    back = url_for("comments.queue", state=_queue_state())
    if comment.withdrawn_at is not None:
        # The author's withdrawal is final: no moderation decision may publish it again.
        flash(_("The author withdrew this comment; it cannot be moderated again."), "error")
        return redirect(back)
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
