"""The comment form carries no session token (its pages are shared by every reader and
kept by nginx): a real browser's post from the site's own page is accepted, the same form
posted by a page on another site is refused, with the text kept and nothing stored."""
import re
import threading

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from consult import db
from consult.models import Comment

CLAUSE = "/ky/documents/biodiversity-programme-2040/5/"


def comments(app) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(Comment))


@pytest.fixture
def other_site(live_server):
    """A page on another site (``localhost`` is another site than ``127.0.0.1``) holding a
    copy of the comment form aimed at the consultation, as a forger would build it."""
    form = f"""<!doctype html><html lang="en"><title>Win a prize</title>
<form method="post" action="{live_server}{CLAUSE}">
<input type="hidden" name="body" value="Forged comment from another site.">
<input type="hidden" name="category" value="individual">
<input type="hidden" name="consent" value="anonymous">
<input type="hidden" name="language" value="ky">
<button type="submit">Claim</button></form>"""

    def forger(_environ, start_response):
        return Response(form, content_type="text/html; charset=utf-8")(_environ, start_response)

    server = make_server("127.0.0.1", 0, forger, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_port}/"
    server.shutdown()
    thread.join(timeout=5)


def test_the_form_from_the_sites_own_page_is_accepted(app, page, live_server, demo_data,
                                                      open_period, csrf):
    open_period()
    before = comments(app)
    page.goto(live_server + CLAUSE)
    page.fill("textarea[name=body]", "Токойлорду коргоо керек.")
    page.click("#comment-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/ky/receipts/[A-Z0-9-]{14}/$"))
    assert comments(app) == before + 1


def test_the_same_form_posted_from_another_site_is_refused(app, page, live_server, demo_data,
                                                            open_period, csrf, other_site):
    open_period()
    before = comments(app)
    page.goto(other_site)
    with page.expect_navigation():
        page.click("button")
    assert page.url == live_server + CLAUSE
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("браузериңиз")  # said in the page's language
    # The text is kept in the form (the person may send it from here, the site's own page).
    expect(page.locator("textarea[name=body]")).to_have_value("Forged comment from another site.")
    assert comments(app) == before
    # Sent again from the site's own page, it is the person's own comment.
    page.click("#comment-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/ky/receipts/[A-Z0-9-]{14}/$"))
    assert comments(app) == before + 1
