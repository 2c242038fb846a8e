"""Draft sources (DESIGN.md section 3) -> parsed documents. Pure: no database, no Flask app.

One file is one language of one document. ``parse`` reads a file; ``merge`` checks that the
language files of a document agree (same clause keys, same sections) and joins them.
Every refusal names the file and the line.
"""
from __future__ import annotations

import hashlib
import html as htmllib
import re
from dataclasses import dataclass, field
from pathlib import Path

import markdown
import nh3
from flask_babel import lazy_gettext as _l

from ..core import languages
from ..core.spreadsheets import Problem

KINDS = ("programme", "action-plan")
REQUIRED = ("title", "document", "kind", "version", "language")
OPTIONAL = ("consultation", "status")

HEADER_LINE = re.compile(r"^([A-Za-z][A-Za-z_-]*)\s*:\s*(.*)$")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
CLAUSE_START = re.compile(r"^(\d+)\.\s+(\S.*)$")
SUB_ITEM = re.compile(r"^\s*(\d+|[a-zа-яё])\)\s+(.*)$")
ROW_KEY = re.compile(r"^(\d+(?:\.\d+)*)\.?$")
TABLE_SEPARATOR = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
ANNEX = re.compile(r"^(?:(?:annex|приложение)\b\s*(?:№\s*)?(\d+)?|(\d+)\s*-\s*тиркеме\b)",
                   re.IGNORECASE)
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,119}$")
TAGS = re.compile(r"<[^>]+>")

ALLOWED_TAGS = {"p", "br", "strong", "em", "b", "i", "code", "ol", "ul", "li", "span", "a",
                "table", "thead", "tbody", "tr", "th", "td", "sup", "sub", "blockquote"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"class", "start"}, "li": {"value"},
                      "span": {"class"}, "td": {"align"}, "th": {"align"}}


def problem(path: str, line: int, message: str) -> Problem:
    """A refusal naming the file and the line."""
    return Problem(row=line, column="", message=message, file=path)


class DraftError(Exception):
    """A draft source was refused; ``problems`` lists every reason with file and line."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass
class ParsedSection:
    line: int
    level: int
    heading: str
    annex: int | None
    chapter: int  # index of the top-level section this one belongs to
    body: list[str] = field(default_factory=list)  # HTML of text that is not a clause
    columns: list[str] = field(default_factory=list)


@dataclass
class ParsedClause:
    key: str
    line: int
    section: int | None  # index into sections; None before the first heading
    html: str = ""
    text: str = ""
    cells: list[str] = field(default_factory=list)


@dataclass
class ParsedFile:
    path: str
    meta: dict
    meta_lines: dict
    source: str
    preamble: list[str] = field(default_factory=list)
    sections: list[ParsedSection] = field(default_factory=list)
    clauses: list[ParsedClause] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return self.meta["document"]

    @property
    def language(self) -> str:
        return self.meta["language"]


@dataclass
class MergedDocument:
    """A document with every language joined, ready to be stored as one version."""
    slug: str
    kind: str
    version: int
    consultation: str | None
    demonstration: bool
    languages: list[str]
    title: dict
    preamble_html: dict
    sections: list[dict]
    clauses: list[dict]
    source_hash: str
    paths: list[str]


# ---------------------------------------------------------------- rendering

_md = markdown.Markdown(extensions=["tables"], output_format="html")


def render(text: str) -> str:
    """Markdown -> sanitised HTML (once, at import)."""
    _md.reset()
    return nh3.clean(_md.convert(text), tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     link_rel="noopener noreferrer")


def render_inline(text: str) -> str:
    """Markdown of one line or cell, without the paragraph around it."""
    out = render(text)
    if out.startswith("<p>") and out.endswith("</p>") and out.count("<p>") == 1:
        out = out[3:-4]
    return out


def plain(html_text: str) -> str:
    return " ".join(htmllib.unescape(TAGS.sub(" ", html_text)).split())


def render_block(lines: list[str]) -> str:
    """A clause's paragraph lines, with ``1)`` sub-items as an ordered list."""
    parts: list[str] = []
    para: list[str] = []
    items: list[tuple[str, list[str]]] = []

    def flush_para():
        if para:
            parts.append(render("\n".join(para)))
            para.clear()

    def flush_items():
        if items:
            lis = "".join(
                f'<li><span class="marker">{htmllib.escape(m)})</span> '
                f'{render_inline(" ".join(t))}</li>' for m, t in items)
            parts.append(f'<ol class="subitems">{lis}</ol>')
            items.clear()

    for line in lines:
        sub = SUB_ITEM.match(line)
        if sub:
            flush_para()
            items.append((sub.group(1), [sub.group(2).strip()]))
        elif items and line[:1].isspace():
            items[-1][1].append(line.strip())  # a wrapped sub-item
        else:
            flush_items()
            para.append(line.strip())
    flush_para()
    flush_items()
    return nh3.clean("".join(parts), tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     link_rel="noopener noreferrer")


# ---------------------------------------------------------------- one file

def parse(source: str, path: str) -> ParsedFile:
    """Parse one draft source file; raise ``DraftError`` naming file and line."""
    problems: list[Problem] = []
    lines = source.lstrip("\ufeff").splitlines()
    meta, meta_lines, body_start = _header(lines, path, problems)
    doc = ParsedFile(path=path, meta=meta, meta_lines=meta_lines, source=source)
    if not problems:
        _check_header(doc, path, problems)
    if problems:
        raise DraftError(problems)
    _body(doc, lines, body_start, problems)
    if not doc.clauses and not problems:
        problems.append(problem(path, body_start + 1, str(_l("No numbered clause was found."))))
    if problems:
        raise DraftError(problems)
    return doc


def _header(lines, path, problems):
    meta: dict = {}
    meta_lines: dict = {}
    i = 0
    while i < len(lines) and lines[i].strip():
        m = HEADER_LINE.match(lines[i])
        if not m:
            problems.append(problem(path, i + 1, str(_l(
                "A header line must read 'Key: value'; the header ends at the first blank line."))))
            return meta, meta_lines, i
        key = m.group(1).lower()
        if key not in REQUIRED + OPTIONAL:
            problems.append(problem(path, i + 1, str(_l(
                "Unknown header field '%(field)s'.", field=m.group(1)))))
        elif key in meta:
            problems.append(problem(path, i + 1, str(_l(
                "Header field '%(field)s' is repeated (first on line %(first)d).",
                field=m.group(1), first=meta_lines[key]))))
        else:
            meta[key] = m.group(2).strip()
            meta_lines[key] = i + 1
        i += 1
    for key in REQUIRED:
        if not meta.get(key):
            problems.append(problem(path, max(i, 1), str(_l(
                "The header has no '%(field)s' field.", field=key.capitalize()))))
    return meta, meta_lines, i


def _check_header(doc: ParsedFile, path: str, problems: list[Problem]) -> None:
    meta, at = doc.meta, doc.meta_lines
    if meta["kind"] not in KINDS:
        problems.append(problem(path, at["kind"], str(_l(
            "Unknown Kind '%(kind)s': use programme or action-plan.", kind=meta["kind"]))))
    if not meta["version"].isdigit() or int(meta["version"]) < 1:
        problems.append(problem(path, at["version"], str(_l(
            "Version must be a whole number from 1 up, not '%(value)s'.",
            value=meta["version"]))))
    if meta["language"] not in languages.codes():
        problems.append(problem(path, at["language"], str(_l(
            "Unknown Language '%(value)s': use ky, ru or en.", value=meta["language"]))))
    elif Path(path).stem in languages.codes() and Path(path).stem != meta["language"]:
        problems.append(problem(path, at["language"], str(_l(
            "The file is named for '%(stem)s' but says Language: %(value)s.",
            stem=Path(path).stem, value=meta["language"]))))
    for key in ("document", "consultation"):
        if meta.get(key) and not SLUG.match(meta[key]):
            problems.append(problem(path, at[key], str(_l(
                "'%(value)s' is not a valid name: use lower-case letters, digits and hyphens.",
                value=meta[key]))))


def _body(doc: ParsedFile, lines: list[str], start: int, problems: list[Problem]) -> None:
    path = doc.path
    seen: dict[str, int] = {}
    annex: int | None = None
    annex_count = 0
    chapter = -1
    clause: ParsedClause | None = None
    clause_lines: list[str] = []
    section: ParsedSection | None = None

    def close_clause():
        nonlocal clause
        if clause is not None and not clause.cells:
            clause.html = render_block(clause_lines)
            clause.text = plain(clause.html)
            if not clause.text:
                problems.append(problem(path, clause.line, str(_l(
                    "Clause %(key)s has no text.", key=clause.key))))
        clause = None
        clause_lines.clear()

    def open_clause(key: str, line: int) -> ParsedClause:
        if key in seen:
            problems.append(problem(path, line, str(_l(
                "Clause %(key)s appears twice: on line %(first)d and on line %(second)d.",
                key=key, first=seen[key], second=line))))
        seen.setdefault(key, line)
        c = ParsedClause(key=key, line=line,
                         section=len(doc.sections) - 1 if doc.sections else None)
        doc.clauses.append(c)
        return c

    def keyed(number: str) -> str:
        return f"annex-{annex}.{number}" if annex is not None else number

    for lineno, block in _blocks(lines, start):
        first = block[0]
        heading = HEADING.match(first) if len(block) == 1 else None
        if heading:
            close_clause()
            level = min(len(heading.group(1)), 3)
            text = heading.group(2).strip()
            found = ANNEX.match(text)
            if found:
                annex_count += 1
                annex = int(found.group(1) or found.group(2) or annex_count)
            elif level == 1:
                annex = None
            if level == 1 or chapter < 0:
                chapter = len(doc.sections)
            section = ParsedSection(line=lineno, level=level, heading=text, annex=annex,
                                    chapter=chapter)
            doc.sections.append(section)
        elif first.startswith("|"):
            close_clause()
            _table(block, lineno, path, problems, doc, section, open_clause, keyed)
        elif CLAUSE_START.match(first):
            close_clause()
            number, rest = CLAUSE_START.match(first).groups()
            clause = open_clause(keyed(number), lineno)
            clause_lines.extend([rest] + block[1:])
        elif clause is not None:
            clause_lines.append("")  # keep the paragraph break
            clause_lines.extend(block)
        elif section is not None:
            section.body.append(render_block(block))
        else:
            doc.preamble.append(render_block(block))
    close_clause()


def _blocks(lines: list[str], start: int):
    """Yield (line number, lines) for each paragraph, heading or table."""
    block: list[str] = []
    block_line = 0
    for index in range(start, len(lines)):
        line = lines[index].rstrip()
        is_heading = bool(HEADING.match(line))
        is_row = line.startswith("|")
        if not line.strip() or is_heading or (block and block[0].startswith("|") != is_row):
            if block:
                yield block_line, block
                block = []
            if is_heading:
                yield index + 1, [line]
                continue
            if not line.strip():
                continue
        if not block:
            block_line = index + 1
        block.append(line)
    if block:
        yield block_line, block


def _cells(row: str) -> list[str]:
    row = row.strip()
    if row.startswith("|"):
        row = row[1:]
    if row.endswith("|"):
        row = row[:-1]
    return [c.strip() for c in row.split("|")]


def _table(block, lineno, path, problems, doc, section, open_clause, keyed):
    if len(block) < 2 or not TABLE_SEPARATOR.match(block[1]):
        problems.append(problem(path, lineno, str(_l(
            "A table needs a header row and then a separator row such as |---|---|."))))
        return
    header = _cells(block[0])
    other_rows: list[str] = []
    for offset, row in enumerate(block[2:], start=2):
        cells = _cells(row)
        key = ROW_KEY.match(cells[0]) if cells else None
        if not key:
            other_rows.append(row)
            continue
        if len(cells) != len(header):
            problems.append(problem(path, lineno + offset, str(_l(
                "This row has %(found)d cells where the header has %(expected)d.",
                found=len(cells), expected=len(header)))))
        c = open_clause(keyed(key.group(1)), lineno + offset)
        c.cells = [render_inline(cell) for cell in cells]
        c.html = "".join(f"<span class=\"cell\">{cell}</span>" for cell in c.cells[1:])
        c.text = " — ".join(plain(cell) for cell in c.cells[1:] if cell)
        if not c.text:
            problems.append(problem(path, lineno + offset, str(_l(
                "Clause %(key)s has no text.", key=c.key))))
        if section is not None and not section.columns:
            section.columns = [plain(render_inline(h)) for h in header]
    if other_rows:
        table = render("\n".join([block[0], block[1], *other_rows]))
        if section is not None:
            section.body.append(table)
        else:
            doc.preamble.append(table)


# ---------------------------------------------------------------- several languages

def merge(files: list[ParsedFile]) -> MergedDocument:
    """Join the language files of one document, refusing any disagreement. The first in
    the languages' fallback order is the primary text the others are compared with."""
    problems: list[Problem] = []
    order = languages.codes()
    files = sorted(files, key=lambda f: order.index(f.language))
    primary = files[0]
    by_lang: dict[str, ParsedFile] = {}
    for f in files:
        if f.language in by_lang:
            problems.append(problem(f.path, f.meta_lines["language"], str(_l(
                "Language %(lang)s is given twice for this document (also in %(other)s).",
                lang=f.language, other=by_lang[f.language].path))))
            continue
        by_lang[f.language] = f
        for key in ("kind", "version", "consultation"):
            if f.meta.get(key) != primary.meta.get(key):
                problems.append(problem(f.path, f.meta_lines.get(key, 1), str(_l(
                    "%(field)s is '%(value)s' here but '%(expected)s' in %(other)s.",
                    field=key.capitalize(), value=f.meta.get(key, ""),
                    expected=primary.meta.get(key, ""), other=primary.path))))
        if f is not primary:
            _compare_structure(primary, f, problems)
    if problems:
        raise DraftError(problems)

    sections = [
        {"level": s.level, "annex": s.annex, "chapter": s.chapter,
         "heading": {}, "body_html": {}, "columns": {}} for s in primary.sections]
    clauses = [{"key": c.key, "section": c.section, "html": {}, "text": {}, "cells": {}}
               for c in primary.clauses]
    position = {c.key: i for i, c in enumerate(primary.clauses)}
    for lang, f in by_lang.items():
        for s, merged in zip(f.sections, sections, strict=True):
            merged["heading"][lang] = s.heading
            if s.body:
                merged["body_html"][lang] = "".join(s.body)
            if s.columns:
                merged["columns"][lang] = s.columns
        for c in f.clauses:
            merged = clauses[position[c.key]]
            merged["html"][lang] = c.html
            merged["text"][lang] = c.text
            if c.cells:
                merged["cells"][lang] = c.cells
    digest = hashlib.sha256()
    for lang in sorted(by_lang):
        digest.update(lang.encode() + b"\0" + by_lang[lang].source.encode() + b"\0")
    return MergedDocument(
        slug=primary.slug, kind=primary.meta["kind"], version=int(primary.meta["version"]),
        consultation=primary.meta.get("consultation") or None,
        demonstration=primary.meta.get("status", "").lower() == "demonstration",
        languages=list(by_lang), title={lang: f.meta["title"] for lang, f in by_lang.items()},
        preamble_html={lang: "".join(f.preamble) for lang, f in by_lang.items() if f.preamble},
        sections=sections, clauses=clauses, source_hash=digest.hexdigest(),
        paths=[f.path for f in files])


def _compare_structure(primary: ParsedFile, other: ParsedFile, problems: list[Problem]) -> None:
    """Same clause keys, in the same sections, and the same headings count."""
    mine = {c.key: c for c in primary.clauses}
    theirs = {c.key: c for c in other.clauses}
    for c in primary.clauses:
        if c.key not in theirs:
            problems.append(problem(other.path, _nearest_line(primary, other, c.key), str(_l(
                "Clause %(key)s is missing here; %(other)s has it on line %(line)d.",
                key=c.key, other=primary.path, line=c.line))))
    for c in other.clauses:
        if c.key not in mine:
            problems.append(problem(other.path, c.line, str(_l(
                "Clause %(key)s is not in %(other)s; every language must have the same clauses.",
                key=c.key, other=primary.path))))
    if len(primary.sections) != len(other.sections):
        line = other.sections[min(len(primary.sections), len(other.sections)) - 1].line \
            if other.sections and primary.sections else 1
        problems.append(problem(other.path, line, str(_l(
            "This file has %(found)d headings where %(other)s has %(expected)d.",
            found=len(other.sections), other=primary.path, expected=len(primary.sections)))))
        return
    for c in other.clauses:
        if c.key in mine and mine[c.key].section != c.section:
            problems.append(problem(other.path, c.line, str(_l(
                "Clause %(key)s stands under a different heading than in %(other)s "
                "(line %(line)d).", key=c.key, other=primary.path, line=mine[c.key].line))))


def _nearest_line(primary: ParsedFile, other: ParsedFile, key: str) -> int:
    """Where a missing clause should be: after the nearest earlier clause the file has."""
    theirs = {c.key: c.line for c in other.clauses}
    before = 1
    for c in primary.clauses:
        if c.key == key:
            return before
        before = theirs.get(c.key, before)
    return before
