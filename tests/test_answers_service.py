"""save_answer: the rules for an answer, revisions, conflicts and the audit trail."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from consult.models import AuditEvent, DuplicateGroup, Response, User
from consult.synthesis import answers
from consult.synthesis.answers import AnswerConflict, AnswerInvalid, save_answer


@pytest.mark.parametrize("status,rationale,change,fields", [
    ("", "", "", {"status"}),
    ("approved", "why", "no change", {"status"}),
    ("accepted", "", "", {"change"}),
    ("partly-accepted", "", "", {"rationale", "change"}),
    ("not-accepted", "", "", {"rationale"}),
    ("out-of-scope", "  ", "", {"rationale"}),
])
def test_invalid_answers_name_each_broken_field(add_comment,
        session, doc, drafter, status, rationale,
                                                change, fields):
    comment = add_comment(session, doc)
    with pytest.raises(AnswerInvalid) as caught:
        save_answer(session, comment, status, rationale, change, drafter, None)
    assert set(caught.value.messages) == fields
    assert all(caught.value.messages.values())
    session.rollback()
    assert session.scalar(select(Response)) is None
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "response.save")) \
        is None


@pytest.mark.parametrize("status,rationale,change", [
    ("accepted", "", "clause 1 reworded"),
    ("noted", "", ""),
    ("not-accepted", "Не относится к программе.", ""),
    ("partly-accepted", "Частично.", "no change"),
    ("out-of-scope", "Передано в Минприроды.", ""),
])
def test_valid_answers_are_stored(add_comment, session, doc, drafter, status, rationale, change):
    comment = add_comment(session, doc)
    response = save_answer(session, comment, status, rationale, change, drafter, None)
    session.commit()
    assert comment.answer is response
    assert (response.status, response.rationale, response.change) == (status, rationale, change)
    assert response.revision == 1 and response.responder_id == drafter.id


def test_saving_increments_revision_and_audits_before_and_after(add_comment, session, doc, drafter):
    comment = add_comment(session, doc)
    revision_before = doc.public_revision
    first = save_answer(session, comment, "noted", "", "", drafter, None)
    session.commit()
    second = save_answer(session, comment, "accepted", "", "clause 1: 'forests' added",
                         drafter, first.revision)
    session.commit()
    assert second.id == first.id and second.revision == 2
    assert doc.public_revision > revision_before
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "response.save")
                             .order_by(AuditEvent.id)).all()
    assert len(events) == 2
    assert events[0].before is None and events[0].after["status"] == "noted"
    assert events[1].before["status"] == "noted" and events[1].before["revision"] == 1
    assert events[1].after["status"] == "accepted" and events[1].after["revision"] == 2
    assert events[1].actor_id == drafter.id and events[1].object_id == second.id


def test_stale_base_revision_is_refused_with_the_saved_answer(add_comment, session, doc, drafter,
                                                              make_user):
    other = session.get(User, make_user("drafter"))
    comment = add_comment(session, doc)
    save_answer(session, comment, "noted", "", "", drafter, None)
    session.commit()
    # Both opened revision 1; the other drafter saves first.
    save_answer(session, comment, "not-accepted", "Their reason.", "", other, 1)
    session.commit()
    with pytest.raises(AnswerConflict) as caught:
        save_answer(session, comment, "accepted", "", "my change", drafter, 1)
    assert caught.value.current.rationale == "Their reason."
    assert caught.value.current.revision == 2
    session.rollback()
    stored = session.scalar(select(Response))
    assert (stored.status, stored.revision) == ("not-accepted", 2)


def test_creating_over_an_existing_answer_is_a_conflict(add_comment, session, doc, drafter):
    comment = add_comment(session, doc)
    save_answer(session, comment, "noted", "", "", drafter, None)
    session.commit()
    with pytest.raises(AnswerConflict) as caught:
        save_answer(session, comment, "accepted", "", "x", drafter, None)
    assert caught.value.current.status == "noted"


def test_concurrent_creation_is_a_conflict_not_an_error(add_comment, session, doc, drafter, app,
                                                        monkeypatch):
    comment = add_comment(session, doc)
    # Another drafter's answer lands between our read and our insert.
    other = Response(comment_id=comment.id, status="noted", rationale="theirs", change="")
    session.add(other)
    session.commit()
    real = answers.stored_response
    calls = []

    def stale_first(s, c):
        calls.append(1)
        return None if len(calls) == 1 else real(s, c)
    monkeypatch.setattr(answers, "stored_response", stale_first)
    session.expire(comment)
    with pytest.raises(AnswerConflict) as caught:
        save_answer(session, comment, "accepted", "", "x", drafter, None)
    assert caught.value.current.rationale == "theirs"
    session.rollback()
    assert session.scalar(select(Response).where(Response.comment_id == comment.id)).status \
        == "noted"


def test_a_grouped_comment_is_answered_through_its_group(add_comment, session, doc, drafter):
    a = add_comment(session, doc, body="Same text")
    b = add_comment(session, doc, body="Same text")
    group = DuplicateGroup(document_id=doc.id, clause_key="1")
    session.add(group)
    session.flush()
    a.group_id = b.group_id = group.id
    session.commit()
    session.expire_all()
    response = save_answer(session, a, "noted", "", "", drafter, None)
    session.commit()
    assert response.group_id == group.id and response.comment_id is None
    session.expire_all()
    assert b.answer.id == response.id and a.answer.id == response.id
    assert answers.effective_response(b).id == response.id
