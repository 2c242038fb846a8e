"""Public pages through HTTP, in all three languages."""
import pytest

from consult.models import Hearing

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


@pytest.mark.parametrize("lang,authority,city", [
    ("ky", "Жаратылыш ресурстары, экология жана техникалык көзөмөл министрлиги", "Нарын"),
    ("ru", "Министерство природных ресурсов, экологии и технического надзора", "Нарын"),
    ("en", "Ministry of Natural Resources, Ecology and Technical Supervision", "Naryn"),
])
def test_notice_carries_what_the_aarhus_convention_asks(client, demo_data, open_period, lang,
                                                        authority, city):
    open_period()
    page = client.get(f"/{lang}/").get_data(as_text=True)
    assert authority in page  # who decides
    assert "/documents/biodiversity-programme-2040/" in page  # what is proposed, where
    assert "/documents/biodiversity-action-plan-2025-2030/" in page
    assert city in page  # hearings
    assert 'class="period"' in page and 'class="state open"' in page  # the period
    assert 'id="how"' in page  # how to take part
    assert "+996 227 024 002" in page  # whom to contact


def test_notice_says_when_period_is_not_set(client, make_document):
    make_document()
    page = client.get("/en/").get_data(as_text=True)
    assert "will be announced" in page


def test_notice_without_any_consultation(client):
    assert "No consultation yet" in client.get("/en/").get_data(as_text=True)


def test_document_page_shows_toc_counts_and_demonstration_banner(client, demo_data):
    page = client.get("/ru/documents/biodiversity-programme-2040/").get_data(as_text=True)
    assert 'class="toc"' in page
    assert 'href="#section-0"' in page and 'id="section-0"' in page
    assert "0 комментариев" in page or "0 comments" in page or 'class="count"' in page
    assert 'class="demo-banner"' in page
    assert 'id="clause-annex-1.1"' in page


def test_action_plan_rows_are_anchored_table_rows(client, demo_data):
    page = client.get("/en/documents/biodiversity-action-plan-2025-2030/").get_data(as_text=True)
    assert '<tr id="clause-1.1">' in page
    assert "Responsible bodies" in page


def test_side_by_side_view_shows_two_languages(client, make_document):
    make_document()
    page = client.get("/ky/documents/sample-programme/?compare=ru").get_data(as_text=True)
    assert 'class="pair"' in page
    assert "Кыргызча экинчи пункт." in page and "Второй пункт по-русски." in page


def test_compare_with_unknown_language_is_ignored(client, make_document):
    make_document()
    page = client.get("/ky/documents/sample-programme/?compare=xx").get_data(as_text=True)
    assert 'class="pair"' not in page


def test_clause_page_has_neighbours(client, make_document):
    make_document()
    page = client.get("/en/documents/sample-programme/2/").get_data(as_text=True)
    assert 'rel="prev" href="/en/documents/sample-programme/1/"' in page
    assert 'rel="next" href="/en/documents/sample-programme/3/"' in page
    assert "Second clause in English." in page


def test_clause_page_shows_other_languages(client, make_document):
    make_document()
    page = client.get("/en/documents/sample-programme/1/").get_data(as_text=True)
    assert "Программа mountain экосистемаларды коргойт." in page  # Kyrgyz in the details
    assert '<ol class="subitems">' in page


def test_unknown_document_and_clause_are_not_found(client, make_document):
    make_document()
    assert client.get("/en/documents/nope/").status_code == 404
    assert client.get("/en/documents/sample-programme/99/").status_code == 404


def test_language_switcher_keeps_the_page_and_query(client, make_document):
    make_document()
    page = client.get("/ky/documents/sample-programme/3/").get_data(as_text=True)
    assert 'hreflang="ru" href="/ru/documents/sample-programme/3/"' in page
    page = client.get("/ky/documents/sample-programme/?compare=en").get_data(as_text=True)
    assert 'href="/ru/documents/sample-programme/?compare=en"' in page


def test_hearing_schedule_from_the_announcement(client, demo_data):
    page = client.get("/ru/hearings/").get_data(as_text=True)
    for city in ("Балыкчы", "Нарын", "Ош", "Джалал-Абад", "Бишкек"):
        assert city in page
    assert "https://us02web.zoom.us/meeting/register/FPu2i6cmRJq93wvEFyKGWQ" in page
    assert page.count("<svg") == 5  # one QR code per hearing
    assert "Зал Биосферной территории" in page


def test_dates_follow_the_locale(client, demo_data):
    assert "9 июня 2025" in client.get("/ru/hearings/").get_data(as_text=True)
    assert "9 June 2025" in client.get("/en/hearings/").get_data(as_text=True)


def test_security_headers(client, make_document):
    make_document()
    response = client.get("/en/documents/sample-programme/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_pages_have_no_inline_scripts_or_styles(client, demo_data):
    for url in ("/ky/", "/ky/documents/biodiversity-programme-2040/", "/ky/hearings/",
                "/ky/documents/biodiversity-programme-2040/1/"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>" not in page and "style=" not in page, url
        assert "http://" not in page.replace("http://localhost", "")


def test_nul_byte_is_refused_with_a_message(client, make_document):
    make_document()
    response = client.get("/en/documents/sample-programme/?compare=%00")
    assert response.status_code == 400
    assert "NUL" in response.get_data(as_text=True)


def test_document_page_cache_follows_comment_changes(client, make_document, publish_comments):
    document = make_document()
    before = client.get("/en/documents/sample-programme/").get_data(as_text=True)
    assert "0 comments" in before
    publish_comments(document.id, "2", ["x"])
    after = client.get("/en/documents/sample-programme/").get_data(as_text=True)
    assert "1 comment<" in after


def test_reading_is_never_rate_limited(app, client, make_document, open_period):
    make_document()
    open_period()
    app.config["COMMENT_RATE_LIMIT"] = "2 per minute"
    try:
        for _ in range(5):
            assert client.get("/en/documents/sample-programme/2/").status_code == 200
        data = {"body": "x", "category": "individual", "consent": "anonymous"}
        statuses = [client.post("/en/documents/sample-programme/2/",
                                data={**data, "body": f"comment {n}"}).status_code
                    for n in range(3)]
        assert statuses == [302, 302, 429]
    finally:
        app.config["COMMENT_RATE_LIMIT"] = "10000 per minute"


def test_a_held_hearing_no_longer_invites_to_its_meeting(client, session, demo_data):
    link = "https://us02web.zoom.us/meeting/register/FPu2i6cmRJq93wvEFyKGWQ"
    assert link in client.get("/en/hearings/").get_data(as_text=True)
    for hearing in session.query(Hearing).filter(Hearing.online_link.contains("FPu2i6")):
        hearing.status = "held"
    session.commit()
    assert link not in client.get("/en/hearings/").get_data(as_text=True)
