"""Staff pages of the channels that are not hearings: letters and e-mails, and imported
exports of online forms. Hearing entry and kits are on the hearing's pages."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import db
from ..accounts.auth import role_required
from ..comments.intake import Refused
from ..core.time import from_local
from ..core.uploads import UploadError
from ..hearings.kit import column_labels
from ..views import document_choices, published_documents, staff_consultation
from . import form_export, forms, letters

bp = Blueprint("intake", __name__, url_prefix="/<lang>")


@bp.route("/hearings/letters/new", methods=["GET", "POST"])
@role_required("moderator")
def letter():
    """Enter a letter or e-mail as comments, one per clause it addresses."""
    session = db.session()
    documents = published_documents(staff_consultation())
    form = forms.LetterForm()
    form.document.choices = document_choices(documents)
    if form.validate_on_submit():
        document = next(d for d in documents if d.slug == form.document.data)
        values = dict(form.letter(), received_at=from_local(form.received_at.data))
        try:
            comments = letters.add_letter(session, document,
                                          letters.split_keys(form.clauses.data), values,
                                          current_user)
        except Refused as refusal:
            session.rollback()
            form.clauses.errors.append(str(refusal))
        else:
            session.commit()
            late = not comments[0].in_period
            flash(_("Saved %(n)s comment(s) from the letter.", n=len(comments))
                  + (" " + _("It arrived after the period closed: kept and marked late.")
                     if late else ""), "success")
            return redirect(url_for("intake.letter"))
    return render_template("intake/letter.html", form=form)


@bp.route("/hearings/form-import", methods=["GET", "POST"])
@role_required("moderator")
def form_import():
    """Step 1 of importing an online-form export: upload the CSV or XLSX."""
    form = forms.ExportUploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            digest = form_export.keep_pending(
                form_export.pending_folder(current_app.instance_path), upload.read(),
                upload.filename or "")
        except UploadError as exc:
            form.file.errors.append(str(exc))
        else:
            return redirect(url_for("intake.form_mapping", digest=digest))
    return render_template("intake/form_import.html", form=form)


@bp.route("/hearings/form-import/<digest>", methods=["GET", "POST"])
@role_required("moderator")
def form_mapping(digest: str):
    """Step 2: map the columns, preview the first rows, then import."""
    session = db.session()
    pending = form_export.load_pending(form_export.pending_folder(current_app.instance_path),
                                       digest)
    if pending is None:
        abort(404)
    data, name = pending
    rows = form_export.read_export(data, name)
    documents = published_documents(staff_consultation())
    form = forms.MappingForm()
    form.document.choices = document_choices(documents)
    header = [str(v or "") for v in rows[0].values]
    columns = [(-1, _("(none)"))] + [(i, h or str(i + 1)) for i, h in enumerate(header)]
    for field in form_export.MAPPED_FIELDS:
        getattr(form, field).choices = columns
    if request.method == "GET":
        _guess_mapping(form, header)
    preview, problems, records = [], [], []
    if form.validate_on_submit():
        document = next(d for d in documents if d.slug == form.document.data)
        mapping = {f: (getattr(form, f).data if getattr(form, f).data >= 0 else None)
                   for f in form_export.MAPPED_FIELDS}
        keys = form_export.clause_keys(session, document)
        records, problems = form_export.map_export(rows, mapping, keys)
        if form.confirm.data and not problems:
            outcome = form_export.import_export(session, document, records, form.language.data,
                                                digest, name, current_user)
            session.commit()
            flash(outcome.message(), "success")
            return redirect(url_for("intake.form_import"))
        preview = records[:10]
    return render_template("intake/form_mapping.html", form=form, preview=preview,
                           problems=problems, columns=column_labels(),
                           total=len(rows) - 1, ready=bool(records) and not problems)


def _guess_mapping(form, header) -> None:
    words = {"clause": ("clause", "пункт", "берене"), "comment": ("comment", "коммент", "сунуш"),
             "name": ("name", "имя", "фио", "аты"), "organisation": ("organ", "уюм"),
             "date": ("date", "time", "дата", "время", "убакыт")}
    for field, hints in words.items():
        getattr(form, field).data = next(
            (i for i, h in enumerate(header) if any(w in h.lower() for w in hints)), -1)
