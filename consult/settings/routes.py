"""Consultation settings (administrators): one page per consultation with the notice, the
period, moderation, the announcement and the decision, each a form of its own."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from .. import db
from ..accounts.auth import role_required
from ..core import consultation as lifecycle
from ..core import languages
from ..core.time import to_local
from ..drafts import revisions
from ..drafts import services as draft_services
from ..forms import fill_localized, localized_values
from ..intake.letters import split_keys
from ..mail import events as mail
from ..models import Comment, Consultation
from ..publication import decision as decisions
from ..views import staff_consultation
from . import forms

bp = Blueprint("settings", __name__, url_prefix="/<lang>/settings")


def _back(consultation: Consultation, anchor: str = ""):
    return redirect(url_for("settings.consultation", consultation=consultation.slug) + anchor)


def _local_input(value) -> str:
    return to_local(value).strftime("%Y-%m-%dT%H:%M") if value else ""


def _forms(consultation: Consultation) -> dict:
    session = db.session()
    notice = forms.NoticeForm(prefix="notice")
    period = forms.PeriodForm(prefix="period")
    moderation = forms.ModerationForm(prefix="moderation")
    decision = forms.DecisionForm(prefix="decision")
    decision.version.choices = [(0, _("(none)"))] + [
        (v.id, f"{v.document.slug} v{v.number}")
        for v in decisions.adoptable_versions(session, consultation)]
    if request.method == "GET":
        for item in lifecycle.NOTICE_FIELDS:
            fill_localized(notice, item, getattr(consultation, item))
        notice.assessment_applies.data = {True: "yes", False: "no"}.get(
            consultation.assessment_applies, "")
        period.opens.data = _local_input(consultation.opens_at)
        period.closes.data = _local_input(consultation.closes_at)
        fill_localized(period, "justification", consultation.period_justification)
        moderation.moderation.data = consultation.moderation
        moderation.answer_approval.data = consultation.answer_approval
        if consultation.decision is not None:
            _fill_decision(decision, consultation.decision)
    return {"notice_form": notice, "period_form": period, "moderation_form": moderation,
            "announce_form": forms.AnnounceForm(prefix="announce"), "decision_form": decision}


def _fill_decision(form, decision) -> None:
    fill_localized(form, "title", decision.title)
    fill_localized(form, "reasons", decision.reasons)
    form.number.data, form.adopted_on.data = decision.number, decision.adopted_on
    form.text_url.data, form.published_url.data = decision.text_url, decision.published_url
    form.version.data = decision.version_id or 0


def _page(consultation: Consultation, forms_: dict, status: int = 200, refused=()):
    session = db.session()
    return render_template(
        "settings/consultation.html", consultation=consultation,
        consultations=list(session.scalars(select(Consultation).order_by(Consultation.id))),
        phase=lifecycle.phase(session, consultation),
        missing=lifecycle.notice_missing(session, consultation), refused=refused,
        required=languages.required(),
        required_names=", ".join(languages.name(code) for code in languages.required()),
        notice_items=[item for item, _label in lifecycle.NOTICE_ITEMS],
        notice_labels=dict(lifecycle.NOTICE_ITEMS),
        documents=draft_services.documents(session, consultation),
        pending=revisions.pending_versions(session, [d.id for d in consultation.documents]),
        **forms_), status


@bp.get("/")
@role_required("admin")
def consultation():
    """A consultation's notice, period, moderation, announcement and decision."""
    if db.session().scalar(select(Consultation.id).limit(1)) is None:
        return render_template("settings/none.html")
    item = staff_consultation()
    return _page(item, _forms(item))


def _refused(item: Consultation, all_forms: dict, refusal: lifecycle.LifecycleRefused):
    db.session().rollback()
    return _page(item, all_forms, 422, refused=refusal.reasons)


@bp.post("/notice")
@role_required("admin")
def notice():
    """Save the notice's texts (complete or not: completeness is checked on announcing)."""
    item = staff_consultation()
    all_forms = _forms(item)
    form = all_forms["notice_form"]
    if not form.validate_on_submit():
        return _page(item, all_forms, 400)
    values = {name: localized_values(form, name) for name in lifecycle.NOTICE_FIELDS}
    values["assessment_applies"] = {"yes": True, "no": False}.get(
        form.assessment_applies.data)
    lifecycle.save_notice(db.session(), item, values, current_user)
    db.session().commit()
    flash(_("The notice was saved."), "success")
    return _back(item, "#notice")


@bp.post("/period")
@role_required("admin")
def period():
    """Set or extend the period (with a justification when it is short)."""
    item = staff_consultation()
    all_forms = _forms(item)
    form = all_forms["period_form"]
    if not form.validate_on_submit():
        return _page(item, all_forms, 400)
    try:
        lifecycle.set_period(db.session(), item, form.opens.parsed, form.closes.parsed,
                             current_user, localized_values(form, "justification"))
    except lifecycle.LifecycleRefused as refusal:
        return _refused(item, all_forms, refusal)
    db.session().commit()
    flash(_("The period was saved."), "success")
    return _back(item, "#period")


@bp.post("/moderation")
@role_required("admin")
def moderation():
    """Choose pre- or post-moderation."""
    item = staff_consultation()
    all_forms = _forms(item)
    form = all_forms["moderation_form"]
    if not form.validate_on_submit():
        return _page(item, all_forms, 400)
    lifecycle.set_moderation(db.session(), item, form.moderation.data, current_user)
    was_required = item.answer_approval
    lifecycle.set_answer_approval(db.session(), item, form.answer_approval.data, current_user)
    if was_required and not item.answer_approval:
        # Every answer is public now: their commenters are told.
        mail.answers_changed(db.session(), comment_ids=db.session().scalars(
            select(Comment.id).where(Comment.consultation_id == item.id)).all())
    db.session().commit()
    flash(_("The moderation mode was saved."), "success")
    return _back(item, "#moderation")


@bp.post("/announce")
@role_required("admin")
def announce():
    """Make the notice public, once it is complete."""
    item = staff_consultation()
    all_forms = _forms(item)
    if not all_forms["announce_form"].validate_on_submit():
        return _page(item, all_forms, 400)
    try:
        lifecycle.announce(db.session(), item, current_user)
    except lifecycle.LifecycleRefused as refusal:
        return _refused(item, all_forms, refusal)
    db.session().commit()
    flash(_("The consultation is announced: its notice is public."), "success")
    return _back(item)


@bp.post("/decision")
@role_required("admin")
def decision():
    """Record the decision taken, with its reasons (after the results are public)."""
    item = staff_consultation()
    all_forms = _forms(item)
    form = all_forms["decision_form"]
    if not form.validate_on_submit():
        return _page(item, all_forms, 400)
    values = {"title": localized_values(form, "title"),
              "reasons": localized_values(form, "reasons"), "number": form.number.data or "",
              "adopted_on": form.adopted_on.data, "text_url": form.text_url.data or "",
              "version_id": form.version.data or None,
              "published_url": form.published_url.data or ""}
    try:
        decisions.record_decision(db.session(), item, values, current_user)
    except lifecycle.LifecycleRefused as refusal:
        return _refused(item, all_forms, refusal)
    db.session().commit()
    flash(_("The decision was recorded and is public."), "success")
    return _back(item, "#decision")




# ---------------------------------------------------------------- revised versions

def _pending_version(slug: str, number: int):
    """A document's version by its number, for the review (404 when there is none)."""
    session = db.session()
    document = draft_services.document_by_slug(session, slug)
    version = revisions.version_by_number(session, document, number) if document else None
    if version is None or version.previous_id is None:
        abort(404)
    return document, version


def _review(document, version, status: int = 200, typed: dict | None = None, refused=()):
    rows = revisions.matching(db.session(), version)
    links = revisions.links_of(rows)
    return render_template(
        "settings/version.html", document=document, version=version, rows=rows,
        typed=typed or {key: ", ".join(old) for key, old in links.items()},
        counts=revisions.kinds_count(rows), refused=refused,
        previous=version.previous, form=forms.VersionForm()), status


@bp.get("/versions/<slug>/<int:number>")
@role_required("admin")
def version_review(slug: str, number: int):
    """The proposed matching of a revised version's clauses to the previous version's,
    each with both texts, for an administrator to correct and confirm."""
    document, version = _pending_version(slug, number)
    return _review(document, version)


@bp.post("/versions/<slug>/<int:number>")
@role_required("admin")
def version_confirm(slug: str, number: int):
    """Save the matching as corrected on the page, and confirm it."""
    document, version = _pending_version(slug, number)
    form = forms.VersionForm()
    typed = {key[len("old-"):]: value for key, value in request.form.items()
             if key.startswith("old-")}
    if not form.validate_on_submit():
        return _review(document, version, 400, typed)
    links = {key: split_keys(value) for key, value in typed.items()}
    try:
        corrected = revisions.correct_matching(db.session(), version, links, current_user)
    except revisions.RevisionRefused as refusal:
        db.session().rollback()
        return _review(document, version, 422, typed, refusal.reasons)
    db.session().commit()
    flash(ngettext("The matching is confirmed (%(num)d clause corrected).",
                   "The matching is confirmed (%(num)d clauses corrected).", len(corrected))
          if corrected else _("The matching is confirmed as proposed."), "success")
    return redirect(url_for("settings.version_review", slug=slug, number=number))


@bp.post("/versions/<slug>/<int:number>/publish")
@role_required("admin")
def version_publish(slug: str, number: int):
    """Publish a revised version whose matching is confirmed."""
    document, version = _pending_version(slug, number)
    if not forms.VersionForm().validate_on_submit():
        return _review(document, version, 400)
    try:
        revisions.publish_version(db.session(), version, current_user)
    except revisions.RevisionRefused as refusal:
        db.session().rollback()
        return _review(document, version, 422, refused=refusal.reasons)
    db.session().commit()
    flash(_("Version %(number)d is published: the public now reads it.", number=number),
          "success")
    return redirect(url_for("settings.version_review", slug=slug, number=number))
