"""The public record is the same on every surface: one policy (consult.comments.public).

Every combination of consent x moderation state x category is stored, on a clause and on
the whole document, with its own name, organisation and text, and answered by a named
member of staff. Every public surface is rendered: the clause page, the document page,
the receipt, the results page, the results CSV, the API and the public workbook. Each must
show exactly what the policy allows, and never a withheld name, organisation or text,
a staff member's name or an e-mail address.
"""
from __future__ import annotations

import io
import itertools
import json
import secrets

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from consult.comments import public
from consult.core.time import utcnow
from consult.models import Clause, Comment, Consultation, Document, Response, User
from consult.synthesis.workbook import export_workbook

CONSENTS = ("full", "anonymous", "none")
STATES = ("new", "published", "hidden", "withdrawn")
CATEGORIES = ("individual", "ngo")
STAFF_NAME = "Stafferina Respondova"
EMAIL = "never.shown@example.org"


def token(place: str, field: str, consent: str, state: str, category: str) -> str:
    """A word no other token contains: C/D (clause, document), Nm/Og/Bd (field)."""
    return f"{place}{field}{consent}{state}{category}Q"


def expected(consent: str, state: str, category: str) -> dict[str, bool]:
    """What the policy lets the public see, written out independently of the code."""
    published = state == "published"
    return {"Nm": published and consent == "full",
            "Og": published and (consent == "full" or category != "individual"),
            "Bd": published and consent != "none"}


COMBOS = list(itertools.product(CONSENTS, STATES, CATEGORIES))


@pytest.fixture
def matrix(app, session, make_document, make_user):
    """Every combination, on clause 1 (C) and the whole document (D); results published."""
    document = session.merge(make_document())
    staff = session.get(User, make_user("drafter"))
    staff.name = STAFF_NAME
    clause = session.scalar(select(Clause).where(
        Clause.version_id == document.current_version_id, Clause.key == "1"))
    codes = {}
    for place, target in (("C", clause), ("D", None)):
        for consent, state, category in COMBOS:
            t = {f: token(place, f, consent, state, category) for f in ("Nm", "Og", "Bd")}
            comment = Comment(
                consultation_id=document.consultation_id, document_id=document.id,
                version_id=document.current_version_id, clause_id=target and target.id,
                clause_key=target and target.key, channel="online", language="en",
                body=f"Text {t['Bd']}", author_name=t["Nm"], organisation=t["Og"],
                category=category, consent=consent, state=state, email=EMAIL,
                hidden_reason={"hidden": "abuse", "withdrawn": "withdrawn"}.get(state, ""),
                receipt_code=secrets.token_urlsafe(16))
            session.add(comment)
            session.flush()
            session.add(Response(comment_id=comment.id, status="noted", rationale="Considered.",
                                 responder_id=staff.id))
            codes[(place, consent, state, category)] = comment.receipt_code
    session.scalar(select(Consultation)).results_published_at = utcnow()
    session.commit()
    return codes


def check(text: str, places=("C", "D"), only_states=STATES, body_always=False,
          surface=""):
    """Every token of ``places`` appears exactly when the policy allows it."""
    wrong = []
    for place in places:
        for consent, state, category in COMBOS:
            allowed = expected(consent, state, category)
            if body_always:
                allowed["Bd"] = True
            listed = state in only_states
            for field, shown in allowed.items():
                word = token(place, field, consent, state, category)
                if (word in text) != (shown and listed):
                    wrong.append(f"{surface}: {word} {'missing' if word not in text else 'shown'}")
    assert wrong == []
    assert STAFF_NAME not in text and EMAIL not in text


def test_clause_page_shows_exactly_what_the_policy_allows(client, matrix):
    text = client.get("/en/documents/sample-programme/1/").get_data(as_text=True)
    check(text, places=("C",), only_states=public.LISTED_UNDER_CLAUSES, surface="clause")


def test_document_page_shows_exactly_what_the_policy_allows(client, matrix):
    text = client.get("/en/documents/sample-programme/").get_data(as_text=True)
    check(text, places=("D",), only_states=public.LISTED_UNDER_CLAUSES, surface="document")


@pytest.mark.parametrize("consent, state, category", COMBOS)
def test_receipt_shows_the_authors_text_and_public_authorship(client, matrix, consent, state,
                                                               category):
    code = matrix[("C", consent, state, category)]
    text = client.get(f"/en/receipts/{code}/").get_data(as_text=True)
    allowed = expected(consent, state, category)
    for field in ("Nm", "Og"):
        assert (token("C", field, consent, state, category) in text) == allowed[field], field
    # The holder of the code wrote the text: the receipt shows it to them whatever its state.
    assert token("C", "Bd", consent, state, category) in text
    assert STAFF_NAME not in text and EMAIL not in text


def test_results_page_shows_exactly_what_the_policy_allows(client, matrix):
    text = client.get("/en/results/sample-programme/").get_data(as_text=True)
    check(text, surface="results")


def test_results_csv_shows_exactly_what_the_policy_allows(client, matrix):
    for lang in ("en", "ru", "ky"):
        text = client.get(f"/{lang}/results/synthesis.csv").get_data(as_text=True)
        check(text, surface=f"csv {lang}")


def test_api_shows_exactly_what_the_policy_allows(client, matrix):
    data = client.get("/api/v1/comments?per_page=500").get_json()
    text = json.dumps(data, ensure_ascii=False)
    check(text, only_states=public.LISTED_IN_OPEN_DATA, surface="api")
    one = client.get(f"/api/v1/comments/{data['data'][0]['id']}").get_json()
    check(json.dumps(one, ensure_ascii=False), places=(), surface="api one")


def test_public_workbook_shows_exactly_what_the_policy_allows(app, session, matrix):
    for lang in ("en", "ru", "ky"):
        out = io.BytesIO()
        with app.test_request_context():
            export_workbook(session, out, lang=lang, public=True)
        workbook = load_workbook(io.BytesIO(out.getvalue()), read_only=True)
        text = "\n".join(str(value) for sheet in workbook.worksheets
                         for row in sheet.iter_rows(values_only=True) for value in row
                         if value is not None)
        check(text, surface=f"workbook {lang}")


def test_full_workbook_names_only_consenting_commenters_and_never_e_mail(app, session,
                                                                          matrix):
    """The staff variant keeps every text, but a name still needs consent "full"."""
    out = io.BytesIO()
    with app.test_request_context():
        export_workbook(session, out, lang="en", public=False)
    workbook = load_workbook(io.BytesIO(out.getvalue()), read_only=True)
    text = "\n".join(str(v) for sheet in workbook.worksheets
                     for row in sheet.iter_rows(values_only=True) for v in row if v is not None)
    for place in ("C", "D"):
        for consent, state, category in COMBOS:
            assert token(place, "Bd", consent, state, category) in text
            assert (token(place, "Nm", consent, state, category) in text) == (consent == "full")
    assert EMAIL not in text


def test_document_page_counts_only_what_is_listed(client, matrix, session):
    document = session.scalar(select(Document))
    counts = public.published_counts(session, document.id)
    published = sum(1 for _c, state, _k in COMBOS if state in public.LISTED_UNDER_CLAUSES)
    assert counts == {"1": published, None: published}
