"""The consultation's lifecycle holds Aarhus's promises (../shared/AARHUS.md checklist):
nothing opens or is announced incomplete, time frames are kept or justified, results are
published only when true, the decision is recorded, and each consultation keeps its own
public record."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from consult.core import consultation as lifecycle
from consult.core.time import utcnow
from consult.models import AuditEvent, Comment, Consultation, Hearing, Response

SETTINGS = "/en/settings/"


def consultation(session, slug: str | None = None) -> Consultation:
    session.expire_all()
    query = select(Consultation)
    if slug:
        query = query.where(Consultation.slug == slug)
    return session.scalar(query)


def events(session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def period_form(opens: str, closes: str, **justification) -> dict:
    data = {"period-opens": opens, "period-closes": closes}
    data.update({f"period-justification_{code}": text for code, text in justification.items()})
    return data


@pytest.fixture
def draft(make_document):
    """A consultation in preparation: its document imported, nothing announced."""
    return make_document(announced=False)


# ---------------------------------------------------------------- 1 and 2: a complete notice

def test_an_empty_notice_cannot_be_announced_nor_its_period_set(client, login, session,
                                                                 draft, runner):
    login("admin")
    page = client.get(SETTINGS).get_data(as_text=True)
    assert "In preparation" in page and "Title (Кыргызча)" in page
    refused = client.post(SETTINGS + "announce", follow_redirects=True)
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422
    for missing in ("Title (Русский)", "Legal basis (Кыргызча)",
                    "Whether an environmental assessment applies",
                    "The public hearings", "Until when comments are accepted"):
        assert missing in text, missing
    refused = client.post(SETTINGS + "period", data=period_form("2025-06-01T09:00",
                                                                 "2025-07-15T18:00"))
    assert refused.status_code == 422 and "The notice is not complete" in \
        refused.get_data(as_text=True)
    result = runner.invoke(args=["set-period", "--opens", "2025-06-01T09:00",
                                 "--closes", "2025-07-15T18:00"])
    assert result.exit_code == 1 and "Contact for questions (Русский)" in result.output
    result = runner.invoke(args=["announce"])
    assert result.exit_code == 1 and "What is proposed" in result.output
    c = consultation(session)
    assert c.announced_at is None and c.opens_at is None
    assert events(session, "consultation.announce") == []


def test_a_notice_in_preparation_is_not_public(client, login, draft):
    assert "No consultation yet" in client.get("/en/").get_data(as_text=True)
    assert client.get("/en/documents/sample-programme/").status_code == 404
    assert client.get("/en/consultations/test-consultation/").status_code == 404
    login("admin")
    page = client.get("/en/").get_data(as_text=True)
    assert "Not public yet: visible to staff only." in page


def test_the_notice_is_written_period_set_and_announced(client, login, session, draft):
    login("admin")
    data = {}
    for item in ("title", "proposal", "authority", "developer", "contact", "documents_at",
                 "how_to_comment", "legal_basis"):
        data.update({f"notice-{item}_ky": f"{item} ky text", f"notice-{item}_ru":
                     f"{item} ru text"})
    data["notice-assessment_applies"] = "yes"
    response = client.post(SETTINGS + "notice", data=data)
    assert response.status_code == 302
    # The assessment applies: where to read it is now missing.
    missing = [str(m) for m in lifecycle.notice_missing(session, consultation(session))]
    assert "Where the environmental assessment can be read (Кыргызча)" in missing
    data.update({"notice-assessment_at_ky": "SEA report, room 5", "notice-assessment_at_ru":
                 "Отчёт СЭО, комната 5"})
    client.post(SETTINGS + "notice", data=data)
    client.post("/en/hearings/manage/new", data={
        "city_ky": "Нарын", "starts_at": (datetime.now() + timedelta(days=20)).strftime(
            "%Y-%m-%dT%H:%M"), "venue_ky": "Мэрия", "format": "hybrid",
        "languages": ["ky", "ru"], "status": "planned"})
    opens = (datetime.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    closes = (datetime.now() + timedelta(days=46)).strftime("%Y-%m-%dT%H:%M")
    assert client.post(SETTINGS + "period", data=period_form(opens, closes)).status_code == 302
    assert client.post(SETTINGS + "announce").status_code == 302
    c = consultation(session)
    assert c.announced_at is not None and c.assessment_applies is True
    [event] = events(session, "consultation.announce")
    assert event.after["announced_at"]
    assert events(session, "consultation.notice")
    public = client.get("/ru/").get_data(as_text=True)
    assert "Announced" in client.get("/en/").get_data(as_text=True)
    assert "proposal ru text" in public and "Отчёт СЭО, комната 5" in public
    assert "legal_basis ru text" in public and "documents_at ru text" in public


# ---------------------------------------------------------------- 3: time frames

def test_a_short_period_needs_a_justification_in_kyrgyz_and_russian(client, login, session,
                                                                    draft, complete_notice,
                                                                    runner):
    complete_notice()
    login("admin")
    start = datetime.now() + timedelta(days=1)
    opens, closes = (start.strftime("%Y-%m-%dT%H:%M"),
                     (start + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"))
    refused = client.post(SETTINGS + "period", data=period_form(opens, closes))
    assert refused.status_code == 422
    assert "shorter than 30 days needs a justification" in refused.get_data(as_text=True)
    refused = client.post(SETTINGS + "period", data=period_form(
        opens, closes, ky="Шашылыш: мөөнөт мыйзам боюнча кыска."))
    assert refused.status_code == 422 and "Русский" in refused.get_data(as_text=True)
    result = runner.invoke(args=["set-period", "--opens", opens, "--closes", closes,
                                 "--justification-ky", "Шашылыш: мөөнөт мыйзам боюнча кыска."])
    assert result.exit_code == 1 and "justification" in result.output
    accepted = client.post(SETTINGS + "period", data=period_form(
        opens, closes, ky="Шашылыш: мөөнөт мыйзам боюнча кыска.",
        ru="Срочно: срок сокращён по требованию закона."))
    assert accepted.status_code == 302
    c = consultation(session)
    assert c.period_justification["ru"] == "Срочно: срок сокращён по требованию закона."
    [event] = events(session, "consultation.period")
    assert event.after["justification"]["ky"].startswith("Шашылыш")
    c.announced_at = utcnow()
    session.commit()
    assert "Срочно: срок сокращён" in client.get("/ru/").get_data(as_text=True)


def test_an_open_period_can_be_extended_never_shortened_or_moved(client, login, session,
                                                                 draft, complete_notice):
    complete_notice()
    c = consultation(session)
    c.announced_at = utcnow() - timedelta(days=10)
    now = utcnow().replace(second=0, microsecond=0)
    c.opens_at, c.closes_at = now - timedelta(days=5), now + timedelta(days=40)
    session.commit()
    login("admin")
    as_input = lambda value: (value + timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M")  # noqa: E731
    shorter = client.post(SETTINGS + "period", data=period_form(
        as_input(c.opens_at), as_input(c.closes_at - timedelta(days=10))))
    assert shorter.status_code == 422 and "can be extended" in shorter.get_data(as_text=True)
    moved = client.post(SETTINGS + "period", data=period_form(
        as_input(c.opens_at + timedelta(days=1)), as_input(c.closes_at)))
    assert moved.status_code == 422
    longer = client.post(SETTINGS + "period", data=period_form(
        as_input(c.opens_at), as_input(c.closes_at + timedelta(days=7))))
    assert longer.status_code == 302
    [event] = events(session, "consultation.extend")
    assert event.before["closes_at"] < event.after["closes_at"]


def test_comments_wait_for_the_announcement(client, session, draft):
    c = consultation(session)
    c.opens_at, c.closes_at = utcnow() - timedelta(days=1), utcnow() + timedelta(days=30)
    session.commit()
    assert not c.is_open()
    c.announced_at = utcnow()
    session.commit()
    response = client.post("/en/documents/sample-programme/1/", data={
        "body": "Now it is open.", "consent": "anonymous", "category": "individual"})
    assert response.status_code == 302


def hearing_form(starts: datetime, **fields) -> dict:
    data = {"city_ky": "Нарын", "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
            "format": "hybrid", "languages": ["ky", "ru"], "status": "planned"}
    data.update(fields)
    return data


def test_a_hearing_at_short_notice_needs_its_venue_and_a_recorded_reason(client, login,
                                                                         session, draft):
    login("moderator")
    soon = datetime.now() + timedelta(hours=20)
    refused = client.post("/en/hearings/manage/new", data=hearing_form(soon))
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "needs its venue" in text and "record why it is announced at short notice" in text
    refused = client.post("/en/hearings/manage/new", data=hearing_form(soon, venue_ky="Зал"))
    assert refused.status_code == 422
    saved = client.post("/en/hearings/manage/new", data=hearing_form(
        soon, venue_ky="Зал", short_notice_reason="Moved after the flood closed the road."))
    assert saved.status_code == 302
    far = client.post("/en/hearings/manage/new", data=hearing_form(
        datetime.now() + timedelta(days=15)))
    assert far.status_code == 302  # enough notice: the venue may still be confirmed
    hearing = session.scalar(select(Hearing).where(Hearing.short_notice_reason != ""))
    c = consultation(session)
    c.announced_at = utcnow()
    session.commit()
    schedule = client.get("/en/hearings/").get_data(as_text=True)
    assert "Announced at short notice." in schedule and "flood closed the road" in schedule
    # Moving the far hearing to within the notice period needs a reason too.
    other = session.scalar(select(Hearing).where(Hearing.id != hearing.id))
    moved = client.post(f"/en/hearings/{other.id}/edit", data=hearing_form(
        datetime.now() + timedelta(days=2), venue_ky="Зал"))
    assert moved.status_code == 422


# ---------------------------------------------------------------- 4: publication tells the truth

def test_results_are_refused_before_the_close_and_with_unanswered_comments(
        client, login, session, make_document, open_period, comment_on, close_period):
    make_document()
    open_period()
    comment = comment_on(session, answer=("noted", "", ""))
    session.commit()
    login("admin")
    page = client.get("/en/results/publish").get_data(as_text=True)
    assert "can be published once the period has closed" in page
    assert 'action="/en/results/publish' not in page  # no button that would be refused
    # Every comment is answered, but the period is open: refused all the same.
    page = client.post("/en/results/publish", follow_redirects=True).get_data(as_text=True)
    assert "the consultation period has not closed yet" in page
    assert consultation(session).results_published_at is None
    unanswered = comment_on(session, key="2")
    session.commit()
    close_period()
    page = client.post("/en/results/publish", follow_redirects=True).get_data(as_text=True)
    assert "1 comment has no answer" in page
    assert "Answer the comments listed below" in page
    assert consultation(session).results_published_at is None
    session.add(Response(comment_id=unanswered.id, status="noted"))
    session.commit()
    page = client.post("/en/results/publish", follow_redirects=True).get_data(as_text=True)
    assert "The results are published." in page
    assert comment.id


def test_a_late_letter_after_publication_is_shown_as_late_and_counted(
        client, login, session, make_document, comment_on, close_period):
    make_document()
    close_period()
    comment_on(session, answer=("noted", "", ""))
    session.commit()
    login("admin")
    client.post("/en/results/publish")
    results = client.get("/en/results/").get_data(as_text=True)
    assert "1 comment received, through any channel, has been answered" in results
    late = comment_on(session, channel="post", body="A letter that came late.",
                      in_period=False)
    late.created_at = utcnow() + timedelta(minutes=1)
    session.commit()
    results = client.get("/en/results/").get_data(as_text=True)
    assert "1 comment received has no answer yet." in results
    assert "recorded after these results were published" in results
    page = client.get("/en/results/sample-programme/").get_data(as_text=True)
    assert "Received after the results were published" in page


# ---------------------------------------------------------------- 5: the decision

def test_the_decision_is_recorded_after_the_results_and_shown(client, login, session,
                                                              make_document, comment_on,
                                                              close_period):
    make_document()
    close_period()
    comment_on(session, answer=("accepted", "Agreed with the comment.", "clause 1 reworded"))
    session.commit()
    login("admin")
    decision = {"decision-title_ky": "Программа бекитилди", "decision-title_ru":
                "Программа утверждена", "decision-number": "123",
                "decision-adopted_on": "2026-01-20",
                "decision-published_url": "https://cbd.minjust.gov.kg/123",
                "decision-text_url": "https://example.org/programme.pdf",
                "decision-reasons_ky": "Пикирлер эске алынды.",
                "decision-reasons_ru": "Замечания учтены в редакции."}
    early = client.post(SETTINGS + "decision", data=decision)
    assert early.status_code in (400, 422)
    assert consultation(session).decision is None
    client.post("/en/results/publish")
    assert client.post(SETTINGS + "decision", data=decision).status_code == 302
    c = consultation(session)
    assert c.decision.number == "123" and c.decision.adopted_on == date(2026, 1, 20)
    assert lifecycle.phase(session, c) == "decided"
    assert events(session, "consultation.decision")
    notice = client.get("/ru/").get_data(as_text=True)
    assert "Программа утверждена" in notice and "Замечания учтены в редакции." in notice
    assert "https://cbd.minjust.gov.kg/123" in notice
    results = client.get("/ru/results/").get_data(as_text=True)
    assert "Программа утверждена" in results
    # The decision was taken on these results: they cannot be taken down any more.
    client.post("/en/results/unpublish")
    assert consultation(session).results_published_at is not None


# ---------------------------------------------------------------- 8: the comment's language

def test_a_russian_comment_from_the_kyrgyz_page_is_stored_as_russian(client, session,
                                                                     make_document,
                                                                     open_period):
    make_document()
    open_period()
    page = client.get("/ky/documents/sample-programme/1/").get_data(as_text=True)
    assert 'name="language"' in page
    response = client.post("/ky/documents/sample-programme/1/", data={
        "body": "Прошу сохранить арчовые леса.", "language": "ru", "consent": "anonymous",
        "category": "individual"})
    assert response.status_code == 302
    comment = session.scalar(select(Comment))
    assert comment.language == "ru"
    comment.state = "published"
    session.commit()
    page = client.get("/ky/documents/sample-programme/1/").get_data(as_text=True)
    assert 'lang="ru">Прошу сохранить арчовые леса.' in page


# ---------------------------------------------------------------- 9: many consultations

def test_two_consultations_each_keep_their_public_record(client, session, make_document,
                                                         comment_on, close_period):
    make_document("old-programme", consultation="old-consultation")
    close_period()
    comment_on(session, slug="old-programme", body="Said in the first consultation.",
               answer=("noted", "", ""))
    old = consultation(session, "old-consultation")
    old.title = {"en": "The first consultation"}
    lifecycle_now = utcnow()
    old.announced_at = lifecycle_now - timedelta(days=60)
    old.results_published_at = lifecycle_now - timedelta(hours=1)
    session.commit()
    make_document("new-programme", consultation="new-consultation")
    new = consultation(session, "new-consultation")
    new.title = {"en": "The second consultation"}
    new.announced_at = lifecycle_now
    session.commit()
    assert "The second consultation" in client.get("/en/").get_data(as_text=True)
    archive = client.get("/en/consultations/").get_data(as_text=True)
    assert "The first consultation" in archive and "The second consultation" in archive
    old_notice = client.get("/en/consultations/old-consultation/").get_data(as_text=True)
    assert "The first consultation" in old_notice and "Results published" in old_notice
    old_results = client.get("/en/consultations/old-consultation/results/old-programme/")
    assert old_results.status_code == 200
    assert "Said in the first consultation." in old_results.get_data(as_text=True)
    csv_text = client.get("/en/consultations/old-consultation/results/synthesis.csv")
    assert "Said in the first consultation." in csv_text.get_data(as_text=True)
    # The current consultation's results are not yet public, and do not mix with the old.
    assert "will appear here" in client.get("/en/results/").get_data(as_text=True)
    # A consultation still in preparation is not public at its address either.
    make_document("next-programme", consultation="next-consultation", announced=False)
    assert client.get("/en/consultations/next-consultation/").status_code == 404
    assert "The second consultation" in client.get("/en/").get_data(as_text=True)
    assert "next-consultation" not in client.get("/en/consultations/").get_data(as_text=True)


def test_the_phase_is_shown_on_the_notice_and_in_the_staff_header(client, login, session,
                                                                  make_document,
                                                                  open_period):
    make_document()
    open_period()
    login("drafter")
    header = client.get("/en/desk/").get_data(as_text=True)
    assert 'class="phase"' in header and "Open for comments" in header
    assert "Open for comments" in client.get("/en/").get_data(as_text=True)


def test_once_decided_answers_are_final(client, login, session, make_document, comment_on,
                                        close_period, drafter):
    from consult.models import Decision
    from consult.synthesis.answers import AnswerInvalid, save_answer
    from consult.synthesis.groups import GroupRefused, create_group
    make_document()
    close_period()
    a = comment_on(session, answer=("noted", "", ""))
    b = comment_on(session, answer=("noted", "", ""))
    c = consultation(session)
    c.results_published_at = utcnow()
    session.add(Decision(consultation_id=c.id, adopted_on=date(2026, 1, 20),
                         title={"en": "Adopted"}, reasons={"en": "Because."},
                         published_url="https://example.org/d"))
    session.commit()
    with pytest.raises(AnswerInvalid) as refused:
        save_answer(session, a, "accepted", "", "no change", drafter, 1)
    assert "can no longer be changed" in refused.value.messages["status"]
    with pytest.raises(GroupRefused):
        create_group(session, [a.id, b.id], drafter)
    session.rollback()
    login("admin")
    response = client.post("/en/settings/period", data=period_form("2027-01-01T09:00",
                                                                    "2027-03-01T09:00"))
    assert response.status_code == 422


def test_staff_pages_the_workbook_and_the_api_take_the_consultation(
        client, login, session, make_document, comment_on, app):
    import io

    from openpyxl import load_workbook
    make_document("first-programme", consultation="first")
    comment_on(session, slug="first-programme", body="Comment of the first.")
    session.commit()
    make_document("second-programme", consultation="second")
    comment_on(session, slug="second-programme", body="Comment of the second.")
    session.commit()
    make_document("draft-programme", consultation="third", announced=False)
    comment_on(session, slug="draft-programme", body="Comment on a draft in preparation.")
    session.commit()
    api = client.get("/api/v1/comments?consultation=first").get_json()
    assert [c["document"] for c in api["data"]] == ["first-programme"]
    everything = str(client.get("/api/v1/comments").get_json())
    assert "first-programme" in everything and "second-programme" in everything
    assert "draft-programme" not in everything  # in preparation: not open data
    assert client.get("/api/v1/comments?consultation=third").status_code == 404
    assert client.get("/api/v1/documents/draft-programme").status_code == 404
    documents = client.get("/api/v1/documents?consultation=second").get_json()
    assert [d["slug"] for d in documents["data"]] == ["second-programme"]
    login("drafter")
    desk = client.get("/en/desk/?consultation=first").get_data(as_text=True)
    assert "Comment of the first." in desk and "Comment of the second." not in desk
    workbook = load_workbook(io.BytesIO(client.get(
        "/en/synthesis.xlsx?consultation=second").data), read_only=True)
    cells = {str(v) for row in workbook.worksheets[1].iter_rows(values_only=True) for v in row}
    assert "Comment of the second." in cells and "Comment of the first." not in cells
    assert client.get("/en/desk/?consultation=nowhere").status_code == 404
