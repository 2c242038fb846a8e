"""Public pages through HTTP, in all three languages."""
import pytest

LANGS = ("ky", "ru", "en")


def test_root_picks_language_from_browser(client):
    response = client.get("/", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/ru/")


def test_root_defaults_to_kyrgyz(client):
    response = client.get("/", headers={"Accept-Language": "de"})
    assert response.headers["Location"].endswith("/ky/")


def test_unknown_language_is_not_found(client):
    assert client.get("/de/").status_code == 404


@pytest.mark.parametrize("lang", LANGS)
def test_document_page_anchors_every_clause(client, make_document, lang):
    make_document()
    page = client.get(f"/{lang}/documents/sample-programme/").get_data(as_text=True)
    for key in ("1", "2", "3", "annex-1.1"):
        assert f'id="clause-{key}"' in page
