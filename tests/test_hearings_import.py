"""The offline kit round trip, hostile kit uploads, the import-hearing command and the
import of an online-form export, through HTTP and the command line."""
from __future__ import annotations

import io
import os
import time
import zipfile
from datetime import datetime, timedelta

import openpyxl
import pytest
from sqlalchemy import select

from consult import db
from consult.core.time import utcnow
from consult.core.vocab import CONSENTS
from consult.hearings.kit import LISTS_HEADER, hearing_label
from consult.intake.form_export import pending_folder
from consult.models import AuditEvent, Consultation, Document, DocumentVersion, Hearing, ImportBatch

KIT_ROWS = [
    ["sample-programme", "1", "Айгүл Осмонова", "BIOM", "Non-governmental organisation",
     "Female", "Кыргызча", "Hearing (oral)", "Snow leopard corridors must be named."],
    ["sample-plan", "annex-1.1", "", "", "", "", "", "", "Count the rangers."],
    ["sample-programme", "3", "Бакыт", "", "individual", "male", "ru", "hearing-written",
     "=Пастбища — отдельный пункт"],
]


def download_kit(client, hearing_id: int, lang: str = "en") -> openpyxl.Workbook:
    response = client.get(f"/{lang}/hearings/{hearing_id}/kit.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    return openpyxl.load_workbook(io.BytesIO(response.data))


def fill(workbook: openpyxl.Workbook, rows, start: int = 2) -> bytes:
    """Type rows into the comments sheet (the first, whatever its name in the kit's
    language) as a clerk would (text typed, not formulas)."""
    sheet = workbook.worksheets[0]
    for r, values in enumerate(rows, start=start):
        for c, value in enumerate(values, start=1):
            cell = sheet.cell(row=r, column=c, value=value or None)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(client, hearing_id, data, name="naryn.xlsx", **kwargs):
    return client.post(f"/en/hearings/{hearing_id}/kit",
                       data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", **kwargs)


def test_kit_round_trip_puts_each_speaker_under_the_clause_with_the_hearing(stored_comments,
        client, login, app, naryn):
    login("moderator")
    workbook = download_kit(client, naryn)
    assert workbook.sheetnames == ["Comments", "Clauses", "About", "Lists"]
    keys = [row[1] for row in workbook["Clauses"].iter_rows(min_row=2, values_only=True)]
    assert keys == ["1", "2", "3", "annex-1.1"] * 2
    # Both sample documents are called "Sample programme": the slug tells them apart.
    labels = [row[0] for row in workbook["Lists"].iter_rows(min_row=2, values_only=True)
              if row[0]]
    assert labels == ["Sample programme (sample-programme)", "Sample programme (sample-plan)"]
    assert "Naryn" in [c for row in workbook["About"].iter_rows(values_only=True) for c in row]
    response = upload(client, naryn, fill(workbook, KIT_ROWS), follow_redirects=True)
    assert b"Imported 3 comment(s)" in response.data
    saved = stored_comments(hearing_id=naryn)
    assert [(c.document.slug, c.clause_key, c.channel, c.category, c.gender, c.language)
            for c in saved] == [
        ("sample-programme", "1", "hearing-oral", "ngo", "female", "ky"),
        # No language given: the kit's, English (not the hearing's first, Kyrgyz).
        ("sample-plan", "annex-1.1", "hearing-oral", "individual", "unstated", "en"),
        ("sample-programme", "3", "hearing-written", "individual", "male", "ru")]
    assert saved[2].body == "=Пастбища — отдельный пункт"  # formula-looking text kept as text
    assert all(c.state == "new" and c.consent == "anonymous" and c.clause_id
               and c.source_ref.startswith(f"kit:{naryn}:") for c in saved)
    with app.app_context():
        batch = db.session().scalar(select(ImportBatch))
        assert (batch.kind, batch.target, batch.rows) == ("hearing-kit", str(naryn), 3)
        assert db.session().scalar(select(AuditEvent).where(
            AuditEvent.action == "import.hearing-kit"))
    # The drafters see the words under the clause, marked as said at the Naryn hearing.
    entry_page = client.get(f"/en/hearings/{naryn}/entry").get_data(as_text=True)
    assert "Snow leopard corridors must be named." in entry_page


def test_kit_in_kyrgyz_uses_kyrgyz_labels_and_imports(stored_comments, client, login, app, naryn):
    login("moderator")
    workbook = download_kit(client, naryn, lang="ky")
    assert workbook.sheetnames[0] == "Пикирлер" and workbook.sheetnames[3] == "Тизмелер"
    lists = workbook["Тизмелер"]
    assert lists.sheet_state == "hidden"
    labels = [row[1] for row in lists.iter_rows(min_row=2, values_only=True) if row[1]]
    assert len(labels) == 8
    rows = [["sample-programme", "2", "", "", labels[1], "", "", "", "Text"]]
    upload(client, naryn, fill(workbook, rows))
    assert [(c.category, c.language) for c in stored_comments()] == [("ngo", "ky")]


def retitle_plan(app):
    """Give the second sample document titles of its own."""
    with app.app_context():
        s = db.session()
        document = s.scalar(select(Document).where(Document.slug == "sample-plan"))
        for version in s.scalars(select(DocumentVersion).where(
                DocumentVersion.document_id == document.id)):
            version.title = {"ky": "Коргоо планы", "ru": "План охраны",
                             "en": "Conservation plan"}
        s.commit()


def test_kit_in_russian_names_its_sheets_and_documents_in_russian_and_imports(
        stored_comments, client, login, app, naryn):
    login("moderator")
    retitle_plan(app)
    workbook = download_kit(client, naryn, lang="ru")
    assert workbook.sheetnames[0] == "Комментарии" and workbook.sheetnames[3] == "Списки"
    comments, lists = workbook.worksheets[0], workbook.worksheets[3]
    assert [c.value for c in comments[1]][:2] == ["Документ", "Пункт"]
    titles = [row[0] for row in lists.iter_rows(min_row=2, values_only=True) if row[0]]
    assert titles == ["Пример программы", "План охраны"]
    clauses = [row[:2] for row in workbook.worksheets[1].iter_rows(min_row=2, values_only=True)]
    assert clauses[0] == ("Пример программы", "1") and clauses[-1] == ("План охраны", "annex-1.1")
    rows = [["Пример программы", "1", "Асель", "", "", "", "", "", "Про программу."],
            ["План охраны", "annex-1.1", "", "", "", "", "Кыргызча", "", "Про план."],
            ["Conservation plan", "2", "", "", "", "", "", "", "Title in English."],
            ["sample-programme", "3", "", "", "", "", "", "", "Slug as before."]]
    response = upload(client, naryn, fill(workbook, rows), follow_redirects=True)
    assert response.status_code == 200
    saved = stored_comments(hearing_id=naryn)
    assert [(c.document.slug, c.clause_key, c.language) for c in saved] == [
        ("sample-programme", "1", "ru"), ("sample-plan", "annex-1.1", "ky"),
        ("sample-plan", "2", "ru"), ("sample-programme", "3", "ru")]


def test_a_kit_is_refused_by_another_hearing(stored_comments, client, login, app, naryn,
                                             runner, tmp_path):
    """The Naryn kit uploaded on the Osh hearing's page: refused, both named, nothing in."""
    with app.app_context():
        s = db.session()
        consultation = s.scalar(select(Consultation).where(
            Consultation.slug == "test-consultation"))
        osh = Hearing(consultation_id=consultation.id, slug="osh-2025",
                      city={"ky": "Ош", "ru": "Ош", "en": "Osh"}, venue={"en": "Hall"},
                      languages="ky,ru", starts_at=utcnow() + timedelta(days=2))
        s.add(osh)
        s.commit()
        osh_id = osh.id
        naryn_label = hearing_label(s.get(Hearing, naryn), "en")
        osh_label = hearing_label(osh, "en")
    assert naryn_label.startswith("Naryn, ") and osh_label.startswith("Osh, ")
    login("moderator")
    data = fill(download_kit(client, naryn), KIT_ROWS)
    response = upload(client, osh_id, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert (f"This kit belongs to another hearing ({naryn_label}), not to this one "
            f"({osh_label}); nothing was imported.") in page
    path = tmp_path / "naryn.xlsx"
    path.write_bytes(data)
    result = runner.invoke(args=["import-hearing", str(osh_id), str(path)])
    assert result.exit_code == 1 and f"another hearing ({naryn_label})" in result.output
    assert stored_comments() == []
    with app.app_context():
        assert db.session().scalar(select(ImportBatch)) is None
    # On its own hearing's page the same file imports.
    response = upload(client, naryn, data, follow_redirects=True)
    assert b"Imported 3 comment(s)" in response.data


def test_a_kit_without_its_record_still_imports_in_its_headers_language(
        stored_comments, client, login, app, naryn):
    """A kit made before kits recorded their hearing and language (English sheet names,
    slugs in the Document list, no record) imports; the Language column defaults to the
    language of its headers."""
    login("moderator")
    workbook = download_kit(client, naryn, lang="ru")
    for sheet, name in zip(workbook.worksheets, ("Comments", "Clauses", "About", "Lists"),
                           strict=True):
        sheet.title = name
    lists = workbook["Lists"]
    record = [LISTS_HEADER.index(name) + 1 for name in ("slugs", "hearing", "kit-language")]
    for row in range(1, lists.max_row + 1):
        lists.cell(row=row, column=1).value = lists.cell(row=row, column=record[0]).value
        for column in record:
            lists.cell(row=row, column=column).value = None
    lists["A1"] = "documents"
    rows = [["sample-programme", "1", "", "", "", "", "", "", "Old kit."]]
    response = upload(client, naryn, fill(workbook, rows), follow_redirects=True)
    assert b"Imported 1 comment(s)" in response.data
    assert [(c.clause_key, c.language) for c in stored_comments()] == [("1", "ru")]


def test_kit_records_each_speakers_consent_and_a_blank_publishes_no_name(
        stored_comments, client, login, app, naryn):
    """The Publication column offers the consent labels in the kit's language; any
    language's label or a code is read back; a blank is "anonymous", as the kit says."""
    login("moderator")
    workbook = download_kit(client, naryn)
    comments, lists = workbook["Comments"], workbook["Lists"]
    assert comments["J1"].value == "Publication"
    place = LISTS_HEADER.index("consent") + 1
    assert [lists.cell(row=r, column=place).value for r in (2, 3, 4)] == [
        str(CONSENTS[code]) for code in ("full", "anonymous", "none")]
    about = [c for row in workbook["About"].iter_rows(values_only=True) for c in row if c]
    assert any("A name is published only with the speaker's consent" in line for line in about)
    with app.app_context():
        russian_full = CONSENTS.labels_in("ru")["full"]
    rows = [["sample-programme", "1", "Айгүл Осмонова", "", "", "", "", "",
             "Name me.", "Publish my comment with my name"],
            ["sample-programme", "2", "Бакыт", "", "", "", "", "", "Blank consent.", ""],
            ["sample-plan", "annex-1.1", "Асель", "", "", "", "", "", "In Russian.",
             russian_full],
            ["sample-plan", "2", "", "", "", "", "", "", "Keep my text.", "none"]]
    response = upload(client, naryn, fill(workbook, rows), follow_redirects=True)
    assert b"Imported 4 comment(s)" in response.data
    assert [(c.body, c.consent) for c in stored_comments(hearing_id=naryn)] == [
        ("Name me.", "full"), ("Blank consent.", "anonymous"), ("In Russian.", "full"),
        ("Keep my text.", "none")]


def test_a_consent_outside_the_list_is_reported_by_row_and_column(stored_comments,
        client, login, app, naryn):
    login("moderator")
    rows = [KIT_ROWS[0] + ["full"], KIT_ROWS[1] + ["Yes, with my name"]]
    page = upload(client, naryn, kit_bytes(client, naryn, rows)).get_data(as_text=True)
    assert "<tr><td>3</td><td>Publication</td><td>Value outside the list" in page
    assert page.count("<tr><td>") == 1
    assert stored_comments() == []


def test_a_kit_made_before_the_consent_column_still_imports(stored_comments,
        client, login, app, naryn):
    """An older kit: nine columns and no consent list, the Language column's default told by
    its (Russian) headers; its speakers are published without their names."""
    login("moderator")
    workbook = download_kit(client, naryn, lang="ru")
    comments, lists = workbook.worksheets[0], workbook.worksheets[3]
    comments.delete_cols(10)
    lists.delete_cols(LISTS_HEADER.index("consent") + 1)
    for row in range(1, lists.max_row + 1):  # and without the language in its record
        lists.cell(row=row, column=LISTS_HEADER.index("kit-language")).value = None
    assert comments.max_column == 9
    rows = [["sample-programme", "1", "Айгүл Осмонова", "", "", "", "", "", "Old kit."]]
    response = upload(client, naryn, fill(workbook, rows), follow_redirects=True)
    assert b"Imported 1 comment(s)" in response.data
    assert [(c.author_name, c.language, c.consent) for c in stored_comments()] == [
        ("Айгүл Осмонова", "ru", "anonymous")]


def test_rows_typed_beyond_the_prepared_ones_import(stored_comments, client, login, app,
                                                    naryn):
    login("moderator")
    workbook = download_kit(client, naryn)
    assert workbook.worksheets[0].column_dimensions["B"].number_format == "@"
    rows = [["sample-programme", "annex-1.1", "", "", "", "", "", "", "Row 900."]]
    response = upload(client, naryn, fill(workbook, rows, start=900), follow_redirects=True)
    assert b"Imported 1 comment(s)" in response.data
    assert [(c.clause_key, c.body) for c in stored_comments()] == [("annex-1.1", "Row 900.")]


def test_same_file_twice_imports_nothing_the_second_time(stored_comments,
        client, login, app, naryn):
    login("moderator")
    data = fill(download_kit(client, naryn), KIT_ROWS)
    upload(client, naryn, data)
    response = upload(client, naryn, data, follow_redirects=True)
    assert b"imported before; nothing was added" in response.data
    assert len(stored_comments()) == 3


def test_corrected_file_reports_rows_then_imports_all_once(stored_comments,
        client, login, app, naryn):
    """The clerk back from Naryn: two bad rows, nothing imported; fixed, all imported."""
    login("moderator")
    workbook = download_kit(client, naryn)
    bad = [list(r) for r in KIT_ROWS]
    bad[1][1] = "99"          # unknown clause, row 3
    bad[2][8] = ""            # empty comment, row 4
    bad[2][4] = "Astronaut"   # value outside the list, row 4
    response = upload(client, naryn, fill(workbook, bad))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "nothing was imported" in page
    for row, column, message in (("3", "Clause", "Unknown clause"),
                                 ("4", "Comment", "The comment is empty."),
                                 ("4", "Category", "Value outside the list")):
        assert f"<tr><td>{row}</td><td>{column}</td><td>{message}" in page
    assert stored_comments() == []
    response = upload(client, naryn, fill(workbook, KIT_ROWS), follow_redirects=True)
    assert b"Imported 3 comment(s)" in response.data
    # A later version of the same sheet with one more row adds only that row.
    more = KIT_ROWS + [["sample-plan", "2", "", "", "", "", "", "", "One more."]]
    response = upload(client, naryn, fill(workbook, more), follow_redirects=True)
    assert b"Imported 1 comment(s); 3 row(s) were already imported." in response.data
    assert len(stored_comments()) == 4


def kit_bytes(client, naryn, rows=KIT_ROWS) -> bytes:
    return fill(download_kit(client, naryn), rows)


def with_member(data: bytes, name: str, content: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w",
                                                                   zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            if item.filename != name:
                dst.writestr(item.filename, src.read(item.filename))
        dst.writestr(name, content)
    return out.getvalue()


@pytest.mark.parametrize("craft,message", [
    (lambda d: b"%PDF-1.4 not a workbook", "not an Excel workbook"),
    (lambda d: with_member(d, "xl/vbaProject.bin", b"\xd0\xcf\x11\xe0"), "macros"),
    (lambda d: with_member(d, "xl/media/big.bin", b"\0" * (20 * 1024 * 1024)), "zip bomb"),
    (lambda d: with_member(d, "xl/sharedStrings.xml",
                           b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">'
                           b'<!ENTITY b "&a;&a;&a;&a;">]><sst><si><t>&b;</t></si></sst>'),
     "entity"),
    (lambda d: d + b"\0" * (6 * 1024 * 1024), "too large"),
])
def test_hostile_kits_are_refused_with_a_message_and_nothing_imported(stored_comments,
        client, login, app, naryn, craft, message):
    login("moderator")
    response = upload(client, naryn, craft(kit_bytes(client, naryn)))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert stored_comments() == []
    with app.app_context():
        assert db.session().scalar(select(ImportBatch)) is None


def test_too_many_rows_refused(stored_comments, client, login, app, naryn, monkeypatch):
    from consult.core import uploads
    monkeypatch.setattr(uploads, "MAX_ROWS", 2)
    login("moderator")
    response = upload(client, naryn, kit_bytes(client, naryn))
    assert b"too many rows" in response.data
    assert stored_comments() == []


def test_control_characters_in_a_kit_are_stripped(stored_comments, client, login, app, naryn):
    """Excel keeps control characters in shared strings as _xHHHH_ escapes."""
    login("moderator")
    data = kit_bytes(client, naryn, [["sample-programme", "1", "", "", "", "", "", "",
                                      "PLACEHOLDER"]])
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        parts = {name: z.read(name) for name in
                 ("xl/worksheets/sheet1.xml", "[Content_Types].xml", "xl/_rels/workbook.xml.rels")}
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(
        b't="inlineStr"><is><t>PLACEHOLDER</t></is>', b't="s"><v>0</v>')
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>", b'<Relationship Id="rIdSS" Type="http://schemas.openxmlformats.org'
        b'/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
        b"</Relationships>")
    parts["xl/sharedStrings.xml"] = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
        b'uniqueCount="1"><si><t>Bell_x0007_ here_x000B_</t></si></sst>')
    for name, content in parts.items():
        data = with_member(data, name, content)
    response = upload(client, naryn, data, follow_redirects=True)
    assert b"Imported 1 comment(s)" in response.data
    assert stored_comments()[0].body == "Bell here"


def test_import_hearing_command(stored_comments, runner, client, login, app, naryn, tmp_path):
    login("moderator")
    workbook = download_kit(client, naryn)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(fill(workbook, [["sample-programme", "99", "", "", "", "", "", "", ""]]))
    result = runner.invoke(args=["import-hearing", str(naryn), str(bad)])
    assert result.exit_code == 1
    assert "row 2, Clause: Unknown clause" in result.output
    assert "row 2, Comment: The comment is empty." in result.output
    assert stored_comments() == []
    good = tmp_path / "good.xlsx"
    good.write_bytes(fill(workbook, KIT_ROWS))
    result = runner.invoke(args=["import-hearing", str(naryn), str(good)])
    assert result.exit_code == 0, result.output
    assert "3 comment(s) imported" in result.output
    result = runner.invoke(args=["import-hearing", str(naryn), str(good)])
    assert result.exit_code == 0 and "nothing was added" in result.output
    assert len(stored_comments(hearing_id=naryn)) == 3
    notxlsx = tmp_path / "x.xlsx"
    notxlsx.write_bytes(b"hello")
    result = runner.invoke(args=["import-hearing", str(naryn), str(notxlsx)])
    assert result.exit_code == 1 and "not an Excel workbook" in result.output


EXPORT = ("Timestamp;Пункт;Комментарий;ФИО;Организация\n"
          "6/12/2025 14:03:22;2;Предлагаю расширить заказник;Асель;BIOM\n"
          "6/13/2025 09:00:00;;Общий комментарий;;\n")


def test_form_export_import_with_mapping_and_original_dates(stored_comments,
        client, login, app, naryn):
    login("moderator")
    response = client.post("/en/hearings/form-import", data={
        "file": (io.BytesIO(EXPORT.encode("cp1251")), "export.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    mapping_url = response.location
    page = client.get(mapping_url).get_data(as_text=True)
    assert "2 data row(s)" in page and "Комментарий" in page
    mapping = {"document": "sample-programme", "language": "ru", "clause": "1", "comment": "2",
               "name": "3", "organisation": "4", "date": "0"}
    preview = client.post(mapping_url, data={**mapping, "preview": "Preview"})
    text = preview.get_data(as_text=True)
    assert "Предлагаю расширить заказник" in text and "12.06.2025 14:03" in text
    assert stored_comments() == []  # a preview imports nothing
    client.post(mapping_url, data={**mapping, "confirm": "Import"})
    saved = stored_comments(channel="form-import")
    assert [(c.clause_key, c.author_name, c.organisation, c.received_at, c.language)
            for c in saved] == [
        ("2", "Асель", "BIOM", datetime(2025, 6, 12, 8, 3, 22), "ru"),
        (None, "", "", datetime(2025, 6, 13, 3, 0), "ru")]
    client.post(mapping_url, data={**mapping, "confirm": "Import"})
    assert len(stored_comments()) == 2  # idempotent


def test_form_export_with_bad_rows_lists_them_and_imports_nothing(stored_comments,
        client, login, app, naryn):
    login("moderator")
    bad = EXPORT + "yesterday;77;Text;;\n"
    response = client.post("/en/hearings/form-import", data={
        "file": (io.BytesIO(bad.encode("utf-8-sig")), "export.csv")},
        content_type="multipart/form-data")
    mapping = {"document": "sample-programme", "language": "ru", "clause": "1", "comment": "2",
               "name": "3", "organisation": "4", "date": "0", "confirm": "Import"}
    page = client.post(response.location, data=mapping).get_data(as_text=True)
    assert "<tr><td>4</td><td>Clause</td><td>Unknown clause" in page
    assert "<tr><td>4</td><td>Date</td><td>Not a date." in page
    assert stored_comments() == []


def test_form_export_upload_refuses_hostile_files(client, login, naryn):
    login("moderator")
    response = client.post("/en/hearings/form-import", data={
        "file": (io.BytesIO(b"PK\x03\x04broken"), "export.xlsx")},
        content_type="multipart/form-data")
    assert response.status_code == 200 and b"not an Excel workbook" in response.data
    assert client.get("/en/hearings/form-import/" + "0" * 64).status_code == 404
    assert client.get("/en/hearings/form-import/../../secret_key").status_code == 404


def test_uploads_never_imported_are_swept_after_a_day(client, login, app, naryn):
    """An export uploaded and abandoned at the mapping step does not stay on disk."""
    folder = pending_folder(app.instance_path)
    stale = folder / ("0" * 64 + ".csv")
    stale.write_text("old upload")
    day_old = time.time() - 25 * 3600
    os.utime(stale, (day_old, day_old))
    fresh = folder / ("1" * 64 + ".csv")
    fresh.write_text("recent upload")
    login("moderator")
    response = client.post("/en/hearings/form-import", data={
        "file": (io.BytesIO(EXPORT.encode("utf-8-sig")), "export.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    assert not stale.exists() and fresh.exists()
    fresh.unlink()
