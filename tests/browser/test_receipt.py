"""A commenter who published with their name takes the name back on their receipt page,
with no account, and no longer finds it under the clause."""
from playwright.sync_api import expect
from sqlalchemy import select

from consult import db
from consult.comments import moderation
from consult.models import Clause

NAME = "Nurlan Receiptuulu"
BODY = "Keep the juniper belt above Arslanbob closed to grazing."
CLAUSE = "/en/documents/sample-programme/1/"


def published_with_name(app, submit_online) -> str:
    """A comment sent through the online channel with consent "full", then published;
    returns its receipt code."""
    with app.app_context():
        session = db.session()
        clause = session.scalar(select(Clause).where(Clause.key == "1"))
        recorded = submit_online(session, clause, {"body": BODY, "author_name": NAME,
                                                   "consent": "full"})
        moderation.publish_comment(session, recorded.comment, None)
        session.commit()
        return recorded.comment.receipt_code


def test_commenter_withdraws_their_name_on_the_receipt_page(
        app, page, live_server, make_document, open_period, submit_online):
    make_document()
    open_period()
    code = published_with_name(app, submit_online)
    page.goto(live_server + CLAUSE)
    expect(page.locator("section.discussion")).to_contain_text(NAME)

    page.goto(f"{live_server}/en/receipts/{code}/")
    expect(page.get_by_label("Publish my comment with my name")).to_be_checked()
    page.get_by_label("Publish my comment without my name").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save my choice").click()

    expect(page).to_have_url(f"{live_server}/en/receipts/{code}/")
    expect(page.locator(".flash.success")).to_contain_text(
        "Publish my comment without my name")
    expect(page.get_by_label("Publish my comment without my name")).to_be_checked()

    page.goto(live_server + CLAUSE)
    discussion = page.locator("section.discussion")
    expect(discussion).to_contain_text(BODY)  # the text stays published
    expect(discussion).not_to_contain_text(NAME)
