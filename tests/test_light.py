"""Light pages for a slow line: compressed responses, versioned static files cached for a
year, a favicon, and conditional requests answered with 304 (consult/delivery.py)."""
from __future__ import annotations

import gzip
import hashlib
import re

import brotli
import pytest
from flask import render_template_string
from flask import session as flask_session
from sqlalchemy import select

from consult.cache import clear_all
from consult.core.time import utcnow
from consult.delivery import UNVERSIONED_MAX_AGE, YEAR, shared_page
from consult.models import Consultation

PAGE = "/en/documents/sample-programme/2/"
STATIC = re.compile(r'href="(/static/consult\.css\?v=([0-9a-f]+))"')
GZIP = {"Accept-Encoding": "gzip"}


@pytest.fixture
def page(make_document, open_period, csrf):
    """The sample document, open for comments: its clause page holds the comment form."""
    document = make_document()
    open_period()
    return document


# ---------------------------------------------------------------- compression

def test_a_page_is_gzipped_for_a_client_that_asks(client, page):
    plain = client.get(PAGE)
    packed = client.get(PAGE, headers=GZIP)  # from the page cache
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert len(packed.data) < len(plain.data)
    html = gzip.decompress(packed.data).decode()
    assert html == plain.get_data(as_text=True)


def test_brotli_when_the_browser_prefers_it(client, page):
    plain = client.get(PAGE).get_data(as_text=True)
    packed = client.get(PAGE, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert packed.headers["Content-Encoding"] == "br"
    assert brotli.decompress(packed.data).decode() == plain


def test_a_page_cached_for_a_gzip_client_reaches_others_uncompressed(client, page):
    client.get(PAGE, headers=GZIP)  # rendered and kept while answering with gzip
    for headers in ({}, {"Accept-Encoding": "identity"}):
        response = client.get(PAGE, headers=headers)
        assert "Content-Encoding" not in response.headers
        assert "Accept-Encoding" in response.headers["Vary"]
        assert response.get_data(as_text=True).startswith("<!doctype html>")


def test_streamed_csv_is_gzipped_too(client, session, page, comment_on):
    comment_on(session, body="Compressible remark. " * 20)
    session.scalar(select(Consultation)).results_published_at = utcnow()
    session.commit()
    plain = client.get("/en/results/synthesis.csv").data
    packed = client.get("/en/results/synthesis.csv", headers=GZIP)
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain


def test_a_workbook_is_not_compressed_again(client, page, login):
    login("drafter")
    response = client.get("/en/synthesis.xlsx", headers=GZIP)
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
    assert response.data[:2] == b"PK"  # the zip the workbook is


def test_the_kyrgyz_programme_page_shrinks_for_a_slow_line(client, demo_data):
    url = "/ky/documents/biodiversity-programme-2040/"
    plain = client.get(url).data
    packed = client.get(url, headers=GZIP).data
    assert len(plain) > 100_000
    # Under a fifth: at 400 kbit/s, under a second instead of several.
    assert len(packed) * 5 < len(plain)


# ---------------------------------------------------------------- static files

def test_static_addresses_carry_the_hash_of_their_content(client, page):
    html = client.get(PAGE).get_data(as_text=True)
    address, version = STATIC.search(html).groups()
    response = client.get(address)
    assert response.status_code == 200
    assert hashlib.blake2b(response.data, digest_size=6).hexdigest() == version
    assert set(response.cache_control.to_header().replace(" ", "").split(",")) == {
        "public", f"max-age={YEAR}", "immutable"}


@pytest.mark.parametrize("query", ["", "?v=0123456789ab"])
def test_unversioned_or_outdated_static_addresses_are_kept_briefly(client, query):
    response = client.get(f"/static/consult.css{query}")
    assert response.status_code == 200
    assert response.cache_control.max_age == UNVERSIONED_MAX_AGE
    assert not response.cache_control.immutable and not response.cache_control.no_cache


def test_a_stylesheet_is_compressed_and_revalidated(client, page):
    address, _version = STATIC.search(client.get(PAGE).get_data(as_text=True)).groups()
    plain = client.get(address)
    packed = client.get(address, headers=GZIP)
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data
    again = client.get(address, headers={**GZIP, "If-None-Match": packed.headers["ETag"]})
    assert again.status_code == 304 and again.cache_control.immutable


def test_a_range_of_a_file_is_sent_uncompressed(client):
    whole = client.get("/static/consult.css").data
    part = client.get("/static/consult.css", headers={**GZIP, "Range": "bytes=0-1999"})
    assert part.status_code == 206 and "Content-Encoding" not in part.headers
    assert part.data == whole[:2000]


def test_the_favicon_is_an_image_linked_from_every_page(client, page):
    html = client.get(PAGE).get_data(as_text=True)
    icons = re.findall(r'<link rel="icon" href="([^"]+)"', html)
    assert [re.sub(r"\?v=[0-9a-f]+$", "", href) for href in icons] == [
        "/static/favicon.svg", "/static/favicon.ico"]
    svg = client.get(icons[0])
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert svg.cache_control.immutable
    ico = client.get("/favicon.ico")
    assert ico.status_code == 200 and ico.mimetype.startswith("image/")
    assert ico.data[:4] == b"\x00\x00\x01\x00"  # an icon file's header
    assert ico.cache_control.max_age >= 7 * 24 * 3600


# ---------------------------------------------------------------- conditional requests

def test_a_cached_page_answers_not_modified(client, page):
    first = client.get(PAGE)
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    # nginx may keep it a few seconds; a browser asks every time.
    assert first.headers["Cache-Control"] == "public, max-age=0, s-maxage=5"
    again = client.get(PAGE, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    # A weak validator: the same page whatever encoding carried it.
    packed = client.get(PAGE, headers={**GZIP, "If-None-Match": etag})
    assert packed.status_code == 304 and "Content-Encoding" not in packed.headers


def test_a_worker_that_never_rendered_the_page_confirms_a_kept_copy_without_rendering(
        app, client, page, monkeypatch):
    """After a restart, or on another app server, nginx's copy is confirmed with a 304 at
    the cost of one light query: the validator follows the page's key, not its bytes."""
    etag = client.get(PAGE).headers["ETag"]
    with app.app_context():
        clear_all()  # a worker that has kept nothing yet

    def no_rendering(*_args, **_kwargs):
        raise AssertionError("the page was rendered to answer a conditional request")

    monkeypatch.setattr("consult.drafts.routes.render_template", no_rendering)
    again = app.test_client().get(PAGE, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["ETag"] == etag
    # nginx takes the 304's lifetime for the copy it keeps.
    assert again.headers["Cache-Control"] == "public, max-age=0, s-maxage=5"
    monkeypatch.undo()
    assert client.get(PAGE).headers["ETag"] == etag  # rendered afresh: the same validator


def test_a_new_deployment_changes_every_pages_validator(app, client, page):
    etag = client.get(PAGE).headers["ETag"]
    app.config["SHARED_CACHE_SECONDS"] = 7  # a setting changed, workers restarted
    app.extensions.pop("consult.page_build", None)
    try:
        fresh = client.get(PAGE, headers={"If-None-Match": etag})
        assert fresh.status_code == 200 and fresh.headers["ETag"] != etag
    finally:
        app.config["SHARED_CACHE_SECONDS"] = 5
        app.extensions.pop("consult.page_build", None)


def test_the_etag_changes_with_the_language_and_a_published_comment(client, page,
                                                                    publish_comments):
    etag = client.get(PAGE).headers["ETag"]
    assert client.get(PAGE.replace("/en/", "/ru/")).headers["ETag"] != etag
    publish_comments(page.id, "2", ["A remark published since."])
    fresh = client.get(PAGE, headers={"If-None-Match": etag})
    assert fresh.status_code == 200 and "A remark published since." in fresh.text
    assert fresh.headers["ETag"] != etag
    assert client.get(PAGE, headers={"If-None-Match": fresh.headers["ETag"]}).status_code == 304


def test_another_browsers_copy_is_current_for_a_stranger_too(app, client, page):
    """Nothing in a public page belongs to one visitor: one validator for all."""
    etag = client.get(PAGE).headers["ETag"]
    stranger = app.test_client()  # no session cookie: a browser restarted, say
    assert stranger.get(PAGE, headers={"If-None-Match": etag}).status_code == 304


def test_a_page_with_a_message_for_one_visitor_is_not_shared(client, page):
    response = client.post(PAGE, headers={"Sec-Fetch-Site": "same-origin"},
                           data={"body": "", "category": "individual", "consent": "anonymous"})
    assert response.status_code == 400 and "Please write your comment" in response.text
    assert "ETag" not in response.headers
    assert "public" not in response.headers.get("Cache-Control", "")


def test_staff_pages_carry_no_etag_and_are_never_stored(client, page, login):
    etag = client.get(PAGE).headers["ETag"]
    login("moderator")
    response = client.get(PAGE, headers={"If-None-Match": etag})
    assert response.status_code == 200 and 'class="staff"' in response.text
    assert "ETag" not in response.headers
    assert response.headers["Cache-Control"] == "private, no-store"
    desk = client.get("/en/moderation/", headers={"If-None-Match": etag})
    assert "ETag" not in desk.headers and desk.headers["Cache-Control"] == "private, no-store"


def test_the_api_answers_not_modified_until_its_data_change(client, session, page,
                                                            comment_on):
    url = "/api/v1/comments"
    first = client.get(url)
    etag = first.headers["ETag"]
    assert etag.startswith('W/"') and first.headers["Cache-Control"] == "public, max-age=60"
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    comment_on(session, body="A new public comment.")
    session.commit()
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


@pytest.mark.parametrize("address", ["/en/", "/en/consultations/", "/en/hearings/",
                                     "/en/results/"])
def test_other_public_pages_are_shared_too(client, page, address):
    """The notice, the archive, the schedule and the results are the same for every
    anonymous reader: an ETag of their bytes, and nginx may keep them a few seconds."""
    first = client.get(address)
    assert first.status_code == 200 and "Set-Cookie" not in first.headers
    assert first.headers["Cache-Control"] == "public, max-age=0, s-maxage=5"
    again = client.get(address, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_shared_pages_are_private_for_staff(client, page, login):
    login("moderator")
    response = client.get("/en/")
    assert "ETag" not in response.headers
    assert response.headers["Cache-Control"] == "private, no-store"


def test_a_shared_page_with_a_message_for_one_visitor_is_not_shared(client, page):
    with client.session_transaction() as flask_session:
        flask_session["_flashes"] = [("success", "Thank you. Your comment has been received.")]
    response = client.get("/en/")
    assert "Your comment has been received" in response.text
    assert "ETag" not in response.headers
    assert "public" not in response.headers.get("Cache-Control", "")


def test_a_shared_page_holding_a_visitors_token_is_not_shared(app):
    """A page that puts the visitor's form token in its HTML is that visitor's, even when
    the session already held the token (then nothing in the session changes)."""
    @shared_page
    def page(template):
        return render_template_string(template)

    def answer(template: str):
        with app.test_request_context("/en/"):
            # As a returning visitor's session holds them (Flask-Login marks it not fresh).
            flask_session.update({"csrf_token": "a secret the session already held",
                                  "_fresh": False})
            flask_session.modified = False
            return app.process_response(app.make_response(page(template)))

    assert "ETag" in answer("<p>the same for everyone</p>").headers  # the harness works
    response = answer("<p>{{ csrf_token() }}</p>")
    assert "ETag" not in response.headers
    assert "public" not in response.headers.get("Cache-Control", "")


@pytest.mark.parametrize("address", ["/en/", PAGE])  # a shared page, a page-cache page
def test_a_returning_visitors_renewed_session_is_not_shared(client, page, address):
    client.get(address)  # kept by the page cache, where it keeps pages
    with client.session_transaction() as kept:
        kept["csrf_token"] = "a secret from an earlier receipt page"
    response = client.get(address)
    assert "Set-Cookie" in response.headers  # Flask-Login marked the session not fresh
    assert "ETag" not in response.headers
    assert "public" not in response.headers.get("Cache-Control", "")
    assert "ETag" in client.get(address).headers  # and from then on it is anyone's page
