"""Public pages served from the per-worker page cache stay correct for every visitor."""
from flask_wtf.csrf import generate_csrf

from consult import db
from consult.cache import PageCache

URL = "/en/documents/sample-programme/2/"


def test_every_visitor_gets_the_same_bytes_and_a_working_form(app, make_document,
                                                              open_period, csrf):
    make_document()
    open_period()
    first, second = app.test_client(), app.test_client()
    one, two = first.get(URL), second.get(URL)  # the second from the cache
    assert one.data == two.data and one.headers["ETag"] == two.headers["ETag"]
    assert "Set-Cookie" not in two.headers
    response = second.post(URL, headers={"Sec-Fetch-Site": "same-origin"},
                           data={"body": "Cached form works.", "category": "individual",
                                 "consent": "anonymous"})
    assert response.status_code == 302 and "/receipts/" in response.headers["Location"]


def test_a_page_that_holds_a_visitors_token_is_not_kept(app):
    pages = PageCache("test-token-pages", 4)
    with app.test_request_context("/en/"):
        pages.put(("plain",), "<p>the same for everyone</p>")
        generate_csrf()  # a template asked for this visitor's token
        pages.put(("own",), "<p>one visitor's</p>")
        assert pages.get(("plain",)) is not None
        assert pages.get(("own",)) is None


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
