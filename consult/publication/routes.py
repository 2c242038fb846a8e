"""The public results (Aarhus Art. 6(9)), their CSV, and the admin's publish buttons."""
from __future__ import annotations

from operator import itemgetter

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask import Response as HttpResponse
from flask_babel import gettext as _
from flask_login import current_user

from .. import db
from ..accounts.auth import role_required
from ..comments.public import answer_public, public_form
from ..core import consultation as lifecycle
from ..core.paging import Page, page_number
from ..core.spreadsheets import csv_chunks
from ..delivery import shared_page
from ..drafts import revisions
from ..drafts import services as drafts_services
from ..i18n import current_lang
from ..synthesis.answers import clause_mentions
from ..synthesis.changes import changes_for
from ..synthesis.rows import COLUMNS, iter_rows
from ..views import public_consultation, staff_consultation, visible
from . import results as publishing
from .forms import PublishForm

bp = Blueprint("publication", __name__, url_prefix="/<lang>")


def _consultation(cslug: str | None):
    consultation = public_consultation(cslug)
    if consultation is None or not visible(consultation):
        abort(404)
    return consultation


@bp.get("/results/")
@bp.get("/consultations/<cslug>/results/")
@shared_page
def results(cslug: str | None = None):
    """The published synthesis: totals and the documents; until published, when it will be.
    Every sentence and total is counted from the data as it is now."""
    session = db.session()
    consultation = _consultation(cslug)
    if consultation.results_published_at is None:
        return render_template("publication/results_pending.html", consultation=consultation)
    return render_template("publication/results.html", consultation=consultation,
                           totals=publishing.totals(session, consultation), cslug=cslug,
                           documents=drafts_services.documents(session, consultation))


@bp.app_template_global("change_segments")
def change_segments(text: str, keys) -> list[tuple[str, str | None]]:
    """An answer's change as (text, clause key or None) pieces, so that the page links each
    clause it names (``keys``: the current version's) to that clause."""
    pieces, at = [], 0
    for start, end, key in clause_mentions(text or "", keys):
        pieces += [(text[at:start], None), (text[start:end], key)]
        at = end
    pieces.append((text[at:], None))
    return [piece for piece in pieces if piece[0]]


@bp.get("/results/<slug>/")
@bp.get("/consultations/<cslug>/results/<slug>/")
@shared_page
def results_document(slug: str, cslug: str | None = None):
    """One document's comments, clause by clause, with answers; a page of ~200 at a time."""
    session = db.session()
    consultation = _consultation(cslug)
    document = drafts_services.document_by_slug(session, slug)
    if document is None or document.consultation_id != consultation.id:
        abort(404)
    if consultation.results_published_at is None:
        return render_template("publication/results_pending.html", consultation=consultation)
    number = page_number(request.args.get("page"))
    total = publishing.comment_count(session, document)
    page = Page(number or 0, publishing.RESULTS_PER_PAGE, total)
    if not page.exists:
        abort(404)
    comments = publishing.comment_page(session, document, page.number)
    published = consultation.results_published_at
    entries = [(public_form(c), c.answer if answer_public(c.answer, consultation) else None,
                c.hearing, c.created_at > published) for c in comments]
    fates = revisions.fates(session, [c.clause_id for c in comments])
    groups = publishing.by_clause(entries, fates)
    return render_template(
        "publication/results_document.html", consultation=consultation, document=document,
        version=document.current_version, page=page, total=total, groups=groups, fates=fates,
        clauses=publishing.clauses_by_key(session, document, [p for p, _e in groups]),
        group_sizes=publishing.group_sizes(session, comments),
        index=publishing.clause_index(session, document),
        current_keys=drafts_services.clause_keys(session, document.current_version_id),
        changes=changes_for(session, document, public=True) if page.number == 1 else [])


@bp.get("/results/synthesis.csv")
@bp.get("/consultations/<cslug>/results/synthesis.csv")
def results_csv(cslug: str | None = None):
    """The public synthesis as CSV (UTF-8 with BOM), one row per comment received."""
    session = db.session()
    consultation = _consultation(cslug)
    if consultation.results_published_at is None:
        abort(404)
    lang = current_lang()
    header = [str(label) for _code, label in COLUMNS]
    cells = itemgetter(*(code for code, _label in COLUMNS))
    rows = map(cells, iter_rows(session, lang=lang, public=True,
                                consultation_id=consultation.id))
    response = HttpResponse(stream_with_context(csv_chunks(header, rows)),
                            content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="synthesis-{lang}.csv"'
    return response


@bp.route("/results/publish", methods=["GET", "POST"])
@role_required()
def publish():
    """Admin: publish the results, refused before the period has closed and while any
    comment has no answer."""
    session = db.session()
    consultation = staff_consultation()
    form = PublishForm()
    back = url_for("publication.publish", consultation=consultation.slug)
    if form.validate_on_submit():
        try:
            publishing.publish(session, consultation, current_user)
        except publishing.PublishRefused as refusal:
            session.rollback()
            if refusal.still_open:
                flash(_("Not published: the consultation period has not closed yet."),
                      "error")
            if refusal.total:
                flash(_("Not published: %(n)d comments have no answer yet. They are listed "
                        "below.", n=refusal.total), "error")
            if refusal.unapproved:
                flash(_("Not published: %(n)d answers are not approved by a lead drafter "
                        "yet (see Answers to review).", n=refusal.unapproved), "error")
        else:
            session.commit()
            flash(_("The results are published."), "success")
        return redirect(back)
    missing, total = publishing.unanswered(session, consultation)
    return render_template("publication/results_publish.html", consultation=consultation,
                           form=form, unanswered=missing, unanswered_total=total,
                           unapproved=publishing.unapproved(session, consultation),
                           phase=lifecycle.phase(session, consultation))


@bp.post("/results/unpublish")
@role_required()
def unpublish():
    """Admin: take the results down, e.g. to correct an answer."""
    session = db.session()
    consultation = staff_consultation()
    if PublishForm().validate_on_submit() and consultation.results_published_at is not None:
        try:
            publishing.unpublish(session, consultation, current_user)
        except publishing.PublishRefused:
            session.rollback()
            flash(_("The decision was taken on these results: they stay public."), "error")
        else:
            session.commit()
            flash(_("The results are no longer public."), "success")
    return redirect(url_for("publication.publish", consultation=consultation.slug))
