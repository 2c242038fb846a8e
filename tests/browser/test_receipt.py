"""A commenter who published with their name takes the name back on their receipt page,
with no account, and no longer finds it under the clause. A commenter with only the code
from a paper receipt finds the comment again from the notice page, and the receipt prints
as a receipt."""
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


def test_commenter_finds_their_comment_by_the_code_typed_from_paper(
        app, page, live_server, make_document, open_period, submit_online):
    make_document()
    open_period()
    code = published_with_name(app, submit_online)
    page.goto(f"{live_server}/ky/")
    box = page.locator("#find-comment-code")
    # As read off paper: small letters, spaces for the dashes.
    box.fill(code.lower().replace("-", " "))
    with page.expect_navigation():
        page.locator(".find-comment button[type=submit]").click()

    expect(page).to_have_url(f"{live_server}/ky/receipts/{code}/")
    expect(page.locator(".receipt-code code")).to_have_text(code)
    expect(page.locator(".comment-body").first).to_have_text(BODY)

    # The print button is there with scripts; on paper only the receipt itself remains:
    # the code, the full address, the date, the clause and the text, not the forms.
    expect(page.locator("#print-receipt")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator("#print-receipt")).to_be_hidden()
    expect(page.locator(".your-choices")).to_be_hidden()
    expect(page.locator("header.site nav.main")).to_be_hidden()
    expect(page.locator(".receipt-url .url")).to_have_text(
        f"{app.config['PUBLIC_URL']}/ky/receipts/{code}/")
    code_size = page.locator(".receipt-code code").evaluate(
        "element => parseFloat(getComputedStyle(element).fontSize)")
    assert code_size >= 30  # 26pt: readable across a table
    expect(page.locator("dl.receipt time").first).to_be_visible()
    expect(page.locator("dl.receipt a[href$='/sample-programme/1/']")).to_be_visible()
    expect(page.locator(".comment-body").first).to_be_visible()
