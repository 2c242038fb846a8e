"""Which languages exist is configuration: a fourth language needs its catalog and its draft
files, nothing else (consult/core/languages.py decides, everything else asks it).

The application is built with Uzbek added by configuration and a catalog made in the
test; the public pages, the comment form, a hearing record form, the workbook export and
the OpenAPI document are walked in it.
"""
from __future__ import annotations

import io
import textwrap

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from openpyxl import load_workbook
from sqlalchemy import select

from consult import ROOT, cache, create_app, db
from consult.accounts.services import save_user
from consult.core.time import utcnow
from consult.drafts.load import import_paths
from consult.models import Base, Comment, Consultation, Hearing
from consult.translations import catalog_path
from tests.conftest import SAMPLE, write_sample

UZBEK_TITLE = "Jamoatchilik muhokamasi"


@pytest.fixture(scope="module")
def uzbek_app(tmp_path_factory):
    """consult with ky, ru, en and uz; an uz catalog (English strings, one translated)."""
    folder = tmp_path_factory.mktemp("uz")
    with catalog_path("en").open("rb") as fh:
        catalog = read_po(fh, locale="uz")
    catalog.locale = "uz"
    catalog["Public consultation"].string = UZBEK_TITLE
    target = folder / "translations" / "uz" / "LC_MESSAGES"
    target.mkdir(parents=True)
    with (target / "messages.mo").open("wb") as fh:
        write_mo(fh, catalog)
    app = create_app({
        "TESTING": True, "SECRET_KEY": "uz", "WTF_CSRF_ENABLED": False,
        "DATABASE_URL": f"sqlite:///{folder / 'uz.sqlite3'}",
        "LANGUAGES": ("ky", "ru", "en", "uz"),
        "BABEL_TRANSLATION_DIRECTORIES": f"{ROOT / 'translations'};{folder / 'translations'}",
        "COMMENT_RATE_LIMIT": "1000 per minute", "LOGIN_RATE_LIMIT": "1000 per minute"})
    Base.metadata.create_all(app.extensions["consult.engine"])
    drafts = write_sample(folder / "drafts")
    (drafts / "uz.md").write_text(
        textwrap.dedent(SAMPLE["en"]).format(slug="sample-programme", version=1,
                                             word="tog'", consultation="test-consultation")
        .replace("Language: en", "Language: uz"), encoding="utf-8")
    with app.app_context():
        session = db.session()
        outcomes, problems = import_paths(session, [str(drafts)])
        assert not problems, problems
        consultation = session.scalar(select(Consultation))
        consultation.announced_at = utcnow().replace(year=2020)
        consultation.opens_at = utcnow().replace(year=2020)
        consultation.closes_at = utcnow().replace(year=2099)
        save_user(session, "admin@example.org", "admin", "correct horse battery")
        session.commit()
    cache.clear_all()
    yield app
    app.extensions["consult.engine"].dispose()
    cache.clear_all()


@pytest.fixture
def uz(uzbek_app):
    client = uzbek_app.test_client()
    yield client
    cache.clear_all()


def sign_in(client):
    response = client.post("/uz/login", data={"email": "admin@example.org",
                                              "password": "correct horse battery"})
    assert response.status_code == 302


def test_public_pages_speak_the_fourth_language(uz):
    notice = uz.get("/uz/").get_data(as_text=True)
    assert UZBEK_TITLE in notice and '<html lang="uz">' in notice
    assert "O‘zbek" in notice  # the language switcher names it in its own words
    document = uz.get("/uz/documents/sample-programme/").get_data(as_text=True)
    assert "tog&#39;" in document or "tog'" in document  # the uz draft text, not a fallback
    assert "no O‘zbek text" not in document
    assert uz.get("/uz/documents/sample-programme/?compare=ru").status_code == 200
    assert uz.get("/uz/hearings/").status_code == 200
    assert uz.get("/uz/results/").status_code == 200
    assert uz.get("/xx/").status_code == 404


def test_comment_form_offers_and_stores_the_fourth_language(uz, uzbek_app):
    page = uz.get("/uz/documents/sample-programme/1/").get_data(as_text=True)
    assert '<option selected value="uz">' in page or 'value="uz" selected' in page
    response = uz.post("/uz/documents/sample-programme/1/", data={
        "body": "Tog' o'rmonlarini saqlang.", "language": "uz", "consent": "anonymous",
        "category": "individual"})
    assert response.status_code == 302 and "/uz/receipts/" in response.headers["Location"]
    with uzbek_app.app_context():
        comment = db.session().scalar(select(Comment).order_by(Comment.id.desc()))
        assert comment.language == "uz" and comment.body == "Tog' o'rmonlarini saqlang."


def test_hearing_record_form_has_a_field_per_language_and_saves(uz, uzbek_app):
    sign_in(uz)
    form = uz.get("/uz/hearings/manage/new").get_data(as_text=True)
    for code in ("ky", "ru", "en", "uz"):
        assert f'name="city_{code}"' in form and f'name="venue_{code}"' in form
    response = uz.post("/uz/hearings/manage/new", data={
        "city_ky": "Нарын", "city_uz": "Norin", "venue_uz": "Shahar hokimiyati",
        "format": "hybrid", "languages": ["ky", "uz"], "status": "planned"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with uzbek_app.app_context():
        hearing = db.session().scalar(select(Hearing).order_by(Hearing.id.desc()))
        assert hearing.city == {"ky": "Нарын", "uz": "Norin"}
        assert hearing.languages == "ky,uz"


def test_workbook_exports_in_the_fourth_language(uz):
    sign_in(uz)
    response = uz.get("/uz/synthesis.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data))
    lists = workbook.worksheets[-1]
    header = [cell.value for cell in lists[1]]
    assert "O‘zbek" in header  # the status list has a column for every language


def test_openapi_lists_the_fourth_language(uz):
    spec = uz.get("/api/v1/openapi.json").get_json()
    languages = spec["components"]["schemas"]["LocalizedText"]["propertyNames"]["enum"]
    assert languages == ["ky", "ru", "en", "uz"]
    data = uz.get("/api/v1/documents/sample-programme/versions/1").get_json()
    assert "uz" in data["languages"]
