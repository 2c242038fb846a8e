"""save_answer: the rules for an answer, revisions, conflicts and the audit trail."""
from __future__ import annotations

import pytest
from flask_babel import force_locale, get_translations
from sqlalchemy import select

from consult.models import AuditEvent, Clause, DocumentVersion, DuplicateGroup, Response, User
from consult.synthesis import answers
from consult.synthesis.answers import (
    AnswerConflict,
    AnswerInvalid,
    save_answer,
    validate_answer,
)


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
    ("partly-accepted", "Частично: остальное уже в пункте 2.", "no change"),
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
    save_answer(session, comment, "not-accepted", "Their reason, said in full.", "", other, 1)
    session.commit()
    with pytest.raises(AnswerConflict) as caught:
        save_answer(session, comment, "accepted", "", "clause 1: my change", drafter, 1)
    assert caught.value.current.rationale == "Their reason, said in full."
    assert caught.value.current.revision == 2
    session.rollback()
    stored = session.scalar(select(Response))
    assert (stored.status, stored.revision) == ("not-accepted", 2)


def test_creating_over_an_existing_answer_is_a_conflict(add_comment, session, doc, drafter):
    comment = add_comment(session, doc)
    save_answer(session, comment, "noted", "", "", drafter, None)
    session.commit()
    with pytest.raises(AnswerConflict) as caught:
        save_answer(session, comment, "accepted", "", "clause 1: x", drafter, None)
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
        save_answer(session, comment, "accepted", "", "clause 1: x", drafter, None)
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


# ------------------------------------------------------------------ quality of answers
# A rationale needs MIN_RATIONALE_CHARS characters; a change names a clause of the
# document (of any of its versions) or says "no change" in one of the site's languages.

MINIMUM = "Вне рамок программы."  # 20 characters, the default minimum


def refused(session, comment, drafter, status, rationale, change, **kwargs) -> dict:
    """The messages of an answer save_answer refuses (nothing stored)."""
    with pytest.raises(AnswerInvalid) as caught:
        save_answer(session, comment, status, rationale, change, drafter, None, **kwargs)
    session.rollback()
    assert session.scalar(select(Response).where(Response.comment_id == comment.id)) is None
    return caught.value.messages


def test_a_short_rationale_is_refused_naming_the_minimum(add_comment, session, doc, drafter):
    comment = add_comment(session, doc)
    messages = refused(session, comment, drafter, "not-accepted", "x", "")
    assert set(messages) == {"rationale"}
    assert "at least 20 characters" in messages["rationale"]
    # Spaces around the text do not count.
    messages = refused(session, comment, drafter, "out-of-scope", f"  {MINIMUM[:-1]}\n  ", "")
    assert "at least 20 characters" in messages["rationale"]


def test_a_rationale_of_exactly_the_minimum_is_accepted(add_comment, session, doc, drafter):
    assert len(MINIMUM) == 20
    comment = add_comment(session, doc)
    response = save_answer(session, comment, "not-accepted", f" {MINIMUM} ", "", drafter, None)
    assert response.rationale == MINIMUM
    # Statuses that need no rationale take a short one.
    other = add_comment(session, doc)
    assert save_answer(session, other, "noted", "Учтено.", "", drafter, None).rationale \
        == "Учтено."


def test_the_minimum_is_the_setting(add_comment, app, session, doc, drafter, monkeypatch):
    monkeypatch.setitem(app.config, "MIN_RATIONALE_CHARS", 25)
    comment = add_comment(session, doc)
    messages = refused(session, comment, drafter, "partly-accepted", MINIMUM, "no change")
    assert set(messages) == {"rationale"} and "at least 25 characters" in messages["rationale"]


def test_outside_an_application_the_minimum_is_twenty():
    with pytest.raises(AnswerInvalid) as caught:
        validate_answer("not-accepted", MINIMUM[:-1], "")
    assert "20" in caught.value.messages["rationale"]
    assert validate_answer("not-accepted", MINIMUM, "") == ("not-accepted", MINIMUM, "")


def add_version(session, document, number: int, keys, *, current: bool = False):
    """Another version of ``document`` with clauses ``keys``, made current if asked."""
    version = DocumentVersion(document_id=document.id, number=number,
                              source_hash=f"version-{number}",
                              clauses=[Clause(key=key, position=n) for n, key in enumerate(keys)])
    session.add(version)
    session.flush()
    if current:
        document.current_version_id = version.id
        session.flush()
    return version


@pytest.mark.parametrize("change,later,current", [
    ("Clause 2: the Chatkal valley added.", None, False),   # the sample's clauses 1-3
    ("п.3 изменён: добавлены леса", None, False),
    ("2-пункт толукталды.", None, False),
    ("ANNEX-1.1 reworded", None, False),
    ("Пункт 12.1 добавлен в новую редакцию.", ["12.1"], False),  # only in a later version
    ("annex-1.1 deleted.", ["12.1"], True),                     # only in an earlier version
])
def test_a_change_naming_a_clause_of_any_version_is_accepted(
        add_comment, session, doc, drafter, change, later, current):
    comment = add_comment(session, doc)
    if later:
        add_version(session, doc, 2, later, current=current)
    response = save_answer(session, comment, "accepted", "", change, drafter, None)
    assert response.change == change


@pytest.mark.parametrize("change", [
    "see above",
    "Clause 99: reworded",     # a clause of another document only
    "CO2 emissions halved",   # a number inside a word is no clause
    "no changes at all",
])
def test_a_change_naming_no_clause_is_refused(add_comment, session, doc, drafter, change,
                                              make_document):
    other = session.merge(make_document("sample-plan"))
    add_version(session, other, 2, ["99"])
    comment = add_comment(session, doc)
    messages = refused(session, comment, drafter, "partly-accepted", MINIMUM, change)
    assert set(messages) == {"change"}
    assert "clause 12: …" in messages["change"] and '"no change"' in messages["change"]


@pytest.fixture
def no_change_translated(session, monkeypatch):
    """"no change" as the ru and ky catalogs are to have it (they may not have it yet)."""
    for lang, phrase in (("ru", "Без изменений"), ("ky", "Өзгөртүү жок")):
        with force_locale(lang):
            monkeypatch.setitem(get_translations()._catalog, "no change", phrase)


@pytest.mark.parametrize("change", [
    "no change", "No change.", "  NO CHANGE ", '"no change"',
    "без изменений", "Без изменений.", "«без изменений»",
    "өзгөртүү жок", "Өзгөртүү жок.",
])
def test_no_change_is_accepted_in_every_language(no_change_translated, add_comment, session,
                                                 doc, drafter, change):
    comment = add_comment(session, doc)
    response = save_answer(session, comment, "accepted", "", change, drafter, None)
    assert response.change == change.strip()


def test_without_a_translation_the_english_phrase_still_counts(add_comment, session, doc,
                                                               drafter):
    assert "no change" in answers.no_change_phrases()
    comment = add_comment(session, doc)
    assert save_answer(session, comment, "accepted", "", "No change", drafter, None)
    other = add_comment(session, doc)
    assert "change" in refused(session, other, drafter, "accepted", "", "изменений нет")


def test_the_language_of_the_answer_is_stored_and_audited(add_comment, session, doc, drafter):
    comment = add_comment(session, doc)
    first = save_answer(session, comment, "not-accepted", MINIMUM, "", drafter, None,
                        language="ru")
    session.commit()
    assert first.language == "ru"
    # Not said: the answer keeps its language.
    second = save_answer(session, comment, "not-accepted", MINIMUM + " Так.", "", drafter, 1)
    assert second.language == "ru"
    third = save_answer(session, comment, "noted", "", "", drafter, 2, language="ky")
    session.commit()
    assert third.language == "ky"
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "response.save")
                             .order_by(AuditEvent.id)).all()
    assert [e.after["language"] for e in events] == ["ru", "ru", "ky"]
    assert events[2].before["language"] == "ru"


@pytest.mark.parametrize("language", ["xx", "", "de"])
def test_a_language_not_of_the_site_is_refused(add_comment, session, doc, drafter, language):
    comment = add_comment(session, doc)
    messages = refused(session, comment, drafter, "noted", "", "", language=language)
    assert set(messages) == {"language"}
