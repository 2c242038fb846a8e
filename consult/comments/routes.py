"""The commenter's receipt page (and what its holder may do there), the "Find my comment"
box that leads to it, and the moderators' queue (with the same changes made on a written
request).

The comment form itself is on the clause and document pages (``drafts.routes``).
"""
from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import db
from ..accounts.auth import role_required
from ..core.urls import public_url
from ..core.vocab import CONSENTS, STATES
from ..drafts import revisions
from ..models import Comment
from ..ratelimit import limit
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


def _wrong_code(response) -> bool:
    """What the receipt limit counts: a code that names no comment (someone guessing)."""
    return response.status_code == 404


def by_receipt_code(view):
    """A receipt view, called with the comment its ``code`` names. A code naming none
    shows the "Find my comment" box again, saying why; each such miss counts against the
    client's allowance of wrong codes (RECEIPT_RATE_LIMIT), so that codes cannot be found
    by trying them (``receipts.new_code`` has the arithmetic)."""
    @wraps(view)
    def with_comment(code: str):
        comment = receipts.by_receipt(db.session(), code)
        if comment is None:
            return _lookup_page(code, *_why_not_found(code))
        return view(comment)
    return limit("receipt", methods=("GET", "POST"), counts=_wrong_code)(with_comment)


def _why_not_found(code: str) -> tuple[int, str]:
    """The status and the message for a code that names no comment."""
    if not receipts.candidates(code):
        return 400, _("This is not a receipt code. A receipt code has %(length)d characters, "
                      "digits and the letters %(letters)s, for example %(example)s.",
                      length=receipts.LENGTH, letters=" ".join(
                          char for char in receipts.ALPHABET if char.isalpha()),
                      example=receipts.EXAMPLE)
    return 404, _("No comment has this receipt code. Check it against your receipt; a "
                  "longer code from before must be typed exactly as given, with its capital "
                  "and small letters.")


def _lookup_page(typed: str = "", status: int = 200, problem: str = ""):
    """The "Find my comment" page: the box, with the code typed and what was wrong."""
    response = current_app.make_response((render_template(
        "comments/receipt_lookup.html", typed=typed[:receipts.TYPED_MAX], problem=problem),
        status))
    # What was typed may be someone's code: keep it out of shared caches.
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.app_template_global("receipt_example")
def receipt_example() -> str:
    """A code of the current form, for the box's hint."""
    return receipts.EXAMPLE


@bp.get("/receipts/")
@limit("receipt", methods=("GET",), counts=_wrong_code)
def lookup():
    """"Find my comment": the receipt code typed in the box (``?code=``) leads to the
    comment's receipt; a malformed code answers 400, an unknown one 404, both with the box
    and why."""
    typed = request.args.get("code", "")
    if not typed.strip():
        return _lookup_page()
    comment = receipts.by_receipt(db.session(), typed)
    if comment is None:
        return _lookup_page(typed, *_why_not_found(typed))
    return redirect(url_for("comments.receipt", code=comment.receipt_code))


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
        printed_url=public_url("comments.receipt", code=comment.receipt_code),
        **(blank | forms)), status))
    # The code is the citizen's key to this page: keep it out of shared caches.
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/receipts/<code>/")
@by_receipt_code
def receipt(comment: Comment):
    """A comment as received, its moderation state and, later, the drafters' answer."""
    if request.view_args["code"] != comment.receipt_code:
        # Typed otherwise (small letters, spaces): the address as issued, to keep.
        return redirect(url_for("comments.receipt", code=comment.receipt_code))
    return _receipt_page(comment)


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
@by_receipt_code
def withdraw(comment: Comment):
    """The commenter withdraws their comment."""
    return _act_on_receipt(
        comment, WithdrawForm(), "withdraw_form",
        lambda session: receipts.withdraw(session, comment),
        _("Your comment is withdrawn. Its text is no longer shown in public; it stays in "
          "the register as withdrawn."))


@bp.post("/receipts/<code>/consent")
@by_receipt_code
def consent(comment: Comment):
    """The commenter changes how their comment may be published."""
    form = ConsentForm()
    return _act_on_receipt(
        comment, form, "consent_form",
        lambda session: receipts.change_consent(session, comment, form.consent.data),
        _("Your choice is saved: %(consent)s.", consent=CONSENTS.label(form.consent.data)))


@bp.post("/receipts/<code>/erase")
@by_receipt_code
def erase(comment: Comment):
    """The commenter has their name, organisation and e-mail address erased."""
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
