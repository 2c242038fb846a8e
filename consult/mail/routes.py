"""The outbox as administrators see it (addresses masked), and the stop link's page."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request

from .. import db
from ..accounts.auth import role_required
from ..core.paging import Page, page_number
from ..extensions import csrf
from . import outbox, stop

bp = Blueprint("mail", __name__, url_prefix="/<lang>")

PER_PAGE = 50


@bp.get("/outbox/")
@role_required()
def outbox_page():
    """Admin: every message owed to a commenter, newest first, with its delivery (never
    the address in full)."""
    state = request.args.get("state", "")
    state = state if state in outbox.STATES else ""
    number = page_number(request.args.get("page"))
    if number is None:
        abort(404)
    messages, total = outbox.listing(db.session(), state, limit=PER_PAGE,
                                     offset=(number - 1) * PER_PAGE)
    page = Page(number, PER_PAGE, total)
    if not page.exists:
        abort(404)
    return render_template("mail/outbox.html", messages=messages, page=page, state=state,
                           total=total, KINDS=outbox.KINDS, MAIL_STATES=outbox.STATES)


@bp.route("/mail/stop/<token>/", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the authority; a mail program's one-click POST has no form
def stop_page(token: str):
    """Stop the messages to the address the link was sent to. Opening the page only asks
    (mail scanners open every link); its button, or a mail program's one-click request
    (RFC 8058), stops them, and is answered with the page itself (such a request follows
    no redirect)."""
    session = db.session()
    comment = stop.comment_for(session, token)
    if comment is None:
        return _private(render_template("mail/stop.html", state="refused"), 400)
    if request.method == "POST":
        stop.stop_messages(session, comment)
        session.commit()
        return _private(render_template("mail/stop.html", state="stopped"))
    state = "ask" if comment.email else "stopped"
    return _private(render_template("mail/stop.html", state=state))


def _private(body: str, status: int = 200):
    response = current_app.make_response((body, status))
    # The token is the mailbox's key: keep the page out of shared caches.
    response.headers["Cache-Control"] = "private, no-store"
    return response
