"""The comparison table ("справка", DESIGN.md section 6, last bullet): the synthesis as a
Word file for filing, read back with python-docx."""
from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta

import docx as python_docx
import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from consult import db
from consult.core.time import utcnow
from consult.core.vocab import STATUSES
from consult.drafts import revisions
from consult.drafts.load import import_paths
from consult.drafts.services import document_by_slug
from consult.models import Consultation, Response, User
from consult.synthesis.docx import export_docx
from tests.conftest import SECRET_EMAIL
from tests.revision_sample import SLUG as REVISED
from tests.revision_sample import write_version

STAFF_NAME = "Staff Drafterperson"
W_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


# ---------------------------------------------------------------- helpers

def no_approval_step(session) -> None:
    """Answers public at once (the approval setting, where it exists, switched off)."""
    for consultation in session.scalars(select(Consultation)):
        if hasattr(consultation, "answer_approval"):
            consultation.answer_approval = False
    session.commit()


def export(session, lang="en", **kwargs):
    out = io.BytesIO()
    summary = export_docx(session, out, lang=lang, **kwargs)
    return out.getvalue(), summary


def every_text(data: bytes) -> str:
    """All the text of every part of the package (body, header, footer, properties)."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return "\n".join(package.read(name).decode("utf-8", "replace")
                         for name in package.namelist() if name.endswith(".xml"))


def body_text(word) -> str:
    lines = [p.text for p in word.paragraphs]
    for table in word.tables:
        for row in table.rows:
            lines += [cell.text for cell in _unique_cells(row)]
    return "\n".join(lines)


def _unique_cells(row):
    seen, cells = set(), []
    for cell in row.cells:
        if id(cell._tc) not in seen:
            seen.add(id(cell._tc))
            cells.append(cell)
    return cells


def entry_tables(word, number_label="No."):
    """The comparison tables: five columns, a numbered first column."""
    return [t for t in word.tables
            if len(t.columns) == 5 and t.rows[0].cells[0].text == number_label]


def entries(word, number_label="No."):
    """(number, comment cell, status, rationale, change) of every numbered row, and the
    clause rows (one cell across the table) in reading order as ('clause', text)."""
    found = []
    for table in entry_tables(word, number_label):
        for row in table.rows[1:]:
            cells = _unique_cells(row)
            if len(cells) == 1:
                found.append(("clause", cells[0].text))
            else:
                found.append(tuple(cell.text for cell in cells))
    return found


def numbered(found):
    return [e for e in found if e[0] != "clause"]


def cover_pairs(word) -> dict:
    pairs = {}
    for table in word.tables:
        if len(table.columns) == 2:
            for row in table.rows:
                cells = _unique_cells(row)
                pairs[cells[0].text] = cells[-1].text
    return pairs


@pytest.fixture
def filed(session, record, comment_on):
    """The small record, answers public at once, a named member of staff who answered,
    and an individual's organisation that must stay unnamed."""
    drafter = record["drafter"]
    drafter.name = STAFF_NAME
    record["employer"] = comment_on(session, key="2", body="My employer's view.",
                                    author_name="Private Person", organisation="Secret Employer",
                                    consent="anonymous", category="individual")
    record["ngo"] = comment_on(session, key="1", body="An NGO's second comment.",
                               organisation="green alliance ", category="ngo",
                               consent="anonymous")
    session.commit()
    no_approval_step(session)
    return record


# ---------------------------------------------------------------- the rules

def test_every_comment_once_and_only_in_public_form(session, filed):
    data, summary = export(session)
    word = python_docx.Document(io.BytesIO(data))
    text = body_text(word)
    c = filed["comments"]
    singles = [x for key, x in c.items() if key not in ("dup1", "dup2")]
    singles += [filed["employer"], filed["ngo"]]
    for comment in singles:
        assert len(re.findall(rf"\bComment {comment.id}\b", text)) == 1, comment.id
    group = filed["group"]
    assert text.count(f"Group {group.id} (2 comments)") == 1
    members = next(line for line in text.splitlines() if line.startswith("Members:"))
    assert re.findall(r"\d+", members) == [str(c["dup1"].id), str(c["dup2"].id)]
    assert len(numbered(entries(word))) == summary.entries == len(singles) + 1
    # Public texts are there; what the public may not read is not.
    for shown in ("Protect the juniper forests.", "Anonymous online text.",
                  "Said at the hearing in Naryn.", "Sent by e-mail.", "Campaign text."):
        assert shown in text
    everything = every_text(data)
    for hidden in ("Abusive hidden words here.", "Withdrawn words here.",
                   "Imported from the form.", "About the whole programme.",
                   "insults a named official", "Secret Anonname", "Nocon Sentperson",
                   "Private Person", "Secret Employer", SECRET_EMAIL, STAFF_NAME,
                   "python-docx"):
        assert hidden not in everything, hidden
    assert "Aigul Namedperson" in text  # consent: full
    assert "Text withheld: Abuse" in text
    assert "Text withheld: Text not published at the author's request" in text
    # The deciding authority answers, never a person.
    assert cover_pairs(word)["Responded by"] == "Ministry of Samples [en]" or \
        cover_pairs(word)["Responded by"] == "The responsible authority"


def test_a_hidden_comment_keeps_its_answer_and_the_hearing_its_place(session, filed):
    data, _summary = export(session)
    rows = numbered(entries(python_docx.Document(io.BytesIO(data))))
    oral = next(r for r in rows if f"Comment {filed['comments']['oral'].id}" in r[1])
    assert "Hearing (oral)" in oral[1] and "Naryn" in oral[1]
    assert oral[2:] == ("Not accepted", "Outside the programme.", "")
    online = next(r for r in rows if f"Comment {filed['comments']['online'].id}" in r[1])
    assert online[2:] == ("Accepted", "", "clause 1 reworded")
    late = next(r for r in rows if f"Comment {filed['comments']['email'].id}" in r[1])
    assert "Received after the period closed" in late[1]
    unanswered = next(r for r in rows if f"Comment {filed['comments']['anon'].id}" in r[1])
    assert unanswered[2] == "Not answered yet."


def test_reading_order_whole_document_first_then_clause_by_clause(session, filed):
    data, _summary = export(session)
    word = python_docx.Document(io.BytesIO(data))
    clauses = [e[1].split("\n")[0] for e in entries(word) if e[0] == "clause"]
    assert [title.split(" · ")[0] for title in clauses] == [
        "The document as a whole", "Clause 1", "Clause 2", "Clause 3", "Clause Annex 1, 1"]
    assert clauses[3].endswith("4 comments")  # two singles and the group's two members
    headings = [p.text for p in word.paragraphs if p.style.name.startswith("Heading")]
    assert headings[headings.index("Sample programme") + 1:] == [
        "The document as a whole", "Chapter 1. General provisions", "Chapter 2. Measures",
        "Annex 1. Indicators", "Annex. Organisations that sent comments"]
    clause_one = next(e[1] for e in entries(word) if e[0] == "clause"
                      and e[1].startswith("Clause 1"))
    assert "The programme protects mountain ecosystems." in clause_one


def test_the_cover_carries_the_count_check_as_the_workbook_counts(session, filed):
    data, summary = export(session)
    word = python_docx.Document(io.BytesIO(data))
    pairs = cover_pairs(word)
    assert summary.received == summary.received_in_database == 12 and summary.check_holds
    assert "Comments received: 12." in [p.text for p in word.paragraphs]
    assert pairs["Published"] == "9"
    assert pairs["Hidden"] == pairs["Withdrawn"] == pairs["Awaiting moderation"] == "1"
    assert pairs["Received = published + hidden + withdrawn + awaiting moderation"] == \
        "12 = 9 + 1 + 1 + 1: holds"
    assert pairs["Accepted"] == "1" and pairs["Noted"] == "2" and pairs["Not accepted"] == "1"
    assert pairs["Unanswered"] == "8"
    assert "Rows in the comparison table: 11 " in body_text(word)
    hearings = next(t for t in word.tables if t.rows[0].cells[0].text == "City")
    assert [c.text for c in hearings.rows[1].cells][4:] == ["40", "22", "15", "3", "1"]
    assert word.paragraphs[0].text == "Comment synthesis"


def test_tables_repeat_their_header_on_every_page_on_a4(session, filed):
    data, _summary = export(session)
    word = python_docx.Document(io.BytesIO(data))
    for table in entry_tables(word):
        first = table.rows[0]._tr
        assert first.find(f"{W_NS}trPr/{W_NS}tblHeader") is not None
        assert all(row._tr.find(f"{W_NS}trPr/{W_NS}tblHeader") is None
                   for row in table.rows[1:])
    section = word.sections[0]
    assert {round(section.page_width.mm), round(section.page_height.mm)} == {210, 297}
    footer = section.footer._element.xml
    assert 'w:instr="PAGE"' in footer and 'w:instr="NUMPAGES"' in footer
    assert "Times New Roman" in word.styles.element.xml


def test_the_annex_names_only_organisations_the_public_may_read(session, filed):
    data, summary = export(session)
    word = python_docx.Document(io.BytesIO(data))
    annex = next(t for t in word.tables if len(t.columns) == 4)
    rows = [[c.text for c in row.cells] for row in annex.rows[1:]]
    # The NGO's two comments (its name written twice differently) count together.
    assert rows == [["1", "Green Alliance", "Non-governmental organisation", "2"]]
    assert summary.organisations == 1


@pytest.mark.parametrize("lang, title, header, status", [
    ("ru", "Сводная таблица замечаний и предложений", "Результат рассмотрения", "accepted"),
    ("ky", "Пикирлердин жыйынтык таблицасы", None, "accepted"),
])
def test_labels_in_russian_and_kyrgyz(session, filed, lang, title, header, status):
    data, summary = export(session, lang=lang)
    word = python_docx.Document(io.BytesIO(data))
    assert word.paragraphs[0].text == title
    with force_locale(lang):
        number, response, withheld = _("No."), _("Response status"), _("Text withheld:")
        holds = _("holds")
    assert header is None or response == header
    found = entries(word, number)
    assert [t.rows[0].cells[2].text for t in entry_tables(word, number)] == [response] * 4
    assert STATUSES.labels_in(lang)[status] in {e[2] for e in numbered(found)}
    assert withheld in body_text(word) and f"12 = 9 + 1 + 1 + 1: {holds}" in body_text(word)
    assert summary.check_holds
    defaults = word.styles.element.find(f"{W_NS}docDefaults")
    assert defaults.find(f".//{W_NS}lang").get(f"{W_NS}val") == {"ru": "ru-RU", "ky": "ky-KG"}[lang]


def test_an_answer_awaiting_approval_is_not_public_yet(session, filed):
    consultation = session.scalar(select(Consultation))
    if not (hasattr(consultation, "answer_approval") and hasattr(Response, "approved_at")):
        pytest.skip("answers are not approved in this version")
    consultation.answer_approval = True
    session.commit()
    online = filed["comments"]["online"]
    data, _summary = export(session)
    row = next(r for r in numbered(entries(python_docx.Document(io.BytesIO(data))))
               if f"Comment {online.id}" in r[1])
    assert row[2:] == ("Not answered yet.", "", "")
    session.scalar(select(Response).where(Response.comment_id == online.id)).approved_at = \
        utcnow()
    session.commit()
    data, _summary = export(session)
    row = next(r for r in numbered(entries(python_docx.Document(io.BytesIO(data))))
               if f"Comment {online.id}" in r[1])
    assert row[2:] == ("Accepted", "", "clause 1 reworded")


def test_hostile_text_is_written_as_text(session, filed, comment_on):
    made = comment_on(session, key="1", body="=HYPERLINK(\"x\")\x01\x0b <w:t>&amp;\u202e",
                      consent="full", author_name="<b>Name</b>")
    session.commit()
    data, summary = export(session)
    text = body_text(python_docx.Document(io.BytesIO(data)))
    assert '=HYPERLINK("x") <w:t>&amp;' in text and "<b>Name</b>" in text
    assert summary.check_holds and f"Comment {made.id}" in text


def test_only_one_document_and_an_empty_one(session, filed, make_document):
    make_document("second-programme", word="river")
    no_approval_step(session)
    data, summary = export(session, document_slug="second-programme")
    word = python_docx.Document(io.BytesIO(data))
    assert summary.received == 0 and summary.check_holds
    assert "No comments were received on this document." in body_text(word)
    data, summary = export(session)
    assert summary.received == 12


# ---------------------------------------------------------------- revised drafts

def import_version(app, folder, version: int) -> None:
    with app.app_context():
        s = db.session()
        _outcomes, problems = import_paths(s, [str(write_version(folder, version))])
        assert not problems, problems
        s.commit()


def test_comments_on_earlier_versions_go_with_what_their_clause_became(
        app, session, tmp_path, comment_on):
    import_version(app, tmp_path / "v1", 1)
    consultation = session.scalar(select(Consultation))
    consultation.announced_at = utcnow() - timedelta(days=10)
    session.commit()
    made = {key: comment_on(session, slug=REVISED, key=key, body=f"Comment on old clause {key}.")
            for key in ("1", "3", "5", "6")}
    session.commit()
    import_version(app, tmp_path / "v2", 2)
    session.expire_all()
    pending = revisions.pending_version(session, document_by_slug(session, REVISED))
    revisions.confirm_matching(session, pending, None)
    revisions.publish_version(session, pending, None)
    session.commit()
    no_approval_step(session)
    assert document_by_slug(session, REVISED).current_version.number == 2
    data, summary = export(session, document_slug=REVISED)
    word = python_docx.Document(io.BytesIO(data))
    found = entries(word)
    place, where = None, {}
    for entry in found:
        if entry[0] == "clause":
            place = entry[1].split(" · ")[0]
        else:
            comment_id = int(re.search(r"Comment (\d+)", entry[1]).group(1))
            where[comment_id] = (place, entry[1])
    # Unchanged since, but made on version 1 all the same (as the results page says).
    assert where[made["1"].id][0] == "Clause 1"
    assert "Made on version 1, clause 1" in where[made["1"].id][1]
    assert where[made["3"].id][0] == "Clause 4"
    assert "Made on version 1, clause 3" in where[made["3"].id][1]
    assert where[made["6"].id][0] == "Clause 6"
    assert "In the current version it is: 6, 7" in where[made["6"].id][1]
    assert where[made["5"].id][0] == "Clause 5 of version 1 (deleted since)"
    headings = [p.text for p in word.paragraphs if p.style.name == "Heading 2"]
    assert headings[-1] == "Comments on clauses deleted since"
    assert [e[1].split(" · ")[0] for e in found if e[0] == "clause"] == [
        "Clause 1", "Clause 4", "Clause 6", "Clause 5 of version 1 (deleted since)"]
    assert summary.received == 4 and summary.check_holds


# ---------------------------------------------------------------- command line

def test_cli_writes_the_comparison_table(runner, session, filed, tmp_path):
    out = tmp_path / "spravka.docx"
    result = runner.invoke(args=["export-synthesis", "--out", str(out), "--format", "docx",
                                 "--lang", "ru"])
    assert result.exit_code == 0, result.output
    assert "12 comment(s) received" in result.output and "holds" in result.output
    word = python_docx.Document(str(out))
    assert word.paragraphs[0].text == "Сводная таблица замечаний и предложений"
    assert SECRET_EMAIL not in every_text(out.read_bytes())
    xlsx = tmp_path / "synthesis.xlsx"
    result = runner.invoke(args=["export-synthesis", "--out", str(xlsx)])
    assert result.exit_code == 0 and "xl/workbook.xml" in zipfile.ZipFile(xlsx).namelist()
    bad = runner.invoke(args=["export-synthesis", "--out", str(out), "--format", "pdf"])
    assert bad.exit_code != 0


def test_no_staff_user_name_even_when_staff_entered_the_comment(session, filed, comment_on):
    staff = session.scalar(select(User).where(User.role == "drafter"))
    comment_on(session, key="3", body="Typed in at the hearing.", channel="hearing-written",
               hearing_id=filed["hearing"].id, entered_by_id=staff.id)
    session.commit()
    data, _summary = export(session)
    assert STAFF_NAME not in every_text(data) and staff.email not in every_text(data)


def test_drafters_download_it_from_the_site(app, client, login, filed):
    if "synthesis.export_docx" not in app.view_functions:
        pytest.skip("no download route in this version")
    login("drafter")
    response = client.get("/ky/synthesis.docx?document=sample-programme")
    assert response.status_code == 200
    word = python_docx.Document(io.BytesIO(response.data))
    assert word.paragraphs[0].text == "Пикирлердин жыйынтык таблицасы"
    assert SECRET_EMAIL not in every_text(response.data)
