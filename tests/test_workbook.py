"""The synthesis workbook: layout, counts, hostile values, personal data, public variant."""
from __future__ import annotations

import io
from datetime import datetime

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook
from sqlalchemy import select, update

from consult.models import Comment, Consultation
from consult.synthesis.answers import CHANGE_REQUIRED, RATIONALE_REQUIRED
from consult.synthesis.rows import COLUMN_CODES
from consult.synthesis.workbook import answer_check, export_workbook
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


def export_bytes(session, **kwargs) -> bytes:
    kwargs.setdefault("lang", "en")
    kwargs.setdefault("public", False)
    out = io.BytesIO()
    export_workbook(session, out, **kwargs)
    return out.getvalue()


def sheet_rows(ws):
    return [list(row) for row in ws.iter_rows(values_only=True)]


def comment_rows(wb):
    rows = sheet_rows(wb["Comments"])
    header = rows[0][:len(COLUMN_CODES)]  # the hidden columns after the contract's
    return header, [dict(zip(header, row[:len(COLUMN_CODES)], strict=True))
                    for row in rows[1:]]


def test_sheets_in_contract_order_with_frozen_filtered_validated_comments(session, record):
    wb, _summary = export(session)
    assert wb.sheetnames == ["About", "Comments", "By clause", "Hearings", "Statistics",
                             "Moderation", "Lists"]
    ws = wb["Comments"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:Z11"
    validation = ws.data_validations.dataValidation[0]
    assert validation.type == "list" and validation.showErrorMessage
    assert str(validation.sqref) == "V2:V11"
    # The drop-down offers the export language's labels only (Lists: code, ky, ru, en).
    assert validation.formula1 == "Lists!$D$2:$D$6"
    lists = sheet_rows(wb["Lists"])
    assert lists[0][:4] == ["Code", "Кыргызча", "Русский", "English"]
    assert [row[3] for row in lists[1:]] == ["Accepted", "Partly accepted", "Not accepted",
                                            "Noted", "Out of scope (forwarded)"]
    codes = [row[0] for row in lists[1:6]]
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
    assert about["Comments received"] == len(rows) == 10
    assert about["Published"] == sum(r["Moderation"] == "Published" for r in rows) == 7
    assert about["Hidden"] == 1 and about["Withdrawn"] == 1
    assert about["Awaiting moderation"] == 1
    assert about["Received = published + hidden + withdrawn + awaiting moderation"] == "holds"
    assert summary.check_holds
    assert about["Authority"] is not None or "Authority" in about
    by_clause = sheet_rows(wb["By clause"])
    head = by_clause[0]
    assert sum(row[head.index("Comments received")] for row in by_clause[1:]) == len(rows)
    clause3 = next(row for row in by_clause[1:] if row[1] == "3")
    assert clause3[head.index("Comments received")] == sum(r["Clause"] == "3" for r in rows) == 4
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
    assert "barChart" in xml and "Statistics!$B$" in xml


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
        assert cell.quotePrefix == (text[0] in "=+-@\t#"), text  # stays text once edited
    # A carriage return at the start stays text too (escaped, as Excel reads it back).
    cr_id = add_comment(session, document, "1", "\rCR").id
    session.commit()
    data = export_bytes(session)
    wb = load_workbook(io.BytesIO(data))
    cr_cell = [row for row in wb["Comments"].iter_rows(min_row=2) if row[1].value == cr_id][0]
    assert cr_cell[col - 1].data_type == "s" and cr_cell[col - 1].quotePrefix
    calamine = CalamineWorkbook.from_object(io.BytesIO(data)).get_sheet_by_name("Comments")
    assert [row[col - 1] for row in calamine.to_python() if row[1] == cr_id] == ["\rCR"]
    long_cell = found[long_id].value
    assert len(long_cell) == 32767 and long_cell.startswith("AB") and "cut" in long_cell


def test_the_writer_leaves_plain_values_plain(app):
    import xlsxwriter

    from consult.synthesis.workbook import _Formats, _write
    out = io.BytesIO()
    with app.app_context():
        book = xlsxwriter.Workbook(out, {"constant_memory": True})
        ws, fmt = book.add_worksheet("S"), _Formats(book)
        for row, value in enumerate(["plain", 3, None, "=1+1", datetime(2025, 6, 1, 9, 0)]):
            _write(ws, row, 0, value, fmt)
        book.close()
    ws = load_workbook(out).active
    assert [ws.cell(row, 1).value for row in range(1, 6)] == [
        "plain", 3, None, "=1+1", datetime(2025, 6, 1, 9, 0)]
    assert not ws["A1"].quotePrefix and ws["A4"].data_type == "s" and ws["A4"].quotePrefix
    assert ws["A5"].number_format == "dd.mm.yyyy hh:mm"


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


# ------------------------------------------------------------------ read and printed


def header_width_needed(label: str) -> float:
    return max(len(word) for word in label.split())


@pytest.mark.parametrize("lang", ["ru", "ky"])
def test_every_sheet_prints_a4_landscape_one_page_wide_with_its_header_repeated(
        session, record, lang):
    wb, _summary = export(session, lang=lang)
    for ws in wb.worksheets:
        setup = ws.page_setup
        assert (setup.orientation, setup.paperSize) == ("landscape", 9), ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert setup.fitToWidth in (None, 1) and setup.fitToHeight == 0, ws.title
    # Not About and Statistics: several tables each, no one header to repeat.
    tables = [ws for i, ws in enumerate(wb.worksheets) if i not in (0, 4)]
    for ws in tables:
        assert ws.print_title_rows == "$1:$1", ws.title
        header = [cell for cell in ws[1] if cell.value]
        # Headers are wrapped and never cut: each column is as wide as its longest word.
        for cell in header:
            width = ws.column_dimensions[cell.column_letter].width
            assert width >= header_width_needed(str(cell.value)), (ws.title, cell.value)
            assert cell.alignment.wrap_text and cell.font.b
    comments = wb.worksheets[1]
    text = comments.cell(2, COLUMN_CODES.index("comment") + 1)
    assert (text.font.name, text.font.sz) == ("Calibri", 10)
    assert text.alignment.wrap_text and text.alignment.vertical == "top"


def test_rows_are_as_tall_as_their_text(session, record, add_comment):
    document = record["comments"]["online"].document
    long_id = add_comment(session, document, "1", "\n".join(
        f"Line {n} of a long comment about the juniper forests." for n in range(12))).id
    wb, _summary = export(session)
    ws = wb["Comments"]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 2).value == long_id)
    short = next(r for r in range(2, ws.max_row + 1)
                 if ws.cell(r, 2).value == record["comments"]["email"].id)
    assert ws.row_dimensions[row].height >= 12 * 12.75  # twelve lines, none hidden
    assert (ws.row_dimensions[short].height or 15) < ws.row_dimensions[row].height
    # Small sheets too: a wrapped header row is as tall as its lines.
    assert wb["By clause"].row_dimensions[1].height >= 2 * 12.75


def test_only_the_answer_columns_are_unlocked_and_the_sheets_protected_without_password(
        session, record):
    wb, _summary = export(session)
    ws = wb["Comments"]
    answer_cols = {COLUMN_CODES.index(code) + 1 for code in ("status", "rationale", "change")}
    for row in range(2, 12):
        for col in range(1, len(COLUMN_CODES) + 1):
            cell = ws.cell(row, col)
            if col in answer_cols:
                assert cell.protection.locked is False, cell.coordinate
                assert cell.fill.fgColor.rgb.endswith("FFF2CC"), cell.coordinate  # filled
            elif cell.has_style:
                assert cell.protection.locked is not False, cell.coordinate
    for sheet in wb.worksheets:
        protection = sheet.protection
        assert protection.sheet and not protection.password, sheet.title
        # "0" in the file: not protected, i.e. allowed.
        assert not (protection.sort or protection.autoFilter or protection.formatCells
                    or protection.formatColumns or protection.formatRows), sheet.title


@pytest.mark.parametrize("lang", ["ru", "ky"])
def test_the_status_list_is_in_the_export_language_and_prompts_state_the_rules(
        app, session, record, lang):
    wb, _summary = export(session, lang=lang)
    ws = wb.worksheets[1]
    by_column = {str(v.sqref).split(":")[0].rstrip("0123456789"): v
                 for v in ws.data_validations.dataValidation}
    status_col, rationale_col, change_col = (
        ws.cell(1, COLUMN_CODES.index(code) + 1).column_letter
        for code in ("status", "rationale", "change"))
    status = by_column[status_col]
    sheet, cells = status.formula1.split("!")
    lists = wb[sheet.strip("'")]
    first, last = cells.replace("$", "").split(":")
    offered = [row[0].value for row in lists[first:last]]
    with force_locale(lang):
        from consult.core.vocab import STATUSES
        assert offered == list(STATUSES.labels_in(lang).values())
        rationale_labels = [STATUSES.label(code) for code in RATIONALE_REQUIRED]
        change_labels = [STATUSES.label(code) for code in CHANGE_REQUIRED]
    assert status.showInputMessage and status.prompt
    rationale, change = by_column[rationale_col], by_column[change_col]
    assert rationale.showInputMessage and "20" in rationale.prompt
    assert all(label in rationale.prompt for label in rationale_labels)
    assert change.showInputMessage and all(label in change.prompt for label in change_labels)
    assert len(rationale.prompt) <= 255 and len(change.prompt) <= 255


def test_a_row_missing_a_needed_rationale_or_change_is_flagged(session, record):
    wb, _summary = export(session)
    ws = wb["Comments"]
    [(cells, rules)] = [(str(r.sqref), r.rules) for r in ws.conditional_formatting]
    assert cells == "A2:Z11" and rules[0].type == "expression"
    formula = rules[0].formula[0]
    status, rationale, change = (ws.cell(1, COLUMN_CODES.index(code) + 1).column_letter
                                 for code in ("status", "rationale", "change"))
    assert f"LEN(TRIM(${rationale}2))<20" in formula
    assert f"LEN(TRIM(${change}2))=0" in formula
    # Every way of writing a status that needs a rationale is recognised: code and labels.
    for text in ("not-accepted", "Not accepted", "Не принято", "Кабыл алынган жок"):
        assert f'${status}2="{text}"' in formula
    assert f'${status}2="Noted"' not in formula
    assert rules[0].dxf.fill is not None


def test_about_says_who_exported_when_with_an_export_id_and_how_to_answer(
        client, login, session, record):
    login("drafter")
    data = client.get("/en/synthesis.xlsx").data
    about = {row[0]: row[1:] for row in sheet_rows(load_workbook(io.BytesIO(data))["About"])
             if row and row[0]}
    assert about["Exported by"][0] == "Drafter"  # the account has no name: its role
    assert isinstance(about["Exported at"][0], datetime)
    assert len(about["Export ID"][0]) == 16
    assert "How to answer in this workbook" in about
    text = repr(about)
    assert "at least 20 characters" in text and "no change" in text
    assert "drafter-" not in text  # never an e-mail address
    wb, summary = export(session)
    about = {row[0]: row[1:] for row in sheet_rows(wb["About"]) if row and row[0]}
    assert about["Exported by"][0].startswith("command line")
    assert about["Export ID"][0] == summary.export_id


def test_each_row_carries_its_answer_at_the_export_in_hidden_columns(session, record):
    wb, _summary = export(session)
    ws = wb["Comments"]
    first_hidden = ws.cell(1, len(COLUMN_CODES) + 1).column_letter
    assert ws.column_dimensions[first_hidden].hidden
    assert ws.column_dimensions[first_hidden].max == len(COLUMN_CODES) + 2
    c = record["comments"]
    rows = {row[1]: row for row in sheet_rows(ws)[1:]}
    online = session.get(Comment, c["online"].id).answer
    assert rows[c["online"].id][-2] == f"{online.id}:{online.revision}"
    assert rows[c["online"].id][-1] == answer_check("accepted", "", "clause 1 reworded")
    group = record["group"].response
    assert rows[c["dup2"].id][-2] == f"{group.id}:{group.revision}"
    assert rows[c["email"].id][-2] is None
    assert rows[c["email"].id][-1] == answer_check("", "", "")


@pytest.mark.parametrize("lang", ["ru", "ky"])
def test_counts_are_labelled_as_counts_not_as_the_date_of_receipt(session, record, lang):
    wb, _summary = export(session, lang=lang)
    with force_locale(lang):
        from flask_babel import gettext
        date_label, count_label = gettext("Received"), gettext("Comments received")
    assert date_label != count_label
    header = [cell.value for cell in wb.worksheets[1][1]]
    assert f"{date_label} (Asia/Bishkek)" in header  # the date column keeps its name
    about = {row[0]: row[1] for row in sheet_rows(wb.worksheets[0]) if row and row[0]}
    assert about[count_label] == 10 and date_label not in about
    for index in (2, 3, 4):  # By clause, Hearings, Statistics
        labels = {v for row in sheet_rows(wb.worksheets[index]) for v in row}
        assert count_label in labels and date_label not in labels, wb.worksheets[index].title


def test_the_results_page_counts_comments_received(client, session, record):
    consultation = session.scalar(select(Consultation))
    consultation.results_published_at = datetime(2025, 8, 1)
    session.commit()
    page = client.get("/ru/results/").get_data(as_text=True)
    with force_locale("ru"):
        from flask_babel import gettext
        assert f'<th scope="row">{gettext("Comments received")}</th>' in page
        assert f'<th scope="row">{gettext("Received")}</th>' not in page
