"""Uploaded files are hostile until proven otherwise.

Every check here runs before a byte of the upload reaches a parser that could be made to
do too much work: sizes first, then the zip directory (a workbook is a zip), then the XML
(entities refused by defusedxml), then rows, capped. Refusals raise :class:`UploadError`
carrying a translated message; nothing is stored by these functions.

Used by hearing kits, online-form exports and (for the synthesis desk) answer workbooks::

    data = request.files["file"].read()
    check_xlsx(data)                                  # raises UploadError
    sheets = read_xlsx(data, sheets=("Comments",))    # {"Comments": [Row(number, values)]}
    rows = read_csv(data)                             # [Row(number, values)]
    content_type = check_attachment(data)             # PDF, JPEG or PNG only
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import openpyxl
from defusedxml.ElementTree import fromstring
from flask import current_app, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from lxml import etree

MAX_XLSX_BYTES = 5 * 1024 * 1024
MAX_CSV_BYTES = 5 * 1024 * 1024
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
MAX_COLUMNS = 40
# Zip limits: a 5,000-row kit is about 1 MB of XML, far below these.
MAX_MEMBERS = 500
MAX_UNCOMPRESSED = 100 * 1024 * 1024
MAX_RATIO = 100
# XML parts are read through in chunks of CHUNK_BYTES, each with the last OVERLAP bytes of
# the one before so that nothing searched for is missed at a boundary.
_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s>/]")
CHUNK_BYTES = 1 << 20
OVERLAP = 32
# Cells an upload may hold in all its sheets: the rows and columns its reader takes, and room
# for the small sheets beside them (a kit's clause list). The answers upload sets its own
# bound from the comments it can hold.
OTHER_SHEETS_CELLS = 20_000
MAX_CELLS = MAX_ROWS * MAX_COLUMNS + OTHER_SHEETS_CELLS
# C0 control characters other than tab, newline and carriage return (the set openpyxl
# refuses to write, and which no clerk means to type), plus DEL.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Excel stores a control character in a cell as an escape such as _x0007_, which openpyxl
# hands back as is.
CONTROL_ESCAPES = re.compile(r"_x(00[01][0-9A-Fa-f]|007[Ff])_")

ATTACHMENT_TYPES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)


class UploadError(ValueError):
    """An upload refused; ``message`` is translated (str() it in the reader's language)."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


@dataclass(frozen=True)
class Row:
    """One non-empty row of an upload: its number as the user sees it, and its values."""
    number: int
    values: list


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def clean_text(value: str) -> str:
    """Strip control characters (they break exports and hide text from reviewers)."""
    return CONTROL_CHARACTERS.sub("", value)


def check_size(data: bytes, limit: int) -> None:
    """Refuse an empty upload or one over ``limit`` bytes."""
    if not data:
        raise UploadError(_l("The file is empty."))
    if len(data) > limit:
        raise UploadError(_l("The file is too large (at most %(mb)s MB).",
                             mb=round(limit / 1024 / 1024, 1)))


def check_xlsx(data: bytes, limit: int | None = None,
               max_uncompressed: int | None = None, max_cells: int | None = None) -> None:
    """Check an .xlsx upload before any XML of it is parsed.

    Refuses: over ``limit`` bytes (default MAX_XLSX_BYTES); not a zip; macros
    (``vbaProject.bin`` or a macro-enabled content type, i.e. .xlsm/.xlsb); too many
    members, more than ``max_uncompressed`` bytes unpacked (default MAX_UNCOMPRESSED) or a
    suspicious compression ratio (zip bomb, whatever the limits); a DTD in any XML part
    (entity attacks), anywhere in the part; more than ``max_cells`` cells in all its
    sheets (default MAX_CELLS: a sheet of 300 rows by 16,000 columns is small on disk but
    costs a parser minutes). Uploads that are big by nature (a synthesis workbook of every
    comment) pass larger limits; the ratio check is the same for all. A broken or
    encrypted part is a bad file, never an error of ours.
    """
    check_size(data, limit or MAX_XLSX_BYTES)
    if not data.startswith(b"PK\x03\x04"):
        raise UploadError(_l("This is not an Excel workbook (.xlsx)."))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise UploadError(_l("This is not an Excel workbook (.xlsx).")) from None
    with archive:
        _check_members(members, max_uncompressed or MAX_UNCOMPRESSED)
        names = {m.filename for m in members}
        if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
            raise UploadError(_l("This is not an Excel workbook (.xlsx)."))
        cells = 0
        try:
            for member in members:
                if member.filename.endswith((".xml", ".rels")):
                    cells += _scan_part(archive, member)
                    if cells > (max_cells or MAX_CELLS):
                        raise UploadError(_l("The workbook has too many cells to be a "
                                             "genuine one; it was not opened."))
        except UploadError:
            raise
        except (zipfile.BadZipFile, zlib.error, RuntimeError, NotImplementedError, EOFError,
                OSError, ValueError):
            # Bad CRC, an encrypted part, an unknown compression method, corrupt data.
            raise UploadError(_l("The workbook is damaged and could not be read; save it "
                                 "again as .xlsx and retry.")) from None


def _check_members(members: list[zipfile.ZipInfo], max_uncompressed: int) -> None:
    if len(members) > MAX_MEMBERS:
        raise UploadError(_l("The workbook has too many parts to be a genuine workbook."))
    total = 0
    for member in members:
        name = member.filename.lower()
        if name.endswith("vbaproject.bin") or name.endswith(".bin") and "vba" in name:
            raise UploadError(_l("Workbooks with macros (.xlsm) are refused; save the "
                                 "file as an ordinary Excel workbook (.xlsx)."))
        total += member.file_size
        if member.file_size > 1024 * 1024 and \
                member.file_size > MAX_RATIO * max(member.compress_size, 1):
            raise UploadError(_l("The workbook is compressed suspiciously (a zip bomb?); "
                                 "it was not opened."))
    if total > max_uncompressed:
        raise UploadError(_l("The workbook unpacks to too much data; it was not opened."))


def _scan_part(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> int:
    """Read one XML part through, in chunks: refuse a DTD or a macro reference anywhere in
    it; return how many cells it holds (worksheets only)."""
    worksheet = member.filename.startswith("xl/worksheets/")
    macro_part = member.filename == "[Content_Types].xml" or member.filename.startswith("xl/")
    cells, carry = 0, b""
    with archive.open(member) as fh:
        while chunk := fh.read(CHUNK_BYTES):
            data = carry + chunk
            if _DTD.search(data):
                raise UploadError(_l("The workbook contains XML declarations that are "
                                     "refused (entity definitions); it was not opened."))
            if macro_part and (b"macroEnabled" in data or b"vbaProject" in data):
                raise UploadError(_l("Workbooks with macros (.xlsm) are refused; save the "
                                     "file as an ordinary Excel workbook (.xlsx)."))
            if worksheet:
                # Openings wholly in the carried tail were counted with the chunk before;
                # one that straddles the boundary is counted now.
                cells += len(_CELL.findall(data)) - len(_CELL.findall(carry))
            carry = data[-OVERLAP:]
    return cells


def clean_value(value: Any) -> Any:
    """A cell value as stored: text without control characters, numbers and dates kept.

    A formula comes back from openpyxl as its text (``=SUM(A1)``): it stays text, it is
    never evaluated.
    """
    if isinstance(value, str):
        value = CONTROL_ESCAPES.sub(lambda m: chr(int(m.group(1), 16)), value)
        return clean_text(value).strip()
    if isinstance(value, (int, float, datetime)) or value is None:
        return value
    return clean_text(str(value)).strip()


def read_xlsx(data: bytes, sheets: Iterable[str] | None = None, max_rows: int | None = None,
              max_columns: int = MAX_COLUMNS, limit: int | None = None) -> dict[str, list[Row]]:
    """The non-empty rows of the named sheets (default: the first), after :func:`check_xlsx`.

    Returns ``{sheet name: [Row]}``; a named sheet missing from the file is absent from the
    result. Refuses more than ``max_rows`` non-empty rows in a sheet, and, before parsing,
    a workbook with more cells than ``max_rows`` rows of ``max_columns`` (and its other,
    small sheets) could hold: parsing costs time per cell, whatever is read of it.
    """
    assert openpyxl.DEFUSEDXML, "defusedxml must be installed to read uploads"
    max_rows = max_rows or MAX_ROWS
    check_xlsx(data, limit or MAX_XLSX_BYTES,
               max_cells=max_rows * max_columns + OTHER_SHEETS_CELLS)
    try:
        # data_only=False: a formula's *text* comes back, never a value computed elsewhere;
        # it is then stored as text. keep_links=False: external links are not followed.
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False,
                                          keep_links=False)
    except UploadError:
        raise
    except Exception:  # any parser failure (including a refused entity) is a bad file
        raise UploadError(_l("The workbook could not be read; save it again as .xlsx "
                             "and retry.")) from None
    try:
        wanted = list(sheets) if sheets is not None else workbook.sheetnames[:1]
        result = {}
        for name in wanted:
            if name in workbook.sheetnames:
                result[name] = _sheet_rows(workbook[name], max_rows, max_columns)
        return result
    except UploadError:
        raise
    except Exception:
        raise UploadError(_l("The workbook could not be read; save it again as .xlsx "
                             "and retry.")) from None
    finally:
        workbook.close()


def _sheet_rows(sheet, max_rows: int, max_columns: int) -> list[Row]:
    rows: list[Row] = []
    seen = 0
    for number, values in enumerate(sheet.iter_rows(max_col=max_columns, values_only=True),
                                    start=1):
        seen += 1
        if seen > max_rows * 10:  # formatted but empty rows still cost time
            raise UploadError(_l("The sheet has too many rows (at most %(n)s).", n=max_rows))
        cleaned = [clean_value(v) for v in values]
        while cleaned and (cleaned[-1] is None or cleaned[-1] == ""):
            cleaned.pop()  # read-only sheets pad every row to the widest one
        if not cleaned:
            continue
        if len(rows) >= max_rows:
            raise UploadError(_l("The sheet has too many rows (at most %(n)s).", n=max_rows))
        rows.append(Row(number, cleaned))
    return rows


# ------------------------------------------------------------------ big workbooks, streamed
#
# openpyxl and calamine hold a whole sheet (calamine: every cell of it at once, some
# 250 MB for a synthesis workbook of 100,000 comments), so a big upload is read here with
# lxml's iterparse: each row is parsed by libxml2, its wanted cells picked out and the row
# dropped at once; shared strings are kept only when a wanted cell uses them. Memory stays
# flat whatever the number of rows. The parts were checked by check_xlsx first (sizes, no
# DTD); the parser is told besides not to load DTDs, resolve entities or reach a network.

_EXCEL_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_OFFICE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_PARSER = {"events": ("end",), "resolve_entities": False, "no_network": True,
           "load_dtd": False, "remove_comments": True, "remove_pis": True}


def column_number(letters: str) -> int:
    """``A`` -> 1, ``AB`` -> 28."""
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def column_letters(number: int) -> str:
    """1 -> ``A``, 28 -> ``AB``."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _local(tag) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _excel_text(text: str) -> str:
    """Excel's _xHHHH_ escapes decoded (control characters are written so)."""
    if "_x" in text:
        text = _EXCEL_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    return text


def _string_of(element) -> str:
    """The text of a shared or inline string: its ``t``, or the ``t`` of each rich-text
    run; phonetic guides (``rPh``) left out."""
    parts = []
    for child in element:
        name = _local(child.tag)
        if name == "t":
            parts.append(child.text or "")
        elif name == "r":
            for inner in child:
                if _local(inner.tag) == "t":
                    parts.append(inner.text or "")
    return _excel_text("".join(parts))


def _parsed(fh, tag: str):
    """The ``tag`` elements of a part, each dropped (with what came before it) once the
    caller has moved on, so that the tree never grows."""
    for _event, element in etree.iterparse(fh, tag=f"{{*}}{tag}", **_PARSER):
        yield element
        element.clear()
        parent = element.getparent()
        if parent is not None:
            while element.getprevious() is not None:
                del parent[0]


class StreamedWorkbook:
    """An .xlsx upload read row by row, for files too big for a reader that loads a sheet.

    Check the upload with ``check_xlsx`` first: this reader relies on it (zip sizes, no
    DTD). ``rows(sheet, columns)`` yields ``(row number, {column letters: value})`` for
    the rows that have a value in one of ``columns`` (all columns when None). Values are
    text (shared, inline or a formula's cached text), numbers as float, booleans, error
    values as their text (``#N/A``); a formula without a cached value is empty. Dates are
    numbers (Excel serial days): the caller knows which cells hold dates.
    """

    def __init__(self, data: bytes):
        try:
            self.archive = zipfile.ZipFile(io.BytesIO(data))
            names = set(self.archive.namelist())
            book = fromstring(self.archive.read("xl/workbook.xml"), forbid_dtd=True)
            rels = fromstring(self.archive.read("xl/_rels/workbook.xml.rels"),
                              forbid_dtd=True)
        except (KeyError, zipfile.BadZipFile, ValueError, OSError, SyntaxError):
            raise UploadError(_l("The workbook could not be read; save it again as .xlsx "
                                 "and retry.")) from None
        targets = {rel.get("Id"): rel.get("Target", "")
                   for rel in rels.iter(f"{{{_PACKAGE_REL}}}Relationship")}
        self.sheets: list[tuple[str, str]] = []
        for sheet in book.iter():
            if _local(sheet.tag) != "sheet":
                continue
            target = targets.get(sheet.get(f"{{{_OFFICE_REL}}}id"), "")
            path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            path = path.replace("/./", "/")
            if path in names:
                self.sheets.append((sheet.get("name", ""), path))
        self.names = names

    @property
    def sheet_names(self) -> list[str]:
        return [name for name, _path in self.sheets]

    def close(self) -> None:
        self.archive.close()

    def _strings(self, keep: set[int]) -> dict[int, str]:
        """The shared strings numbered in ``keep`` (a workbook saved by Excel has every
        comment's text among them: only those asked for are kept)."""
        found: dict[int, str] = {}
        path = "xl/sharedStrings.xml"
        if not keep or path not in self.names:
            return found
        last = max(keep)
        with self.archive.open(path) as fh:
            for index, element in enumerate(_parsed(fh, "si")):
                if index in keep:
                    found[index] = _string_of(element)
                if index >= last:
                    break
        return found

    @staticmethod
    def _value(cell, shared):
        """A cell's value; a shared string through ``shared(index)``."""
        kind = cell.get("t", "n")
        raw = None
        for child in cell:
            name = _local(child.tag)
            if name == "is" and kind == "inlineStr":
                return _string_of(child)
            if name == "v":
                raw = child.text
        if raw is None:
            return None
        if kind == "s":
            raw = raw.strip()
            return shared(int(raw)) if raw.isdigit() else None
        if kind in ("str", "e", "d", "inlineStr"):
            return _excel_text(raw)
        if kind == "b":
            return raw.strip() == "1"
        try:
            return float(raw)
        except ValueError:
            return _excel_text(raw)

    def rows(self, name: str, columns=None):
        """(row number, {column letters: value}) for each row with a wanted value.

        With shared strings, the sheet is read twice: first to learn which shared
        strings its wanted cells use, then with those at hand."""
        path = dict(self.sheets)[name]
        wanted = {str(c) for c in columns} if columns is not None else None
        used: set[int] = set()
        if "xl/sharedStrings.xml" in self.names:
            for _row in self._rows(path, wanted, used.add):
                pass
        strings = self._strings(used)
        yield from self._rows(path, wanted, lambda index: strings.get(index, ""))

    def head(self, name: str, count: int) -> list[tuple[int, dict[str, object]]]:
        """The first ``count`` rows with values of a sheet (every column)."""
        path = dict(self.sheets)[name]
        used: set[int] = set()
        if "xl/sharedStrings.xml" in self.names:
            for number, (_row, _cells) in enumerate(self._rows(path, None, used.add), 1):
                if number >= count:
                    break
        strings = self._strings(used)
        found = []
        for row in self._rows(path, None, lambda index: strings.get(index, "")):
            found.append(row)
            if len(found) >= count:
                break
        return found

    def _rows(self, path: str, wanted, shared):
        number = 0
        value_of = self._value
        with self.archive.open(path) as fh:
            for row in _parsed(fh, "row"):
                ref = row.get("r", "")
                number = int(ref) if ref.isdigit() else number + 1
                current: dict[str, object] = {}
                letters, position = "", 0
                for cell in row:
                    ref = cell.get("r")
                    if ref:
                        letters = ref.rstrip("0123456789")
                        position = 0  # known by its letters; counted only when needed
                    else:  # no reference: the cell after the one before
                        position = (position or column_number(letters)) + 1
                        letters = column_letters(position)
                    if wanted is not None and letters not in wanted:
                        continue
                    value = value_of(cell, shared)
                    if value is not None and value != "":
                        current[letters] = value
                if current:
                    yield number, current


def decode_text(data: bytes) -> str:
    """Text of a CSV export: UTF-8 (with or without BOM), UTF-16 with BOM, else cp1251,
    the Windows code page Kyrgyz and Russian offices save in."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1251", errors="replace")


def read_csv(data: bytes, max_rows: int | None = None, max_columns: int = MAX_COLUMNS,
             limit: int | None = None) -> list[Row]:
    """The non-empty rows of a CSV upload (delimiter , ; or tab guessed), cleaned."""
    max_rows = max_rows or MAX_ROWS
    check_size(data, limit or MAX_CSV_BYTES)
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UploadError(_l("This is not a CSV text file."))
    text = decode_text(data)
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows: list[Row] = []
    try:
        for number, values in enumerate(csv.reader(io.StringIO(text, newline=""), dialect),
                                         start=1):
            cleaned = [clean_text(v).strip() for v in values[:max_columns]]
            if not any(cleaned):
                continue
            if len(rows) >= max_rows:
                raise UploadError(_l("The file has too many rows (at most %(n)s).",
                                     n=max_rows))
            rows.append(Row(number, cleaned))
    except csv.Error:
        raise UploadError(_l("The CSV file could not be read.")) from None
    return rows


def check_attachment(data: bytes, limit: int | None = None) -> tuple[str, str]:
    """A scan kept with a record: PDF, JPEG or PNG by its first bytes (the name and the
    browser's content type prove nothing). Returns ``(content_type, extension)``."""
    check_size(data, limit or MAX_ATTACHMENT_BYTES)
    for magic, content_type, extension in ATTACHMENT_TYPES:
        if data.startswith(magic):
            return content_type, extension
    raise UploadError(_l("Only PDF, JPEG or PNG files are accepted."))


# ------------------------------------------------------------------ larger bodies, per view
#
# The app-wide MAX_CONTENT_LENGTH stays small: every form (a citizen's comment, a sign-in)
# refuses a large body before reading it. A view that takes big files by nature names the
# config key of its own limit; the limit is set on the request before anything reads the
# body (CSRF and the NUL-byte check read the form in before_request hooks).

def larger_uploads(config_key: str):
    """View decorator (under ``@bp.route``, above ``@role_required``): this view accepts
    request bodies up to ``app.config[config_key]`` bytes instead of MAX_CONTENT_LENGTH,
    from signed-in users of the view's roles only."""
    def decorate(view):
        view.upload_limit_key = config_key
        return view
    return decorate


def _raise_view_limit() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    key = getattr(view, "upload_limit_key", None)
    # Only for someone the view lets in (its role_required roles): a stranger's large
    # body is refused at the app-wide limit before a byte more is read.
    roles = getattr(view, "_roles", None)
    if key is not None and roles is not None and current_user.is_authenticated \
            and current_user.has_role(*roles):
        request.max_content_length = current_app.config[key]


def install_view_limits(app) -> None:
    """Run the per-view limit first among the app's before_request hooks (once)."""
    hooks = app.before_request_funcs.setdefault(None, [])
    if _raise_view_limit not in hooks:
        hooks.insert(0, _raise_view_limit)
