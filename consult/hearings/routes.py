"""The public hearing schedule, and for staff the hearing records: facts, attendance,
files, fast entry of what speakers said, the offline kit, the handout and statistics."""
from __future__ import annotations

from io import BytesIO

import segno
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    get_template_attribute,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from .. import db
from ..accounts.auth import role_required
from ..comments.intake import Refused
from ..core import languages
from ..core.time import from_local, to_local
from ..core.uploads import UploadError
from ..core.urls import public_url
from ..core.vocab import CATEGORIES, HEARING_FILE_KINDS
from ..delivery import shared_page
from ..drafts import services as draft_services
from ..forms import fill_localized, localized_name, localized_values
from ..i18n import current_lang
from ..intake import hearing_entry
from ..intake.kit import import_kit
from ..models import Clause, Comment, Consultation, Hearing, HearingFile
from ..views import (
    document_choices,
    public_consultation,
    published_documents,
    staff_consultation,
    visible,
)
from . import forms, records
from . import handout as printed
from .kit import column_labels, kit_workbook
from .statistics import bar_chart
from .statistics import statistics as participation

bp = Blueprint("hearings", __name__, url_prefix="/<lang>")


def qr_svg(url: str) -> Markup:
    """An inline SVG QR code (no script, no style: it passes the content security policy)."""
    svg = segno.make(url, error="m").svg_inline(scale=4, dark="#000", light="#fff",
                                                 title=url, omitsize=True)
    return Markup(svg)


@bp.get("/hearings/")
@bp.get("/consultations/<cslug>/hearings/")
@shared_page
def schedule(cslug: str | None = None):
    """Every hearing: city, date and time, venue, online link, and a QR code to the drafts."""
    session = db.session()
    consultation = public_consultation(cslug)
    hearings = records.hearings(session, consultation) \
        if consultation is not None and visible(consultation) else []
    drafts_url = public_url("drafts.notice")
    return render_template("hearings/schedule.html", hearings=hearings, drafts_url=drafts_url,
                           qr=qr_svg(drafts_url) if drafts_url else None)


# ------------------------------------------------------------------ staff: hearing records

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _hearing(hearing_id: int) -> Hearing:
    hearing = db.session().get(Hearing, hearing_id)
    if hearing is None:
        abort(404)
    return hearing



@bp.get("/hearings/manage/")
@role_required("moderator")
def manage():
    """Hearing records for moderators: every hearing with its status and comment count."""
    session = db.session()
    consultation = staff_consultation(optional=True)
    stats = participation(session, consultation) if consultation else {"hearings": []}
    return render_template("hearings/manage.html", rows=stats["hearings"])


def _form_values(form) -> dict:
    values = {
        **{prefix: localized_values(form, prefix) for prefix in forms.TEXT_FIELDS},
        "starts_at": from_local(form.starts_at.data) if form.starts_at.data else None,
        "ends_at": from_local(form.ends_at.data) if form.ends_at.data else None,
        "format": form.format.data, "online_link": (form.online_link.data or "").strip(),
        "languages": ",".join(form.languages.data), "status": form.status.data,
        "organisations": (form.organisations.data or "").strip(),
        "minutes": (form.minutes.data or "").strip(),
        "short_notice_reason": (form.short_notice_reason.data or "").strip(),
        "attendance_by_category": {
            code: form[forms.category_field(code)].data for code in CATEGORIES
            if form[forms.category_field(code)].data is not None},
    }
    for name in records.ATTENDANCE_FIELDS:
        values[name] = form[name].data
    return values


def _fill_form(form, hearing: Hearing) -> None:
    for prefix in forms.TEXT_FIELDS:
        fill_localized(form, prefix, getattr(hearing, prefix))
    for name in ("starts_at", "ends_at"):
        value = getattr(hearing, name)
        form[name].data = to_local(value).replace(tzinfo=None) if value else None
    for name in ("format", "online_link", "status", "organisations", "minutes",
                 "short_notice_reason", *records.ATTENDANCE_FIELDS):
        form[name].data = getattr(hearing, name)
    form.languages.data = [c for c in hearing.languages.split(",") if c]
    for code in CATEGORIES:
        form[forms.category_field(code)].data = (hearing.attendance_by_category or {}).get(code)


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
    status = 200
    if form.validate_on_submit():
        values = _form_values(form)
        consultation = session.get(Consultation, hearing.consultation_id) if hearing \
            else staff_consultation()
        try:
            hearing = records.save_hearing(session, consultation, hearing, values,
                                           current_user)
        except records.HearingRefused as refusal:
            session.rollback()
            # The venue's message goes under the first language's venue field.
            targets = {"venue": localized_name("venue", languages.codes()[0]),
                       "short_notice_reason": "short_notice_reason"}
            for name, message in refusal.messages.items():
                form[targets[name]].errors = [*form[targets[name]].errors, message]
            return _edit_page(form, hearing, 422)
        session.commit()
        flash(_("Hearing record saved."), "success")
        if records.attendance_mismatch(values):
            flash(_("Note: women, men and not stated do not add up to the total attendance."),
                  "warning")
        return redirect(url_for("hearings.record", hearing_id=hearing.id))
    return _edit_page(form, hearing, status)


def _edit_page(form, hearing, status: int):
    return render_template("hearings/edit.html", form=form, hearing=hearing,
                           categories=CATEGORIES, text_field=localized_name,
                           category_field=forms.category_field,
                           notice_days=current_app.config["HEARING_NOTICE_DAYS"]), status


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
            records.add_file(session, hearing, form.kind.data, upload.filename or "",
                             upload.read(), current_user)
        except UploadError as exc:
            form.file.errors.append(str(exc))
        else:
            session.commit()
            flash(_("File kept with the hearing record."), "success")
            return redirect(url_for("hearings.record", hearing_id=hearing.id))
    return render_template("hearings/record.html", hearing=hearing, form=form,
                           mismatch=records.attendance_mismatch(
                               {n: getattr(hearing, n) for n in records.ATTENDANCE_FIELDS}),
                           comment_count=len(records.hearing_comments(session, hearing)))


@bp.get("/hearings/<int:hearing_id>/files/<int:file_id>")
@role_required("moderator", "drafter")
def download_file(hearing_id: int, file_id: int):
    """A kept scan, for staff only; a sign-in sheet (people's names and signatures) only
    for those who keep the hearing records."""
    item = db.session().get(HearingFile, file_id)
    if item is None or item.hearing_id != hearing_id:
        abort(404)
    if HEARING_FILE_KINDS.attr(item.kind, "personal") and not current_user.has_role("moderator"):
        abort(403)
    return send_file(BytesIO(item.data), mimetype=item.content_type, as_attachment=True,
                     download_name=item.filename)


# ------------------------------------------------------------------ fast entry

def _entry_form(documents) -> forms.EntryForm:
    form = forms.EntryForm()
    form.document.choices = document_choices(documents)
    return form


def _hearing_documents(hearing: Hearing):
    return published_documents(db.session().get(Consultation, hearing.consultation_id))


def _record_contribution(form, documents, save) -> bool:
    """Run ``save(document, clause key, values)``; a refusal goes under the clause field."""
    document = next((d for d in documents if d.slug == form.document.data), None)
    try:
        save(document, form.clause.data.strip(), form.contribution())
    except Refused as refusal:
        db.session().rollback()
        form.clause.errors.append(str(refusal))
        return False
    db.session().commit()
    return True


@bp.route("/hearings/<int:hearing_id>/entry", methods=["GET", "POST"])
@role_required("moderator")
def entry(hearing_id: int):
    """Fast entry: one speaker's contribution per submit, then the empty form again."""
    session = db.session()
    hearing = _hearing(hearing_id)
    documents = _hearing_documents(hearing)
    form = _entry_form(documents)
    if request.method == "GET":
        form.language.data = hearing.languages.split(",")[0] or current_lang()
        form.document.data = request.args.get("document") or None
    saved = []
    if not hearing.entry_closed and form.validate_on_submit() and _record_contribution(
            form, documents, lambda document, key, values: saved.append(
                hearing_entry.add_contribution(session, hearing, document, key, values,
                                               current_user))):
        comment = saved[0]
        flash(_("Saved: clause %(key)s, %(who)s.", key=comment.clause_key,
                who=comment.author_name or comment.organisation or _("unnamed speaker")),
              "success")
        return redirect(url_for("hearings.entry", hearing_id=hearing.id,
                                document=form.document.data))
    return render_template("hearings/entry.html", hearing=hearing, form=form,
                           documents=documents, keys=_clause_keys(documents),
                           comments=records.hearing_comments(session, hearing))


def _clause_keys(documents) -> list[str]:
    versions = [d.current_version_id for d in documents]
    keys = db.session().scalars(select(Clause.key).where(Clause.version_id.in_(versions))
                                .order_by(Clause.version_id, Clause.position))
    return list(dict.fromkeys(keys))


@bp.route("/hearings/<int:hearing_id>/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@role_required("moderator")
def edit_comment(hearing_id: int, comment_id: int):
    """Correct an entered contribution while the hearing is open for entry."""
    session = db.session()
    hearing = _hearing(hearing_id)
    comment = session.get(Comment, comment_id)
    if comment is None or comment.hearing_id != hearing.id:
        abort(404)
    documents = _hearing_documents(hearing)
    form = _entry_form(documents)
    if request.method == "GET":
        form.document.data = comment.document.slug
        form.clause.data = comment.clause_key or ""
        form.speaker.data, form.organisation.data = comment.author_name, comment.organisation
        form.consent.data = comment.consent
        for name in ("category", "gender", "language", "channel", "body"):
            form[name].data = getattr(comment, name)
    if not hearing.entry_closed and form.validate_on_submit() and _record_contribution(
            form, documents, lambda document, key, values: hearing_entry.update_contribution(
                session, comment, document, key, values, current_user)):
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
        records.set_entry_closed(session, hearing, closed, current_user)
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
    data = kit_workbook(db.session(), hearing, current_lang())
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
            outcome = import_kit(session, hearing, upload.read(), upload.filename or "",
                                 current_user)
        except UploadError as exc:
            session.rollback()
            form.file.errors.append(str(exc))
        else:
            if outcome.problems:
                session.rollback()
                problems = outcome.problems
            else:
                session.commit()
                flash(outcome.message(), "success")
                return redirect(url_for("hearings.kit_upload", hearing_id=hearing.id))
    return render_template("hearings/kit.html", hearing=hearing, form=form, problems=problems,
                           columns=column_labels())


# ------------------------------------------------------------------ handout and statistics

HANDOUT_BLOCKS = "hearings/_handout_blocks.html"


def _handout_blocks(langs: list[str], hearing: Hearing, consultation: Consultation,
                    versions) -> dict[str, dict[str, Markup]]:
    """Each part of the handout in each of ``langs``, rendered in that language."""
    blocks = {}
    for lang in langs:
        drafts = [(languages.pick(v.title, lang)[0], printed.contents(v, lang)) for v in versions]
        arguments = {"title": (hearing,), "facts": (hearing, consultation), "how": (),
                     "agenda": (hearing,), "contents": (drafts,), "form_heading": (hearing,),
                     "optional": ()}
        with force_locale(lang):
            blocks[lang] = {name: get_template_attribute(HANDOUT_BLOCKS, name)(lang, *args)
                            for name, args in arguments.items()}
    return blocks


@bp.get("/hearings/<int:hearing_id>/handout")
@role_required("moderator")
def handout(hearing_id: int):
    """A printable A4 handout in the hearing's working languages: date, venue, deadline,
    contact, agenda, a QR code to the site, the drafts' contents by clause number, and a
    paper comment form."""
    session = db.session()
    hearing = _hearing(hearing_id)
    consultation = session.get(Consultation, hearing.consultation_id)
    versions = [draft_services.version_with_clauses(session, d.current_version_id)
                for d in _hearing_documents(hearing)]
    langs = printed.handout_languages(hearing, current_lang())
    site_url = public_url("root")
    return render_template(
        "hearings/handout.html", hearing=hearing, consultation=consultation, langs=langs,
        blocks=_handout_blocks(langs, hearing, consultation, versions), site_url=site_url,
        qr=qr_svg(site_url) if site_url else None,
        paper_form=printed.paper_form(langs, [v.title for v in versions]))


@bp.get("/hearings/statistics")
@role_required("moderator", "drafter")
def statistics():
    """Participation: comments and attendance per hearing, by gender and category."""
    session = db.session()
    consultation = staff_consultation(optional=True)
    stats = participation(session, consultation) if consultation else None
    return render_template("hearings/statistics.html", stats=stats, bars=bar_chart)

