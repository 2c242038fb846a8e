"""A clerk enters three speakers' comments at a hearing with the keyboard alone."""
from playwright.sync_api import expect
from sqlalchemy import select

from consult import db
from consult.models import Comment


def test_keyboard_only_entry_of_three_comments(page, live_server, sign_in, make_user, app,
                                               naryn):
    make_user("moderator", email="clerk@example.org")
    sign_in(page, "clerk@example.org")
    page.wait_for_url(lambda url: "/login" not in url)  # the sign-in redirect has landed
    # The document is chosen once (the form opens on "Choose…"); each save keeps it.
    page.goto(f"{live_server}/en/hearings/{naryn}/entry?document=sample-programme")
    speakers = [("1", "Айгүл", "Protect the juniper forests."),
                ("3", "", "Add a budget line for rangers."),
                ("annex-1.1", "Бакыт", "Count the protected land by district.")]
    for number, (clause, speaker, text) in enumerate(speakers, start=1):
        # The clause field has the focus on arrival: type, Tab on, and save from the keyboard.
        expect(page.locator("input[name=clause]")).to_be_focused()
        page.keyboard.type(clause)
        page.keyboard.press("Tab")
        page.keyboard.type(speaker)
        if number == 2:
            page.keyboard.press("Enter")  # Enter in a text field submits: empty comment refused
            expect(page.locator("#body-error")).to_be_visible()
            page.focus("textarea[name=body]")
        else:
            for _ in range(7):  # organisation, named, category, gender, language, channel, body
                page.keyboard.press("Tab")
        expect(page.locator("textarea[name=body]")).to_be_focused()
        page.keyboard.type(text)
        page.keyboard.press("Control+Enter")
        expect(page.locator("p.flash.success")).to_contain_text(f"clause {clause}")
        expect(page.locator("textarea[name=body]")).to_have_value("")
        expect(page.locator("table.entered tbody tr")).to_have_count(number)
    with app.app_context():
        saved = db.session().scalars(select(Comment).order_by(Comment.id)).all()
        assert [(c.clause_key, c.author_name, c.body, c.hearing_id) for c in saved] == [
            (clause, speaker, text, naryn) for clause, speaker, text in speakers]
