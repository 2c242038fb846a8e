"""Drafting desk, synthesis export and answer upload, and the public results page."""
from flask import Blueprint

bp = Blueprint("synthesis", __name__, url_prefix="/<lang>")

# ---------------------------------------------------------------- drafting desk and groups
# Drafters answer every comment (Aarhus Art. 6(8)) and group duplicates; services.py has
# the rules, groups.py the suggestions.
from flask import abort as _abort  # noqa: E402
from flask import flash as _flash  # noqa: E402
from flask import redirect as _redirect  # noqa: E402
from flask import render_template as _render  # noqa: E402
from flask import request as _request  # noqa: E402
from flask import url_for as _url_for  # noqa: E402
from flask_babel import gettext as _gettext  # noqa: E402
from flask_login import current_user as _current_user  # noqa: E402
from sqlalchemy import func as _func  # noqa: E402
from sqlalchemy import select as _select  # noqa: E402
from sqlalchemy.orm import selectinload as _selectinload  # noqa: E402

from .. import db as _db  # noqa: E402
from ..accounts.auth import role_required as _role_required  # noqa: E402
from ..drafts import services as _drafts  # noqa: E402
from ..models import Comment as _Comment  # noqa: E402
from ..models import Document as _Document  # noqa: E402
from ..models import DuplicateGroup as _DuplicateGroup  # noqa: E402
from . import groups as _groups  # noqa: E402
from . import services as _services  # noqa: E402
from .forms import AnswerForm as _AnswerForm  # noqa: E402
from .forms import GroupActionForm as _GroupActionForm  # noqa: E402


def _desk_documents(session):
    """The documents of the current consultation, and the one chosen by ``?doc=``."""
    consultation = _drafts.current_consultation(session)
    documents = _drafts.documents(session, consultation) if consultation else []
    slug = _request.values.get("doc", "")
    chosen = next((d for d in documents if d.slug == slug), None)
    if slug and chosen is None:
        chosen = _drafts.document_by_slug(session, slug)
        if chosen is None:
            _abort(404)
    return consultation, documents, chosen or (documents[0] if documents else None)


@bp.get("/desk/")
@_role_required("drafter")
def desk():
    """Every comment of a document from every channel, clause by clause, with its answer."""
    session = _db.session()
    consultation, documents, document = _desk_documents(session)
    if document is None:
        return _render("synthesis/desk.html", documents=[], document=None)
    filters = _services.clean_filters(_request.args)
    page = _request.args.get("page", 1, type=int) or 1
    result = _services.desk_page(session, document, filters, page)
    version = document.current_version
    hearings = _drafts.hearings(session, consultation) if consultation else []
    query = {k: ("1" if v is True else v) for k, v in filters.items()}
    return _render("synthesis/desk.html", documents=documents, document=document,
                   version=version, filters=filters, query=query, result=result,
                   hearings=hearings)


def _comment_or_404(session, comment_id: int):
    comment = session.get(_Comment, comment_id)
    if comment is None:
        _abort(404)
    return comment


@bp.route("/desk/comments/<int:comment_id>/", methods=["GET", "POST"])
@_role_required("drafter")
def answer(comment_id: int):
    """Answer one comment (or its duplicate group); a stale save shows the other's answer."""
    session = _db.session()
    comment = _comment_or_404(session, comment_id)
    current = comment.answer
    form = _AnswerForm()
    conflict = None
    status_code = 200
    if _request.method == "GET":
        if current is not None:
            form.status.data, form.rationale.data, form.change.data = (
                current.status, current.rationale, current.change)
            form.base_revision.data = str(current.revision)
    elif form.validate_on_submit():
        base = int(form.base_revision.data) if form.base_revision.data else None
        try:
            _services.save_answer(session, comment, form.status.data, form.rationale.data,
                                  form.change.data, _current_user, base)
        except _services.AnswerInvalid as invalid:
            session.rollback()
            for name, message in invalid.messages.items():
                getattr(form, name).errors = [*getattr(form, name).errors, message]
            status_code = 422
        except _services.AnswerConflict as clash:
            session.rollback()
            conflict = clash.current
            # Saving again now is a deliberate choice to replace the other's answer.
            form.base_revision.data = str(conflict.revision) if conflict else ""
            status_code = 409
        else:
            session.commit()
            _flash(_gettext("Answer saved."), "success")
            return _redirect(_url_for("synthesis.answer", comment_id=comment.id))
        current = _services.stored_response(session, comment)
    else:
        status_code = 400
    group_size = (session.scalar(_select(_func.count()).where(
        _Comment.group_id == comment.group_id)) if comment.group_id else 0)
    next_unanswered = _services.next_unanswered(session, comment)
    return _render("synthesis/desk_answer.html", comment=comment, form=form,
                   current=current, conflict=conflict, group_size=group_size,
                   history=_services.answer_history(session, comment),
                   next_unanswered=next_unanswered, split_form=_GroupActionForm(),
                   version=comment.document.current_version), status_code


@bp.get("/desk/groups/")
@_role_required("drafter")
def groups():
    """Suggested duplicate groups to confirm, and the confirmed groups to split or merge."""
    session = _db.session()
    _consultation, documents, document = _desk_documents(session)
    if document is None:
        return _render("synthesis/groups.html", documents=[], document=None)
    clause_key = (_request.args.get("clause") or "").strip()[:40] or None
    per_clause = None
    if clause_key is None:
        per_clause = _groups.clause_counts(session, document.id)
        if sum(count for _key, count in per_clause) <= _groups.WHOLE_DOCUMENT_LIMIT:
            per_clause = None  # small enough to compare every clause at once
    whole = clause_key == "-"  # comments on the whole document, not on one clause
    suggestions = [] if per_clause else _groups.suggest(
        session, document.id, None if whole else clause_key, whole_document=whole)
    shown = suggestions[:100]
    ids = [i for s in shown for i in s.comment_ids[:20]]
    by_id = {c.id: c for c in session.scalars(
        _select(_Comment).where(_Comment.id.in_(ids)))} if ids else {}
    for suggestion in shown:
        suggestion.comments = [by_id[i] for i in suggestion.comment_ids[:20]]
    query = _select(_DuplicateGroup).where(_DuplicateGroup.document_id == document.id,
                                           _DuplicateGroup.members.any())
    if clause_key:
        query = query.where(_DuplicateGroup.clause_key.is_(None) if whole else
                            _DuplicateGroup.clause_key == clause_key)
    confirmed = list(session.scalars(query.order_by(_DuplicateGroup.id).limit(200).options(
        _selectinload(_DuplicateGroup.members), _selectinload(_DuplicateGroup.response))))
    return _render("synthesis/groups.html", documents=documents, document=document,
                   version=document.current_version, clause_key=clause_key,
                   suggestions=shown, suggestion_total=len(suggestions), confirmed=confirmed,
                   per_clause=per_clause, form=_GroupActionForm())


def _back_to_groups(document_slug=None):
    target = _request.form.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return _redirect(target)
    return _redirect(_url_for("synthesis.groups", doc=document_slug or None))


@bp.post("/desk/groups/confirm")
@_role_required("drafter")
def group_confirm():
    """Confirm a suggested group (the comment ids arrive as repeated ``comment`` fields)."""
    session = _db.session()
    if not _GroupActionForm().validate_on_submit():
        _abort(400)
    ids = [v for v in _request.form.getlist("comment") if v.isdigit()]
    try:
        group, answered_from = _services.create_group(session, ids, _current_user)
    except _services.GroupRefused as refusal:
        session.rollback()
        _flash(str(refusal), "error")
        return _back_to_groups()
    session.commit()
    if answered_from is not None:
        _flash(_gettext("Group %(id)d created with %(n)d comments. It takes the answer of "
                        "comment %(comment)d; the other members' own answers are set aside "
                        "while they are grouped.", id=group.id, n=len(ids),
                        comment=answered_from.id), "success")
    else:
        _flash(_gettext("Group %(id)d created with %(n)d comments. One answer now applies to "
                        "all of them.", id=group.id, n=len(ids)), "success")
    return _back_to_groups()


@bp.post("/desk/groups/split/<int:comment_id>")
@_role_required("drafter")
def group_split(comment_id: int):
    """Take a comment out of its group; it keeps a copy of the group's answer."""
    session = _db.session()
    if not _GroupActionForm().validate_on_submit():
        _abort(400)
    comment = _comment_or_404(session, comment_id)
    try:
        _services.split_member(session, comment, _current_user)
    except _services.GroupRefused as refusal:
        session.rollback()
        _flash(str(refusal), "error")
        return _back_to_groups()
    session.commit()
    _flash(_gettext("Comment %(id)d is out of the group and has its own answer again (a copy "
                    "of the group's, if it had one).", id=comment.id), "success")
    return _back_to_groups()


@bp.post("/desk/groups/merge")
@_role_required("drafter")
def group_merge():
    """Merge one group into another on the same clause."""
    session = _db.session()
    if not _GroupActionForm().validate_on_submit():
        _abort(400)
    target, source = _request.form.get("target", ""), _request.form.get("source", "")
    if not (target.isdigit() and source.isdigit()):
        _flash(_gettext("Choose two existing groups."), "error")
        return _back_to_groups()
    try:
        group = _services.merge_groups(session, int(target), int(source), _current_user)
    except _services.GroupRefused as refusal:
        session.rollback()
        _flash(str(refusal), "error")
        return _back_to_groups()
    session.commit()
    _flash(_gettext("Group %(source)s merged into group %(target)d.", source=source,
                    target=group.id), "success")
    return _back_to_groups()


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
from ..uploads import install_view_limits as _install_view_limits  # noqa: E402
from ..uploads import larger_uploads as _larger_uploads  # noqa: E402

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The answers upload takes a whole workbook back (ANSWERS_MAX_BYTES); other views keep
# the small app-wide MAX_CONTENT_LENGTH.
bp.record_once(lambda state: _install_view_limits(state.app))


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
@_larger_uploads("ANSWERS_MAX_BYTES")
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
from operator import itemgetter  # noqa: E402
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
    cells = itemgetter(*(code for code, _label in COLUMNS))
    rows = map(cells, iter_rows(session, lang=lang, public=True))
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
