"""nginx's cache of public pages, as deployed: an anonymous page is kept and served to every
new reader, a revisit is answered 304 from the kept copy, each encoding is kept apart, a
visitor with a session always reaches the app, and a published comment reaches readers
within SHARED_CACHE_SECONDS."""
from __future__ import annotations

import contextlib
import gzip
import re
import secrets
import time

import brotli
import pytest
from sqlalchemy import select

from bench.serving import Browser, comment_form, form_token, receipt_code
from consult import create_app, db
from consult.comments import moderation
from consult.models import Comment
from tests.soak.servers import SECRET_KEY, Gunicorn, Nginx, app_environment

SECONDS = 2  # SHARED_CACHE_SECONDS of this test's app


@pytest.fixture
def stack(site, fresh_redis, tmp_path):
    app = Gunicorn(app_environment(site.database_url, fresh_redis,
                                   SHARED_CACHE_SECONDS=str(SECONDS)),
                   tmp_path / "gunicorn.log", workers=2)
    nginx = Nginx(tmp_path / "nginx", [app.address])
    with contextlib.ExitStack() as stack:
        for process in (app, nginx):
            stack.callback(process.stop)
        app.start()
        nginx.start()
        yield nginx


def publish(database_url: str, code: str) -> None:
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": SECRET_KEY})
    try:
        with app.app_context():
            session = db.session()
            comment = session.scalars(select(Comment).where(Comment.receipt_code == code)).one()
            moderation.publish_comment(session, comment, None)
            session.commit()
    finally:
        app.extensions["consult.engine"].dispose()


# A clause page and a whole document: nginx sends the latter from a location of its own.
@pytest.mark.parametrize("page", ["clause", "document"])
def test_a_public_page_is_kept_for_every_reader_and_revisits_cost_a_304(site, stack, page):
    path = site.clauses[1] if page == "clause" else site.documents[0]
    first = Browser(stack.port, "reader-one")
    response, page = first.request("GET", path)
    assert response.status == 200 and response.getheader("X-Cache") == "MISS"
    assert response.getheader("Set-Cookie") is None
    assert response.getheader("Cache-Control") == f"public, max-age=0, s-maxage={SECONDS}"
    again, kept = Browser(stack.port, "reader-two").request("GET", path)
    assert again.getheader("X-Cache") == "HIT" and kept == page
    revisit, body = first.request("GET", path,
                                  headers={"If-None-Match": response.getheader("ETag")})
    assert revisit.status == 304 and body == b"" and revisit.getheader("X-Cache") == "HIT"


def test_each_encoding_is_kept_apart(site, stack):
    path = site.clauses[2]
    reader = Browser(stack.port, "reader-encodings")
    _, plain = reader.request("GET", path)
    # Spelt as Chromium and as an older phone browser: one kept copy each for brotli, gzip.
    for accept, encoding, unpack in (("gzip, deflate, br, zstd", "br", brotli.decompress),
                                     ("gzip, deflate", "gzip", gzip.decompress)):
        for _ in range(2):
            response, body = reader.request("GET", path, headers={"Accept-Encoding": accept})
            assert response.getheader("Content-Encoding") == encoding
            assert unpack(body) == plain
        assert response.getheader("X-Cache") == "HIT"
    response, body = reader.request("GET", path)
    assert response.getheader("Content-Encoding") is None and body == plain
    # An address that ends as another's key would with the encoding added gets its own.
    reader.request("GET", f"{path}?page=1", headers={"Accept-Encoding": "br"})
    response, _ = reader.request("GET", f"{path}?page=1br")
    assert response.getheader("Content-Encoding") is None


def test_a_published_comment_reaches_readers_within_the_shared_seconds(site, stack):
    path, marker = site.clauses[3], f"shared-cache-{secrets.token_hex(4)}"
    reader = Browser(stack.port, "reader-waiting")
    assert reader.request("GET", path)[0].status == 200  # kept by nginx from now on
    citizen = Browser(stack.port, "citizen-shared-cache")
    code = receipt_code(citizen.request("POST", path, comment_form(
        f"Comment {marker}: protect the walnut forests.", "Soak Citizen"))[0])
    assert code is not None, "the comment form was refused through nginx"
    publish(site.database_url, code)
    published = time.monotonic()
    while marker.encode() not in reader.request("GET", path)[1]:
        assert time.monotonic() - published < SECONDS + 3, "the kept copy was never renewed"
        time.sleep(0.2)


@pytest.mark.parametrize("page", ["clause", "document"])
def test_a_visitor_with_a_session_always_reaches_the_app(site, stack, page):
    path = site.clauses[4] if page == "clause" else site.documents[-1]
    moderator = Browser(stack.port, "moderator-shared-cache")
    assert moderator.request("GET", path)[0].getheader("X-Cache") == "MISS"
    _, page = moderator.request("GET", "/en/login")
    email, password = site.moderator
    response, _ = moderator.request("POST", "/en/login", {
        "csrf_token": form_token(page), "email": email, "password": password})
    assert response.status == 302, "sign-in refused"
    for _ in range(2):
        response, page = moderator.request("GET", path)
        assert response.getheader("X-Cache") == "BYPASS"
        assert b'class="staff"' in page
        assert response.getheader("Cache-Control") == "private, no-store"


def test_the_notice_schedule_and_results_are_kept_too(site, stack):
    for path in (site.notice, "/en/hearings/", "/en/results/"):
        reader = Browser(stack.port, "reader-notice")
        first, page = reader.request("GET", path)
        assert first.status == 200 and first.getheader("Set-Cookie") is None
        again, kept = Browser(stack.port, "reader-notice-two").request("GET", path)
        assert again.getheader("X-Cache") == "HIT" and kept == page, path


def test_static_files_are_nginx_s_kept_a_year_by_their_hash_and_compressed(site, stack):
    reader = Browser(stack.port, "reader-static")
    response, page = reader.request("GET", site.clauses[0])
    assert response.getheader("Strict-Transport-Security") == "max-age=31536000"
    address = re.search(r'href="(/static/consult\.css\?v=[0-9a-f]+)"', page.decode()).group(1)
    response, packed = reader.request("GET", address, headers={"Accept-Encoding": "gzip"})
    assert response.status == 200 and response.getheader("Content-Encoding") == "gzip"
    assert response.headers.get_all("Cache-Control") == [
        "public, max-age=31536000, immutable"]
    assert response.getheader("Strict-Transport-Security") == "max-age=31536000"
    assert "Accept-Encoding" in response.getheader("Vary")
    response, plain = reader.request("GET", "/static/consult.css")
    assert response.headers.get_all("Cache-Control") == ["public, max-age=3600"]
    assert response.getheader("Content-Encoding") is None
    assert gzip.decompress(packed) == plain and len(packed) * 3 < len(plain)
