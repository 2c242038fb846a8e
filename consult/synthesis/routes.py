"""Drafting desk, synthesis export and answer upload, and the public results page."""
from flask import Blueprint

bp = Blueprint("synthesis", __name__, url_prefix="/<lang>")

# ---------------------------------------------------------------- drafting desk and groups

# ---------------------------------------------------------------- workbook export and answers

# ---------------------------------------------------------------- results and publishing
# Public results (Aarhus Art. 6(9)) and the admin's publish / unpublish buttons.
from flask import Response as HttpResponse  # noqa: E402
from flask import (abort, current_app, flash, redirect, render_template, request,  # noqa: E402
                   stream_with_context, url_for)
from flask_babel import gettext as _  # noqa: E402
from flask_login import current_user  # noqa: E402
from flask_wtf import FlaskForm  # noqa: E402
from werkzeug.routing import BuildError  # noqa: E402

from .. import db  # noqa: E402
from ..accounts.auth import role_required  # noqa: E402
from ..drafts import services as drafts_services  # noqa: E402
from ..i18n import current_lang  # noqa: E402
from . import publish as publishing  # noqa: E402


class PublishForm(FlaskForm):
    """Publishing and unpublishing are single buttons: the form only carries the CSRF token."""


def _consultation_or_404():
    consultation = drafts_services.current_consultation(db.session())
    if consultation is None:
        abort(404)
    return consultation


def _answer_url(comment) -> str | None:
    """The desk page answering ``comment``, when the desk offers one."""
    if "synthesis.answer" not in current_app.view_functions:
        return None
    try:
        return url_for("synthesis.answer", comment_id=comment.id)
    except BuildError:
        return None


@bp.get("/results/")
def results():
    """The published synthesis: totals and the documents; until published, when it will be."""
    session = db.session()
    consultation = _consultation_or_404()
    if consultation.results_published_at is None:
        return render_template("synthesis/results_pending.html", consultation=consultation)
    return render_template("synthesis/results.html", consultation=consultation,
                   totals=publishing.totals(session, consultation),
                   documents=drafts_services.documents(session, consultation))


@bp.get("/results/<slug>/")
def results_document(slug: str):
    """One document's comments, clause by clause, with answers; a page of ~200 at a time."""
    session = db.session()
    consultation = _consultation_or_404()
    document = drafts_services.document_by_slug(session, slug)
    if document is None or document.consultation_id != consultation.id:
        abort(404)
    if consultation.results_published_at is None:
        return render_template("synthesis/results_pending.html", consultation=consultation)
    page = request.args.get("page", 1, type=int)
    comments, total = publishing.comment_page(session, document, page)
    pages = max(1, -(-total // publishing.RESULTS_PER_PAGE))
    if page < 1 or page > pages:
        abort(404)
    return render_template("synthesis/results_document.html", consultation=consultation,
                   document=document, version=document.current_version, page=page,
                   pages=pages, total=total, groups=publishing.by_clause(comments),
                   clauses=publishing.clauses_by_key(session, document, comments),
                   group_sizes=publishing.group_sizes(session, comments),
                   index=publishing.clause_index(session, document), publishing=publishing)


@bp.get("/results/synthesis.csv")
def results_csv():
    """The public synthesis as CSV (UTF-8 with BOM), one row per comment received."""
    session = db.session()
    consultation = _consultation_or_404()
    if consultation.results_published_at is None:
        abort(404)
    from .rows import COLUMNS, iter_rows
    lang = current_lang()
    header = [str(label) for _code, label in COLUMNS]
    rows = ([row[code] for code, _label in COLUMNS]
            for row in iter_rows(session, lang=lang, public=True))
    response = HttpResponse(stream_with_context(publishing.csv_chunks(header, rows)),
                             mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="synthesis-{lang}.csv"'
    return response


@bp.route("/results/publish", methods=["GET", "POST"])
@role_required()
def publish():
    """Admin: publish the results, refused while any comment has no answer."""
    session = db.session()
    consultation = _consultation_or_404()
    form = PublishForm()
    if form.validate_on_submit():
        try:
            publishing.publish(session, consultation, current_user)
        except publishing.PublishRefused as refusal:
            session.rollback()
            flash(_("Not published: %(n)d comments have no answer yet. They are listed "
                            "below.", n=refusal.total), "error")
        else:
            session.commit()
            flash(_("The results are published."), "success")
        return redirect(url_for("synthesis.publish"))
    missing, total = publishing.unanswered(session, consultation)
    return render_template("synthesis/results_publish.html", consultation=consultation, form=form,
                   unanswered=missing, unanswered_total=total, answer_url=_answer_url)


@bp.post("/results/unpublish")
@role_required()
def unpublish():
    """Admin: take the results down, e.g. to correct an answer."""
    session = db.session()
    consultation = _consultation_or_404()
    if PublishForm().validate_on_submit() and consultation.results_published_at is not None:
        publishing.unpublish(session, consultation, current_user)
        session.commit()
        flash(_("The results are no longer public."), "success")
    return redirect(url_for("synthesis.publish"))
