"""The public hearing schedule (and, for moderators, hearing records)."""
from __future__ import annotations

from io import BytesIO

import segno
from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   send_file, url_for)
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from .. import db
from ..accounts.auth import role_required
from ..config import LANGUAGES
from ..drafts import services as draft_services
from ..i18n import current_lang
from ..models import CATEGORIES, Comment, Consultation, Document, Hearing, HearingFile
from ..timeutil import from_local, to_local
from ..uploads import UploadError
from . import forms, services

bp = Blueprint("hearings", __name__, url_prefix="/<lang>")


def qr_svg(url: str) -> Markup:
    """An inline SVG QR code (no script, no style: it passes the content security policy)."""
    svg = segno.make(url, error="m").svg_inline(scale=4, dark="#000", light="#fff",
                                                 title=url, omitsize=True)
    return Markup(svg)


def public_url(endpoint: str, **values) -> str:
    """An absolute URL for print and QR codes; PUBLIC_URL wins over the request's host."""
    base = current_app.config.get("PUBLIC_URL", "").rstrip("/")
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


@bp.get("/hearings/")
def schedule():
    """Every hearing: city, date and time, venue, online link, and a QR code to the drafts."""
    session = db.session()
    consultation = draft_services.current_consultation(session)
    hearings = draft_services.hearings(session, consultation) if consultation else []
    drafts_url = public_url("drafts.notice")
    return render_template("hearings/schedule.html", hearings=hearings,
                           drafts_url=drafts_url, qr=qr_svg(drafts_url))


# ------------------------------------------------------------------ staff: hearing records

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _hearing(hearing_id: int) -> Hearing:
    hearing = db.session().get(Hearing, hearing_id)
    if hearing is None:
        abort(404)
    return hearing


def _consultation():
    consultation = draft_services.current_consultation(db.session())
    if consultation is None:
        abort(404)
    return consultation


def _documents(consultation) -> list[Document]:
    return [d for d in draft_services.documents(db.session(), consultation)
            if d.current_version_id]


def _document_choices(documents) -> list[tuple[str, str]]:
    from ..i18n import pick
    return [(d.slug, pick(d.current_version.title)[0] or d.slug) for d in documents]


@bp.get("/hearings/manage/")
@role_required("moderator")
def manage():
    """Hearing records for moderators: every hearing with its status and comment count."""
    session = db.session()
    consultation = draft_services.current_consultation(session)
    stats = services.statistics(session, consultation) if consultation else {"hearings": []}
    return render_template("hearings/manage.html", rows=stats["hearings"])


def _form_values(form: forms.HearingForm) -> dict:
    def texts(prefix):
        return {lang: getattr(form, f"{prefix}_{lang}").data.strip()
                for lang in LANGUAGES if (getattr(form, f"{prefix}_{lang}").data or "").strip()}
    values = {
        "city": texts("city"), "venue": texts("venue"), "agenda": texts("agenda"),
        "starts_at": from_local(form.starts_at.data) if form.starts_at.data else None,
        "ends_at": from_local(form.ends_at.data) if form.ends_at.data else None,
        "format": form.format.data, "online_link": (form.online_link.data or "").strip(),
        "languages": ",".join(form.languages.data), "status": form.status.data,
        "organisations": (form.organisations.data or "").strip(),
        "minutes": (form.minutes.data or "").strip(),
        "attendance_by_category": {
            code: getattr(form, f"cat_{code.replace('-', '_')}").data for code in CATEGORIES
            if getattr(form, f"cat_{code.replace('-', '_')}").data is not None},
    }
    for name in services.ATTENDANCE_FIELDS:
        values[name] = getattr(form, name).data
    return values


def _fill_form(form: forms.HearingForm, hearing: Hearing) -> None:
    for prefix in ("city", "venue", "agenda"):
        for lang in LANGUAGES:
            getattr(form, f"{prefix}_{lang}").data = getattr(hearing, prefix).get(lang, "")
    for name in ("starts_at", "ends_at"):
        value = getattr(hearing, name)
        getattr(form, name).data = to_local(value).replace(tzinfo=None) if value else None
    for name in ("format", "online_link", "status", "organisations", "minutes",
                 *services.ATTENDANCE_FIELDS):
        getattr(form, name).data = getattr(hearing, name)
    form.languages.data = [c for c in hearing.languages.split(",") if c]
    for code in CATEGORIES:
        getattr(form, f"cat_{code.replace('-', '_')}").data = \
            (hearing.attendance_by_category or {}).get(code)


@bp.route("/hearings/manage/new", methods=["GET", "POST"])
@bp.route("/hearings/<int:hearing_id>/edit", methods=["GET", "POST"])
@role_required("moderator")
def edit(hearing_id: int | None = None):
    """Create or edit a hearing record: schedule, and after it is held, attendance and minutes."""
    session = db.session()
    hearing = _hearing(hearing_id) if hearing_id else None
    form = forms.HearingForm()
    if request.method == "GET" and hearing is not None:
        _fill_form(form, hearing)
    if form.validate_on_submit():
        values = _form_values(form)
        hearing = services.save_hearing(session, _consultation(), hearing, values, current_user)
        session.commit()
        flash(_("Hearing record saved."), "success")
        if services.attendance_mismatch(values):
            flash(_("Note: women, men and not stated do not add up to the total attendance."),
                  "warning")
        return redirect(url_for("hearings.record", hearing_id=hearing.id))
    return render_template("hearings/edit.html", form=form, hearing=hearing,
                           categories=CATEGORIES)


@bp.route("/hearings/<int:hearing_id>/", methods=["GET", "POST"])
@role_required("moderator")
def record(hearing_id: int):
    """One hearing record: facts, attendance, files (upload here), links to entry and kit."""
    session = db.session()
    hearing = _hearing(hearing_id)
    form = forms.FileForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            services.add_file(session, hearing, form.kind.data, upload.filename or "",
                              upload.read(), current_user)
        except UploadError as exc:
            form.file.errors.append(str(exc))
        else:
            session.commit()
            flash(_("File kept with the hearing record."), "success")
            return redirect(url_for("hearings.record", hearing_id=hearing.id))
    return render_template("hearings/record.html", hearing=hearing, form=form,
                           mismatch=services.attendance_mismatch(
                               {n: getattr(hearing, n) for n in services.ATTENDANCE_FIELDS}),
                           comment_count=len(services.hearing_comments(session, hearing)))


@bp.get("/hearings/<int:hearing_id>/files/<int:file_id>")
@role_required("moderator", "drafter")
def download_file(hearing_id: int, file_id: int):
    """A kept scan, for staff only."""
    item = db.session().get(HearingFile, file_id)
    if item is None or item.hearing_id != hearing_id:
        abort(404)
    return send_file(BytesIO(item.data), mimetype=item.content_type, as_attachment=True,
                     download_name=item.filename)


# ------------------------------------------------------------------ fast entry

def _entry_form(documents, obj=None) -> forms.EntryForm:
    form = forms.EntryForm(obj=obj)
    form.document.choices = _document_choices(documents)
    return form


def _entry_values(form: forms.EntryForm) -> dict:
    speaker = (form.speaker.data or "").strip()
    return {"clause_key": form.clause.data.strip(), "author_name": speaker,
            "organisation": (form.organisation.data or "").strip(), "category": form.category.data,
            "gender": form.gender.data, "language": form.language.data,
            "channel": form.channel.data, "body": form.body.data.strip(),
            "consent": "full" if form.named.data and speaker else "anonymous"}


def _check_clause(form, documents) -> Document | None:
    """The chosen document if the typed clause key exists in its current version."""
    document = next((d for d in documents if d.slug == form.document.data), None)
    key = form.clause.data.strip()
    if document is None or draft_services.clause_by_key(
            db.session(), document.current_version_id, key) is None:
        form.clause.errors.append(_("There is no clause %(key)s in this document.", key=key))
        return None
    return document


@bp.route("/hearings/<int:hearing_id>/entry", methods=["GET", "POST"])
@role_required("moderator")
def entry(hearing_id: int):
    """Fast entry: one speaker's contribution per submit, then the empty form again."""
    session = db.session()
    hearing = _hearing(hearing_id)
    documents = _documents(session.get(Consultation, hearing.consultation_id))
    form = _entry_form(documents)
    if request.method == "GET":
        form.language.data = hearing.languages.split(",")[0] or current_lang()
        form.document.data = request.args.get("document") or None
    if not hearing.entry_closed and form.validate_on_submit():
        document = _check_clause(form, documents)
        if document is not None:
            try:
                comment = services.add_hearing_comment(session, hearing, document,
                                                       _entry_values(form), current_user)
            except ValueError as exc:
                form.clause.errors.append(str(exc))
            else:
                session.commit()
                flash(_("Saved: clause %(key)s, %(who)s.", key=comment.clause_key,
                        who=comment.author_name or comment.organisation or _("unnamed speaker")),
                      "success")
                return redirect(url_for("hearings.entry", hearing_id=hearing.id,
                                        document=document.slug))
    return render_template("hearings/entry.html", hearing=hearing, form=form,
                           documents=documents, keys=_clause_keys(documents),
                           comments=services.hearing_comments(session, hearing))


def _clause_keys(documents) -> list[str]:
    session = db.session()
    from ..models import Clause
    from sqlalchemy import select
    keys: list[str] = []
    for document in documents:
        for key in session.scalars(select(Clause.key).where(
                Clause.version_id == document.current_version_id).order_by(Clause.position)):
            if key not in keys:
                keys.append(key)
    return keys


@bp.route("/hearings/<int:hearing_id>/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@role_required("moderator")
def edit_comment(hearing_id: int, comment_id: int):
    """Correct an entered contribution while the hearing is open for entry."""
    session = db.session()
    hearing = _hearing(hearing_id)
    comment = session.get(Comment, comment_id)
    if comment is None or comment.hearing_id != hearing.id:
        abort(404)
    documents = _documents(session.get(Consultation, hearing.consultation_id))
    form = _entry_form(documents)
    if request.method == "GET":
        form.document.data = comment.document.slug
        form.clause.data = comment.clause_key or ""
        form.speaker.data, form.organisation.data = comment.author_name, comment.organisation
        form.named.data = comment.consent == "full"
        for name in ("category", "gender", "language", "channel", "body"):
            getattr(form, name).data = getattr(comment, name)
    if not hearing.entry_closed and form.validate_on_submit():
        document = _check_clause(form, documents)
        if document is not None:
            services.update_hearing_comment(session, comment, document, _entry_values(form),
                                            current_user)
            session.commit()
            flash(_("Changes saved."), "success")
            return redirect(url_for("hearings.entry", hearing_id=hearing.id))
    return render_template("hearings/edit_comment.html", hearing=hearing, form=form,
                           comment=comment, keys=_clause_keys(documents))


@bp.post("/hearings/<int:hearing_id>/entry/close")
@role_required("moderator")
def close_entry(hearing_id: int):
    """Close the hearing for entry, or reopen it (the button says which)."""
    session = db.session()
    hearing = _hearing(hearing_id)
    form = forms.CloseForm()
    if form.validate_on_submit():
        closed = request.form.get("closed") == "1"
        services.set_entry_closed(session, hearing, closed, current_user)
        session.commit()
        flash(_("The hearing is closed for entry.") if closed
              else _("The hearing is open for entry again."), "success")
    return redirect(url_for("hearings.entry", hearing_id=hearing.id))


# ------------------------------------------------------------------ offline kit

@bp.get("/hearings/<int:hearing_id>/kit.xlsx")
@role_required("moderator")
def kit_download(hearing_id: int):
    """The offline hearing kit, labels in the page's language."""
    hearing = _hearing(hearing_id)
    data = services.kit_workbook(db.session(), hearing, current_lang())
    return send_file(BytesIO(data), mimetype=XLSX, as_attachment=True,
                     download_name=f"hearing-kit-{hearing.slug}.xlsx")


@bp.route("/hearings/<int:hearing_id>/kit", methods=["GET", "POST"])
@role_required("moderator")
def kit_upload(hearing_id: int):
    """Upload a filled kit: every row checked first; all imported in one go, or nothing."""
    session = db.session()
    hearing = _hearing(hearing_id)
    form = forms.KitUploadForm()
    problems = []
    if form.validate_on_submit():
        upload = form.file.data
        try:
            outcome = services.import_kit(session, hearing, upload.read(),
                                          upload.filename or "", current_user)
        except UploadError as exc:
            session.rollback()
            form.file.errors.append(str(exc))
        else:
            if outcome.problems:
                session.rollback()
                problems = outcome.problems
            else:
                session.commit()
                flash(_kit_message(outcome), "success")
                return redirect(url_for("hearings.kit_upload", hearing_id=hearing.id))
    return render_template("hearings/kit.html", hearing=hearing, form=form, problems=problems,
                           columns=services.column_labels())


def _kit_message(outcome) -> str:
    if outcome.already:
        return _("This file was imported before; nothing was added.")
    return _("Imported %(added)s comment(s); %(skipped)s row(s) were already imported.",
             added=outcome.added, skipped=outcome.skipped)


# ------------------------------------------------------------------ online-form exports

@bp.route("/hearings/form-import", methods=["GET", "POST"])
@role_required("moderator")
def form_import():
    """Step 1 of importing an online-form export: upload the CSV or XLSX."""
    form = forms.ExportUploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            digest = services.keep_pending(services.pending_folder(current_app.instance_path),
                                           upload.read(), upload.filename or "")
        except UploadError as exc:
            form.file.errors.append(str(exc))
        else:
            return redirect(url_for("hearings.form_mapping", digest=digest))
    return render_template("hearings/form_import.html", form=form)


@bp.route("/hearings/form-import/<digest>", methods=["GET", "POST"])
@role_required("moderator")
def form_mapping(digest: str):
    """Step 2: map the columns, preview the first rows, then import."""
    session = db.session()
    pending = services.load_pending(services.pending_folder(current_app.instance_path), digest)
    if pending is None:
        abort(404)
    data, name = pending
    rows = services.read_export(data, name)
    documents = _documents(_consultation())
    form = forms.MappingForm()
    form.document.choices = _document_choices(documents)
    header = [str(v or "") for v in rows[0].values]
    columns = [(-1, _("(none)"))] + [(i, h or str(i + 1)) for i, h in enumerate(header)]
    for name_ in ("clause", "comment", "name", "organisation", "date"):
        getattr(form, name_).choices = columns
    if request.method == "GET":
        _guess_mapping(form, header)
    preview, problems, records = [], [], []
    if form.validate_on_submit():
        document = next(d for d in documents if d.slug == form.document.data)
        mapping = {f: (getattr(form, f).data if getattr(form, f).data >= 0 else None)
                   for f in ("clause", "comment", "name", "organisation", "date")}
        keys = set(services.clause_index(session, _consultation())[document.slug])
        records, problems = services.map_export(rows, mapping, keys)
        if form.confirm.data and not problems:
            outcome = services.import_export(session, document, records, form.language.data,
                                             digest, name, current_user)
            session.commit()
            flash(_kit_message(outcome), "success")
            return redirect(url_for("hearings.form_import"))
        preview = records[:10]
    return render_template("hearings/form_mapping.html", form=form, preview=preview,
                           problems=problems, columns=services.column_labels(),
                           total=len(rows) - 1, ready=bool(records) and not problems)


def _guess_mapping(form, header) -> None:
    words = {"clause": ("clause", "пункт", "берене"), "comment": ("comment", "коммент", "сунуш"),
             "name": ("name", "имя", "фио", "аты"), "organisation": ("organ", "уюм"),
             "date": ("date", "time", "дата", "время", "убакыт")}
    for field, hints in words.items():
        getattr(form, field).data = next(
            (i for i, h in enumerate(header) if any(w in h.lower() for w in hints)), -1)


# ------------------------------------------------------------------ letters and e-mails

@bp.route("/hearings/letters/new", methods=["GET", "POST"])
@role_required("moderator")
def letter():
    """Enter a letter or e-mail as comments, one per clause it addresses."""
    session = db.session()
    consultation = _consultation()
    documents = _documents(consultation)
    form = forms.LetterForm()
    form.document.choices = _document_choices(documents)
    if form.validate_on_submit():
        document = next(d for d in documents if d.slug == form.document.data)
        keys = services.split_keys(form.clauses.data)
        known = set(services.clause_index(session, consultation)[document.slug])
        unknown = [k for k in keys if k not in known]
        if unknown:
            form.clauses.errors.append(_("There is no clause %(key)s in this document.",
                                         key=", ".join(unknown)))
        else:
            values = {name: (getattr(form, name).data or "").strip() for name in (
                "channel", "author_name", "organisation", "category", "region", "gender",
                "consent", "language", "body")}
            values["received_at"] = from_local(form.received_at.data)
            comments = services.add_letter(session, document, keys, values, current_user)
            session.commit()
            late = not comments[0].in_period
            flash(_("Saved %(n)s comment(s) from the letter.", n=len(comments))
                  + (" " + _("It arrived after the period closed: kept and marked late.")
                     if late else ""), "success")
            return redirect(url_for("hearings.letter"))
    return render_template("hearings/letter.html", form=form)


# ------------------------------------------------------------------ handout and statistics

@bp.get("/hearings/<int:hearing_id>/handout")
@role_required("moderator")
def handout(hearing_id: int):
    """A printable A4 handout: agenda, QR code to the drafts, how to comment, the clauses."""
    session = db.session()
    hearing = _hearing(hearing_id)
    documents = _documents(session.get(Consultation, hearing.consultation_id))
    versions = [draft_services.version_with_clauses(session, d.current_version_id)
                for d in documents]
    drafts_url = public_url("drafts.notice")
    return render_template("hearings/handout.html", hearing=hearing, versions=versions,
                           drafts_url=drafts_url, qr=qr_svg(drafts_url))


@bp.get("/hearings/statistics")
@role_required("moderator", "drafter")
def statistics():
    """Participation: comments and attendance per hearing, by gender and category."""
    session = db.session()
    consultation = draft_services.current_consultation(session)
    stats = services.statistics(session, consultation) if consultation else None
    return render_template("hearings/statistics.html", stats=stats, bars=bars)


def bars(values: dict, labels: dict) -> dict:
    """Geometry of a horizontal bar chart (percent widths), drawn by the template as SVG."""
    top = max(values.values(), default=0) or 1
    return {"rows": [{"label": str(labels.get(k, k)), "value": v, "width": round(70 * v / top, 2)}
                     for k, v in values.items()],
            "height": 28 * max(len(values), 1)}
