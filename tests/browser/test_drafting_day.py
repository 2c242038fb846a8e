"""A drafter's day: sign in and land on the desk, find the synthesis files, download the
workbook, answer two comments in it and upload it back, then answer the rest online with
"save and open the next unanswered comment"."""
import io
import re

import openpyxl
from playwright.sync_api import expect

from consult import db
from consult.models import Response

TEXTS = ("Protect the juniper forests of Naryn.", "Add the Chatkal valley.",
         "Count snow leopards every year.", "Publish the monitoring data.")


def _fill(workbook: bytes, answers: dict[int, tuple[str, str, str]]) -> bytes:
    """The drafter's edit in a spreadsheet program: three cells of two rows."""
    book = openpyxl.load_workbook(io.BytesIO(workbook))
    sheet = book["Comments"]
    header = [cell.value for cell in sheet[1]]
    id_col = header.index("Comment ID")
    columns = [header.index(name) for name in
               ("Response status", "Rationale", "Change in revised draft")]
    for row in sheet.iter_rows(min_row=2):
        answer = answers.get(row[id_col].value)
        if answer:
            for col, value in zip(columns, answer, strict=True):
                row[col].value = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_drafter_answers_in_excel_and_then_online(add_comment, page, live_server, sign_in,
                                                    app, make_document, make_user, tmp_path):
    document = make_document()
    with app.app_context():
        s = db.session()
        ids = [add_comment(s, s.merge(document), key, text).id
               for key, text in zip(("1", "2", "3", "1"), TEXTS, strict=True)]
    make_user("drafter", email="drafter@example.org")

    sign_in(page, "drafter@example.org")
    expect(page).to_have_url(re.compile(r"/en/desk/$"))  # drafters land on the desk
    expect(page.locator("progress").first).to_have_attribute("value", "0")

    page.get_by_role("link", name="Synthesis files").first.click()
    expect(page.locator("h1")).to_have_text("Synthesis files")
    whole = page.locator("section", has=page.locator("#all-title"))
    with page.expect_download() as download:
        whole.locator("tr", has_text="English").get_by_role("link", name="full").click()
    exported = download.value
    assert exported.suggested_filename.endswith(".xlsx")
    filled = tmp_path / "answers.xlsx"
    filled.write_bytes(_fill(exported.path().read_bytes(), {
        ids[0]: ("Accepted", "", "Clause 1: juniper forests named as priority habitat."),
        ids[1]: ("Not accepted", "The Chatkal valley is already a protected area.", ""),
    }))

    page.get_by_role("link", name="Upload a workbook with answers").click()
    page.set_input_files("input[type=file]", str(filled))
    page.get_by_role("button", name="Check and apply").click()
    expect(page.locator(".upload-result")).to_contain_text("2 answer(s) applied, 0 conflict")
    with app.app_context():
        answered = {r.comment_id: r.status for r in db.session().query(Response)}
    assert answered == {ids[0]: "accepted", ids[1]: "not-accepted"}

    # The rest online: each save opens the next comment still waiting for an answer.
    page.goto(f"{live_server}/en/desk/comments/{ids[2]}/")
    for comment_id in ids[2:]:
        expect(page).to_have_url(re.compile(rf"/en/desk/comments/{comment_id}/"))
        page.select_option("select[name=status]", "noted")
        page.get_by_role("button", name="Save and open the next unanswered comment").click()
    expect(page.locator(".flash.success").first).to_contain_text("Answer saved.")
    with app.app_context():
        assert {r.comment_id for r in db.session().query(Response)} == set(ids)
