"""Hostile uploads: each refused (or cleaned) with a clear message, before parsing."""
from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest

from consult.core import uploads
from consult.core.uploads import UploadError


def workbook_bytes(rows) -> bytes:
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()




BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">
<si><t>&lol3;</t></si></sst>"""


def test_defusedxml_is_active_for_openpyxl():
    assert openpyxl.DEFUSEDXML is True


def test_a_plain_workbook_is_read_with_row_numbers():
    data = workbook_bytes([["a", "b"], [None, None], ["c", 5]])
    rows = uploads.read_xlsx(data)["Sheet"]
    assert [(r.number, r.values[:2]) for r in rows] == [(1, ["a", "b"]), (3, ["c", 5])]


def test_too_big_is_refused():
    with pytest.raises(UploadError, match="too large"):
        uploads.check_xlsx(b"PK\x03\x04" + b"0" * 100, limit=50)


def test_empty_file_is_refused():
    with pytest.raises(UploadError, match="empty"):
        uploads.check_xlsx(b"")


def test_not_a_zip_is_refused():
    with pytest.raises(UploadError, match="not an Excel workbook"):
        uploads.read_xlsx(b"Name;Comment\nA;B\n")


def test_a_zip_that_is_not_a_workbook_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(UploadError, match="not an Excel workbook"):
        uploads.check_xlsx(out.getvalue())


def test_macro_workbook_with_vba_project_is_refused(rezip):
    data = rezip(workbook_bytes([["a"]]), add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0" * 10})
    with pytest.raises(UploadError, match="macros"):
        uploads.read_xlsx(data)


def test_macro_enabled_content_type_is_refused(rezip):
    base = workbook_bytes([["a"]])
    with zipfile.ZipFile(io.BytesIO(base)) as z:
        types = z.read("[Content_Types].xml").replace(
            b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml")
    with pytest.raises(UploadError, match="macros"):
        uploads.check_xlsx(rezip(base, replace={"[Content_Types].xml": types}))


def test_zip_bomb_is_refused_before_opening(rezip):
    data = rezip(workbook_bytes([["a"]]), add={"xl/media/image1.png": b"\0" * (30 * 1024 * 1024)})
    assert len(data) < 1024 * 1024  # small on the wire, huge unpacked
    with pytest.raises(UploadError, match="zip bomb"):
        uploads.check_xlsx(data)


def test_too_much_uncompressed_data_is_refused(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_UNCOMPRESSED", 1000)
    with pytest.raises(UploadError, match="too much data"):
        uploads.check_xlsx(workbook_bytes([["x" * 2000]]))


def test_too_many_members_is_refused(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_MEMBERS", 5)
    with pytest.raises(UploadError, match="too many parts"):
        uploads.check_xlsx(workbook_bytes([["a"]]))


def test_entity_bomb_in_shared_strings_is_refused(rezip):
    data = rezip(workbook_bytes([["a"]]), replace={"xl/sharedStrings.xml": BILLION_LAUGHS},
                 add={} if "xl/sharedStrings.xml" in zipfile.ZipFile(
                     io.BytesIO(workbook_bytes([["a"]]))).namelist()
                 else {"xl/sharedStrings.xml": BILLION_LAUGHS})
    with pytest.raises(UploadError, match="entity"):
        uploads.read_xlsx(data)


def test_openpyxl_itself_refuses_entities_thanks_to_defusedxml():
    from defusedxml import EntitiesForbidden
    from openpyxl.reader.strings import read_string_table
    with pytest.raises(EntitiesForbidden):
        read_string_table(io.BytesIO(BILLION_LAUGHS))


def test_too_many_rows_is_refused():
    data = workbook_bytes([[f"row {n}"] for n in range(30)])
    with pytest.raises(UploadError, match="too many rows"):
        uploads.read_xlsx(data, max_rows=20)
    assert len(uploads.read_xlsx(data, max_rows=30)["Sheet"]) == 30


def test_formula_cells_come_back_as_their_text_never_evaluated():
    data = workbook_bytes([["=1+1", '=HYPERLINK("http://evil.example","x")']])
    values = uploads.read_xlsx(data)["Sheet"][0].values
    assert values == ["=1+1", '=HYPERLINK("http://evil.example","x")']


def test_control_characters_are_stripped():
    assert uploads.clean_value("a\x00b\x07c\x1b\tz\n") == "abc\tz"
    rows = uploads.read_csv(b"text\nbad\x01\x02 value\x7f\n")
    assert rows[1].values == ["bad value"]


def test_broken_xml_is_a_clear_refusal_not_a_crash(rezip):
    data = rezip(workbook_bytes([["a"]]), replace={"xl/worksheets/sheet1.xml": b"<not xml"})
    with pytest.raises(UploadError, match="could not be read"):
        uploads.read_xlsx(data)


@pytest.mark.parametrize("encoded", [
    "Имя;Комментарий\nАйгүл;Сунуш\n".encode(),
    "Имя;Комментарий\nАйгүл;Сунуш\n".encode("utf-8-sig"),
    "Имя;Комментарий\nАйгуль;Предложение\n".encode("cp1251"),
    "Имя;Комментарий\nАйгүл;Сунуш\n".encode("utf-16"),
])
def test_csv_encodings_are_detected(encoded):
    rows = uploads.read_csv(encoded)
    assert rows[0].values == ["Имя", "Комментарий"]
    assert rows[1].values[0].startswith("Айг")


def test_csv_row_cap_and_size_cap():
    data = ("c\n" + "x\n" * 50).encode()
    with pytest.raises(UploadError, match="too many rows"):
        uploads.read_csv(data, max_rows=10)
    with pytest.raises(UploadError, match="too large"):
        uploads.read_csv(data, limit=10)


@pytest.mark.parametrize("data,expected", [
    (b"%PDF-1.7\n...", "application/pdf"),
    (b"\xff\xd8\xff\xe0JFIF", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n....", "image/png"),
])
def test_attachments_recognised_by_magic_bytes(data, expected):
    assert uploads.check_attachment(data)[0] == expected


def test_attachment_of_another_type_is_refused_whatever_its_name():
    with pytest.raises(UploadError, match="PDF, JPEG or PNG"):
        uploads.check_attachment(b"MZ\x90\x00 an executable")


SHEET = "".join((
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">',
    "<x:sheetData>",
    '<x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c r="C1" t="inlineStr"><x:is>',
    "<x:r><x:t>rich </x:t></x:r><x:r><x:t>text</x:t></x:r>",
    '<x:rPh sb="0" eb="1"><x:t>PHONETIC</x:t></x:rPh></x:is></x:c></x:row>',
    '<x:row><x:c t="s"><x:v>1</x:v></x:c><x:c t="b"><x:v>1</x:v></x:c>',
    '<x:c><x:v>12</x:v></x:c><x:c t="e"><x:v>#N/A</x:v></x:c></x:row>',
    '<x:row r="5"><x:c r="B5" t="str"><x:f>1+1</x:f><x:v>2 &amp; &lt;3</x:v></x:c>',
    '<x:c r="D5"><x:f>A1</x:f></x:c></x:row>',
    "</x:sheetData></x:worksheet>"))
STRINGS = """<?xml version="1.0" encoding="UTF-8"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" uniqueCount="2">
<si><t>first_x000D_line</t></si><si><r><t>Жа</t></r><r><t>ңы</t></r></si></sst>"""


def test_the_streamed_reader_reads_what_spreadsheet_programs_write(rezip):
    """Prefixed namespaces, cells without references, rich and inline text without its
    phonetic guide, Excel's escapes, entities, booleans, errors, a formula's cached value
    (and none without one); only the wanted columns."""
    data = rezip(workbook_bytes([["x"]]), replace={"xl/worksheets/sheet1.xml": SHEET.encode()},
                 add={"xl/sharedStrings.xml": STRINGS.encode()})
    uploads.check_xlsx(data)
    book = uploads.StreamedWorkbook(data)
    assert book.sheet_names == ["Sheet"]
    assert list(book.rows("Sheet")) == [
        (1, {"A": "first\rline", "C": "rich text"}),
        (2, {"A": "Жаңы", "B": True, "C": 12.0, "D": "#N/A"}),
        (5, {"B": "2 & <3"}),
    ]
    assert list(book.rows("Sheet", {"C"})) == [(1, {"C": "rich text"}), (2, {"C": 12.0})]
    assert book.head("Sheet", 1) == [(1, {"A": "first\rline", "C": "rich text"})]
