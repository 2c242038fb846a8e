"""One consultation site with every page type filled, for the accessibility and validity
tests (tests/test_html_validity.py, tests/browser/test_a11y.py), built once per module.

Two consultations: the demonstration drafts as ``consult demo`` loads them (open, with
comments in Russian and English, one with an answer, a hidden one, a hearing with entered
comments) and, before it, the sample programme with its results published (every channel,
every comment answered), so that both the open forms and the results have real content.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from consult import ROOT, cache, db, ratelimit
from consult.accounts.services import save_user
from consult.comments import moderation
from consult.core.time import utcnow
from consult.drafts.load import import_paths
from consult.hearings.schedule import load_schedule
from consult.models import Clause, Comment, Consultation, Document, Hearing
from consult.synthesis.answers import save_answer
from tests.conftest import _build_record, _clean, write_sample

PASSWORD = "correct horse battery"
PROGRAMME = "biodiversity-programme-2040"
PLAN = "biodiversity-action-plan-2025-2030"
# Longer than a phone is wide, without a space: it must wrap, not push the page sideways.
LONG_WORD = "https://example.org/" + "very-long-address-without-spaces/" * 4


@dataclass
class Site:
    """Where each page type is, by name (``{lang}`` to fill in), and who may sign in."""
    public: dict[str, str] = field(default_factory=dict)
    staff: dict[str, str] = field(default_factory=dict)
    admin_email: str = "a11y-admin@example.org"
    admin_id: int = 0
    refused_clause: str = f"/{{lang}}/documents/{PROGRAMME}/5/"


def build_site(app, folder) -> Site:
    """Empty the database, then fill it as described above; ``folder``: for draft files."""
    _clean(app.extensions["consult.engine"])
    cache.clear_all()
    with app.app_context():
        ratelimit.reset()
        session = db.session()
        admin, _created = save_user(session, Site.admin_email, "admin", PASSWORD,
                                    name="Ainura Ch.")
        drafter, _created = save_user(session, "a11y-drafter@example.org", "drafter", PASSWORD)
        results = _closed_consultation_with_results(session, folder)
        hearing, answered, code = _open_demonstration(session, admin, drafter)
        session.commit()
        site = Site(admin_id=admin.id)
    site.public = {
        "notice": "/{lang}/",
        "document": f"/{{lang}}/documents/{PROGRAMME}/",
        "plan": f"/{{lang}}/documents/{PLAN}/",
        "clause": f"/{{lang}}/documents/{PROGRAMME}/5/",
        "receipt": f"/{{lang}}/receipts/{code}/",
        "hearings": "/{lang}/hearings/",
        "results": f"/{{lang}}/consultations/{results}/results/",
        "results-document": f"/{{lang}}/consultations/{results}/results/sample-programme/",
        "archive": "/{lang}/consultations/",
        "login": "/{lang}/login",
    }
    site.staff = {
        "moderation": "/{lang}/moderation/",
        "desk": f"/{{lang}}/desk/?doc={PROGRAMME}",
        "answer": f"/{{lang}}/desk/comments/{answered}/",
        "hearing-entry": f"/{{lang}}/hearings/{hearing}/entry",
        "statistics": "/{lang}/hearings/statistics",
        "settings": "/{lang}/settings/",
        "audit": "/{lang}/audit/",
    }
    return site


def _closed_consultation_with_results(session, folder) -> str:
    """The sample programme, closed a day ago, every comment answered, results public."""
    outcomes, problems = import_paths(session, [str(write_sample(folder))])
    assert not problems, problems
    document = session.scalar(select(Document).where(Document.slug == "sample-programme"))
    consultation = document.consultation
    consultation.announced_at = utcnow() - timedelta(days=60)
    consultation.opens_at = utcnow() - timedelta(days=45)
    consultation.closes_at = utcnow() - timedelta(days=1)
    consultation.answer_approval = False
    session.flush()
    record = _build_record(session, document)
    for comment in session.scalars(select(Comment).where(
            Comment.consultation_id == consultation.id)):
        if comment.response is None and comment.group_id is None:
            save_answer(session, comment, "noted", "", "", record["drafter"], None)
    consultation.results_published_at = utcnow()
    session.flush()
    return consultation.slug


def _open_demonstration(session, admin, drafter) -> tuple[int, int, str]:
    """The demonstration drafts, open for comments, announced after the sample; returns
    the hearing's id, an answered comment's id and that comment's receipt code."""
    outcomes, problems = import_paths(session, [str(ROOT / "drafts")])
    assert not problems, problems
    load_schedule(session, ROOT / "drafts" / "hearings.json")
    document = session.scalar(select(Document).where(Document.slug == PROGRAMME))
    consultation = session.get(Consultation, document.consultation_id)
    consultation.announced_at = utcnow() - timedelta(days=20)
    consultation.opens_at = utcnow() - timedelta(days=10)
    consultation.closes_at = utcnow() + timedelta(days=30)
    consultation.answer_approval = False
    clause = session.scalar(select(Clause).where(
        Clause.version_id == document.current_version_id, Clause.key == "5"))
    hearing = session.scalar(select(Hearing).where(
        Hearing.consultation_id == consultation.id).order_by(Hearing.id))

    def comment(language, body, **fields):
        values = dict(consultation_id=consultation.id, document_id=document.id,
                      version_id=document.current_version_id, clause_id=clause.id,
                      clause_key="5", language=language, body=body, state="published",
                      receipt_code=secrets.token_urlsafe(16), consent="full",
                      author_name="Айгүл Т.", category="ngo")
        values.update(fields)
        item = Comment(**values)
        session.add(item)
        session.flush()
        return item

    russian = comment("ru", "Предлагаю усилить охрану арчовых лесов и запретить выпас скота "
                            "в водоохранных зонах рек Нарынской области.")
    comment("en", f"Please add a measurable indicator, with a baseline: {LONG_WORD}")
    comment("ky", "Жаңы келген пикир, модерацияны күтүп жатат.", state="new")
    comment("en", "Said at the hearing.", channel="hearing-oral", hearing_id=hearing.id,
            state="new")
    hidden = comment("en", "Rude words.", state="new")
    moderation.hide_comment(session, hidden, "abuse", "insults", admin)
    save_answer(session, russian, "partly-accepted",
                "Учтено частично: выпас регулируется отдельным законом.",
                "clause 5: добавлены слова об арчовых лесах", drafter, None, language="ru")
    return hearing.id, russian.id, russian.receipt_code
