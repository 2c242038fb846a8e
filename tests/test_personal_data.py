"""A person's data on request from the command line: seeing it (``consult personal-data``),
erasing it on a written request (``consult erase``), and erasing again after a restore
(``consult erasures`` into ``consult erase --from-file``)."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from consult.cli import main  # noqa: F401  (the commands are registered through it)
from consult.models import AuditEvent, Comment

EMAIL = "Aigul.T@example.kg"


@pytest.fixture
def two_of_hers(session, make_document, comment_on):
    """Two comments sent with one e-mail address (different cases), and a stranger's."""
    make_document()
    codes = [comment_on(session, key=key, body=f"Her remark on {key}", author_name="Айгүл",
                        organisation="BIOM", email=email, consent="full").receipt_code
             for key, email in (("1", EMAIL), ("2", EMAIL.lower()))]
    comment_on(session, key="1", body="Someone else", author_name="Other",
               email="other@example.kg")
    session.commit()
    return codes


def run(app, *args, stdin=None):
    return app.test_cli_runner().invoke(args=list(args), input=stdin)


def test_personal_data_lists_everything_stored_with_her_comments(app, two_of_hers):
    result = run(app, "personal-data", EMAIL.upper())
    assert result.exit_code == 0, result.output
    records = json.loads(result.output)
    assert [record["receipt_code"] for record in records] == two_of_hers
    first = records[0]
    assert (first["author_name"], first["organisation"], first["email"]) == (
        "Айгүл", "BIOM", EMAIL)
    assert {"body", "consent", "category", "region", "gender", "state", "document",
            "clause", "received_at"} <= set(first)
    assert "Someone else" not in result.output and "other@example.kg" not in result.output


def test_personal_data_by_a_receipt_code_as_typed(app, two_of_hers):
    typed = two_of_hers[1].lower().replace("-", " ")
    records = json.loads(run(app, "personal-data", typed).output)
    assert [record["receipt_code"] for record in records] == [two_of_hers[1]]


@pytest.mark.parametrize("who", ["nobody@example.kg", "not a code", "x" * 5000])
def test_personal_data_of_nobody_says_so(app, two_of_hers, who):
    result = run(app, "personal-data", who)
    assert result.exit_code != 0 and "no comment of" in result.output
    assert "Traceback" not in result.output


def test_erase_on_a_written_request_is_the_moderators_erasure(app, session, make_user,
                                                               two_of_hers):
    make_user("moderator", email="clerk@example.org")
    result = run(app, "erase", two_of_hers[0], "--reason", "letter of 3 May 2025",
                 "--as", "clerk@example.org")
    assert result.exit_code == 0, result.output
    assert "erased: 1;" in result.output
    session.expire_all()
    erased = session.scalar(select(Comment).where(Comment.receipt_code == two_of_hers[0]))
    assert (erased.author_name, erased.organisation, erased.email) == ("", "", "")
    assert erased.erased_at is not None and erased.body == "Her remark on 1"
    event = session.scalars(select(AuditEvent).where(
        AuditEvent.action == "comment.erase")).one()
    assert event.after["by"] == "staff" and event.after["reason"] == "letter of 3 May 2025"
    kept = session.scalar(select(Comment).where(Comment.receipt_code == two_of_hers[1]))
    assert kept.email == EMAIL.lower()


def test_erase_is_refused_to_a_drafter_and_without_a_reason(app, session, make_user,
                                                             two_of_hers):
    make_user("drafter", email="drafter@example.org")
    make_user("moderator", email="clerk@example.org")
    refused = [run(app, "erase", two_of_hers[0], "--reason", "letter of 3 May 2025",
                   "--as", "drafter@example.org"),
               run(app, "erase", two_of_hers[0], "--reason", "x", "--as", "clerk@example.org")]
    assert all(result.exit_code != 0 for result in refused)
    assert "not an administrator's or moderator's account" in refused[0].output
    session.expire_all()
    assert session.scalar(select(Comment.email).where(
        Comment.receipt_code == two_of_hers[0])) == EMAIL
    assert not session.scalars(select(AuditEvent).where(
        AuditEvent.action == "comment.erase")).all()


def test_erasures_are_erased_again_after_a_restore(app, session, make_user, two_of_hers):
    """The list printed before a restore, read back by erase after it: a comment erased
    since the backup is erased again, one already erased stays as it is, and a code of a
    comment made after the backup is named, not an error for the others."""
    make_user("moderator", email="clerk@example.org")
    assert run(app, "erase", two_of_hers[0], "--reason", "letter of 3 May 2025",
               "--as", "clerk@example.org").exit_code == 0
    listed = run(app, "erasures").output
    assert listed.startswith(two_of_hers[0] + "\t") and two_of_hers[1] not in listed
    # As if restored from a backup taken before the erasure: her data is back.
    comment = session.scalar(select(Comment).where(Comment.receipt_code == two_of_hers[0]))
    comment.author_name, comment.email, comment.erased_at = "Айгүл", EMAIL, None
    session.commit()
    again = run(app, "erase", "--from-file", "-", "--reason", "re-applied after the restore",
                "--as", "clerk@example.org", stdin=listed + "0000-0000-0000\n")
    assert again.exit_code == 1  # one code is not in this database
    assert "erased: 1; erased before: 0; not in this database: 1" in again.output
    assert "not found: 0000-0000-0000" in again.output
    session.expire_all()
    assert session.scalar(select(Comment.email).where(
        Comment.receipt_code == two_of_hers[0])) == ""
    twice = run(app, "erase", two_of_hers[0], "--reason", "re-applied after the restore",
                "--as", "clerk@example.org")
    assert twice.exit_code == 0 and "erased: 0; erased before: 1" in twice.output


def test_erasures_since_a_moment(app, session, make_user, two_of_hers):
    make_user("moderator", email="clerk@example.org")
    run(app, "erase", two_of_hers[0], "--reason", "letter of 3 May 2025",
        "--as", "clerk@example.org")
    assert run(app, "erasures", "--since", "2999-01-01T00:00").output == ""
    assert two_of_hers[0] in run(app, "erasures", "--since", "2000-01-01T00:00").output
    refused = run(app, "erasures", "--since", "yesterday")
    assert refused.exit_code != 0 and "not a date and time" in refused.output
