"""The drafters' work shared out and reviewed (issue 12, items 1 and 2): findable files,
the desk as landing page, save and next, progress, chapters and comments given to
drafters, answers approved by a lead drafter before the public reads them."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from consult.models import AuditEvent, ChapterAssignment, Comment, Consultation, Response, User
from consult.synthesis import review

DESK = "/en/desk/?doc=sample-programme"


@pytest.fixture
def answered(session, make_document, comment_on, close_period):
    """The sample document (answers need approval) with three comments: on clause 1
    (chapter 1), clause 3 (chapter 2) and the whole document; the first answered."""
    make_document(approval=True)
    close_period()
    made = {"one": comment_on(session, key="1", body="On clause one.",
                              answer=("noted", "Considered, thank you.", "")),
            "three": comment_on(session, key="3", body="On clause three."),
            "whole": comment_on(session, key=None, body="On the whole document.")}
    session.commit()
    return made


def user_id(session, role) -> int:
    return session.scalar(select(User.id).where(User.role == role).order_by(User.id.desc()))


def answer_form(**values) -> dict:
    return {"status": "noted", "language": "en", "rationale": "Considered carefully.",
            "change": "", "base_revision": "", **values}


# ---------------------------------------------------------------- findable

def test_drafters_land_on_the_desk_and_find_every_file(client, make_user, answered):
    make_user("drafter", email="drafter@example.org")
    response = client.post("/en/login", data={"email": "drafter@example.org",
                                              "password": "correct horse battery"})
    assert response.headers["Location"] == "/en/desk/"
    desk = client.get(DESK).get_data(as_text=True)
    assert 'href="/en/synthesis/?consultation=test-consultation#document-sample-programme"' \
        in desk
    assert '<a href="/en/synthesis/">Synthesis files</a>' in desk  # in the staff menu
    files = client.get("/en/synthesis/").get_data(as_text=True)
    for lang in ("ky", "ru", "en"):
        assert (f'href="/{lang}/synthesis.xlsx?consultation=test-consultation&amp;'
                f'document=sample-programme&amp;public=1"') in files
        assert (f'href="/{lang}/synthesis.docx?consultation=test-consultation&amp;'
                f'document=sample-programme"') in files
    assert 'href="/en/synthesis/answers"' in files


def test_other_roles_see_no_synthesis_links(client, login, answered):
    login("moderator")
    page = client.get("/en/moderation/").get_data(as_text=True)
    assert "/en/synthesis/" not in page and "Answers to review" not in page
    assert client.get("/en/synthesis/").status_code == 403
    login("drafter")
    assert "Answers to review" not in client.get(DESK).get_data(as_text=True)


def test_the_desk_shows_progress_per_document_and_chapter(client, login, answered):
    login("drafter")
    page = client.get(DESK).get_data(as_text=True)
    assert '<progress max="3" value="1"' in page
    chapters = page[page.index('class="chapters"'):]
    assert re.search(r"Chapter 1\. General provisions</th>.*?>1 \(100%\)</td>.*?>1</td>",
                     chapters, re.S)
    assert re.search(r"Chapter 2\. Measures</th>.*?>0 \(0%\)</td>.*?>1</td>", chapters, re.S)
    assert "The whole document and deleted clauses" in chapters


def test_save_and_next_opens_the_next_unanswered_comment(client, login, answered):
    login("drafter")
    three, whole = answered["three"], answered["whole"]
    response = client.post(f"/en/desk/comments/{three.id}/",
                           data=answer_form(save_next="1"))
    assert response.headers["Location"] == f"/en/desk/comments/{whole.id}/"
    response = client.post(f"/en/desk/comments/{whole.id}/", data=answer_form(save_next="1"))
    assert response.headers["Location"] == "/en/desk/?doc=sample-programme"  # all answered
    plain = client.post(f"/en/desk/comments/{three.id}/", data=answer_form(
        base_revision="1", save="1"))
    assert plain.headers["Location"] == f"/en/desk/comments/{three.id}/"


def test_save_and_next_goes_on_through_the_document_when_the_queue_holds_nothing(
        client, login, make_user, session, answered):
    """A drafter whose chapter holds no comment of theirs (its one comment was given to
    someone else) has no queue: "save and next" goes on to the document's next
    unanswered comment, not to "every comment here has an answer"."""
    me = session.get(User, login("drafter"))
    other = session.get(User, make_user("drafter", email="other@example.org"))
    document = answered["one"].document
    measures = next(c.position for c in review.chapters(session, document)
                    if c.heading.get("en") == "Chapter 2. Measures")
    review.assign_chapter(session, document, measures, me, None)
    review.assign_comment(session, answered["three"], other, None)
    session.commit()
    assert not review.has_queue(session, me, document.id)
    assert review.has_queue(session, other, document.id)
    response = client.post(f"/en/desk/comments/{answered['three'].id}/",
                           data=answer_form(save_next="1"))
    assert response.headers["Location"] == f"/en/desk/comments/{answered['whole'].id}/"


# ---------------------------------------------------------------- work shared out

def test_a_lead_gives_out_chapters_and_comments_and_each_drafter_has_a_queue(
        client, login, make_user, session, answered):
    aida = make_user("drafter", email="aida@example.org")
    bakyt = make_user("drafter", email="bakyt@example.org")
    login("lead")
    page = client.get("/en/desk/assignments?doc=sample-programme").get_data(as_text=True)
    assert "aida@example.org" in page and "Chapter 2. Measures" in page
    positions = sorted(session.scalars(select(ChapterAssignment.chapter_position)))
    assert positions == []
    chapter = {c.heading["en"]: c.position for c in review.chapters(
        session, answered["one"].document) if c.position is not None}
    response = client.post("/en/desk/assignments?doc=sample-programme", data={
        f"chapter-{chapter['Chapter 1. General provisions']}": str(aida),
        f"chapter-{chapter['Chapter 2. Measures']}": str(aida)})
    assert response.status_code == 302
    # One comment of Aida's chapter 2 goes to Bakyt instead.
    client.post(f"/en/desk/comments/{answered['three'].id}/assign",
                data={"assign-drafter": str(bakyt)})
    session.expire_all()
    assert session.get(Comment, answered["three"].id).assignee_id == bakyt
    actions = [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions.count("assignment.chapter") == 2 and "assignment.comment" in actions

    aida_user, bakyt_user = session.get(User, aida), session.get(User, bakyt)
    def queue(user):
        return set(session.scalars(select(Comment.body).where(review.mine(user))))
    assert queue(aida_user) == {"On clause one."}
    assert queue(bakyt_user) == {"On clause three."}
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = f"{bakyt}.1"
    desk = client.get(DESK + "&mine=1").get_data(as_text=True)
    assert "On clause three." in desk and "On clause one." not in desk
    assert "My queue: 1 comment to answer" in desk
    # A refused choice changes nothing.
    refused = client.post("/en/desk/assignments?doc=sample-programme",
                          data={f"chapter-{chapter['Chapter 2. Measures']}": "999"})
    assert refused.status_code == 403  # Bakyt is not a lead


def test_the_counted_queue_is_the_queue_the_desk_lists(session, make_user, answered):
    """The desk counts a queue from its one pass over the comments (``queue_counts``) and
    lists it with ``mine``: the same rule, whoever has which chapter or comment."""
    aida, bakyt, cholpon = (session.get(User, make_user("drafter", email=f"{n}@example.org"))
                            for n in ("aida", "bakyt", "cholpon"))
    document = answered["one"].document
    chapter = {c.heading["en"]: c.position for c in review.chapters(session, document)
               if c.position is not None}
    review.assign_chapter(session, document, chapter["Chapter 1. General provisions"], aida,
                          None)
    review.assign_chapter(session, document, chapter["Chapter 2. Measures"], aida, None)
    review.assign_comment(session, answered["three"], bakyt, None)  # out of Aida's chapter
    review.assign_comment(session, answered["whole"], cholpon, None)  # no chapter at all
    session.commit()
    counted = review.progress(session, document)
    for user, expected in ((aida, (1, 0)), (bakyt, (1, 1)), (cholpon, (1, 1))):
        listed = session.scalars(select(Comment).where(review.mine(user))).all()
        unanswered = [c for c in listed if c.answer is None]
        assert review.queue_counts(session, user, counted) == \
            (len(listed), len(unanswered)) == expected, user.email
    nobody = session.get(User, make_user("drafter", email="dinara@example.org"))
    assert review.queue_counts(session, nobody, counted) is None
    assert not session.scalars(select(Comment).where(review.mine(nobody))).all()
    assert counted.counts() == {"total": 3, "answered": 1, "unanswered": 2}


def test_assignments_refuse_what_is_not_a_drafter(client, login, make_user, session,
                                                  answered):
    moderator = make_user("moderator")
    login("lead")
    client.post(f"/en/desk/comments/{answered['three'].id}/assign",
                data={"assign-drafter": str(moderator)}, follow_redirects=True)
    session.expire_all()
    assert session.get(Comment, answered["three"].id).assignee_id is None
    page = client.post("/en/desk/assignments?doc=sample-programme", data={"chapter-0": "999"},
                       follow_redirects=True).get_data(as_text=True)
    assert "can only be given to an active drafter" in page
    assert session.scalar(select(ChapterAssignment)) is None


# ---------------------------------------------------------------- review of answers

def public_answer_shown(client, comment) -> bool:
    page = client.get(f"/en/receipts/{comment.receipt_code}/").get_data(as_text=True)
    return "Considered" in page


def test_answers_reach_the_public_only_once_a_lead_approves_them(client, login, session,
                                                                 answered):
    one = answered["one"]
    assert not public_answer_shown(client, one)
    login("drafter")
    client.post(f"/en/desk/comments/{answered['three'].id}/", data=answer_form(ready="y"))
    # Publishing the results waits for the approvals.
    login("admin")
    for comment in answered.values():
        if comment.answer is None:
            client.post(f"/en/desk/comments/{comment.id}/", data=answer_form())
    page = client.post("/en/results/publish", follow_redirects=True).get_data(as_text=True)
    assert "answers are not approved by a lead drafter yet" in page
    assert session.scalar(select(Consultation)).results_published_at is None

    login("lead")
    queue = client.get("/en/desk/review").get_data(as_text=True)
    assert "On clause three." in queue and "On clause one." not in queue  # marked ready only
    everything = client.get("/en/desk/review?all=1").get_data(as_text=True)
    assert "On clause one." in everything
    ids = [str(r.id) for r in session.scalars(select(Response))]
    response = client.post("/en/desk/review", data={"response": ids})
    assert response.status_code == 302
    session.expire_all()
    assert all(r.approved_at is not None for r in session.scalars(select(Response)))
    assert public_answer_shown(client, one)
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "response.approve"))
    assert len(list(events)) == 3
    login("admin")
    page = client.post("/en/results/publish", follow_redirects=True).get_data(as_text=True)
    assert "The results are published." in page

    # The words change: approval is needed again, and the public no longer reads them.
    login("drafter")
    current = session.scalar(select(Response).where(Response.comment_id == one.id))
    client.post(f"/en/desk/comments/{one.id}/", data=answer_form(
        rationale="Considered again, more carefully.", base_revision=str(current.revision)))
    session.expire_all()
    assert session.get(Response, current.id).approved_at is None
    assert not public_answer_shown(client, one)
    api = client.get("/api/v1/comments").get_json()["data"]
    assert {c["id"]: c["answer"] for c in api}[one.id] is None


def test_a_lead_sends_an_answer_back_with_a_note(client, login, session, answered):
    one = answered["one"]
    login("drafter")
    assert client.post(f"/en/desk/comments/{one.id}/return",
                       data={"note": "Say which law."}).status_code == 403
    login("lead")
    client.post(f"/en/desk/comments/{one.id}/return", data={"note": ""})
    session.expire_all()
    assert session.scalar(select(AuditEvent).where(
        AuditEvent.action == "response.return")) is None  # a note is needed
    client.post(f"/en/desk/comments/{one.id}/return", data={"note": "Say which law."})
    login("drafter")
    page = client.get(f"/en/desk/comments/{one.id}/").get_data(as_text=True)
    assert "Sent back by the lead drafter: Say which law." in page
    assert "draft: the public does not read it yet" in page


def test_a_lead_approves_from_the_answer_page(client, login, session, answered):
    one = answered["one"]
    login("drafter")
    assert client.post(f"/en/desk/comments/{one.id}/approve").status_code == 403
    login("lead")
    page = client.get(f"/en/desk/comments/{one.id}/").get_data(as_text=True)
    assert "Approve this answer" in page
    client.post(f"/en/desk/comments/{one.id}/approve")
    session.expire_all()
    assert session.scalar(select(Response)).approved_by_id == user_id(session, "lead")
    assert public_answer_shown(client, one)


def test_without_approval_answers_are_public_at_once(client, login, session, answered):
    login("admin")
    form = {"moderation-moderation": "pre"}  # the approval box left unticked
    assert client.post("/en/settings/moderation", data=form).status_code == 302
    session.expire_all()
    assert session.scalar(select(Consultation)).answer_approval is False
    assert public_answer_shown(client, answered["one"])
    assert session.scalar(select(AuditEvent).where(
        AuditEvent.action == "consultation.answer_approval")) is not None


def test_only_a_lead_drafter_approves_even_through_the_service(session, answered, drafter):
    response = session.scalar(select(Response))
    with pytest.raises(review.ReviewRefused):
        review.approve(session, [response], drafter)
    with pytest.raises(review.ReviewRefused):
        review.send_back(session, response, drafter, "No.")
    assert response.approved_at is None
