"""The audit log says what happened in words: a sentence per event and the fields it
changed, labelled, before → after; every action code the application records has one."""
from __future__ import annotations

import ast
import re
from datetime import datetime
from pathlib import Path

from flask_babel import force_locale
from sqlalchemy import select

from consult import ROOT
from consult.accounts import audit_log
from consult.accounts.audit_log import Change
from consult.comments import moderation
from consult.i18n import local_datetime
from consult.models import AuditEvent, User

RECORDERS = {"record", "record_many", "_audit", "_moderate"}
ACTION_CODE = re.compile(r"[a-z_]+\.[a-z_-]+|logout")


def recorded_actions() -> set[str]:
    """Every action code written in a call that records an audit event (an f-string code
    such as import.{kind} is listed by hand in the test)."""
    codes = set()
    for path in (ROOT / "consult").rglob("*.py"):
        for node in ast.walk(ast.parse(Path(path).read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(
                    node.func, "attr", getattr(node.func, "id", None)) in RECORDERS:
                codes |= {c.value for arg in node.args for c in ast.walk(arg)
                          if isinstance(c, ast.Constant) and isinstance(c.value, str)
                          and ACTION_CODE.fullmatch(c.value)}
    return codes


def test_every_recorded_action_has_a_sentence():
    codes = recorded_actions() | {"import.hearing-kit", "import.form-export"}
    assert len(codes) > 30
    assert codes <= set(audit_log._SENTENCES), codes - set(audit_log._SENTENCES)


def test_a_hidden_comment_reads_as_a_sentence_with_its_changes(session, doc, add_comment):
    moderator = User(email="ainura@example.org", name="Ainura Ch.", role="moderator")
    moderator.set_password("correct horse battery")
    session.add(moderator)
    comment = add_comment(session, doc, state="new")
    moderation.hide_comment(session, comment, "abuse", "insults a named official", moderator)
    session.flush()
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "comment.hide"))
    words = audit_log.in_words(event)
    assert words.sentence == (f"Ainura Ch. hid comment {comment.id}: Abuse "
                              "(insults a named official)")
    assert Change("Moderation", "Awaiting moderation", "Hidden") in words.changes
    assert Change("Reason", "—", "Abuse") in words.changes
    assert all(change.label != "state" for change in words.changes)


def test_values_read_as_words():
    with force_locale("en"):
        assert audit_log.value_in_words("active", False) == "No"
        assert audit_log.value_in_words("role", "lead") != "lead"
        assert audit_log.value_in_words("languages", "ky,ru") == "Кыргызча, Русский"
        assert audit_log.value_in_words("title", {"ky": "Аталыш", "en": "Title"}) == \
            "Кыргызча: Аталыш; English: Title"
        assert audit_log.value_in_words("erased", ["author_name", "email"]) == \
            "Name, E-mail address"
        assert audit_log.value_in_words("minutes", "x" * 1000).endswith("…")
        assert len(audit_log.value_in_words("minutes", "x" * 1000)) == audit_log.LONGEST_VALUE


def test_a_creation_lists_what_it_recorded_and_an_unknown_code_is_still_said():
    created = audit_log.changes(None, {"role": "drafter", "active": True, "revision": 3})
    assert created == [Change("Role", None, "Drafter"), Change("Active", None, "Yes")]
    event = AuditEvent(action="backup.made", object_type="consultation", object_id=4,
                       actor_label="Admin", before=None, after=None)
    assert audit_log.sentence(event) == "Admin: an action on Consultation 4"


def test_anonymous_actors_are_named_for_what_they_are():
    said = {action: audit_log.sentence(AuditEvent(
        action=action, object_type="comment", object_id=7, actor_label="", after=after))
        for action, after in (("comment.submit", {}), ("comment.withdraw", {"by": "receipt"}),
                              ("login.failure", {"reason": "unknown-account"}))}
    assert said == {"comment.submit": "A citizen sent comment 7 online",
                    "comment.withdraw": "The commenter (with the receipt code) withdrew "
                                        "comment 7",
                    "login.failure": "Failed sign-in with an unknown e-mail address"}


def test_a_field_reads_in_the_vocabulary_of_its_object():
    hearing = audit_log.changes({"status": "planned"}, {"status": "held"}, "hearing")
    answer = audit_log.changes({"status": "noted"}, {"status": "accepted"}, "response")
    assert hearing == [Change("Status", "Planned", "Held")]
    assert answer == [Change("Response status", "Noted", "Accepted")]


def test_times_read_as_bishkek_times_of_the_page(app):
    with app.test_request_context(), force_locale("en"):
        assert audit_log.value_in_words("approved_at", "2026-12-02T04:53:35.690601+06:00") == \
            local_datetime(datetime(2026, 12, 1, 22, 53, 35, 690601), "short")
