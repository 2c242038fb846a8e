"""A citizen who commented on clause 3 of version 1 reads the revised programme: under the
new clause 4 they find their comment, labelled with the version and the text it was made
on, and the change word by word; the old version is a link away."""
from playwright.sync_api import expect

from consult import db
from consult.models import Comment
from tests.revision_sample import REWORDED, SLUG, V1
from tests.test_revisions import import_version, on_v1, publish_v2, v1  # noqa: F401


def test_reading_a_revised_clause_with_its_diff_and_earlier_comments(
        app, page, live_server, v1, on_v1, session):  # noqa: F811
    import_version(app, v1 / "v2", 2)
    publish_v2(session)
    page.goto(f"{live_server}/en/documents/{SLUG}/4/")
    expect(page.locator("h1")).to_have_text("Clause 4")
    expect(page.locator("article.clause")).to_contain_text(REWORDED["en"])

    change = page.locator("section.change")
    expect(change).to_contain_text("Changes from version 1")
    expect(change).to_contain_text("Previously clause 3")
    inserted = change.locator("ins")
    expect(inserted.first).to_be_visible()
    expect(change.locator("ins")).to_contain_text(["migration"])
    # The change is said in words to a screen reader, not by colour alone.
    expect(change.locator("ins .visually-hidden").first).to_have_text("Inserted: ")

    comment = page.locator("section.discussion article.comment")
    expect(comment).to_contain_text("Comment on old clause 3.")
    made_on = comment.locator("details.made-on")
    expect(made_on.locator("summary")).to_have_text("Made on version 1, clause 3")
    made_on.locator("summary").click()
    expect(made_on.locator("blockquote")).to_have_text(V1["en"][2])
    made_on.get_by_role("link", name="Read version 1").click()

    expect(page).to_have_url(f"{live_server}/en/documents/{SLUG}/3/?version=1")
    expect(page.locator(".earlier")).to_contain_text("You are reading version 1")
    page.locator(".earlier").get_by_role("link", name="Clause 4").click()
    expect(page).to_have_url(f"{live_server}/en/documents/{SLUG}/4/")
    with app.app_context():
        assert db.session().query(Comment).count() == 4

