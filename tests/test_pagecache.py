"""Public pages served from the per-worker page cache stay correct for every visitor."""
import re

from consult import db

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
URL = "/en/documents/sample-programme/2/"


def comment_form(client, url=URL) -> tuple[str, str]:
    page = client.get(url).get_data(as_text=True)
    return page, TOKEN.search(page).group(1)


def test_cached_page_carries_each_visitors_own_working_token(app, make_document, open_period,
                                                               csrf):
    make_document()
    open_period()
    first, second = app.test_client(), app.test_client()
    _, token_one = comment_form(first)
    page, token_two = comment_form(second)  # answered from the cache
    assert token_one != token_two
    response = second.post(URL, data={"body": "Cached form works.", "category": "individual",
                                      "consent": "anonymous", "csrf_token": token_two})
    assert response.status_code == 302 and "/receipts/" in response.headers["Location"]


def test_published_comment_appears_although_the_page_was_cached(client, make_document,
                                                                 open_period, publish_comments):
    document = make_document()
    open_period()
    assert "A published remark" not in client.get(URL).get_data(as_text=True)
    publish_comments(document.id, "2", ["A published remark"])
    assert "A published remark" in client.get(URL).get_data(as_text=True)
    page = client.get("/en/documents/sample-programme/").get_data(as_text=True)
    assert "1 comment<" in page


def test_closing_the_period_replaces_the_cached_form(app, client, make_document, open_period):
    make_document()
    open_period()
    assert 'name="body"' in client.get(URL).get_data(as_text=True)
    from datetime import timedelta

    from consult.core.time import utcnow
    from consult.models import Consultation
    with app.app_context():
        s = db.session()
        for c in s.query(Consultation):
            c.closes_at = utcnow() - timedelta(minutes=1)
        s.commit()
    assert 'name="body"' not in client.get(URL).get_data(as_text=True)


def test_staff_never_get_the_anonymous_copy(client, make_document, login):
    make_document()
    anonymous = client.get(URL).get_data(as_text=True)
    assert 'class="staff"' not in anonymous
    login("moderator")
    assert 'class="staff"' in client.get(URL).get_data(as_text=True)


def test_unknown_document_is_still_not_found(client, make_document):
    make_document()
    client.get(URL)
    assert client.get("/en/documents/other/2/").status_code == 404


def test_older_comments_are_a_page_away(client, make_document, publish_comments):
    from consult.drafts.routes import COMMENTS_PER_PAGE
    document = make_document()
    remarks = [f"Remark number {n}." for n in range(COMMENTS_PER_PAGE + 5)]
    publish_comments(document.id, "2", remarks, minutes_apart=1)
    first = client.get(URL).get_data(as_text=True)
    assert "Remark number 0." in first and f"Remark number {COMMENTS_PER_PAGE + 4}." not in first
    assert 'href="?page=2#comments"' in first
    second = client.get(URL + "?page=2").get_data(as_text=True)
    assert f"Remark number {COMMENTS_PER_PAGE + 4}." in second
    assert "Remark number 0." not in second and 'href="?page=1#comments"' in second
