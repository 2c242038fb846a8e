"""Hearing records, fast entry, letters, handout and statistics, through HTTP."""
from __future__ import annotations

import io
from datetime import datetime

import pytest
from sqlalchemy import select

from consult import db
from consult.models import AuditEvent, Consultation, Document, Hearing, HearingFile

ENTRY = {"document": "sample-programme", "clause": "2", "speaker": "Айгүл Осмонова",
         "organisation": "Naryn herders", "category": "ngo", "gender": "female",
         "language": "ky", "channel": "hearing-oral", "body": "Add the pastures of At-Bashy."}


@pytest.mark.parametrize("role,status", [(None, 302), ("drafter", 403), ("moderator", 200),
                                         ("admin", 200)])
def test_hearing_records_are_for_moderators(client, login, naryn, role, status):
    if role:
        login(role)
    for url in ("/en/hearings/manage/", f"/en/hearings/{naryn}/entry",
                f"/en/hearings/{naryn}/kit.xlsx", "/en/hearings/letters/new"):
        assert client.get(url).status_code == status


def test_statistics_open_to_drafters_not_to_the_public(client, login, naryn):
    assert client.get("/en/hearings/statistics").status_code == 302
    login("drafter")
    assert client.get("/en/hearings/statistics").status_code == 200


def test_moderator_creates_and_records_a_held_hearing_audited(client, login, app, naryn):
    login("moderator")
    response = client.post("/en/hearings/manage/new", data={
        "city_ky": "Ош", "city_ru": "Ош", "city_en": "Osh", "starts_at": "2025-06-17T14:00",
        "venue_en": "Osh State University", "format": "hybrid",
        "online_link": "https://us02web.zoom.us/meeting/register/x", "languages": ["ky", "ru"],
        "agenda_en": "Opening", "status": "held", "attendance_total": "40",
        "attendance_women": "20", "attendance_men": "15", "attendance_unstated": "4",
        "cat_ngo": "12", "cat_local_government": "5", "organisations": "BIOM",
        "minutes": "Signed."}, follow_redirects=True)
    assert response.status_code == 200
    assert b"do not add up" in response.data  # 20 + 15 + 4 != 40: said, not refused
    with app.app_context():
        s = db.session()
        hearing = s.scalar(select(Hearing).where(Hearing.slug.like("osh-%")))
        assert hearing.slug == "osh-2025-06-17"
        assert hearing.starts_at == datetime(2025, 6, 17, 8, 0)  # 14:00 Bishkek = 08:00 UTC
        assert hearing.attendance_by_category == {"ngo": 12, "local-government": 5}
        assert hearing.status == "held" and hearing.languages == "ky,ru"
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "hearing.create",
                                                 AuditEvent.object_id == hearing.id))
        hearing_id = hearing.id
    client.post(f"/en/hearings/{hearing_id}/edit", data={
        "city_ky": "Ош", "format": "in-person", "languages": ["ky"], "status": "held",
        "attendance_total": "39", "attendance_women": "20", "attendance_men": "15",
        "attendance_unstated": "4"})
    with app.app_context():
        s = db.session()
        assert s.get(Hearing, hearing_id).attendance_total == 39
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "hearing.update"))
        assert event.before["attendance_total"] == 40 and event.after["attendance_total"] == 39


def test_invalid_hearing_form_saves_nothing(client, login, app, naryn):
    login("moderator")
    response = client.post("/en/hearings/manage/new", data={
        "city_ky": "", "format": "hybrid", "languages": ["ky"], "status": "planned",
        "attendance_total": "-3", "online_link": "not a link"})
    assert response.status_code == 200
    assert b"Enter the city." in response.data and b"0 or more" in response.data
    with app.app_context():
        assert len(db.session().scalars(select(Hearing)).all()) == 1


def test_minutes_scan_kept_and_downloadable_other_files_refused(client, login, app, naryn):
    login("moderator")
    pdf = b"%PDF-1.4\n signed minutes"
    response = client.post(f"/en/hearings/{naryn}/", data={
        "kind": "minutes", "file": (io.BytesIO(pdf), "minutes.pdf")},
        content_type="multipart/form-data", follow_redirects=True)
    assert b"File kept" in response.data
    response = client.post(f"/en/hearings/{naryn}/", data={
        "kind": "sign-in", "file": (io.BytesIO(b"MZ\x90 not a scan"), "list.pdf")},
        content_type="multipart/form-data")
    assert b"Only PDF, JPEG or PNG" in response.data
    with app.app_context():
        files = db.session().scalars(select(HearingFile)).all()
        assert [(f.filename, f.content_type) for f in files] == [("minutes.pdf", "application/pdf")]
        file_id = files[0].id
    download = client.get(f"/en/hearings/{naryn}/files/{file_id}")
    assert download.data == pdf and download.mimetype == "application/pdf"


def test_fast_entry_saves_and_returns_to_an_empty_form(stored_comments, client, login, app, naryn):
    user_id = login("moderator")
    page = client.get(f"/en/hearings/{naryn}/entry")
    assert b'autofocus' in page.data and b'<datalist id="clause-keys">' in page.data
    assert b'<option value="annex-1.1">' in page.data
    response = client.post(f"/en/hearings/{naryn}/entry", data=ENTRY)
    assert response.status_code == 302
    assert response.location.endswith(f"/en/hearings/{naryn}/entry?document=sample-programme")
    page = client.get(response.location)
    assert b"Saved: clause 2" in page.data
    assert b"Add the pastures of At-Bashy." in page.data  # the running list
    assert b'name="body"' in page.data and b"At-Bashy.</textarea>" not in page.data
    [comment] = stored_comments(hearing_id=naryn)
    assert (comment.channel, comment.clause_key, comment.author_name, comment.category,
            comment.gender, comment.language, comment.state, comment.consent) == (
        "hearing-oral", "2", "Айгүл Осмонова", "ngo", "female", "ky", "new", "anonymous")
    assert comment.entered_by_id == user_id and comment.in_period is True
    assert comment.receipt_code and comment.clause_id is not None
    with app.app_context():
        document = db.session().get(Document, comment.document_id)
        assert comment.version_id == document.current_version_id
        assert db.session().scalar(select(AuditEvent).where(AuditEvent.action == "comment.enter"))


def test_fast_entry_refuses_an_unknown_clause_and_keeps_the_text(stored_comments,
        client, login, app, naryn):
    login("moderator")
    response = client.post(f"/en/hearings/{naryn}/entry", data={**ENTRY, "clause": "42"})
    assert response.status_code == 200
    assert b"There is no clause 42 in this document." in response.data
    assert b"Add the pastures of At-Bashy." in response.data
    assert stored_comments() == []


def test_named_speaker_with_consent_is_published_with_name(stored_comments,
        client, login, app, naryn):
    login("moderator")
    client.post(f"/en/hearings/{naryn}/entry", data={**ENTRY, "consent": "full"})
    assert stored_comments()[0].consent == "full"


def test_entered_comment_editable_until_closed_for_entry(stored_comments,
        client, login, app, naryn):
    login("moderator")
    client.post(f"/en/hearings/{naryn}/entry", data=ENTRY)
    comment_id = stored_comments()[0].id
    edit_url = f"/en/hearings/{naryn}/comments/{comment_id}/edit"
    assert b"At-Bashy" in client.get(edit_url).data
    client.post(edit_url, data={**ENTRY, "document": "sample-plan", "clause": "annex-1.1",
                                "body": "Corrected words."})
    comment = stored_comments()[0]
    assert (comment.clause_key, comment.body) == ("annex-1.1", "Corrected words.")
    client.post(f"/en/hearings/{naryn}/entry/close", data={"closed": "1"})
    client.post(edit_url, data={**ENTRY, "body": "Too late"})
    client.post(f"/en/hearings/{naryn}/entry", data={**ENTRY, "body": "Another"})
    assert [c.body for c in stored_comments()] == ["Corrected words."]
    assert b"closed for entry" in client.get(f"/en/hearings/{naryn}/entry").data
    client.post(f"/en/hearings/{naryn}/entry/close", data={"closed": "0"})
    client.post(f"/en/hearings/{naryn}/entry", data={**ENTRY, "body": "Another"})
    assert len(stored_comments()) == 2
    with app.app_context():
        actions = db.session().scalars(select(AuditEvent.action)).all()
        assert {"comment.edit", "hearing.close-entry", "hearing.reopen-entry"} <= set(actions)


def test_post_moderation_publishes_hearing_comments_at_once(stored_comments,
        client, login, app, naryn):
    with app.app_context():
        s = db.session()
        s.scalar(select(Consultation)).moderation = "post"
        s.commit()
    login("moderator")
    client.post(f"/en/hearings/{naryn}/entry", data=ENTRY)
    assert stored_comments()[0].state == "published"
    page = client.get("/en/documents/sample-programme/2/")
    assert b"Add the pastures of At-Bashy." in page.data


LETTER = {"channel": "post", "received_at": "2025-08-01T10:30", "author_name": "Бакыт",
          "organisation": "Ayil okmotu", "category": "local-government", "region": "naryn",
          "gender": "male", "consent": "full", "language": "ru", "document": "sample-programme",
          "clauses": "1, 3 annex-1.1", "body": "Письмо с предложениями."}


def test_a_letter_becomes_one_comment_per_clause_late_kept(stored_comments,
        client, login, app, naryn):
    with app.app_context():
        s = db.session()
        c = s.scalar(select(Consultation))
        c.opens_at, c.closes_at = datetime(2025, 6, 1, 3), datetime(2025, 7, 15, 12)
        s.commit()
    login("moderator")
    response = client.post("/en/hearings/letters/new", data=LETTER, follow_redirects=True)
    assert b"Saved 3 comment(s)" in response.data and b"marked late" in response.data
    saved = stored_comments(channel="post")
    assert [c.clause_key for c in saved] == ["1", "3", "annex-1.1"]
    assert all(c.in_period is False and c.received_at == datetime(2025, 8, 1, 4, 30)
               and c.region == "naryn" and c.hearing_id is None for c in saved)
    client.post("/en/hearings/letters/new", data={**LETTER, "channel": "email",
                                                   "received_at": "2025-07-01T09:00",
                                                   "clauses": ""})
    [email] = stored_comments(channel="email")
    assert email.in_period is True and email.clause_key is None


def test_a_letter_naming_an_unknown_clause_saves_nothing(stored_comments,
        client, login, app, naryn):
    login("moderator")
    response = client.post("/en/hearings/letters/new", data={**LETTER, "clauses": "1, 77"})
    assert b"There is no clause 77" in response.data
    assert stored_comments() == []


def test_handout_has_agenda_qr_and_clauses(client, login, naryn):
    login("moderator")
    page = client.get(f"/en/hearings/{naryn}/handout").get_data(as_text=True)
    # In the hearing's working languages (ky, ru), its agenda only in its own language:
    # tests/test_handout.py.
    assert "<svg" in page and "print.css" in page
    assert "Приложение 1. Индикаторы" in page and "1-тиркеме. Көрсөткүчтөр" in page


def test_statistics_page_numbers(client, login, app, naryn):
    with app.app_context():
        s = db.session()
        hearing = s.get(Hearing, naryn)
        hearing.attendance_total, hearing.attendance_women = 30, 18
        hearing.attendance_men, hearing.attendance_unstated = 10, 2
        hearing.attendance_by_category = {"ngo": 7}
        s.commit()
    login("moderator")
    client.post(f"/en/hearings/{naryn}/entry", data=ENTRY)
    client.post(f"/en/hearings/{naryn}/entry", data={**ENTRY, "gender": "male",
                                                     "category": "individual", "body": "B"})
    client.post(f"/en/hearings/{naryn}/entry", data={**ENTRY, "body": "C"})
    page = client.get("/en/hearings/statistics").get_data(as_text=True)
    row = page.split('id="stats-naryn-2025"')[1].split("</tr>")[0]
    assert '<td class="comments">3</td>' in row and '<td class="total">30</td>' in row
    assert '<td class="women">18</td>' in row
    assert '<td data-code="female">2</td>' in page and '<td data-code="male">1</td>' in page
    assert '<td data-code="ngo">7</td>' in page  # attendance by category
    assert page.count("<svg") >= 6 and "<script" not in page.split("<main")[1]


def test_load_hearings_command_still_works(runner, app, tmp_path):
    from consult import ROOT
    result = runner.invoke(args=["load-hearings", str(ROOT / "drafts" / "hearings.json")])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert len(db.session().scalars(select(Hearing)).all()) >= 4
