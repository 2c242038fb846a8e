"""Comments of every channel, made directly through the models, for the synthesis tests."""
from __future__ import annotations

SECRET_EMAIL = "hidden.person@example.org"




# ------------------------------------------------------------------ tests of the rows


from consult.synthesis.rows import COLUMN_CODES, COLUMNS, iter_rows  # noqa: E402


def rows_by_id(session, **kwargs) -> dict:
    kwargs.setdefault("lang", "en")
    kwargs.setdefault("public", False)
    return {row["comment_id"]: row for row in iter_rows(session, **kwargs)}


def test_columns_follow_the_contract_order():
    assert [str(label) for _code, label in COLUMNS][:7] == [
        "No.", "Comment ID", "Document", "Version", "Clause",
        "Clause in the current version", "Clause excerpt"]
    assert len(COLUMNS) == 26 and COLUMN_CODES[-1] == "responded_at"


def test_every_comment_of_every_channel_appears_once_with_clause_hearing_status(
        session, record):
    rows = list(iter_rows(session, lang="en", public=False))
    ids = [row["comment_id"] for row in rows]
    assert sorted(ids) == sorted(c.id for c in record["comments"].values())
    assert len(ids) == len(set(ids))
    assert [row["no"] for row in rows] == list(range(1, len(rows) + 1))
    by_id = {row["comment_id"]: row for row in rows}
    c = record["comments"]
    assert set(rows[0]) == set(COLUMN_CODES)
    assert by_id[c["oral"].id]["hearing"].startswith("Naryn, ")
    assert by_id[c["oral"].id]["channel"] == "Hearing (oral)"
    assert by_id[c["oral"].id]["clause"] == "2"
    assert by_id[c["oral"].id]["status"] == "Not accepted"
    assert by_id[c["oral"].id]["rationale"] == "Outside the programme."
    assert by_id[c["form"].id]["clause"] == "Annex 1, 1"
    assert by_id[c["whole"].id]["clause"] == "Whole document"
    assert by_id[c["whole"].id]["moderation"] == "Awaiting moderation"
    assert by_id[c["email"].id]["in_period"] == "no"
    assert by_id[c["online"].id]["status"] == "Accepted"
    assert by_id[c["online"].id]["change"] == "clause 1 reworded"
    assert by_id[c["hidden"].id]["moderation_reason"] == "Abuse"
    assert by_id[c["email"].id]["status"] == ""


def test_group_members_share_the_group_answer_and_size(session, record):
    by_id = rows_by_id(session)
    c, group = record["comments"], record["group"]
    for key in ("dup1", "dup2"):
        assert by_id[c[key].id]["group"] == group.id
        assert by_id[c[key].id]["group_size"] == 2
        assert by_id[c[key].id]["status"] == "Noted"
    assert by_id[c["online"].id]["group"] is None


def test_names_only_with_consent_full_and_never_an_email(session, record):
    by_id = rows_by_id(session)
    c = record["comments"]
    assert by_id[c["online"].id]["commenter"] == "Aigul Namedperson"
    assert by_id[c["anon"].id]["commenter"] == (
        f"Non-governmental organisation #{c['anon'].id} (Green Alliance)")
    assert by_id[c["form"].id]["commenter"] == f"Individual #{c['form'].id}"
    text = repr(list(by_id.values()))
    assert "Secret Anonname" not in text and "Nocon Sentperson" not in text
    assert SECRET_EMAIL not in text and "@" not in text


def test_public_rows_withhold_hidden_unmoderated_and_unconsented_text(session, record):
    by_id = rows_by_id(session, public=True)
    c = record["comments"]
    assert by_id[c["hidden"].id]["comment"] == "[Text withheld: Abuse]"
    assert "Withdrawn words" not in by_id[c["withdrawn"].id]["comment"]
    assert "whole programme" not in by_id[c["whole"].id]["comment"]
    assert "Imported" not in by_id[c["form"].id]["comment"]
    assert by_id[c["online"].id]["comment"] == "Protect the juniper forests."
    # Internal variant keeps the text for the drafters.
    assert rows_by_id(session)[c["hidden"].id]["comment"] == "Abusive hidden words here."


def test_rows_in_russian_use_russian_labels(session, record):
    by_id = rows_by_id(session, lang="ru")
    oral = by_id[record["comments"]["oral"].id]
    assert oral["hearing"].startswith("Нарын")
    assert oral["received"].tzinfo is None


def test_document_filter_keeps_only_that_document(session, record, make_document):
    make_document(slug="other-programme")
    assert len(rows_by_id(session, document_slug="other-programme")) == 0
    assert len(rows_by_id(session, document_slug="sample-programme")) == 10
    assert len(rows_by_id(session, document_slug="no-such")) == 0
