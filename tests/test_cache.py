"""When a cached page changes is decided in consult/cache.py, not remembered by callers.

A document's public revision goes up whenever a comment, its moderation state, its
answer, its group or the publication of the results changes, whoever makes the change,
through the unit of work or a bulk statement; nothing else moves it.
"""
from __future__ import annotations

import secrets

from sqlalchemy import insert, select, update

from consult import cache
from consult.core.time import utcnow
from consult.models import Comment, Consultation, Document, DuplicateGroup, Response, User


def revision(session, document) -> int:
    session.expire_all()
    return session.scalar(select(Document.public_revision).where(Document.id == document.id))


def test_every_change_to_what_pages_show_revises_the_document(session, doc, add_comment):
    steps = []
    start = revision(session, doc)
    comment = add_comment(session, doc, "1", "A comment.")           # recorded
    steps.append(revision(session, doc))
    comment.state = "hidden"                                         # moderated, no service
    session.commit()
    steps.append(revision(session, doc))
    session.add(Response(comment_id=comment.id, status="noted"))     # answered
    session.commit()
    steps.append(revision(session, doc))
    answer = session.scalar(select(Response))
    answer.rationale = "Changed."                                   # answer edited
    session.commit()
    steps.append(revision(session, doc))
    group = DuplicateGroup(document_id=doc.id, clause_key="1")      # grouped
    session.add(group)
    session.commit()
    steps.append(revision(session, doc))
    session.scalar(select(Consultation)).results_published_at = utcnow()  # results published
    session.commit()
    steps.append(revision(session, doc))
    assert steps == sorted(set(steps)) and steps[0] > start, steps


def test_bulk_statements_revise_too(session, doc):
    before = revision(session, doc)
    session.execute(insert(Comment), [dict(
        consultation_id=doc.consultation_id, document_id=doc.id,
        version_id=doc.current_version_id, clause_key="1", language="ru", body="Bulk.",
        receipt_code=secrets.token_hex(8), state="published")])
    session.commit()
    after_insert = revision(session, doc)
    session.execute(update(Comment).values(state="hidden", hidden_reason="spam"))
    session.commit()
    assert before < after_insert < revision(session, doc)


def test_a_comment_revises_its_own_document_only(session, doc, make_document):
    """A comment inserted in bulk (as every channel records them) names its document: only
    that one is revised. Revising every document on each comment made concurrent comments
    on PostgreSQL deadlock on the document rows."""
    other = make_document("other-programme")
    before = revision(session, other)
    session.execute(insert(Comment).returning(Comment.id), [dict(
        consultation_id=doc.consultation_id, document_id=doc.id,
        version_id=doc.current_version_id, clause_key="1", language="ru", body="Mine.",
        receipt_code=secrets.token_hex(8), state="published")])
    session.commit()
    assert revision(session, other) == before


def test_changes_elsewhere_leave_the_revision_alone(session, doc, make_user):
    before = revision(session, doc)
    user = session.get(User, make_user("drafter"))
    user.name = "Renamed"
    session.commit()
    assert revision(session, doc) == before


def test_one_call_clears_every_cache():
    first, second = cache.lru("test.first", 4), cache.lru("test.second", 4)
    first.set("a", 1)
    second.set("b", 2)
    assert cache.lru("test.first", 4) is first and first.get("a") == 1
    cache.clear_all()
    assert first.get("a") is None and second.get("b") is None and len(first) == 0


def test_a_moderation_change_reaches_the_cached_page(client, session, doc, add_comment,
                                                     open_period):
    comment = add_comment(session, doc, "1", "Visible words.")
    url = "/en/documents/sample-programme/1/"
    assert "Visible words." in client.get(url).get_data(as_text=True)
    assert "Visible words." in client.get(url).get_data(as_text=True)  # from the cache
    session.execute(update(Comment).where(Comment.id == comment.id)
                    .values(state="hidden", hidden_reason="abuse"))
    session.commit()
    assert "Visible words." not in client.get(url).get_data(as_text=True)


def test_a_comment_waiting_for_moderation_leaves_the_pages_alone(session, doc):
    """It shows on no public page; not revising spares the document's row a lock per
    comment, so that comments on one document are recorded side by side."""
    before = revision(session, doc)
    session.execute(insert(Comment).returning(Comment.id), [dict(
        consultation_id=doc.consultation_id, document_id=doc.id,
        version_id=doc.current_version_id, clause_key="1", language="ru", body="Waiting.",
        receipt_code=secrets.token_hex(8))])
    session.add(Comment(consultation_id=doc.consultation_id, document_id=doc.id,
                        version_id=doc.current_version_id, clause_key="1", language="ky",
                        body="Waiting too.", receipt_code=secrets.token_hex(8), state="new"))
    session.commit()
    assert revision(session, doc) == before
    for comment in session.scalars(select(Comment)):
        comment.state = "published"  # now it shows
    session.commit()
    assert revision(session, doc) > before
