"""The offline hearing kit, pure: the template it writes and the checks on filled rows."""
from __future__ import annotations

import io

import openpyxl

from consult.core.uploads import Row
from consult.hearings import kit
from consult.intake import kit as kit_rows

VOCAB = kit.Vocabulary(
    labels={"category": [("individual", "Individual"), ("ngo", "Non-governmental organisation")],
            "gender": [("female", "Female"), ("male", "Male"), ("unstated", "Prefer not to say")],
            "language": [("ky", "Кыргызча"), ("ru", "Русский"), ("en", "English")],
            "channel": [("hearing-oral", "Hearing (oral)"),
                        ("hearing-written", "Hearing (written)")]},
    accepted={"category": {"individual": "individual", "ngo": "ngo",
                           "non-governmental organisation": "ngo",
                           "коомдук уюм": "ngo"},
              "gender": {"female": "female", "male": "male", "unstated": "unstated",
                         "аял": "female"},
              "language": {"ky": "ky", "ru": "ru", "en": "en", "русский": "ru"},
              "channel": {"hearing-oral": "hearing-oral", "hearing-written": "hearing-written"}})
TEXTS = {"unknown_document": "unknown document", "unknown_clause": "unknown clause",
         "ambiguous_clause": "choose the document", "empty_comment": "empty comment",
         "not_in_list": "not in list", "too_long": "too long ({n})", "no_rows": "no rows"}
KEYS = {"programme": {"1", "2", "annex-1.1"}, "plan": {"1", "1.2"}}
HEADER = Row(1, list(kit.COLUMNS))


def parse(*rows):
    data = [HEADER] + [Row(n, list(values)) for n, values in enumerate(rows, start=2)]
    return kit_rows.parse_kit(data, 7, KEYS, VOCAB, "ky", TEXTS)


def build() -> openpyxl.Workbook:
    documents = [kit.KitDocument("programme", "Programme", [
        kit.KitClause("1", ["Биринчи " * 40, "Первый " * 40]), kit.KitClause("2", ["=cmd", "@x"])]),
        kit.KitDocument("plan", "Plan", [kit.KitClause("1.2", ["Чара", "Мера"])])]
    texts = {c: c.upper() for c in kit.COLUMNS}
    texts.update(hearing="Hearing", city="City", date="Date", venue="Venue", document="Document",
                 clause="Clause", text="Text (%(language)s)",
                 instructions="Line one\nLine two")
    data = kit.build_kit(kit.KitHearing(7, "Naryn", "10.06.2025 14:00", "Hall"), documents,
                         VOCAB, texts, ["ky", "ru"])
    return openpyxl.load_workbook(io.BytesIO(data))


def test_kit_has_its_sheets_in_order_and_the_lists_hidden():
    wb = build()
    assert wb.sheetnames == ["Comments", "Clauses", "About", "Lists"]
    assert wb["Lists"].sheet_state == "hidden"
    assert [c.value for c in wb["Comments"][1]] == ["Document", "Clause"] + [
        c.upper() for c in kit.COLUMNS[2:]]


def test_clause_column_is_restricted_to_the_clauses_sheet():
    wb = build()
    formulas = {str(v.sqref): v.formula1 for v in wb["Comments"].data_validations.dataValidation}
    assert formulas["B2:B501"] == "=Clauses!$B$2:$B$4"
    assert formulas["E2:E501"].startswith("=Lists!$B$2")
    assert {"A2:A501", "E2:E501", "F2:F501", "G2:G501", "H2:H501"} <= set(formulas)
    lists = wb["Lists"]
    assert [lists.cell(row=r, column=2).value for r in (2, 3)] == [
        "Individual", "Non-governmental organisation"]


def test_clauses_sheet_holds_keys_and_short_texts_never_formulas():
    rows = list(wb_rows(build()["Clauses"]))
    assert rows[1][:2] == ("programme", "1")
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
