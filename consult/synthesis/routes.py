"""The drafting desk: every comment answered, duplicates grouped, the synthesis workbook
downloaded and answers typed in Excel uploaded back."""
from __future__ import annotations

import tempfile

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import db
from ..accounts.auth import role_required
from ..core.paging import Page, page_number, record_id
from ..core.uploads import UploadError, install_view_limits, larger_uploads
from ..drafts import revisions
from ..drafts import services as drafts_services
from ..hearings.records import hearings as consultation_hearings
from ..i18n import current_lang
from ..models import Comment, Consultation, DuplicateGroup, Response, User
from ..security import safe_next
from ..views import staff_consultation
from . import answers, review, suggestions
from . import desk as desk_service
from . import docx as word
from . import groups as grouping
from .excel_answers import MAX_CHOICES, apply_answers, resolve_conflicts
from .forms import AnswerForm, AnswersUploadForm, AssignForm, GroupActionForm, ReturnForm
from .workbook import change_rule, export_workbook, exporter_name, rationale_rule

bp = Blueprint("synthesis", __name__, url_prefix="/<lang>")
REVIEW_PER_PAGE = 50
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
    user = current_user._get_current_object()
    result = desk_service.desk_page(session, document, filters, page, user=user)
    counted = review.progress(session, document)
    version = document.current_version
    hearings = consultation_hearings(session, consultation) if consultation else []
    query = {k: ("1" if v is True else v) for k, v in filters.items()}
    return render_template("synthesis/desk.html", documents=documents, document=document,
                   version=version, filters=filters, query=query, result=result,
                   hearings=hearings, consultation=consultation,
                   counts=counted.counts(), chapters=review.chapters(session, document, counted),
                   queue=review.queue_counts(session, user, counted),
                   approval=review.approval_required(consultation))


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
            form.ready.data = current.ready_at is not None
    elif form.validate_on_submit():
        base = int(form.base_revision.data) if form.base_revision.data else None
        try:
            answers.save_answer(session, comment, form.status.data, form.rationale.data,
                                  form.change.data, current_user, base,
                                  language=form.language.data, ready=form.ready.data)
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
            if form.save_next.data:
                following = _next_for(session, comment)
                if following is None:
                    flash(_("Every comment here has an answer."), "success")
                    return redirect(url_for("synthesis.desk", doc=comment.document.slug))
                return redirect(url_for("synthesis.answer", comment_id=following.id))
            return redirect(url_for("synthesis.answer", comment_id=comment.id))
        current = answers.stored_response(session, comment)
    else:
        status_code = 400
    group_size = (session.scalar(select(func.count()).where(
        Comment.group_id == comment.group_id)) if comment.group_id else 0)
    return render_template("synthesis/desk_answer.html", comment=comment, form=form,
                   current=current, conflict=conflict, group_size=group_size,
                   history=answers.answer_history(session, comment),
                   next_unanswered=_next_for(session, comment), split_form=GroupActionForm(),
                   version=comment.document.current_version,
                   fate=revisions.fates(session, [comment.clause_id]).get(comment.clause_id),
                   state=review.review_state(current), note=review.last_note(session, current),
                   approval=review.approval_required(comment.document.consultation),
                   assign_form=_assign_form(session, comment), return_form=ReturnForm(),
                   approve_form=GroupActionForm()), status_code


def _next_for(session, comment):
    """Where "save and next" goes: the drafter's queue when they have one, else the next
    unanswered comment of the document."""
    user = current_user._get_current_object()
    if review.has_queue(session, user, comment.document_id):
        return desk_service.next_in_queue(session, comment, user)
    return desk_service.next_unanswered(session, comment)


def _assign_form(session, comment):
    form = AssignForm(prefix="assign")
    form.drafter.choices = [("", _("(its chapter's drafter)"))] + [
        (str(user.id), user.label) for user in review.drafters(session)]
    if not form.is_submitted():
        form.drafter.data = str(comment.assignee_id or "")
    return form


def _review_step(session, step, said) -> None:
    """Run one step of the review (assigning, approving, sending back): committed with
    ``said(its result)`` flashed, or rolled back with the reason it was refused."""
    try:
        result = step()
    except review.ReviewRefused as refusal:
        session.rollback()
        flash(str(refusal), "error")
    else:
        session.commit()
        flash(said(result), "success")


@bp.post("/desk/comments/<int:comment_id>/assign")
@role_required("lead")
def assign(comment_id: int):
    """Give one comment to a drafter (a lead drafter or an administrator)."""
    session = db.session()
    comment = _comment_or_404(session, comment_id)
    form = _assign_form(session, comment)
    if form.validate_on_submit():
        drafter = session.get(User, int(form.drafter.data)) if form.drafter.data else None
        _review_step(session, lambda: review.assign_comment(session, comment, drafter,
                                                            current_user),
                     lambda _done: _("The comment was given to %(who)s.", who=drafter.label)
                     if drafter else _("The comment goes with its chapter again."))
    return redirect(url_for("synthesis.answer", comment_id=comment.id))


@bp.post("/desk/comments/<int:comment_id>/approve")
@role_required("lead")
def approve(comment_id: int):
    """Approve the answer of one comment (a lead drafter)."""
    session = db.session()
    comment = _comment_or_404(session, comment_id)
    response = answers.stored_response(session, comment)
    if GroupActionForm().validate_on_submit() and response is not None:
        _review_step(session, lambda: review.approve(session, [response], current_user),
                     lambda _count: _("The answer is approved: the public can read it."))
    return redirect(url_for("synthesis.answer", comment_id=comment.id))


@bp.post("/desk/comments/<int:comment_id>/return")
@role_required("lead")
def send_back(comment_id: int):
    """Send an answer back to its drafter with a note."""
    session = db.session()
    comment = _comment_or_404(session, comment_id)
    response = answers.stored_response(session, comment)
    form = ReturnForm()
    if form.validate_on_submit() and response is not None:
        _review_step(session, lambda: review.send_back(session, response, current_user,
                                                       form.note.data),
                     lambda _done: _("The answer was sent back to its drafter with your "
                                     "note."))
    return redirect(url_for("synthesis.answer", comment_id=comment.id))


@bp.route("/desk/review", methods=["GET", "POST"])
@role_required("lead")
def review_page():
    """Answers marked ready for review (or all not approved yet, ``?all=1``); approve
    the chosen ones at once."""
    session = db.session()
    consultation = staff_consultation()
    form = GroupActionForm()
    if form.validate_on_submit():
        ids = [record_id(raw) for raw in request.form.getlist("response")]
        chosen = list(session.scalars(select(Response).where(
            Response.id.in_([i for i in ids if i is not None] or [0]))))
        _review_step(session, lambda: review.approve(session, chosen, current_user),
                     lambda count: ngettext("%(num)d answer approved.",
                                            "%(num)d answers approved.", count))
        return redirect(url_for("synthesis.review_page", consultation=consultation.slug))
    every = request.args.get("all") == "1"
    number = page_number(request.args.get("page"))
    if number is None:
        abort(404)
    items, total = review.awaiting_review(session, consultation, ready_only=not every,
                                          limit=REVIEW_PER_PAGE,
                                          offset=(number - 1) * REVIEW_PER_PAGE)
    return render_template("synthesis/review.html", consultation=consultation, items=items,
                           total=total, every=every, form=form,
                           page=Page(number, REVIEW_PER_PAGE, total),
                           approval=review.approval_required(consultation))


@bp.route("/desk/assignments", methods=["GET", "POST"])
@role_required("lead")
def assignments():
    """Give each chapter of a document to a drafter."""
    session = db.session()
    consultation, documents, document = _desk_documents(session)
    if document is None:
        abort(404)
    people = review.drafters(session)
    if request.method == "POST":
        if not GroupActionForm().validate_on_submit():
            abort(400)
        by_id = {str(user.id): user for user in people}

        def give_out() -> None:
            for chapter in review.chapters(session, document):
                if chapter.position is None:
                    continue
                chosen = request.form.get(f"chapter-{chapter.position}", "")
                if chosen and chosen not in by_id:
                    raise review.ReviewRefused(_("Comments can only be given to an active "
                                                 "drafter."))
                review.assign_chapter(session, document, chapter.position,
                                      by_id.get(chosen), current_user)

        _review_step(session, give_out, lambda _done: _("The chapters were given out."))
        return redirect(url_for("synthesis.assignments", doc=document.slug))
    return render_template("synthesis/assignments.html", documents=documents,
                           document=document, chapters=review.chapters(session, document),
                           people=people, form=GroupActionForm())


@bp.get("/synthesis/")
@role_required("drafter")
def files():
    """Every file of the synthesis in one place: the workbook per document, language and
    variant, the Word comparison table, and the upload of answers typed in Excel."""
    session = db.session()
    consultation = staff_consultation()
    return render_template("synthesis/files.html", consultation=consultation,
                           documents=drafts_services.documents(session, consultation))


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
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# The answers upload takes a whole workbook back (ANSWERS_MAX_BYTES); other views keep
# the small app-wide MAX_CONTENT_LENGTH.
bp.record_once(lambda state: install_view_limits(state.app))


def _export_scope(session):
    """The consultation (``?consultation=``) and optionally one of its documents
    (``?document=``) an export is asked for."""
    slug = request.args.get("document") or None
    document = drafts_services.document_by_slug(session, slug) if slug else None
    if slug is not None and document is None:
        abort(404)
    consultation = document.consultation if document is not None and \
        "consultation" not in request.args else staff_consultation()
    if document is not None and document.consultation_id != consultation.id:
        abort(404)
    return consultation, slug


@bp.get("/synthesis.docx")
@role_required("drafter")
def export_docx():
    """The Word comparison table ("справка") of a consultation or of one of its documents,
    in the page's language, public form only."""
    session = db.session()
    consultation, slug = _export_scope(session)
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (send_file closes it)
    word.export_docx(session, out, lang=current_lang(), consultation=consultation,
                     document_slug=slug)
    out.seek(0)
    return send_file(out, mimetype=DOCX, as_attachment=True,
                     download_name=f"comparison-{slug or 'all'}-{current_lang()}.docx")


@bp.get("/synthesis.xlsx")
@role_required("drafter")
def export():
    """The synthesis workbook of a consultation (``?consultation=``) or of one of its
    documents (``?document=``), streamed to a temporary file and sent (``?public=1``)."""
    session = db.session()
    consultation, slug = _export_scope(session)
    public = request.args.get("public", "") in ("1", "true", "yes")
    # Spooled: small workbooks stay in memory, big ones go to disk, memory stays flat.
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (send_file closes it)
    export_workbook(session, out, lang=current_lang(), public=public,
                    consultation=consultation, document_slug=slug,
                    exported_by=exporter_name(current_user, current_lang()))
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
    return _answers_page(form, outcome)


class ConflictChoiceForm(FlaskForm):
    """The choices among an upload's conflicts arrive as ``choice-N`` fields ("keep:" or
    "mine:" and the conflict's signed token); the form carries the CSRF token."""


def _answers_page(form, outcome):
    return render_template("synthesis/workbook_answers.html", form=form, outcome=outcome,
                           choice_form=ConflictChoiceForm(formdata=None),
                           max_choices=MAX_CHOICES,
                           rationale_rule=rationale_rule(answers.min_rationale_chars()),
                           change_rule=change_rule())


@bp.post("/synthesis/answers/conflicts")
@larger_uploads("ANSWERS_MAX_BYTES")
@role_required("drafter")
def resolve_answers():
    """The drafter's choice for each conflict of an upload: keep the site's answer, or
    apply the file's (checked again: rules, revision, audit)."""
    session = db.session()
    if not ConflictChoiceForm().validate_on_submit():
        abort(400)
    choices = [tuple(value.partition(":")[::2]) for name, value in request.form.items()
               if name.startswith("choice-")]
    try:
        outcome = resolve_conflicts(session, [c for c in choices if c[0] in ("keep", "mine")],
                                    current_user._get_current_object())
    except UploadError as exc:
        session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("synthesis.upload_answers"))
    session.commit() if outcome.ok else session.rollback()
    return _answers_page(AnswersUploadForm(formdata=None), outcome)
