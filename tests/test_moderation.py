"""The moderation queue: publish, hide with a reason, never delete; every change audited."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consult.comments import moderation
from consult.core.time import utcnow
from consult.models import AuditEvent, Clause, Comment, Document

QUEUE = "/en/moderation/"


@pytest.fixture
def comments(session, make_document, open_period, submit_online):
    """Three new comments on the sample document, received a minute apart; returns ids."""
    make_document()
    open_period()
    clause = session.scalar(select(Clause).where(Clause.key == "2"))
    document = session.scalar(select(Document))
    start = utcnow() - timedelta(minutes=10)
    ids = []
    for i, (target, body) in enumerate([(clause, "First about clause two"),
                                        (document, "Second on the whole document"),
                                        (clause, "Third, abusive words")]):
        outcome = submit_online(
            session, target, {"body": body, "consent": "anonymous", "category": "ngo"},
            f"client-{i}", now=start + timedelta(minutes=i))
        ids.append(outcome.comment.id)
    session.commit()
    return ids


def state_of(session, comment_id: int) -> tuple[str, str]:
    session.expire_all()
    comment = session.get(Comment, comment_id)
    return comment.state, comment.hidden_reason


def revision(session) -> int:
    session.expire_all()
    return session.scalar(select(Document.public_revision))


def test_queue_sends_the_public_to_sign_in(client):
    response = client.get(QUEUE)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post("/en/moderation/1/", data={"action": "publish"}).status_code == 302


def test_queue_refuses_drafters(client, session, login, comments):
    login("drafter")
    assert client.get(QUEUE).status_code == 403
    assert client.post(f"/en/moderation/{comments[0]}/",
                       data={"action": "publish"}).status_code == 403
    assert state_of(session, comments[0]) == ("new", "")


def test_queue_lists_new_comments_oldest_first_with_context(client, login, comments):
    login("moderator")
    page = client.get(QUEUE).get_data(as_text=True)
    first = page.index("First about clause two")
    assert first < page.index("Second on the whole document") < page.index("Third, abusive")
    assert "Sample programme" in page and "Clause 2" in page
    assert "Second clause in English." in page  # the clause excerpt
    assert "Online" in page  # channel


def test_admin_may_moderate(client, login, comments):
    login("admin")
    assert client.get(QUEUE).status_code == 200


def test_publish_from_the_queue(client, session, login, comments):
    user_id = login("moderator")
    before = revision(session)
    response = client.post(f"/en/moderation/{comments[0]}/", data={"action": "publish"})
    assert response.status_code == 302
    assert state_of(session, comments[0]) == ("published", "")
    assert revision(session) == before + 1
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "comment.publish"))
    assert event.actor_id == user_id and event.object_id == comments[0]
    assert event.before["state"] == "new" and event.after["state"] == "published"
    assert "First about clause two" in client.get("/en/documents/sample-programme/2/").get_data(
        as_text=True)
    assert "First about clause two" not in client.get(QUEUE).get_data(as_text=True)


def test_hide_with_reason_keeps_the_comment(client, session, login, comments):
    login("moderator")
    client.post(f"/en/moderation/{comments[2]}/",
                data={"action": "hide", "reason": "abuse", "note": "insults"})
    comment = session.get(Comment, comments[2])
    session.refresh(comment)
    assert (comment.state, comment.hidden_reason, comment.moderation_note) == \
        ("hidden", "abuse", "insults")
    assert session.scalar(select(func.count()).select_from(Comment)) == 3  # never deleted
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "comment.hide"))
    assert event.before == {"state": "new", "reason": "", "note": ""}
    assert event.after == {"state": "hidden", "reason": "abuse", "note": "insults"}
    hidden = client.get(QUEUE + "?state=hidden").get_data(as_text=True)
    assert "Third, abusive words" in hidden and "Abuse" in hidden and "insults" in hidden


def test_withdrawn_by_author_has_its_own_state(client, session, login, comments):
    login("moderator")
    client.post(f"/en/moderation/{comments[1]}/", data={"action": "hide", "reason": "withdrawn"})
    assert state_of(session, comments[1]) == ("withdrawn", "withdrawn")


def test_hide_without_reason_is_refused(client, session, login, comments):
    login("moderator")
    response = client.post(f"/en/moderation/{comments[0]}/", data={"action": "hide"},
                           follow_redirects=True)
    assert "Choose the reason for hiding the comment." in response.get_data(as_text=True)
    assert state_of(session, comments[0]) == ("new", "")


@pytest.mark.parametrize("data", [{"action": "hide", "reason": "boring"},
                                  {"action": "delete"}])
def test_unknown_action_or_reason_is_refused(client, session, login, comments, data):
    login("moderator")
    client.post(f"/en/moderation/{comments[0]}/", data=data)
    assert state_of(session, comments[0]) == ("new", "")
    assert session.scalar(select(func.count()).select_from(AuditEvent)
                          .where(AuditEvent.action.in_(["comment.hide", "comment.publish"]))) == 0


def test_unknown_comment_is_not_found(client, login, comments):
    login("moderator")
    assert client.post("/en/moderation/999999/", data={"action": "publish"}).status_code == 404


def test_published_comment_can_be_hidden_later_and_republished(client, session, login,
                                                              comments):
    login("moderator")
    url = f"/en/moderation/{comments[0]}/"
    clause_page = "/en/documents/sample-programme/2/"
    client.post(url, data={"action": "publish"})
    assert "First about clause two" in client.get(clause_page).get_data(as_text=True)
    client.post(url + "?state=published", data={"action": "hide", "reason": "personal-data"})
    assert "First about clause two" not in client.get(clause_page).get_data(as_text=True)
    client.post(url + "?state=hidden", data={"action": "publish"})
    assert state_of(session, comments[0]) == ("published", "")
    actions = session.scalars(select(AuditEvent.action).where(
        AuditEvent.object_id == comments[0], AuditEvent.object_type == "comment")
        .order_by(AuditEvent.id)).all()
    assert actions == ["comment.submit", "comment.publish", "comment.hide", "comment.publish"]


def test_document_counts_follow_moderation(client, login, comments):
    login("moderator")
    document = "/en/documents/sample-programme/"
    assert "/2/#comments\">0 comments<" in client.get(document).get_data(as_text=True)
    client.post(f"/en/moderation/{comments[0]}/", data={"action": "publish"})
    assert "/2/#comments\">1 comment<" in client.get(document).get_data(as_text=True)
    client.post(f"/en/moderation/{comments[0]}/", data={"action": "hide", "reason": "spam"})
    assert "/2/#comments\">0 comments<" in client.get(document).get_data(as_text=True)


def test_receipt_shows_moderation_state_and_reason(client, session, login, comments):
    login("moderator")
    code = session.get(Comment, comments[2]).receipt_code
    client.post(f"/en/moderation/{comments[2]}/", data={"action": "hide", "reason": "abuse"})
    page = client.get(f"/en/receipts/{code}/").get_data(as_text=True)
    assert "Hidden" in page and "Abuse" in page


def test_moderation_needs_csrf_token(client, session, login, comments, csrf):
    login("moderator")
    response = client.post(f"/en/moderation/{comments[0]}/", data={"action": "publish"})
    assert response.status_code == 400
    assert state_of(session, comments[0]) == ("new", "")


def test_services_change_nothing_when_nothing_changes(session, comments):
    comment = session.get(Comment, comments[0])
    assert moderation.publish_comment(session, comment, None)
    assert not moderation.publish_comment(session, comment, None)
    with pytest.raises(ValueError):
        moderation.hide_comment(session, comment, "boring", "", None)


@pytest.mark.parametrize("path", ["/en/moderation/", "/en/receipts/unknown-code-000000/"])
def test_security_headers_on_moderation_pages(client, login, comments, path):
    login("moderator")
    headers = client.get(path).headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
