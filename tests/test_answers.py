"""Answers typed into the synthesis workbook in Excel, uploaded back."""
from __future__ import annotations

import io
import re
from datetime import datetime

import pytest
from flask_babel import force_locale, get_translations
from openpyxl import Workbook, load_workbook

from consult.core.uploads import UploadError
from consult.models import AuditEvent, Comment, Response, User
from consult.synthesis.answers import save_answer
from consult.synthesis.excel_answers import apply_answers, read_answers
from consult.synthesis.rows import COLUMN_CODES


def download(client, lang="en") -> bytes:
    response = client.get(f"/{lang}/synthesis.xlsx")
    assert response.status_code == 200
    return response.data


def fill(data: bytes, answers: dict) -> bytes:
    """As a drafter in Excel: type (status, rationale, change) into the rows of comment ids."""
    wb = load_workbook(io.BytesIO(data))
    ws = wb.worksheets[1]
    # By position: the headers are in the export language.
    id_col, status_col = COLUMN_CODES.index("comment_id"), COLUMN_CODES.index("status")
    for row in ws.iter_rows(min_row=2):
        answer = answers.get(row[id_col].value)
        if answer is not None:
            for offset, value in enumerate(answer):
                row[status_col + offset].value = value
                if isinstance(value, str):  # the answer cells are text cells, even "=..."
                    row[status_col + offset].data_type = "s"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(client, data: bytes, lang="en"):
    return client.post(f"/{lang}/synthesis/answers", data={
        "file": (io.BytesIO(data), "answers.xlsx")}, content_type="multipart/form-data")


def problems_on(page: str) -> set[tuple[int, str]]:
    """(row, column) of the problems table of an upload page."""
    return {(int(row), column)
            for row, column in re.findall(r"<td>(\d+)</td><td>([^<]+)</td>", page)}


def answer_of(session, comment_id):
    session.expire_all()
    answer = session.get(Comment, comment_id).answer
    return (answer.status, answer.rationale, answer.change) if answer else None


def test_excel_round_trip_applies_answers_by_comment_id(client, login, session, record):
    login("drafter")
    c = record["comments"]
    data = fill(download(client), {
        c["email"].id: ("Partly accepted", "Partly within scope.", "clause 3: new wording"),
        c["anon"].id: ("noted", None, None),          # a code is accepted as well as a label
        c["dup2"].id: ("Not accepted", "=Already covered by clause 2.", None),  # the group
        c["hidden"].id: ("Out of scope (forwarded)", "Forwarded to the ministry.", None),
    })
    response = upload(client, data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "4 answer(s) applied, 0 conflict(s) to decide" in page
    assert answer_of(session, c["email"].id) == (
        "partly-accepted", "Partly within scope.", "clause 3: new wording")
    assert answer_of(session, c["anon"].id)[0] == "noted"
    assert answer_of(session, c["dup1"].id) == ("not-accepted", "=Already covered by clause 2.",
                                                "")
    assert answer_of(session, c["hidden"].id)[0] == "out-of-scope"
    # Unchanged rows (the answers already on the site) were skipped, not re-saved.
    assert answer_of(session, c["online"].id) == ("accepted", "", "clause 1 reworded")
    assert session.get(Response, session.get(Comment, c["online"].id).response.id).revision == 1
    assert session.query(AuditEvent).filter_by(action="answers.upload").count() == 1


def test_labels_in_another_language_are_understood(client, login, session, record):
    login("drafter")
    c = record["comments"]
    wb = load_workbook(io.BytesIO(download(client, "ru")))
    ws = wb.worksheets[1]
    header = [cell.value for cell in ws[1]]
    assert len(header) == 26 + 2  # and the two hidden columns
    status_col = header.index("Результат рассмотрения")
    for row in ws.iter_rows(min_row=2):
        if row[1].value == c["email"].id:
            row[status_col].value = "Accepted"
            row[status_col + 2].value = "no change"
    out = io.BytesIO()
    wb.save(out)
    response = upload(client, out.getvalue(), lang="ru")
    assert response.status_code == 200
    assert answer_of(session, c["email"].id) == ("accepted", "", "no change")


def test_bad_rows_are_reported_by_row_and_column_and_nothing_is_applied(
        client, login, session, record):
    login("drafter")
    c = record["comments"]
    data = fill(download(client), {
        c["email"].id: ("Noted", None, None),                      # fine on its own
        c["anon"].id: ("Not accepted", None, None),                 # rationale missing
        c["form"].id: ("Maybe later", None, None),                  # not in the list
        c["whole"].id: ("Accepted", "Good point.", None),           # change missing
        c["dup1"].id: ("Not accepted", "No: clause 3 covers it.", None),  # group disagrees
        c["dup2"].id: ("Accepted", None, "no change"),
    })
    wb = load_workbook(io.BytesIO(data))
    ws = wb.worksheets[1]
    ws.append([None, 999999, None, None, None, None, None, None, None, None, None, None,
               None, None, None, None, None, None, None, None, None, "Noted"])
    out = io.BytesIO()
    wb.save(out)
    response = upload(client, out.getvalue())
    page = response.get_data(as_text=True)
    assert "nothing was applied" in page
    rows = {r[1].value: r[0].row for r in ws.iter_rows(min_row=2)}
    found = problems_on(page)
    assert (rows[c["anon"].id], "Rationale") in found
    assert (rows[c["form"].id], "Response status") in found
    assert (rows[c["whole"].id], "Change in revised draft") in found
    # What the file alone tells is found before the site is asked.
    reading = read_answers(out.getvalue())
    assert [(p.row, p.column) for p in reading.problems] == [
        (rows[c["form"].id], "Response status")]
    # Rows as exported are not read any further: 6 answered in the file, one added.
    assert len(reading.rows) == 5 + 1 and reading.untouched == 10 - 6
    assert f"<td>{rows[c['anon'].id]}</td><td>Rationale</td>" in page
    assert f"<td>{ws.max_row}</td><td>Comment ID</td>" in page          # unknown ID
    assert "one answer applies to the whole group" in page
    assert answer_of(session, c["email"].id) is None
    assert answer_of(session, c["dup1"].id) == ("noted", "", "")


def test_not_a_workbook_is_refused_with_a_message(client, login, record):
    login("drafter")
    response = upload(client, b"PK\x03\x04 not really a zip")
    assert response.status_code == 200
    assert "This is not an Excel workbook" in response.get_data(as_text=True)
    wb = Workbook()
    wb.active.append(["nothing here"])
    out = io.BytesIO()
    wb.save(out)
    page = upload(client, out.getvalue()).get_data(as_text=True)
    assert "exported from this site" in page


def test_apply_answers_directly_with_a_missing_column(session, record):
    wb = Workbook()
    about = wb.active
    about.title = "About"
    about.append(["Exported at", None, "2030-01-01T00:00:00Z"])
    comments = wb.create_sheet("Comments")
    comments.append(["Comment ID", "Response status", "Rationale"])
    comments.append([record["comments"]["email"].id, "Noted", ""])
    out = io.BytesIO()
    wb.save(out)
    with force_locale("en"):
        outcome = apply_answers(session, out.getvalue(), None)
    assert not outcome.ok
    assert [(p.row, p.column) for p in outcome.problems] == [(1, "Change in revised draft")]
    with pytest.raises(UploadError):
        apply_answers(session, b"", None)


# ------------------------------------------------------------------ the set-wise write

def saves_of(session, response_id):
    """The response.save audit events of one answer, oldest first."""
    return (session.query(AuditEvent)
            .filter_by(action="response.save", object_type="response", object_id=response_id)
            .order_by(AuditEvent.id).all())


def test_upload_increments_revisions_and_audits_every_changed_answer(
        client, login, session, record):
    drafter_id = login("drafter")
    c = record["comments"]
    document = session.get(Comment, c["online"].id).document
    public_revision = document.public_revision
    online_answer = session.get(Comment, c["online"].id).response.id
    group_answer = record["group"].response.id
    before_events = session.query(AuditEvent).filter_by(action="response.save").count()
    data = fill(download(client), {
        c["online"].id: ("Not accepted", "Not in this programme.", None),   # update
        c["email"].id: ("Noted", None, None),                               # new answer
        c["dup2"].id: ("Accepted", None, "clause 3: new wording"),          # group update
    })
    page = upload(client, data).get_data(as_text=True)
    assert "3 answer(s) applied, 0 conflict(s) to decide" in page
    session.expire_all()
    online = session.get(Response, online_answer)
    assert (online.status, online.revision, online.responder_id) == (
        "not-accepted", 2, drafter_id)
    group = session.get(Response, group_answer)
    assert (group.status, group.change, group.revision) == (
        "accepted", "clause 3: new wording", 2)
    email = session.get(Comment, c["email"].id).response
    assert (email.status, email.revision, email.responder_id) == ("noted", 1, drafter_id)
    # One event per changed answer, with what it was and what it became.
    assert session.query(AuditEvent).filter_by(action="response.save").count() == \
        before_events + 3
    event = saves_of(session, online_answer)[-1]
    assert event.actor_id == drafter_id
    assert event.before["status"] == "accepted" and event.before["revision"] == 1
    assert event.after["status"] == "not-accepted" and event.after["revision"] == 2
    assert event.after["rationale"] == "Not in this programme."
    assert event.after["for_comment_id"] == c["online"].id
    [created] = saves_of(session, email.id)
    assert created.before is None
    assert created.after == {"status": "noted", "rationale": "", "change": "",
                             "language": "en", "revision": 1, "ready": False,
                             "approved": False, "comment_id": c["email"].id,
                             "group_id": None, "responder_id": drafter_id,
                             "for_comment_id": c["email"].id,
                             "export_id": created.after["export_id"]}
    assert len(created.after["export_id"]) == 16
    event = saves_of(session, group_answer)[-1]
    assert event.before["status"] == "noted" and event.after["group_id"] == record["group"].id
    # The document's public pages are refreshed once per statement, not once per answer.
    revised = session.get(type(document), document.id).public_revision - public_revision
    assert 1 <= revised <= 2


def test_group_rows_answer_the_group_once_for_all_members(client, login, session, record):
    login("drafter")
    c = record["comments"]
    group_answer = record["group"].response.id
    answer = ("Partly accepted", "Partly: the rest is in clause 1.", "clause 3: shorter")
    data = fill(download(client), {c["dup1"].id: answer, c["dup2"].id: answer})
    page = upload(client, data).get_data(as_text=True)
    assert "1 answer(s) applied" in page
    assert answer_of(session, c["dup1"].id) == (
        "partly-accepted", "Partly: the rest is in clause 1.", "clause 3: shorter")
    assert answer_of(session, c["dup2"].id) == answer_of(session, c["dup1"].id)
    assert session.get(Response, group_answer).revision == 2
    assert len(saves_of(session, group_answer)) == 2        # created by build, then once here
    # The members got no answers of their own.
    assert session.query(Response).filter(
        Response.comment_id.in_([c["dup1"].id, c["dup2"].id])).count() == 0


def test_answers_saved_between_read_and_write_are_conflicts_not_overwritten(
        client, login, session, record, monkeypatch):
    from consult.synthesis import excel_answers as answers
    login("drafter")
    c = record["comments"]
    data = fill(download(client), {
        c["online"].id: ("Not accepted", "From the file, not the site.", None),  # updated
        c["form"].id: ("Noted", "From the file.", None),            # answered meanwhile
        c["email"].id: ("Noted", None, None),                       # applies
    })
    calls = []

    def another_drafter_saves(request_session, plan):
        calls.append(len(plan))
        if len(calls) > 1:
            return
        # The upload has read the answers; a drafter on the desk saves two of them now.
        other = request_session.query(User).filter_by(role="drafter").first()
        online = request_session.get(Comment, c["online"].id)
        save_answer(request_session, online, "noted", "Saved on the desk.", "", other,
                    online.answer.revision)
        form = request_session.get(Comment, c["form"].id)
        save_answer(request_session, form, "noted", "Also on the desk.", "", other, None)

    monkeypatch.setattr(answers, "_before_write", another_drafter_saves)
    page = upload(client, data).get_data(as_text=True)
    assert calls == [3, 1]     # read 3, two raced: written again without them
    assert "1 answer(s) applied, 2 conflict(s) to decide" in page
    assert "Saved on the desk." in page and "From the file, not the site." in page
    assert answer_of(session, c["online"].id) == ("noted", "Saved on the desk.", "")
    assert answer_of(session, c["form"].id) == ("noted", "Also on the desk.", "")
    assert answer_of(session, c["email"].id) == ("noted", "", "")
    online = session.get(Comment, c["online"].id).response
    assert online.revision == 2                       # the desk's save only
    assert [e.after["rationale"] for e in saves_of(session, online.id)] == [
        "", "Saved on the desk."]


# ------------------------------------------------------------------ upload size

def test_answers_upload_takes_more_than_the_app_limit_other_views_do_not(
        app, client, login, session, record, monkeypatch):
    login("drafter")
    c = record["comments"]
    data = fill(download(client), {c["email"].id: ("Noted", None, None)})
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", len(data) // 2)
    refused = client.post("/en/login", data={"file": (io.BytesIO(data), "answers.xlsx")},
                          content_type="multipart/form-data")
    assert refused.status_code == 413
    accepted = upload(client, data)
    assert accepted.status_code == 200
    assert "1 answer(s) applied" in accepted.get_data(as_text=True)
    assert answer_of(session, c["email"].id) == ("noted", "", "")
    # The answers view has its own limit.
    monkeypatch.setitem(app.config, "ANSWERS_MAX_BYTES", len(data) // 2)
    assert upload(client, data).status_code == 413


def test_zip_bomb_is_refused_by_the_answers_upload(rezip, client, login, session, record):
    login("drafter")
    c = record["comments"]
    data = rezip(fill(download(client), {c["email"].id: ("Noted", None, None)}),
                 add={"xl/media/image1.png": b"\0" * (30 * 1024 * 1024)})
    page = upload(client, data).get_data(as_text=True)
    assert "zip bomb" in page
    assert answer_of(session, c["email"].id) is None


# ------------------------------------------------------------------ quality of answers

def test_short_rationales_and_changes_naming_no_clause_are_refused_by_row_and_column(
        client, login, session, record):
    login("drafter")
    c = record["comments"]
    data = fill(download(client), {
        c["email"].id: ("Not accepted", "x", None),                    # rationale too short
        c["anon"].id: ("Accepted", None, "see above"),                  # no clause named
        c["whole"].id: ("Partly accepted", "Short.", "clause 7: new"),  # both (no clause 7)
        c["form"].id: ("Accepted", None, "annex-1.1: reworded"),        # fine on its own
        c["hidden"].id: ("Noted", None, None),                          # fine on its own
    })
    rows = {r[1].value: r[0].row for r in load_workbook(io.BytesIO(data)).worksheets[1]
            .iter_rows(min_row=2)}
    page = upload(client, data).get_data(as_text=True)
    assert "nothing was applied" in page
    assert problems_on(page) == {
        (rows[c["email"].id], "Rationale"), (rows[c["anon"].id], "Change in revised draft"),
        (rows[c["whole"].id], "Rationale"), (rows[c["whole"].id], "Change in revised draft")}
    assert "at least 20 characters" in page and "clause 12: …" in page
    for name in ("email", "anon", "whole", "form", "hidden"):
        assert answer_of(session, c[name].id) is None, name


def test_an_unchanged_row_is_not_checked_again(client, login, session, record):
    """An answer stored before the rules were tightened does not block every upload."""
    login("drafter")
    c = record["comments"]
    session.add(Response(comment_id=c["email"].id, status="not-accepted", rationale="Old.",
                         change=""))
    session.commit()
    data = fill(download(client), {c["anon"].id: ("Noted", None, None)})
    page = upload(client, data).get_data(as_text=True)
    assert "1 answer(s) applied" in page
    assert answer_of(session, c["email"].id) == ("not-accepted", "Old.", "")


def language_of(session, comment_id) -> str:
    session.expire_all()
    return session.get(Comment, comment_id).answer.language


def test_uploaded_answers_are_in_the_language_the_workbook_was_exported_in(
        client, login, session, record):
    login("drafter")
    c = record["comments"]
    data = fill(download(client, "ru"), {c["email"].id: ("Noted", "Учтено.", None)})
    assert "1 answer(s) applied" in upload(client, data, lang="en").get_data(as_text=True)
    assert language_of(session, c["email"].id) == "ru"
    data = fill(download(client, "ky"), {c["anon"].id: ("Noted", "Эске алынды.", None)})
    upload(client, data, lang="ru")
    assert language_of(session, c["anon"].id) == "ky"


def test_when_the_workbook_does_not_tell_its_language_the_page_language_is_used(
        client, login, session, record, monkeypatch):
    login("drafter")
    c = record["comments"]
    exported = download(client, "en")
    # A catalog with "Exported at" untranslated: the label could be English or Russian.
    with force_locale("ru"):
        monkeypatch.setitem(get_translations()._catalog, "Exported at", "Exported at")
    data = fill(exported, {c["email"].id: ("Noted", None, None)})
    page = upload(client, data, lang="ky").get_data(as_text=True)
    assert 'class="problems"' not in page
    assert language_of(session, c["email"].id) == "ky"


# ------------------------------------------------------------------ only what the drafter changed


def change_online(session, comment_id, values, who=None):
    """A drafter saves an answer on the desk (after the workbook was exported)."""
    who = who or session.query(User).filter_by(role="drafter").first()
    comment = session.get(Comment, comment_id)
    current = comment.answer
    save_answer(session, comment, *values, who, current.revision if current else None)
    session.commit()


def choose(client, page: str, choices: dict, lang="en"):
    """Answer the conflicts form of an upload page: {comment id: "keep" | "mine"}."""
    form = {}
    for match in re.finditer(r'/desk/comments/(\d+)/">\d+</a>(.*?)</tr>', page, re.S):
        name, token = re.search(r'name="(choice-\d+)" value="keep:([^"]+)"',
                                match.group(2)).groups()
        form[name] = f"{choices[int(match.group(1))]}:{token}"
    return client.post(f"/{lang}/synthesis/answers/conflicts", data=form)


def test_rows_the_drafter_did_not_touch_are_left_alone_even_when_changed_online(
        client, login, session, record):
    login("drafter")
    c = record["comments"]
    exported = download(client)
    # After the export, answers are changed on the desk: an answered row, an unanswered
    # one, and the duplicate group (both its rows are in the file).
    change_online(session, c["online"].id, ("noted", "Changed on the site.", ""))
    change_online(session, c["anon"].id, ("noted", "Answered on the site.", ""))
    change_online(session, c["dup1"].id, ("not-accepted", "Covered by clause 2 already.", ""))
    data = fill(exported, {c["email"].id: ("Noted", None, None)})  # the only row changed
    page = upload(client, data).get_data(as_text=True)
    assert "1 answer(s) applied, 0 conflict(s) to decide, 0 row(s) already as on the site, " \
           "9 row(s) not changed in the file" in page
    assert answer_of(session, c["online"].id) == ("noted", "Changed on the site.", "")
    assert answer_of(session, c["anon"].id) == ("noted", "Answered on the site.", "")
    assert answer_of(session, c["dup2"].id) == (
        "not-accepted", "Covered by clause 2 already.", "")
    assert answer_of(session, c["email"].id) == ("noted", "", "")


def test_a_changed_row_already_saying_what_the_site_says_is_no_conflict(
        client, login, session, record):
    login("drafter")
    c = record["comments"]
    exported = download(client)
    change_online(session, c["form"].id, ("noted", "Answered on the site.", ""))
    data = fill(exported, {c["form"].id: ("Noted", "Answered on the site.", None)})
    page = upload(client, data).get_data(as_text=True)
    assert "0 answer(s) applied, 0 conflict(s) to decide, 1 row(s) already as on the site" \
        in page


def conflict_setup(client, session, record):
    """An export; the online answer changed on the desk by a colleague; the drafter's file
    changes the same row (and one more, without conflict)."""
    c = record["comments"]
    exported = download(client)
    colleague = session.get(User, record["drafter"].id)
    colleague.name = "Colleague Asanova"
    session.commit()
    change_online(session, c["online"].id, ("noted", "Changed on the site.", ""), colleague)
    data = fill(exported, {
        c["online"].id: ("Not accepted", "From the file, not the site.", None),
        c["email"].id: ("Noted", None, None)})
    page = upload(client, data).get_data(as_text=True)
    assert "1 answer(s) applied, 1 conflict(s) to decide" in page
    # Side by side: the site's answer (and who changed it), the file's, the choice.
    row = page[page.index('class="conflicts"'):page.index("</table>",
                                                          page.index('class="conflicts"'))]
    assert row.index("Changed on the site.") < row.index("From the file, not the site.")
    assert "Colleague Asanova" in row, row
    assert "Keep the site" in row and "Apply the file" in row
    assert answer_of(session, c["online"].id) == ("noted", "Changed on the site.", "")
    assert answer_of(session, c["email"].id) == ("noted", "", "")
    return page


def test_a_real_conflict_kept_as_on_the_site(client, login, session, record):
    login("drafter")
    c = record["comments"]
    page = conflict_setup(client, session, record)
    revision = session.get(Comment, c["online"].id).answer.revision
    result = choose(client, page, {c["online"].id: "keep"}).get_data(as_text=True)
    assert "0 answer(s) applied from the file, 1 kept as on the site" in result
    assert answer_of(session, c["online"].id) == ("noted", "Changed on the site.", "")
    assert session.get(Comment, c["online"].id).answer.revision == revision


def test_a_real_conflict_decided_for_the_file(client, login, session, record):
    drafter_id = login("drafter")
    c = record["comments"]
    page = conflict_setup(client, session, record)
    answer = session.get(Comment, c["online"].id).answer
    answer_id, revision = answer.id, answer.revision
    result = choose(client, page, {c["online"].id: "mine"}).get_data(as_text=True)
    assert "1 answer(s) applied from the file, 0 kept as on the site" in result
    assert answer_of(session, c["online"].id) == (
        "not-accepted", "From the file, not the site.", "")
    event = saves_of(session, answer_id)[-1]
    assert event.actor_id == drafter_id and event.before["revision"] == revision
    assert event.after["revision"] == revision + 1
    # The same form sent again: the site already says it; nothing is saved twice.
    saves = len(saves_of(session, answer_id))
    again = choose(client, page, {c["online"].id: "mine"}).get_data(as_text=True)
    assert "0 answer(s) applied from the file, 0 kept as on the site, 0 changed" in again
    assert len(saves_of(session, answer_id)) == saves


def test_a_choice_is_checked_again_and_a_forged_one_refused(client, login, session, record):
    login("drafter")
    c = record["comments"]
    page = conflict_setup(client, session, record)
    # Changed on the site once more between the upload and the choice.
    change_online(session, c["online"].id, ("noted", "Changed a second time.", ""))
    result = choose(client, page, {c["online"].id: "mine"}).get_data(as_text=True)
    assert "1 changed on the site again meanwhile" in result
    assert "Changed a second time." in result
    assert answer_of(session, c["online"].id) == ("noted", "Changed a second time.", "")
    forged = client.post("/en/synthesis/answers/conflicts",
                         data={"choice-1": "mine:eyJub3QiOiJzaWduZWQifQ.forged"},
                         follow_redirects=True).get_data(as_text=True)
    assert "The form was damaged" in forged


def test_a_corrected_file_of_ones_own_may_be_uploaded_again(client, login, session, record):
    login("drafter")
    c = record["comments"]
    exported = download(client)
    first = fill(exported, {c["online"].id: ("Not accepted", "First wording of the reason.",
                                             None),
                            c["email"].id: ("Noted", None, None)})
    assert "2 answer(s) applied, 0 conflict(s)" in upload(client, first).get_data(as_text=True)
    # The same export corrected and uploaded again: the drafter's own answers are no
    # conflicts; a colleague's change of another row since the export still is.
    change_online(session, c["oral"].id, ("noted", "A colleague's answer.", ""))
    corrected = fill(exported, {
        c["online"].id: ("Not accepted", "Second, better wording of the reason.", None),
        c["email"].id: ("Noted", None, None),
        c["oral"].id: ("Not accepted", "Outside the programme, as said.", None)})
    page = upload(client, corrected).get_data(as_text=True)
    assert "1 answer(s) applied, 1 conflict(s) to decide, 1 row(s) already as on the site" \
        in page
    assert answer_of(session, c["online"].id) == (
        "not-accepted", "Second, better wording of the reason.", "")
    assert answer_of(session, c["oral"].id) == ("noted", "A colleague's answer.", "")
    # A change the drafter made on the desk (not from this export) is a conflict too.
    change_online(session, c["email"].id, ("noted", "Typed on the desk.", ""),
                  session.query(User).filter_by(role="drafter").order_by(User.id.desc())
                  .first())
    page = upload(client, fill(exported, {c["email"].id: ("Noted", "From the file now.",
                                                          None)})).get_data(as_text=True)
    assert "0 answer(s) applied, 1 conflict(s) to decide" in page


def test_an_edited_answer_needs_approval_again(client, login, session, record):
    login("drafter")
    c = record["comments"]
    lead = session.query(User).filter_by(role="drafter").first()
    answer = session.get(Comment, c["online"].id).answer
    answer.ready_at = answer.approved_at = datetime(2025, 7, 1)
    answer.approved_by_id = lead.id
    untouched = session.get(Comment, c["oral"].id).answer
    untouched.ready_at = untouched.approved_at = datetime(2025, 7, 1)
    untouched.approved_by_id = lead.id
    session.commit()
    data = fill(download(client), {c["online"].id: ("Not accepted",
                                                    "No longer accepted, see clause 2.", None)})
    assert "1 answer(s) applied" in upload(client, data).get_data(as_text=True)
    session.expire_all()
    edited = session.get(Comment, c["online"].id).answer
    assert (edited.ready_at, edited.approved_at, edited.approved_by_id) == (None, None, None)
    kept = session.get(Comment, c["oral"].id).answer
    assert kept.approved_at is not None and kept.approved_by_id == lead.id
    event = saves_of(session, edited.id)[-1]
    assert event.before["approved"] is True and event.after["approved"] is False


def test_a_workbook_without_the_hidden_columns_is_read_by_the_export_time(
        client, login, session, record):
    """A file made by hand (or exported before the hidden columns): answered rows that
    differ from the site apply unless changed on the site after the export time."""
    login("drafter")
    c = record["comments"]
    exported = download(client)
    change_online(session, c["online"].id, ("noted", "Changed on the site.", ""))
    wb = load_workbook(io.BytesIO(fill(exported, {
        c["online"].id: ("Not accepted", "From the file, not the site.", None),
        c["email"].id: ("Noted", None, None)})))
    ws = wb.worksheets[1]
    ws.delete_cols(len(COLUMN_CODES) + 1, 2)
    out = io.BytesIO()
    wb.save(out)
    page = upload(client, out.getvalue()).get_data(as_text=True)
    assert "1 answer(s) applied, 1 conflict(s) to decide" in page
