"""Drafting desk, synthesis export and answer upload, and the public results page."""
from flask import Blueprint

bp = Blueprint("synthesis", __name__, url_prefix="/<lang>")

# ---------------------------------------------------------------- drafting desk and groups

# ---------------------------------------------------------------- workbook export and answers
# The synthesis workbook download and the upload of answers typed in Excel (drafters).
import tempfile  # noqa: E402

from flask import abort as _abort  # noqa: E402
from flask import render_template as _render  # noqa: E402
from flask import request as _wrequest  # noqa: E402
from flask import send_file  # noqa: E402
from flask_babel import lazy_gettext as _wl  # noqa: E402
from flask_login import current_user as _current_user  # noqa: E402
from flask_wtf import FlaskForm as _FlaskForm  # noqa: E402
from flask_wtf.file import FileField, FileRequired  # noqa: E402
from wtforms import SubmitField  # noqa: E402

from .. import db as _db  # noqa: E402
from ..accounts.auth import role_required as _role_required  # noqa: E402
from ..drafts.services import document_by_slug as _document_by_slug  # noqa: E402
from ..i18n import current_lang as _current_lang  # noqa: E402
from ..uploads import UploadError  # noqa: E402

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class AnswersUploadForm(_FlaskForm):
    file = FileField(_wl("Synthesis workbook with answers (.xlsx)"),
                     validators=[FileRequired(message=_wl("Choose a file."))])
    submit = SubmitField(_wl("Check and apply"))


@bp.get("/synthesis.xlsx")
@_role_required("drafter")
def export():
    """The synthesis workbook, streamed to a temporary file and sent (``?public=1``)."""
    from .workbook import export_workbook
    session = _db.session()
    slug = _wrequest.args.get("document") or None
    if slug is not None and _document_by_slug(session, slug) is None:
        _abort(404)
    public = _wrequest.args.get("public", "") in ("1", "true", "yes")
    # Spooled: small workbooks stay in memory, big ones go to disk, memory stays flat.
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    export_workbook(session, out, lang=_current_lang(), public=public, document_slug=slug)
    out.seek(0)
    name = f"synthesis-{slug or 'all'}-{_current_lang()}{'-public' if public else ''}.xlsx"
    return send_file(out, mimetype=XLSX, as_attachment=True, download_name=name)


@bp.route("/synthesis/answers", methods=["GET", "POST"])
@_role_required("drafter")
def upload_answers():
    """Upload a workbook with answers: all rows checked first, applied only when clean."""
    from .answers import apply_answers
    session = _db.session()
    form = AnswersUploadForm()
    outcome = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            outcome = apply_answers(session, upload.read(),
                                    _current_user._get_current_object(),
                                    upload.filename or "")
        except UploadError as exc:
            session.rollback()
            form.file.errors.append(str(exc))
        else:
            session.commit() if outcome.ok else session.rollback()
    return _render("synthesis/workbook_answers.html", form=form, outcome=outcome)


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
    total = publishing.comment_count(session, document)
    pages = max(1, -(-total // publishing.RESULTS_PER_PAGE))
    if page < 1 or page > pages:
        abort(404)
    comments = publishing.comment_page(session, document, page)
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
