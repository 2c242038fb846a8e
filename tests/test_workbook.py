"""The synthesis workbook: layout, counts, hostile values, personal data, public variant."""
from __future__ import annotations

import io
from datetime import datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from consult.models import Comment, Consultation
from consult.synthesis.workbook import cell_value, export_workbook
from tests.conftest import SECRET_EMAIL

HOSTILE = ['=HYPERLINK("http://x","y")', "+1", "-1", "@SUM(A1)", "#N/A", "\tx", "=1+1",
           "-2+3", "#REF!"]




def export(session, **kwargs):
    kwargs.setdefault("lang", "en")
    kwargs.setdefault("public", False)
    out = io.BytesIO()
    summary = export_workbook(session, out, **kwargs)
    out.seek(0)
    return load_workbook(out), summary


def sheet_rows(ws):
    return [list(row) for row in ws.iter_rows(values_only=True)]


def comment_rows(wb):
    rows = sheet_rows(wb["Comments"])
    header = rows[0]
    return header, [dict(zip(header, row, strict=True)) for row in rows[1:]]


def test_sheets_in_contract_order_with_frozen_filtered_validated_comments(session, record):
    wb, _summary = export(session)
    assert wb.sheetnames == ["About", "Comments", "By clause", "Hearings", "Statistics",
                             "Moderation", "Lists"]
    ws = wb["Comments"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:Z11"
    validation = ws.data_validations.dataValidation[0]
    assert validation.type == "list"
    assert str(validation.sqref) == "V2:V11"
    allowed = [row[5] for row in sheet_rows(wb["Lists"])[1:] if row[5]]
    # Every language's labels, each once (a label the same in two languages is one entry).
    assert "Accepted" in allowed and "Partly accepted" in allowed
    assert 5 <= len(allowed) <= 15 and len(set(allowed)) == len(allowed)
    assert validation.formula1 == f"'Lists'!$F$2:$F${len(allowed) + 1}"
    codes = [row[0] for row in sheet_rows(wb["Lists"])[1:6]]
    assert codes == ["accepted", "partly-accepted", "not-accepted", "noted", "out-of-scope"]


def test_every_comment_once_with_clause_hearing_status_and_real_dates(session, record):
    wb, _summary = export(session)
    header, rows = comment_rows(wb)
    c = record["comments"]
    assert sorted(r["Comment ID"] for r in rows) == sorted(x.id for x in c.values())
    by_id = {r["Comment ID"]: r for r in rows}
    oral = by_id[c["oral"].id]
    assert oral["Clause"] == "2" and oral["Hearing"].startswith("Naryn")
    assert oral["Response status"] == "Not accepted"
    assert "Received (Asia/Bishkek)" in header
    cell = wb["Comments"]["L2"]
    assert cell.is_date and cell.number_format == "dd.mm.yyyy hh:mm"


def test_counts_on_about_by_clause_and_statistics_agree_with_rows(session, record):
    wb, summary = export(session)
    _header, rows = comment_rows(wb)
    about = {row[0]: row[1] for row in sheet_rows(wb["About"]) if row and row[0]}
    assert about["Received"] == len(rows) == 10
    assert about["Published"] == sum(r["Moderation"] == "Published" for r in rows) == 7
    assert about["Hidden"] == 1 and about["Withdrawn"] == 1
    assert about["Awaiting moderation"] == 1
    assert about["Received = published + hidden + withdrawn + awaiting moderation"] == "holds"
    assert summary.check_holds
    assert about["Authority"] is not None or "Authority" in about
    by_clause = sheet_rows(wb["By clause"])
    head = by_clause[0]
    assert sum(row[head.index("Received")] for row in by_clause[1:]) == len(rows)
    clause3 = next(row for row in by_clause[1:] if row[1] == "3")
    assert clause3[head.index("Received")] == sum(r["Clause"] == "3" for r in rows) == 4
    assert clause3[head.index("Noted")] == 2
    assert clause3[head.index("E-mail")] == 2
    stats = {row[0]: row[1] for row in sheet_rows(wb["Statistics"]) if row and row[0]}
    assert stats["Online"] == sum(r["Channel"] == "Online" for r in rows) == 5
    assert stats["Hearing (oral)"] == 1 and stats["Accepted"] == 1
    assert stats["Unanswered"] == sum(not r["Response status"] for r in rows)
    chapters = [v for k, v in stats.items() if k.startswith("Sample programme: ")]
    assert sum(chapters) + stats.get("Sample programme: Whole document", 0) >= 9
    hearings = sheet_rows(wb["Hearings"])
    assert hearings[1][0].startswith("Naryn") and hearings[1][-1] == 1
    assert hearings[1][3:7] == [40, 22, 15, 3]


def test_statistics_has_a_bar_chart_of_comments_per_chapter(session, record):
    import zipfile
    out = io.BytesIO()
    export_workbook(session, out, lang="en", public=False)
    names = zipfile.ZipFile(out).namelist()
    chart = [n for n in names if n.startswith("xl/charts/chart")]
    assert chart
    xml = zipfile.ZipFile(out).read(chart[0]).decode()
    assert "barChart" in xml and "'Statistics'!$B$" in xml


def test_hostile_values_come_back_as_the_same_text(add_comment, session, record):
    document = record["comments"]["online"].document
    made = {text: add_comment(session, document, "1", text).id for text in HOSTILE}
    long_id = add_comment(session, document, "1", "A\x01B" + "x" * 40000).id
    session.commit()
    wb, _summary = export(session)
    ws = wb["Comments"]
    header = [c.value for c in ws[1]]
    col = header.index("Comment") + 1
    found = {}
    for row in ws.iter_rows(min_row=2):
        found[row[1].value] = row[col - 1]
    for text, comment_id in made.items():
        cell = found[comment_id]
        assert cell.value == text and cell.data_type == "s", text
    # A carriage return at the start stays text too (XML itself turns it into a newline).
    cr_id = add_comment(session, document, "1", "\rCR").id
    session.commit()
    wb, _summary = export(session)
    cr_cell = [row for row in wb["Comments"].iter_rows(min_row=2) if row[1].value == cr_id][0]
    assert cr_cell[col - 1].data_type == "s" and cr_cell[col - 1].value.strip() == "CR"
    long_cell = found[long_id].value
    assert len(long_cell) == 32767 and long_cell.startswith("AB") and "cut" in long_cell


def test_the_writer_leaves_plain_values_plain():
    from openpyxl import Workbook
    ws = Workbook(write_only=True).create_sheet()
    assert cell_value(ws, "plain") == "plain" and cell_value(ws, 3) == 3
    assert cell_value(ws, None) is None
    risky = cell_value(ws, "=1+1")
    assert risky.data_type == "s" and risky.quotePrefix


def test_no_email_anywhere_and_names_only_with_consent(session, record):
    for public in (False, True):
        wb, _summary = export(session, public=public)
        text = repr([sheet_rows(ws) for ws in wb.worksheets])
        assert SECRET_EMAIL not in text
        assert "drafter-" not in text  # staff accounts are e-mail addresses too
        assert "Aigul Namedperson" in text
        assert "Secret Anonname" not in text and "Nocon Sentperson" not in text


def test_public_variant_leaks_no_hidden_text_or_notes(session, record):
    wb, _summary = export(session, public=True)
    text = repr([sheet_rows(ws) for ws in wb.worksheets])
    assert "Abusive hidden words" not in text and "Withdrawn words" not in text
    assert "insults a named official" not in text
    assert "Public variant" in text
    moderation = sheet_rows(wb["Moderation"])
    assert sorted(row[0] for row in moderation[1:]) == sorted(
        [record["comments"]["hidden"].id, record["comments"]["withdrawn"].id])
    internal, _summary = export(session, public=False)
    assert "insults a named official" in repr(sheet_rows(internal["Moderation"]))


@pytest.mark.parametrize("lang, sheets, headers, labels", [
    ("ru", ["О файле", "Комментарии", "По пунктам", "Слушания", "Статистика", "Модерация",
            "Списки"],
     ["ID комментария", "Комментарий", "Результат рассмотрения",
      "Дата поступления (Asia/Bishkek)"],
     {"Опубликован", "Скрыт", "Принято", "Не принято"}),
    ("ky", ["Файл жөнүндө", "Пикирлер", "Пункттар боюнча", "Коомдук угуулар", "Статистика",
            "Модерация", "Тизмелер"],
     ["Пикирдин ID", "Пикир", "Кароонун жыйынтыгы", "Келип түшкөн убакыт (Asia/Bishkek)"],
     {"Жарыяланды", "Жашырылды", "Кабыл алынды", "Кабыл алынган жок"}),
])
def test_sheet_names_headers_and_labels_in_the_export_language(session, record, lang, sheets,
                                                               headers, labels):
    wb, _summary = export(session, lang=lang)
    assert wb.sheetnames == sheets
    header = [cell.value for cell in wb.worksheets[1][1]]
    assert set(headers) <= set(header)
    # Every sheet but Lists (which offers the statuses in every language to type in).
    values = {str(v) for sheet in wb.worksheets[:-1]
              for row in sheet.iter_rows(values_only=True) for v in row if v is not None}
    assert labels <= values
    assert not {"Published", "Hidden", "Accepted", "Not accepted"} & values


def test_cover_states_the_time_zone_and_the_period_in_bishkek_time(session, record):
    consultation = session.scalar(select(Consultation))
    consultation.opens_at = datetime(2025, 6, 1, 3, 0)     # 09:00 in Bishkek
    consultation.closes_at = datetime(2025, 7, 15, 12, 0)  # 18:00 in Bishkek
    session.commit()
    wb, _summary = export(session, lang="ru")
    about = {row[0]: row[1:] for row in sheet_rows(wb.worksheets[0]) if row and row[0]}
    assert about["Часовой пояс для всего времени"][0] == "Asia/Bishkek"
    assert about["Начало периода"][0] == datetime(2025, 6, 1, 9, 0)
    assert about["Окончание периода"][0] == datetime(2025, 7, 15, 18, 0)
    cell = next(c for row in wb.worksheets[0].iter_rows() for c in row
                if c.value == datetime(2025, 6, 1, 9, 0))
    assert cell.number_format == "dd.mm.yyyy hh:mm"


def test_a_count_that_does_not_add_up_is_flagged_and_fails_the_command(
        runner, session, record, tmp_path):
    """A comment in no known moderation state breaks received = published + hidden +
    withdrawn + awaiting moderation: the cover says so and the command fails."""
    stray = record["comments"]["online"]
    session.execute(update(Comment).where(Comment.id == stray.id).values(state="limbo"))
    session.commit()
    wb, summary = export(session, lang="en")
    assert not summary.check_holds
    cells = [v for row in sheet_rows(wb.worksheets[0]) for v in row]
    assert "DOES NOT HOLD" in cells and "holds" not in cells
    result = runner.invoke(args=["export-synthesis", "--out", str(tmp_path / "s.xlsx")])
    assert result.exit_code == 1 and "DOES NOT HOLD" in result.output


def test_cli_export_writes_the_file_and_prints_the_check(runner, record, tmp_path, session):
    out = tmp_path / "synthesis.xlsx"
    result = runner.invoke(args=["export-synthesis", "--out", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "10" in result.output and "holds" in result.output
    wb = load_workbook(out)
    assert wb.worksheets[1].max_row == 11
    result = runner.invoke(args=["export-synthesis", "--out", str(out), "--public",
                                 "--document", "no-such"])
    assert result.exit_code != 0


def test_drafter_downloads_the_workbook(client, login, record):
    login("drafter")
    response = client.get("/en/synthesis.xlsx?public=1")
    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(response.data))
    assert "Abusive hidden words" not in repr(sheet_rows(wb["Comments"]))
    assert client.get("/en/synthesis.xlsx?document=no-such").status_code == 404


def test_export_is_refused_to_other_roles(client, login, record):
    login("moderator")
    assert client.get("/en/synthesis.xlsx").status_code == 403
    assert client.get("/en/synthesis/answers").status_code == 403


def test_export_needs_a_signed_in_user(client, record):
    response = client.get("/en/synthesis.xlsx")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
