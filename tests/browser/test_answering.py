"""A drafter answers a comment on the desk; the citizen's receipt page shows the answer."""
import re

from playwright.sync_api import expect

from consult import db


def test_drafter_answers_and_the_receipt_shows_it(add_comment, page, live_server, sign_in, app,
                                                   make_document, make_user):
    document = make_document()
    with app.app_context():
        s = db.session()
        comment = add_comment(s, s.merge(document), "2",
                              "Please add the Chatkal valley to the protected areas.")
        comment_id, code = comment.id, comment.receipt_code
    make_user("drafter", email="drafter@example.org")

    sign_in(page, "drafter@example.org")
    # The form posts on Enter; wait until it has taken us away from the login page.
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(f"{live_server}/en/desk/?unanswered=1")
    card = page.locator(f"#comment-{comment_id}")
    expect(card).to_contain_text("Chatkal valley")
    expect(card).to_contain_text("Not answered")
    card.get_by_role("link", name="Answer", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/en/desk/comments/{comment_id}/$"))
    page.select_option("select[name=status]", "partly-accepted")
    page.fill("textarea[name=rationale]",
              "Чаткал өрөөнү 2-пунктка кошулду. / Долина Чаткал добавлена.")
    # Forgetting the change is refused with a message, and the rationale is kept.
    page.get_by_role("button", name="Save the answer").click()
    expect(page.locator("#change-error")).to_be_visible()
    expect(page.locator("textarea[name=rationale]")).to_have_value(re.compile("Чаткал"))
    # A change must name a clause of the document (or say "no change").
    page.fill("textarea[name=change]", "See above.")
    page.get_by_role("button", name="Save the answer").click()
    expect(page.locator("#change-error")).to_contain_text("clause 12")
    page.fill("textarea[name=change]", "Clause 2: the Chatkal valley added.")
    page.get_by_label("Language of the answer").select_option("ky")
    page.get_by_role("button", name="Save the answer").click()
    expect(page.locator(".flash.success")).to_contain_text("Answer saved.")
    expect(page.locator("textarea[name=rationale]")).to_have_attribute("lang", "ky")

    citizen = page.context.browser.new_context()
    receipt = citizen.new_page()
    receipt.goto(f"{live_server}/en/receipts/{code}/")
    answer = receipt.locator("dl.answer")
    expect(answer).to_contain_text("Partly accepted")
    expect(answer).to_contain_text("Долина Чаткал добавлена.")
    expect(answer).to_contain_text("Clause 2: the Chatkal valley added.")
    citizen.close()
