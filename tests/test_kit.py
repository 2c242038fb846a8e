"""The offline hearing kit, pure: the template it writes and the checks on filled rows."""
from __future__ import annotations

import io
from datetime import datetime

import openpyxl
import pytest
from flask_babel import force_locale

from consult.core.uploads import Row, UploadError
from consult.hearings import kit
from consult.intake import kit as kit_rows

VOCAB = kit.Vocabulary(
    labels={"category": [("individual", "Individual"), ("ngo", "Non-governmental organisation")],
            "gender": [("female", "Female"), ("male", "Male"), ("unstated", "Prefer not to say")],
            "language": [("ky", "Кыргызча"), ("ru", "Русский"), ("en", "English")],
            "channel": [("hearing-oral", "Hearing (oral)"),
                        ("hearing-written", "Hearing (written)")],
            "consent": [("full", "With the name"), ("anonymous", "Without the name"),
                        ("none", "Not published")]},
    accepted={"category": {"individual": "individual", "ngo": "ngo",
                           "non-governmental organisation": "ngo",
                           "коомдук уюм": "ngo"},
              "gender": {"female": "female", "male": "male", "unstated": "unstated",
                         "аял": "female"},
              "language": {"ky": "ky", "ru": "ru", "en": "en", "русский": "ru"},
              "channel": {"hearing-oral": "hearing-oral", "hearing-written": "hearing-written"},
              "consent": {"full": "full", "anonymous": "anonymous", "none": "none",
                          "with the name": "full", "аты менен": "full"}})
TEXTS = {"unknown_document": "unknown document", "unknown_clause": "unknown clause",
         "ambiguous_clause": "choose the document", "empty_comment": "empty comment",
         "not_in_list": "not in list", "too_long": "too long ({n})", "no_rows": "no rows",
         "converted_clause": "converted"}
KEYS = {"programme": {"1", "2", "annex-1.1"}, "plan": {"1", "1.2"}}
HEADER = Row(1, list(kit.COLUMNS))
RUSSIAN_SHEETS = {"comments": "Комментарии", "clauses": "Пункты", "about": "О файле",
                  "lists": "Списки"}
DOCUMENTS = [kit.KitDocument("programme", "Programme", [
    kit.KitClause("1", ["Биринчи " * 40, "Первый " * 40]), kit.KitClause("2", ["=cmd", "@x"])]),
    kit.KitDocument("plan", "Plan", [kit.KitClause("1.2", ["Чара", "Мера"])], version=3)]


def parse(*rows, keys=KEYS, documents=None):
    data = [HEADER] + [Row(n, list(values)) for n, values in enumerate(rows, start=2)]
    return kit_rows.parse_kit(data, 7, keys, VOCAB, "ky", TEXTS, documents)


def build_bytes(documents=DOCUMENTS, sheets=None, language="ru") -> bytes:
    texts = {c: c.upper() for c in kit.COLUMNS}
    texts.update(hearing="Hearing", city="City", date="Date", venue="Venue", document="Document",
                 clause="Clause", text="Text (%(language)s)",
                 instructions="Line one\nLine two")
    if sheets:
        texts["sheets"] = sheets
    return kit.build_kit(kit.KitHearing(7, "Naryn", "10.06.2025 14:00", "Hall"), documents,
                         VOCAB, texts, ["ky", "ru"], language)


def build(**kwargs) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(build_bytes(**kwargs)))


def test_kit_has_its_sheets_in_order_and_the_lists_hidden():
    wb = build()
    assert wb.sheetnames == ["Comments", "Clauses", "About", "Lists"]
    assert wb["Lists"].sheet_state == "hidden"
    assert [c.value for c in wb["Comments"][1]] == ["Document", "Clause"] + [
        c.upper() for c in kit.COLUMNS[2:]]


def test_sheets_are_named_in_the_kits_language_and_the_lists_follow():
    wb = build(sheets=RUSSIAN_SHEETS)
    assert wb.sheetnames == ["Комментарии", "Пункты", "О файле", "Списки"]
    assert wb["Списки"].sheet_state == "hidden"
    formulas = {str(v.sqref): v.formula1
                for v in wb["Комментарии"].data_validations.dataValidation}
    assert formulas["B2:B501"] == "='Пункты'!$B$2:$B$4"
    assert formulas["A2:A501"] == "='Списки'!$A$2:$A$3"


def test_sheet_names_are_names_excel_accepts():
    assert kit.sheet_title("Comments: [draft] 1/2?") == "Comments draft 1 2"
    assert len(kit.sheet_title("x" * 40)) == 31


def test_clause_column_is_restricted_to_the_clauses_sheet():
    wb = build()
    formulas = {str(v.sqref): v.formula1 for v in wb["Comments"].data_validations.dataValidation}
    assert formulas["B2:B501"] == "='Clauses'!$B$2:$B$4"
    assert formulas["E2:E501"].startswith("='Lists'!$B$2")
    assert {"A2:A501", "E2:E501", "F2:F501", "G2:G501", "H2:H501"} <= set(formulas)
    lists = wb["Lists"]
    assert [lists.cell(row=r, column=2).value for r in (2, 3)] == [
        "Individual", "Non-governmental organisation"]


def test_consent_column_comes_last_with_its_list():
    """The speaker's consent: the last column (the paper form asks it last), restricted to
    the consent labels of the Lists sheet."""
    wb = build()
    assert kit.COLUMNS[-1] == "consent" and "consent" in kit.CHOICE_COLUMNS
    assert wb["Comments"]["J1"].value == "CONSENT"
    lists = wb["Lists"]
    place = kit.LISTS_HEADER.index("consent") + 1
    letter = openpyxl.utils.get_column_letter(place)
    assert [lists.cell(row=r, column=place).value for r in (2, 3, 4)] == [
        "With the name", "Without the name", "Not published"]
    formulas = {str(v.sqref): v.formula1 for v in wb["Comments"].data_validations.dataValidation}
    assert formulas["J2:J501"] == f"='Lists'!${letter}$2:${letter}$4"
    assert len(kit.LISTS_HEADER) <= len(kit.COLUMNS)  # the reader reads no more columns


def test_every_column_is_text_beyond_the_prepared_rows():
    """A column style, not only the 500 prepared cells: 1.10 typed in row 900 stays 1.10."""
    sheet = build()["Comments"]
    for letter in "ABCDEFGHIJ":
        assert sheet.column_dimensions[letter].number_format == "@", letter
    assert sheet["B2"].number_format == "@" and sheet["J501"].number_format == "@"


def test_lists_sheet_records_the_hearing_the_language_versions_and_slugs():
    lists = build(language="ru")["Lists"]
    header = [c.value for c in lists[1]]
    assert header == list(kit.LISTS_HEADER)
    column = {name: header.index(name) + 1 for name in header}
    assert lists.cell(row=2, column=column["hearing"]).value == 7
    assert lists.cell(row=3, column=column["hearing"]).value == "Naryn, 10.06.2025 14:00"
    assert lists.cell(row=2, column=column["kit-language"]).value == "ru"
    assert [lists.cell(row=r, column=column["slugs"]).value for r in (2, 3)] == [
        "programme", "plan"]
    assert [lists.cell(row=r, column=column["versions"]).value for r in (2, 3)] == ["1", "3"]


def test_document_column_offers_titles_and_tells_shared_titles_apart():
    wb = build()
    assert [wb["Lists"].cell(row=r, column=1).value for r in (2, 3)] == ["Programme", "Plan"]
    same = [kit.KitDocument("a", "Plan", []), kit.KitDocument("b", "Plan", []),
            kit.KitDocument("c", "", [])]
    assert kit.document_labels(same) == ["Plan (a)", "Plan (b)", "c"]


def test_clauses_sheet_holds_keys_and_short_texts_never_formulas():
    rows = list(wb_rows(build()["Clauses"]))
    assert rows[1][:2] == ("Programme", "1")
    assert len(rows[1][2]) <= kit.EXCERPT and rows[1][2].startswith("Биринчи")
    assert rows[2][2] == "=cmd"  # stays text
    sheet = build()["Clauses"]
    assert sheet["C3"].data_type == "s" and sheet["C3"].quotePrefix


def wb_rows(sheet):
    return sheet.iter_rows(values_only=True)


def test_about_sheet_names_the_hearing():
    values = [v for row in wb_rows(build()["About"]) for v in row if v]
    assert "Naryn" in values and "10.06.2025 14:00" in values and "Hall" in values
    assert "Line two" in values


def test_clean_rows_become_records_with_codes():
    records, problems = parse(
        ["programme", "1", "Айгүл", "BIOM", "Non-governmental organisation", "аял", "Русский",
         "", "Add snow leopard corridors"],
        ["", "annex-1.1", "", "", "", "", "", "hearing-written", "Count rangers"])
    assert problems == []
    assert [(r.row, r.document, r.clause, r.category, r.gender, r.language, r.channel)
            for r in records] == [
        (2, "programme", "1", "ngo", "female", "ru", "hearing-oral"),
        (3, "programme", "annex-1.1", "individual", "unstated", "ky", "hearing-written")]


def test_consent_is_read_from_codes_and_labels_and_blank_is_anonymous():
    records, problems = parse(
        ["programme", "1", "Айгүл", "", "", "", "", "", "Named", "With the name"],
        ["programme", "2", "Бакыт", "", "", "", "", "", "Blank consent", ""],
        ["programme", "1", "", "", "", "", "", "", "Code", "none"],
        ["programme", "2", "Асель", "", "", "", "", "", "Other language", " Аты  менен "],
        ["programme", "1", "Нурлан", "", "", "", "", "", "Older kit: nine columns"])
    assert problems == []
    assert [r.consent for r in records] == ["full", "anonymous", "none", "full", "anonymous"]


def test_a_consent_outside_the_list_is_a_problem_by_row_and_column():
    records, problems = parse(
        ["programme", "1", "", "", "", "", "", "", "Fine", "full"],
        ["programme", "2", "Бакыт", "", "", "", "", "", "Unsure", "yes please"])
    assert [r.row for r in records] == [2]  # the import adds none while a problem remains
    assert [(p.row, p.column, p.message) for p in problems] == [(3, "consent", "not in list")]


def test_headers_of_a_kit_made_before_the_consent_column_tell_its_language(app):
    with app.app_context(), force_locale("ru"):
        headers = kit.column_labels()
    new = [headers[column] for column in kit.COLUMNS]
    with app.app_context():
        assert kit_rows.header_language(new) == "ru"
        assert kit_rows.header_language(new[:-1]) == "ru"  # no consent column: an older kit
        assert kit_rows.header_language(new[:-2]) is None  # a column missing: not a kit's


def test_every_problem_is_reported_by_row_and_column():
    records, problems = parse(
        ["programme", "99", "", "", "", "", "", "", "text"],
        ["plan", "1.2", "", "", "nobody", "", "", "", ""],
        ["nowhere", "1", "", "", "", "", "", "", "text"],
        ["", "1", "", "", "", "", "", "", "ambiguous: both documents have 1"],
        ["plan", "1", "x" * 201, "", "", "", "", "", "y"])
    assert records == []
    assert [(p.row, p.column, p.message) for p in problems] == [
        (2, "clause", "unknown clause"),
        (3, "comment", "empty comment"),
        (3, "category", "not in list"),
        (4, "document", "unknown document"),
        (5, "document", "choose the document"),
        (6, "speaker", "too long (200)")]


def test_a_sheet_without_rows_is_a_problem():
    records, problems = parse()
    assert records == [] and problems[0].message == "no rows"


def test_content_keys_are_stable_and_tell_repeated_rows_apart():
    row = ["programme", "1", "A", "", "", "", "", "", "same words"]
    first, _ = parse(row, row)
    again, _ = parse(["programme", "2", "", "", "", "", "", "", "other"], row, row)
    assert first[0].key != first[1].key
    assert {r.key for r in first} == {r.key for r in again[1:]}


def test_numbers_typed_as_numbers_are_read_as_keys():
    records, problems = parse(["plan", 1.0, "", "", "", "", "", "", "text"])
    assert problems == [] and records[0].clause == "1"


def fill_beyond(data: bytes, rows: dict[int, list], sheet: int = 0) -> bytes:
    """Type rows into the comments sheet, past the prepared ones: text cells, as LibreOffice
    stores what is typed in a column whose style is text."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.worksheets[sheet]
    for number, values in rows.items():
        for column, value in enumerate(values, start=1):
            if value is not None:
                cell = ws.cell(row=number, column=column, value=value)
                cell.data_type = "s" if isinstance(value, str) else cell.data_type
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


KEYS_WITH_DOTS = [kit.KitDocument("programme", "Programme", [
    kit.KitClause(key, ["", ""]) for key in ("1.1", "1.10", "2.2.1", "2.2")])]


def test_keys_typed_beyond_the_prepared_rows_read_back_exactly():
    data = fill_beyond(build_bytes(KEYS_WITH_DOTS), {
        900: ["Programme", "1.10", None, None, None, None, None, None, "On 1.10"],
        901: ["Programme", "2.2.1", None, None, None, None, None, None, "On 2.2.1"],
        902: ["programme", "1.1", None, None, None, None, None, None, "On 1.1"]})
    read = kit_rows.read_kit(data)
    assert read.documents == {"Programme": "programme"}
    records, problems = kit_rows.parse_kit(
        read.comments, 7, {"programme": {"1.1", "1.10", "2.2.1", "2.2"}}, VOCAB, "ky", TEXTS,
        {kit.fold(label): slug for label, slug in read.documents.items()})
    assert problems == []
    assert [(r.row, r.document, r.clause) for r in records] == [
        (900, "programme", "1.10"), (901, "programme", "2.2.1"), (902, "programme", "1.1")]


def test_a_key_the_spreadsheet_converted_is_taken_only_when_unambiguous():
    keys = {"programme": {"1.10", "2.2.1", "3"}, "plan": {"1.1", "1.2"}}
    records, problems = parse(
        ["programme", 1.1, "", "", "", "", "", "", "1.10 became 1.1"],
        ["programme", datetime(2001, 2, 2), "", "", "", "", "", "", "2.2.1 became a date"],
        ["programme", datetime(2025, 10, 1), "", "", "", "", "", "", "1.10, comma locale"],
        ["", 3, "", "", "", "", "", "", "whole number"],
        keys=keys)
    assert problems == []
    assert [r.clause for r in records] == ["1.10", "2.2.1", "1.10", "3"]
    records, problems = parse(
        ["", 1.1, "", "", "", "", "", "", "1.1 or 1.10?"],
        ["plan", 1.3, "", "", "", "", "", "", "no such key"],
        ["plan", datetime(2001, 2, 2), "", "", "", "", "", "", "no such key"],
        ["plan", 7, "", "", "", "", "", "", "an unknown whole number"],
        keys=keys)
    assert records == []
    assert [(p.row, p.column, p.message) for p in problems] == [
        (2, "clause", "converted"), (3, "clause", "converted"), (4, "clause", "converted"),
        (5, "clause", "unknown clause")]


def test_documents_are_named_by_title_or_slug():
    records, problems = parse(
        ["Программа", "1", "", "", "", "", "", "", "Russian title"],
        ["  the PLAN ", "1.2", "", "", "", "", "", "", "English title, any case and spacing"],
        ["programme", "2", "", "", "", "", "", "", "slug"],
        ["Plan of another consultation", "1", "", "", "", "", "", "", "unknown"],
        documents={"программа": "programme", "the plan": "plan", "gone": "elsewhere"})
    assert [(p.row, p.column) for p in problems] == [(5, "document")]
    assert [(r.document, r.clause) for r in records] == [
        ("programme", "1"), ("plan", "1.2"), ("programme", "2")]


def test_a_kit_is_found_whatever_its_sheets_are_called():
    """Without an application (English only), a Russian kit's sheets are found by place:
    the hidden sheet starting with the Lists marker, then the first sheet."""
    data = fill_beyond(build_bytes(sheets=RUSSIAN_SHEETS, language="ru"), {
        2: ["Plan", "1.2", None, None, None, None, None, None, "Words"]})
    read = kit_rows.read_kit(data)
    assert (read.hearing_id, read.hearing_label, read.language) == (
        7, "Naryn, 10.06.2025 14:00", "ru")
    assert read.versions == {"programme": 1, "plan": 3}
    assert [row.values[:2] for row in read.comments[1:]] == [["Plan", "1.2"]]


def test_a_russian_kit_is_found_by_its_names(app):
    with app.app_context():
        names = kit_rows.known_sheet_names()
        assert "Комментарии" in names["comments"] and "Пикирлер" in names["comments"]
        assert "Comments" in names["comments"] and "Списки" in names["lists"]
        ru = {"comments": "Комментарии", "clauses": "Clauses", "about": "О файле",
              "lists": "Списки"}
        wb = build(sheets=ru)
        wb.move_sheet("Комментарии", offset=1)  # a clerk moved it: the name still finds it
        out = io.BytesIO()
        wb.save(out)
        data = fill_beyond(out.getvalue(), {
            2: ["Plan", "1.2", None, None, None, None, None, None, "Words"]}, sheet=1)
        read = kit_rows.read_kit(data)
        assert read.hearing_id == 7
        assert read.header[:2] == ["Document", "Clause"]
        assert [row.values[:2] for row in read.comments[1:]] == [["Plan", "1.2"]]


def test_a_workbook_that_is_no_kit_is_refused():
    wb = openpyxl.Workbook()
    wb.active.title = "Sheet1"
    wb.active.append(["Document", "Clause"])
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(UploadError, match="no Comments sheet"):
        kit_rows.read_kit(out.getvalue())


def test_an_old_kit_without_a_record_reads_with_its_slugs():
    rows = [Row(1, ["documents", "category", "gender", "language", "channel", "versions"]),
            Row(2, ["programme", "Individual", "Female", "Кыргызча", "Hearing (oral)", "2"]),
            Row(3, ["plan", "NGO", "Male", "Русский", "Hearing (written)", "1"])]
    assert kit_rows.recorded_versions(rows) == {"programme": 2, "plan": 1}
    read = kit_rows.KitFile([])
    kit_rows._read_record(rows, read)
    assert (read.hearing_id, read.language) == (None, "")
