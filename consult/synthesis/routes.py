"""The drafting desk: every comment answered, duplicates grouped, the synthesis workbook
downloaded and answers typed in Excel uploaded back."""
from __future__ import annotations

import tempfile

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import db
from ..accounts.auth import role_required
from ..core.paging import page_number, record_id
from ..core.uploads import UploadError, install_view_limits, larger_uploads
from ..drafts import services as drafts_services
from ..hearings.records import hearings as consultation_hearings
from ..i18n import current_lang
from ..models import Comment, Consultation, DuplicateGroup
from ..security import safe_next
from ..views import staff_consultation
from . import answers, suggestions
from . import desk as desk_service
from . import groups as grouping
from .excel_answers import apply_answers
from .forms import AnswerForm, AnswersUploadForm, GroupActionForm
from .workbook import export_workbook

bp = Blueprint("synthesis", __name__, url_prefix="/<lang>")
# ---------------------------------------------------------------- drafting desk and groups


def _desk_documents(session):
    """The consultation worked on (``?consultation=``, else the document's, else the
    latest), its documents, and the one chosen by ``?doc=``."""
    slug = request.values.get("doc", "")
    chosen = drafts_services.document_by_slug(session, slug) if slug else None
    if slug and chosen is None:
        abort(404)
    if chosen is not None and "consultation" not in request.args:
        consultation = chosen.consultation
    elif db.session().scalar(select(Consultation.id).limit(1)) is None:
        return None, [], None
    else:
        consultation = staff_consultation()
    documents = drafts_services.documents(session, consultation)
    if chosen is not None and chosen.consultation_id != consultation.id:
        abort(404)
    return consultation, documents, chosen or (documents[0] if documents else None)


@bp.get("/desk/")
@role_required("drafter")
def desk():
    """Every comment of a document from every channel, clause by clause, with its answer."""
    session = db.session()
    consultation, documents, document = _desk_documents(session)
    if document is None:
        return render_template("synthesis/desk.html", documents=[], document=None)
    filters = desk_service.clean_filters(request.args)
    page = page_number(request.args.get("page")) or 1
    result = desk_service.desk_page(session, document, filters, page)
    version = document.current_version
    hearings = consultation_hearings(session, consultation) if consultation else []
    query = {k: ("1" if v is True else v) for k, v in filters.items()}
    return render_template("synthesis/desk.html", documents=documents, document=document,
                   version=version, filters=filters, query=query, result=result,
                   hearings=hearings)


def _comment_or_404(session, comment_id: int):
    comment = session.get(Comment, comment_id)
    if comment is None:
        abort(404)
    return comment


@bp.route("/desk/comments/<int:comment_id>/", methods=["GET", "POST"])
@role_required("drafter")
def answer(comment_id: int):
    """Answer one comment (or its duplicate group); a stale save shows the other's answer."""
    session = db.session()
    comment = _comment_or_404(session, comment_id)
    current = comment.answer
    form = AnswerForm()
    conflict = None
    status_code = 200
    if request.method == "GET":
        if current is not None:
            form.status.data, form.rationale.data, form.change.data = (
                current.status, current.rationale, current.change)
            form.language.data = current.language or form.language.data
            form.base_revision.data = str(current.revision)
    elif form.validate_on_submit():
        base = int(form.base_revision.data) if form.base_revision.data else None
        try:
            answers.save_answer(session, comment, form.status.data, form.rationale.data,
                                  form.change.data, current_user, base,
                                  language=form.language.data)
        except answers.AnswerInvalid as invalid:
            session.rollback()
            for name, message in invalid.messages.items():
                getattr(form, name).errors = [*getattr(form, name).errors, message]
            status_code = 422
        except answers.AnswerConflict as clash:
            session.rollback()
            conflict = clash.current
            # Saving again now is a deliberate choice to replace the other's answer.
            form.base_revision.data = str(conflict.revision) if conflict else ""
            status_code = 409
        else:
            session.commit()
            flash(_("Answer saved."), "success")
            return redirect(url_for("synthesis.answer", comment_id=comment.id))
        current = answers.stored_response(session, comment)
    else:
        status_code = 400
    group_size = (session.scalar(select(func.count()).where(
        Comment.group_id == comment.group_id)) if comment.group_id else 0)
    next_unanswered = desk_service.next_unanswered(session, comment)
    return render_template("synthesis/desk_answer.html", comment=comment, form=form,
                   current=current, conflict=conflict, group_size=group_size,
                   history=answers.answer_history(session, comment),
                   next_unanswered=next_unanswered, split_form=GroupActionForm(),
                   version=comment.document.current_version), status_code


@bp.get("/desk/groups/")
@role_required("drafter")
def groups():
    """Suggested duplicate groups to confirm, and the confirmed groups to split or merge."""
    session = db.session()
    _consultation, documents, document = _desk_documents(session)
    if document is None:
        return render_template("synthesis/groups.html", documents=[], document=None)
    clause_key = (request.args.get("clause") or "").strip()[:40] or None
    per_clause = None
    if clause_key is None:
        per_clause = suggestions.clause_counts(session, document.id)
        if sum(count for _key, count in per_clause) <= suggestions.WHOLE_DOCUMENT_LIMIT:
            per_clause = None  # small enough to compare every clause at once
    whole = clause_key == "-"  # comments on the whole document, not on one clause
    found = [] if per_clause else suggestions.suggest(
        session, document.id, None if whole else clause_key, whole_document=whole)
    shown = found[:100]
    ids = [i for s in shown for i in s.comment_ids[:20]]
    by_id = {c.id: c for c in session.scalars(
        select(Comment).where(Comment.id.in_(ids)))} if ids else {}
    for suggestion in shown:
        suggestion.comments = [by_id[i] for i in suggestion.comment_ids[:20]]
    query = select(DuplicateGroup).where(DuplicateGroup.document_id == document.id,
                                           DuplicateGroup.members.any())
    if clause_key:
        query = query.where(DuplicateGroup.clause_key.is_(None) if whole else
                            DuplicateGroup.clause_key == clause_key)
    confirmed = list(session.scalars(query.order_by(DuplicateGroup.id).limit(200).options(
        selectinload(DuplicateGroup.members), selectinload(DuplicateGroup.response))))
    return render_template("synthesis/groups.html", documents=documents, document=document,
                   version=document.current_version, clause_key=clause_key,
                   suggestions=shown, suggestion_total=len(found), confirmed=confirmed,
                   per_clause=per_clause, form=GroupActionForm())


def _back_to_groups(document_slug=None):
    return redirect(safe_next(request.form.get("next"))
                    or url_for("synthesis.groups", doc=document_slug or None))


@bp.post("/desk/groups/confirm")
@role_required("drafter")
def group_confirm():
    """Confirm a suggested group (the comment ids arrive as repeated ``comment`` fields)."""
    session = db.session()
    if not GroupActionForm().validate_on_submit():
        abort(400)
    ids = [n for n in map(record_id, request.form.getlist("comment")) if n is not None]
    try:
        group, answered_from = grouping.create_group(session, ids, current_user)
    except grouping.GroupRefused as refusal:
        session.rollback()
        flash(str(refusal), "error")
        return _back_to_groups()
    session.commit()
    if answered_from is not None:
        flash(_("Group %(id)d created with %(n)d comments. It takes the answer of "
                        "comment %(comment)d; the other members' own answers are set aside "
                        "while they are grouped.", id=group.id, n=len(ids),
                        comment=answered_from.id), "success")
    else:
        flash(_("Group %(id)d created with %(n)d comments. One answer now applies to "
                        "all of them.", id=group.id, n=len(ids)), "success")
    return _back_to_groups()


@bp.post("/desk/groups/split/<int:comment_id>")
@role_required("drafter")
def group_split(comment_id: int):
    """Take a comment out of its group; it keeps a copy of the group's answer."""
    session = db.session()
    if not GroupActionForm().validate_on_submit():
        abort(400)
    comment = _comment_or_404(session, comment_id)
    try:
        grouping.split_member(session, comment, current_user)
    except grouping.GroupRefused as refusal:
        session.rollback()
        flash(str(refusal), "error")
        return _back_to_groups()
    session.commit()
    flash(_("Comment %(id)d is out of the group and has its own answer again (a copy "
                    "of the group's, if it had one).", id=comment.id), "success")
    return _back_to_groups()


@bp.post("/desk/groups/merge")
@role_required("drafter")
def group_merge():
    """Merge one group into another on the same clause."""
    session = db.session()
    if not GroupActionForm().validate_on_submit():
        abort(400)
    target, source = record_id(request.form.get("target")), record_id(request.form.get("source"))
    if target is None or source is None:
        flash(_("Choose two existing groups."), "error")
        return _back_to_groups()
    try:
        group = grouping.merge_groups(session, target, source, current_user)
    except grouping.GroupRefused as refusal:
        session.rollback()
        flash(str(refusal), "error")
        return _back_to_groups()
    session.commit()
    flash(_("Group %(source)s merged into group %(target)d.", source=source,
                    target=group.id), "success")
    return _back_to_groups()


# ---------------------------------------------------------------- workbook export and answers
# The synthesis workbook download and the upload of answers typed in Excel (drafters).


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The answers upload takes a whole workbook back (ANSWERS_MAX_BYTES); other views keep
# the small app-wide MAX_CONTENT_LENGTH.
bp.record_once(lambda state: install_view_limits(state.app))


@bp.get("/synthesis.xlsx")
@role_required("drafter")
def export():
    """The synthesis workbook of a consultation (``?consultation=``) or of one of its
    documents (``?document=``), streamed to a temporary file and sent (``?public=1``)."""
    session = db.session()
    slug = request.args.get("document") or None
    document = drafts_services.document_by_slug(session, slug) if slug else None
    if slug is not None and document is None:
        abort(404)
    consultation = document.consultation if document is not None and \
        "consultation" not in request.args else staff_consultation()
    if document is not None and document.consultation_id != consultation.id:
        abort(404)
    public = request.args.get("public", "") in ("1", "true", "yes")
    # Spooled: small workbooks stay in memory, big ones go to disk, memory stays flat.
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (send_file closes it)
    export_workbook(session, out, lang=current_lang(), public=public,
                    consultation=consultation, document_slug=slug)
    out.seek(0)
    name = f"synthesis-{slug or 'all'}-{current_lang()}{'-public' if public else ''}.xlsx"
    return send_file(out, mimetype=XLSX, as_attachment=True, download_name=name)


@bp.route("/synthesis/answers", methods=["GET", "POST"])
@larger_uploads("ANSWERS_MAX_BYTES")
@role_required("drafter")
def upload_answers():
    """Upload a workbook with answers: all rows checked first, applied only when clean."""
    session = db.session()
    form = AnswersUploadForm()
    outcome = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            outcome = apply_answers(session, upload.read(),
                                    current_user._get_current_object(),
                                    upload.filename or "")
        except UploadError as exc:
            session.rollback()
            form.file.errors.append(str(exc))
        else:
            session.commit() if outcome.ok else session.rollback()
    return render_template("synthesis/workbook_answers.html", form=form, outcome=outcome)
