"""A citizen comments in Kyrgyz on a clause, keeps the receipt, a moderator publishes the
comment, and the citizen finds it under the clause."""
import re

from playwright.sync_api import expect

from consult import db
from consult.comments import moderation
from consult.models import Comment

CLAUSE = "/ky/documents/biodiversity-programme-2040/5/"
BODY = "Токой тилкелерин коргоо боюнча талаптарды күчөтүү керек.\nЭкинчи сап."


def publish_as_moderator(app, browser, live_server, sign_in, make_user, code: str) -> None:
    """Through the moderation page when sign-in exists, else through the same service."""
    if "accounts.login" not in app.view_functions:
        with app.app_context():
            session = db.session()
            comment = session.query(Comment).filter_by(receipt_code=code).one()
            moderation.publish_comment(session, comment, None)
            session.commit()
        return
    make_user("moderator", email="clerk@example.org")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        sign_in(page, "clerk@example.org")
        expect(page.locator("nav.staff")).to_be_visible()  # signed in before moving on
        page.goto(f"{live_server}/en/moderation/")
        card = page.locator("article.moderation", has_text="Токой тилкелерин")
        expect(card).to_have_count(1)
        card.get_by_role("button", name="Publish").click()
        page.wait_for_load_state()
        expect(page.locator("article.moderation", has_text="Токой тилкелерин")).to_have_count(0)
    finally:
        context.close()


def test_citizen_comments_in_kyrgyz_and_sees_it_published(
        app, page, browser, live_server, demo_data, open_period, sign_in, make_user):
    open_period()
    page.goto(live_server + CLAUSE)
    expect(page.locator("html")).to_have_attribute("lang", "ky")
    page.fill("textarea[name=body]", BODY)
    page.fill("input[name=author_name]", "Айгүл")
    page.select_option("select[name=category]", "ngo")
    page.select_option("select[name=region]", "naryn")
    page.check("input[name=consent][value=full]")
    page.click("#comment-form button[type=submit]")

    expect(page).to_have_url(re.compile(r"/ky/receipts/[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}/$"))
    code = page.url.rstrip("/").rsplit("/", 1)[1]
    expect(page.locator(".receipt-code code")).to_have_text(code)
    # The text as stored, byte for byte (inner_text would depend on the stylesheet having
    # been applied yet, which races with the navigation).
    assert page.locator(".comment-body").text_content() == BODY
    expect(page.locator(".state-new")).to_be_visible()
    receipt_url = page.url

    page.goto(live_server + CLAUSE)
    expect(page.locator("section.discussion")).not_to_contain_text("Токой тилкелерин")

    publish_as_moderator(app, browser, live_server, sign_in, make_user, code)

    page.goto(live_server + CLAUSE)
    published = page.locator("section.discussion article.comment")
    expect(published).to_have_count(1)
    expect(published).to_contain_text("Токой тилкелерин коргоо")
    expect(published).to_contain_text("Айгүл")
    page.goto(receipt_url)
    expect(page.locator(".state-published")).to_be_visible()
