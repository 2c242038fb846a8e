"""The comparison table ("справка") filed with the revised draft: comments -> docx.

DESIGN.md section 6, last bullet. A Word file in the export language (ky, ru or en):

- a cover: the consultation, the deciding authority (who answers), the period and the
  hearings (Asia/Bishkek), the documents and their versions, the answers by status, and
  the count check *received = published + hidden + withdrawn + awaiting moderation*,
  counted as the workbook counts it (``workbook.Summary``, ``workbook._count_received``);
- per document, chapter by chapter (top-level sections of the current version) and
  clause by clause in its order, a table: the clause and its text, then each comment, or
  each duplicate group as one entry, in its public form (``comments.public`` decides:
  withheld texts, names only with consent, never an e-mail address, never a member of
  staff), with its status, rationale and change. Whole-document comments come first;
  comments on earlier versions sit with what their clause became (the lineage,
  ``drafts.revisions.fates``), labelled with the version and clause they were made on;
  comments on clauses deleted since have their own part at the end;
- an annex: the organisations the public record names, with how many comments each sent.

An answer waiting for a lead drafter's approval (when the consultation asks for one)
reads "Not answered yet", as the public would see it.

Speed and memory: python-docx adds table rows through cell objects that re-read the whole
table, so a table of thousands of rows takes minutes; here paragraphs and rows are built
as WordprocessingML elements with lxml directly and serialized as soon as they are
complete, into a spooled temporary file that becomes the document part when the package
is saved. python-docx provides the package, the styles, the page, header and footer.
Comments stream from one query per document in the order they are written; only the
comments of one clause (and the members of the document's duplicate groups) are held at
a time, so memory stays flat (bench/synthesis_docx.py).
"""
from __future__ import annotations

import io
import re
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from docx import Document as WordDocument
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from lxml import etree
from sqlalchemy import case, func, null, select
from sqlalchemy.orm import Session, aliased

from ..comments import public as policy
from ..core import formats
from ..core.consultation import current_consultation
from ..core.languages import pick
from ..core.text import clean
from ..core.time import TIMEZONE, utcnow
from ..core.vocab import CATEGORIES, CHANNELS, HEARING_STATUSES, STATES, STATUSES
from ..drafts import revisions
from ..i18n import clause_label
from ..models import (
    Clause,
    ClauseLineage,
    Comment,
    Consultation,
    Document,
    Hearing,
    Response,
    Section,
)
from .rows import CHUNK, hearing_label
from .workbook import Summary, _count_received

MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FONT = "Times New Roman"  # the font of state documents; it has every Kyrgyz letter
BODY_SIZE, TABLE_SIZE, SMALL_SIZE = 11, 10, 9  # points
WORD_LANGUAGE = {"ky": "ky-KG", "ru": "ru-RU", "en": "en-GB"}

# A4 landscape with 2 cm margins leaves 14,570 twips (1/20 point): every table's widths
# add up to that.
PAGE_WIDTH, PAGE_HEIGHT, MARGIN = Mm(297), Mm(210), Mm(20)
# The comparison table: No. / Comment (commenter) / Response status / Rationale / Change.
ENTRY_WIDTHS = (700, 5870, 1700, 3600, 2700)
PAIR_WIDTHS = (5000, 9570)
HEADER_FILL, CLAUSE_FILL, GREY = "D9D9D9", "F2F2F2", "595959"
TABLE_STYLE = "Table text"

# What XML 1.0 cannot hold at all (besides the invisible characters core.text strips).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass
class DocxSummary(Summary):
    """The workbook's counts and check, and what the comparison table holds besides."""
    entries: int = 0  # numbered rows: a duplicate group is one
    organisations: int = 0  # named in the annex


# ---------------------------------------------------------------- WordprocessingML

_W = {name: qn(f"w:{name}") for name in (
    "p", "pPr", "pStyle", "keepNext", "jc", "pageBreakBefore", "r", "rPr", "b", "i", "sz",
    "szCs", "color", "t", "br", "tab", "tbl", "tblPr", "tblW", "tblLayout", "tblBorders",
    "tblGrid", "gridCol", "tr", "trPr", "tblHeader", "cantSplit", "tc", "tcPr", "tcW",
    "gridSpan", "shd", "top", "left", "bottom", "right", "insideH", "insideV", "val", "w",
    "type", "fill", "space", "fldSimple", "instr", "rFonts", "lang", "spacing", "after",
    "line", "lineRule")}
_NSMAP = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_SUB = etree.SubElement


def text_of(value) -> str:
    """Text made safe for a Word file: invisible and non-XML characters removed, line ends
    as ``\\n``. Word never runs what a text run holds, so nothing else needs escaping."""
    text, _changed = clean(str(value or ""))
    return _NOT_XML.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


@dataclass(frozen=True)
class Look:
    """How a run of text looks."""
    bold: bool = False
    italic: bool = False
    size: int | None = None  # points
    color: str | None = None


PLAIN, BOLD, ITALIC = Look(), Look(bold=True), Look(italic=True)
META = Look(size=SMALL_SIZE, color=GREY)


def add_run(p, text: str, look: Look = PLAIN) -> None:
    """Append a run of ``text`` (cleaned; line breaks and tabs kept) to the ``w:p``."""
    text = text_of(text)
    if not text:
        return
    r = _SUB(p, _W["r"])
    if look != PLAIN:
        rpr = _SUB(r, _W["rPr"])
        if look.bold:
            _SUB(rpr, _W["b"])
        if look.italic:
            _SUB(rpr, _W["i"])
        if look.color:
            _SUB(rpr, _W["color"]).set(_W["val"], look.color)
        if look.size:
            _SUB(rpr, _W["sz"]).set(_W["val"], str(look.size * 2))
            _SUB(rpr, _W["szCs"]).set(_W["val"], str(look.size * 2))
    for number, line in enumerate(text.split("\n")):
        if number:
            _SUB(r, _W["br"])
        for index, piece in enumerate(line.split("\t")):
            if index:
                _SUB(r, _W["tab"])
            if piece:
                t = _SUB(r, _W["t"])
                t.text = piece
                t.set(_XML_SPACE, "preserve")


def paragraph(*runs: tuple[str, Look] | str, style: str | None = None, keep: bool = False,
              page_break: bool = False, align: str | None = None):
    """A ``w:p`` of runs, each ``(text, Look)`` or a plain string."""
    p = etree.Element(_W["p"], nsmap=_NSMAP)
    if style or keep or page_break or align:
        ppr = _SUB(p, _W["pPr"])
        if style:
            _SUB(ppr, _W["pStyle"]).set(_W["val"], style)
        if keep:
            _SUB(ppr, _W["keepNext"])
        if page_break:
            _SUB(ppr, _W["pageBreakBefore"])
        if align:
            _SUB(ppr, _W["jc"]).set(_W["val"], align)
    for item in runs:
        text, look = (item, PLAIN) if isinstance(item, str) else item
        add_run(p, text, look)
    return p


_W_DECLARATION = b' xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def xml_of(element) -> bytes:
    """An element as it goes inside ``w:body`` (the document part declares ``w:``)."""
    return etree.tostring(element, encoding="UTF-8").replace(_W_DECLARATION, b"", 1)


class Body:
    """The body of the document as it is written: serialized elements, spooled to a
    temporary file past a few megabytes, so that memory does not grow with the comments."""

    def __init__(self):
        self.file = tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024)  # noqa: SIM115

    def add(self, element) -> None:
        self.file.write(xml_of(element))

    def write(self, data: bytes) -> None:
        self.file.write(data)

    def chunks(self, size: int = 1024 * 1024):
        self.file.seek(0)
        while chunk := self.file.read(size):
            yield chunk

    def close(self) -> None:
        self.file.close()


class Table:
    """A bordered, fixed-layout table; its header row is repeated on every page. With a
    ``body``, its rows are written there as they come (``close`` ends the table);
    without, they are kept in ``element``."""

    def __init__(self, widths: Iterable[int], header: Iterable[str] | None, style: str,
                 body: Body | None = None):
        self.widths = tuple(widths)
        self.style = style
        self.body = None
        self.element = tbl = etree.Element(_W["tbl"], nsmap=_NSMAP)
        tblpr = _SUB(tbl, _W["tblPr"])
        width = _SUB(tblpr, _W["tblW"])
        width.set(_W["w"], str(sum(self.widths)))
        width.set(_W["type"], "dxa")
        borders = _SUB(tblpr, _W["tblBorders"])
        for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
            line = _SUB(borders, _W[side])
            line.set(_W["val"], "single")
            line.set(_W["sz"], "4")
            line.set(_W["space"], "0")
            line.set(_W["color"], "808080")
        _SUB(tblpr, _W["tblLayout"]).set(_W["type"], "fixed")
        grid = _SUB(tbl, _W["tblGrid"])
        for w in self.widths:
            _SUB(grid, _W["gridCol"]).set(_W["w"], str(w))
        if header is not None:
            self.row([[paragraph((str(label), BOLD), style=style)] for label in header],
                     fill=HEADER_FILL, header=True)
        if body is not None:
            opening = xml_of(tbl)
            body.write(opening[:opening.rindex(b"</w:tbl>")])
            self.body = body

    def close(self) -> None:
        if self.body is not None:
            self.body.write(b"</w:tbl>")
            self.body = None

    def row(self, cells: list[list], *, fill: str | None = None, header: bool = False,
            span: bool = False) -> None:
        """A row: per cell, its paragraphs (``span``: one cell across the whole table)."""
        tr = etree.Element(_W["tr"], nsmap=_NSMAP)
        if header:
            trpr = _SUB(tr, _W["trPr"])
            _SUB(trpr, _W["cantSplit"])
            _SUB(trpr, _W["tblHeader"])  # Word and LibreOffice repeat it on every page
        widths = (sum(self.widths),) if span else self.widths
        for width, content in zip(widths, cells, strict=True):
            tc = _SUB(tr, _W["tc"])
            tcpr = _SUB(tc, _W["tcPr"])
            tcw = _SUB(tcpr, _W["tcW"])
            tcw.set(_W["w"], str(width))
            tcw.set(_W["type"], "dxa")
            if span:
                _SUB(tcpr, _W["gridSpan"]).set(_W["val"], str(len(self.widths)))
            if fill:
                shd = _SUB(tcpr, _W["shd"])
                shd.set(_W["val"], "clear")
                shd.set(_W["color"], "auto")
                shd.set(_W["fill"], fill)
            for p in content or [paragraph(style=self.style)]:  # a cell needs a paragraph
                tc.append(p)
        if self.body is not None:
            self.body.write(xml_of(tr))
        else:
            self.element.append(tr)

    def keep_together(self) -> Table:
        """Keep a short table on one page (each row kept with the next)."""
        for tr in self.element.findall(_W["tr"])[:-1]:
            for p in tr.iter(_W["p"]):
                ppr = p.find(_W["pPr"])
                if ppr is None:
                    ppr = etree.Element(_W["pPr"])
                    p.insert(0, ppr)
                if ppr.find(_W["keepNext"]) is None:  # after the style, by the schema
                    ppr.insert(int(ppr.find(_W["pStyle"]) is not None),
                               etree.Element(_W["keepNext"]))
        return self

    def pairs(self, pairs: Iterable[tuple[str, object]]) -> Table:
        """Rows of (label, value) for the two-column tables of the cover."""
        for label, value in pairs:
            self.row([[paragraph((str(label), BOLD), style=self.style)],
                      [paragraph(_str(value), style=self.style)]])
        return self


def _str(value) -> str:
    return "" if value is None else str(value)


def _when(value) -> str:
    """A stored time as people read it, in Asia/Bishkek, in the file's language."""
    return formats.current(value, formats.DATETIME)


# ---------------------------------------------------------------- reading the record

def _approvals() -> bool:
    """Whether answers are approved before the public reads them in this version of the
    models (the setting and the approval may not exist yet)."""
    return hasattr(Consultation, "answer_approval") and hasattr(Response, "approved_at")


def _answer_public(rec, consultation) -> bool:
    """Whether the public may read the answer of ``rec`` (a row with the answer's
    ``approved_at``): ``comments.public`` decides where it can; else, while the
    consultation asks for approval, only an approved answer."""
    decide = getattr(policy, "answer_public", None)
    if decide is not None:
        return decide(rec, consultation)
    return not getattr(consultation, "answer_approval", False) or rec.approved_at is not None


def _comment_query(document: Document, approvals: bool):
    """The document's comments with the answer that applies (the group's when grouped):
    whole-document ones first, then clause by clause in the current version's order, each
    under what its clause became, then those on clauses deleted since (as the results
    page orders them). E-mail addresses are not read."""
    own, grp = aliased(Response), aliased(Response)
    lineage, current, made_on = aliased(ClauseLineage), aliased(Clause), aliased(Clause)
    grouped = Comment.group_id.is_not(None)
    approved = case((grouped, grp.approved_at), else_=own.approved_at) if approvals \
        else null()
    rank = case((Comment.clause_id.is_(None), 0), (current.id.is_not(None), 1), else_=2)
    return (
        select(Comment.id, Comment.clause_id, Comment.body, Comment.language,
               Comment.channel, Comment.hearing_id, Comment.received_at, Comment.in_period,
               Comment.category, Comment.author_name, Comment.organisation,
               Comment.consent, Comment.state, Comment.hidden_reason, Comment.group_id,
               case((grouped, grp.status), else_=own.status).label("answer_status"),
               case((grouped, grp.rationale), else_=own.rationale).label("answer_rationale"),
               case((grouped, grp.change), else_=own.change).label("answer_change"),
               approved.label("approved_at"))
        .outerjoin(own, own.comment_id == Comment.id)
        .outerjoin(grp, (grp.group_id == Comment.group_id) & grouped)
        .outerjoin(lineage, (lineage.clause_id == Comment.clause_id) & lineage.first)
        .outerjoin(current, current.id == lineage.current_clause_id)
        .outerjoin(made_on, made_on.id == Comment.clause_id)
        .where(Comment.document_id == document.id)
        .order_by(rank, current.position, made_on.version_id, made_on.position, Comment.id))


@dataclass(frozen=True)
class _Place:
    """Where comments are listed: the whole document, a clause of the current version, or
    a clause deleted since (its key in the version that had it)."""
    kind: str  # "whole" | "current" | "deleted"
    key: str = ""
    version: int = 0


class _Parts:
    """A document's clauses (every version), chapters and lineage, read once."""

    def __init__(self, session: Session, document: Document, lang: str):
        self.lang = lang
        self.current = document.current_version
        self.number = {v.id: v.number for v in document.versions}
        version_ids = list(self.number) or [0]
        sections = session.execute(select(
            Section.id, Section.version_id, Section.position, Section.chapter_position,
            Section.heading).where(Section.version_id.in_(version_ids))).all()
        heading_at = {(s.version_id, s.position): pick(s.heading, lang)[0] for s in sections}
        self.chapter_of_section = {
            s.id: ((s.version_id, s.chapter_position),
                   heading_at.get((s.version_id, s.chapter_position), ""))
            for s in sections}
        self.clauses = {c.id: c for c in session.scalars(
            select(Clause).where(Clause.version_id.in_(version_ids)))}
        current_id = self.current.id if self.current is not None else None
        self.current_by_key = {c.key: c for c in self.clauses.values()
                               if c.version_id == current_id}
        self.by_version_key = {(self.number.get(c.version_id), c.key): c
                               for c in self.clauses.values()}
        self.fates = revisions.fates(session, self.clauses)

    def place(self, clause_id: int | None) -> _Place:
        if clause_id is None:
            return _Place("whole")
        fate = self.fates.get(clause_id)
        if fate is not None and fate.current:
            return _Place("current", fate.current[0])
        if fate is not None:
            return _Place("deleted", fate.key, fate.version)
        clause = self.clauses.get(clause_id)
        return _Place("deleted", clause.key if clause else "?",
                      self.number.get(clause.version_id, 0) if clause else 0)

    def chapter(self, place: _Place) -> tuple[object, str]:
        """(identity, heading) of the top-level section of a current clause."""
        clause = self.current_by_key.get(place.key)
        if clause is None or clause.section_id is None:
            return None, ""
        return self.chapter_of_section.get(clause.section_id, (None, ""))

    def text(self, place: _Place) -> str:
        if place.kind == "current":
            clause = self.current_by_key.get(place.key)
        else:
            clause = self.by_version_key.get((place.version, place.key))
        return pick(clause.text, self.lang)[0] if clause is not None else ""


@dataclass
class _Tally:
    """Counts made while the comments stream past: every comment once, members too."""
    states: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)  # '': no public answer yet
    hearings: Counter = field(default_factory=Counter)
    documents: Counter = field(default_factory=Counter)
    organisations: dict = field(default_factory=dict)  # folded name -> [name, categories]
    received: int = 0
    entries: int = 0

    def add(self, rec, document_id: int, status: str) -> None:
        self.received += 1
        self.states[rec.state] += 1
        self.statuses[status] += 1
        self.documents[document_id] += 1
        if rec.hearing_id is not None:
            self.hearings[rec.hearing_id] += 1
        _name, organisation = policy.public_author(rec)
        organisation = " ".join(text_of(organisation).split())
        if organisation:
            entry = self.organisations.setdefault(organisation.casefold(),
                                                  [organisation, Counter()])
            entry[1][rec.category] += 1


# ---------------------------------------------------------------- the export

def export_docx(session: Session, out, *, lang: str, consultation: Consultation | None = None,
                document_slug: str | None = None) -> DocxSummary:
    """Write the comparison table ("справка") of ``consultation`` (default: the current
    one), or of one of its documents, in ``lang`` to ``out`` (a path or a binary file).

    Comments appear only in their public form. Returns the counts; ``check_holds`` is the
    workbook's count check, computed the same way."""
    exported_at = utcnow()
    consultation = consultation or current_consultation(session)
    consultation_id = consultation.id if consultation is not None else 0
    with force_locale(lang):
        word = _word_document(lang)
        writer = _Writer(session, consultation, lang, _table_style(word))
        _page_furniture(word, consultation, lang)
        query = select(Document).where(Document.consultation_id == consultation_id) \
            .order_by(Document.position, Document.id)
        if document_slug is not None:
            query = query.where(Document.slug == document_slug)
        documents = list(session.scalars(query))
        body = Body()
        try:
            for document in documents:
                writer.document(document, body)
            tally = writer.tally
            summary = DocxSummary(
                received=tally.received, states=tally.states,
                received_in_database=_count_received(session,
                                                     (consultation_id, document_slug)),
                entries=tally.entries, organisations=len(tally.organisations))
            cover = b"".join(map(xml_of, writer.cover(consultation, documents, summary,
                                                      exported_at)))
            annex = b"".join(map(xml_of, writer.annex()))
            _package(word, out, cover, body, annex)
        finally:
            body.close()
    return summary


def _package(word, out, cover: bytes, body: Body, annex: bytes) -> None:
    """Save the Word package with the cover, the body and the annex written into its
    (empty) document part, streamed: the body never has to be in memory at once."""
    shell = io.BytesIO()
    word.save(shell)
    with zipfile.ZipFile(shell) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            info = zipfile.ZipInfo(item.filename, date_time=item.date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            if item.filename != "word/document.xml":
                target.writestr(info, data)
                continue
            at = data.rindex(b"<w:sectPr")  # the page settings close the body
            with target.open(info, "w") as part:
                part.write(data[:at])
                part.write(cover)
                for chunk in body.chunks():
                    part.write(chunk)
                part.write(annex)
                part.write(data[at:])


class _Writer:
    """Builds the elements of the file in the export language (force_locale in effect)."""

    def __init__(self, session: Session, consultation, lang: str, style: str):
        self.session, self.lang, self.style = session, lang, style
        self.consultation = consultation
        self.approvals = _approvals()
        self.tally = _Tally()
        self.channel = CHANNELS.labels_in(lang)
        self.category = CATEGORIES.labels_in(lang)
        self.status = STATUSES.labels_in(lang)
        self.not_answered = _("Not answered yet.")
        self.withheld = _("Text withheld:")
        self.late = _("Received after the period closed")
        # Message templates translated once, filled per row (gettext without arguments
        # returns the translated template as it is).
        self.comment_n = _("Comment %(id)d")
        self.made_on = _("Made on version %(number)d, clause %(key)s")
        self.split_into = _("In the current version it is:")
        self.hearings = {h.id: h for h in _hearings(session, consultation)}
        self.hearing_label = {h.id: hearing_label(h, lang) for h in self.hearings.values()}

    # ------------------------------------------------------------ per document

    def document(self, document: Document, body: Body) -> None:
        """The document's heading and its tables: the whole document, then one per
        chapter, then the clauses deleted since; a clause row before each clause."""
        parts = _Parts(self.session, document, self.lang)
        version = parts.current
        title = (pick(version.title, self.lang)[0] if version is not None else "") \
            or document.slug
        body.add(paragraph(title, style="Heading1", page_break=True, keep=True))
        received = self.session.scalar(select(func.count(Comment.id)).where(
            Comment.document_id == document.id)) or 0
        facts = [_("Version %(number)d is current.", number=version.number)] \
            if version is not None else []
        facts.append(ngettext("%(num)d comment", "%(num)d comments", received))
        body.add(paragraph((" ".join(facts), META), style=self.style))
        if not received:
            body.add(paragraph(_("No comments were received on this document.")))
            return
        members = self._groups(document)
        table, table_key = None, object()
        place, entries, emitted = None, [], set()
        for rec in self.session.execute(_comment_query(document, self.approvals)
                                        .execution_options(yield_per=CHUNK)):
            self.tally.add(rec, document.id, self.visible_status(rec))
            here = parts.place(rec.clause_id)
            if here != place:
                if entries:
                    self.place(table, parts, place, entries)
                place, entries = here, []
                key, heading = self.part_of(parts, here)
                if key != table_key:
                    if table is not None:
                        table.close()
                    if heading:
                        body.add(paragraph(heading, style="Heading2", keep=True))
                    table = Table(ENTRY_WIDTHS, self.entry_header(), self.style, body)
                    table_key = key
            if rec.group_id is None:
                entries.append([rec])
            elif rec.group_id not in emitted:  # the group, where its first member comes
                emitted.add(rec.group_id)
                entries.append(members.get(rec.group_id) or [rec])
        if entries:
            self.place(table, parts, place, entries)
        if table is not None:
            table.close()

    def _groups(self, document: Document) -> dict[int, list]:
        """The members of every duplicate group of the document, in id order."""
        members: dict[int, list] = {}
        query = _comment_query(document, self.approvals).where(Comment.group_id.is_not(None)) \
            .order_by(None).order_by(Comment.id)
        for rec in self.session.execute(query):
            members.setdefault(rec.group_id, []).append(rec)
        return members

    @staticmethod
    def part_of(parts: _Parts, place: _Place) -> tuple[object, str]:
        """Which table a place belongs to, and that table's heading."""
        if place.kind == "whole":
            return ("whole",), _("The document as a whole")
        if place.kind == "deleted":
            return ("deleted",), _("Comments on clauses deleted since")
        identity, heading = parts.chapter(place)
        return ("chapter", identity), heading

    def entry_header(self) -> list[str]:
        return [_("No."), f"{_('Comment')} ({_('Commenter')})", _("Response status"),
                _("Rationale"), _("Change in revised draft")]

    def visible_status(self, rec) -> str:
        """The answer's status as the public may see it ('': none yet, or not approved)."""
        if rec.answer_status is None or (
                self.approvals and not _answer_public(rec, self.consultation)):
            return ""
        return rec.answer_status

    def place(self, table: Table, parts: _Parts, place: _Place, entries: list) -> None:
        """A clause row (its title, count and text), then one row per entry."""
        count = sum(len(entry) for entry in entries)
        title = [paragraph((self.place_title(place), BOLD),
                           (" · " + ngettext("%(num)d comment", "%(num)d comments", count),
                            META), style=self.style, keep=True)]
        text = parts.text(place)
        if text:
            title.append(paragraph(text, style=self.style, keep=True))
        table.row([title], fill=CLAUSE_FILL, span=True)
        for entry in entries:
            self.tally.entries += 1
            first = entry[0]
            status = self.visible_status(first)
            table.row([
                [paragraph(str(self.tally.entries), style=self.style)],
                self.comment_cell(entry, parts),
                [paragraph(self.status.get(status, status) if status else self.not_answered,
                           style=self.style)],
                [paragraph(first.answer_rationale if status else "", style=self.style)],
                [paragraph(first.answer_change if status else "", style=self.style)],
            ])

    def made_on_label(self, parts: _Parts, clause_id: int | None) -> str:
        """"Made on version N, clause K" for a comment whose clause has moved since."""
        fate = parts.fates.get(clause_id) if clause_id is not None else None
        if fate is None or not fate.moved:
            return ""
        text = self.made_on % {"number": fate.version, "key": clause_label(fate.key)}
        if len(fate.current) > 1:  # split: listed under the first of its clauses
            text += f" · {self.split_into} " + ", ".join(map(clause_label, fate.current))
        return text

    @staticmethod
    def place_title(place: _Place) -> str:
        if place.kind == "whole":
            return _("The document as a whole")
        if place.kind == "deleted":
            return _("Clause %(key)s of version %(number)d (deleted since)",
                     key=clause_label(place.key), number=place.version)
        return _("Clause %(key)s", key=clause_label(place.key))

    def comment_cell(self, entry: list, parts: _Parts) -> list:
        """A comment, or a duplicate group, as the public may read it."""
        style = self.style
        first = entry[0]
        cell = []
        if len(entry) == 1:
            who = policy.commenter(first, self.category.get(first.category, first.category),
                                   public=True)
            cell.append(paragraph((who, BOLD), style=style))
            facts = [self.comment_n % {"id": first.id},
                     self.channel.get(first.channel, first.channel)]
            facts += [self.hearing_label.get(first.hearing_id, "")] if first.hearing_id \
                else []
            facts.append(_when(first.received_at))
            if not first.in_period:
                facts.append(self.late)
            cell.append(paragraph((" · ".join(f for f in facts if f), META), style=style))
            made_on = {self.made_on_label(parts, first.clause_id)}
        else:
            cell.append(paragraph((_("Group %(id)d (%(n)d comments)", id=first.group_id,
                                     n=len(entry)), BOLD), style=style))
            cell.append(paragraph((_("Members") + ": " + ", ".join(
                f"{m.id} ({author})" if (author := ", ".join(filter(
                    None, policy.public_author(m)))) else str(m.id)
                for m in entry), META), style=style))
            channels = dict.fromkeys(self.channel.get(m.channel, m.channel) for m in entry)
            heard = dict.fromkeys(self.hearing_label.get(m.hearing_id, "") for m in entry
                                  if m.hearing_id)
            dates = sorted(m.received_at for m in entry if m.received_at)
            span = " – ".join(dict.fromkeys((_when(dates[0]), _when(dates[-1])))) \
                if dates else ""
            facts = [", ".join(channels), ", ".join(heard), span]
            cell.append(paragraph((" · ".join(f for f in facts if f), META), style=style))
            made_on = dict.fromkeys(self.made_on_label(parts, m.clause_id) for m in entry)
        for label in made_on:
            if label:
                cell.append(paragraph((label, ITALIC), style=style))
        # A group reads as its first member whose text is public (they say the same).
        shown = next((m for m in entry if not policy.withheld_reason(m)), None)
        if shown is not None:
            cell.append(paragraph(shown.body, style=style))
        else:
            reason = policy.withheld_label(policy.withheld_reason(first))
            cell.append(paragraph((f"{self.withheld} {reason}", ITALIC), style=style))
        return cell

    # ------------------------------------------------------------ cover and annex

    def cover(self, consultation, documents, summary: DocxSummary, exported_at) -> list:
        """Who decides and answers, when, the count check, the answers by status, the
        documents and the hearings."""
        style, lang = self.style, self.lang
        out = [paragraph(_("Comment synthesis"), style="Title")]
        if consultation is not None:
            out.append(paragraph((pick(consultation.title, lang)[0], BOLD)))
            period = " – ".join(filter(None, (_when(consultation.opens_at),
                                               _when(consultation.closes_at))))
            out.append(Table(PAIR_WIDTHS, None, style).pairs([
                (_("Authority"), pick(consultation.authority, lang)[0]),
                (_("Developer"), pick(consultation.developer, lang)[0]),
                (_("Responded by"), policy.responding_body(consultation, lang)),
                (_("Period (Bishkek time)"), period),
                (_("Exported at"), f"{_when(exported_at)} ({TIMEZONE})"),
            ]).keep_together().element)
        states = [summary.states[state] for state in ("published", "hidden", "withdrawn", "new")]
        out += [
            paragraph(_("Count check"), style="Heading2", keep=True),
            paragraph((_("Comments received: %(n)d.", n=summary.received), BOLD), keep=True),
            Table(PAIR_WIDTHS, None, style).pairs([
                *((STATES.label(state), summary.states[state])
                  for state in ("published", "hidden", "withdrawn", "new")),
                (_("Received = published + hidden + withdrawn + awaiting moderation"),
                 f"{summary.received} = {' + '.join(map(str, states))}: "
                 + (_("holds") if summary.check_holds else _("DOES NOT HOLD"))),
            ]).keep_together().element,
            paragraph((_("Rows in the comparison table: %(entries)d (a duplicate group is one "
                         "row, answered once).", entries=summary.entries), META)),
            paragraph(_("By response status"), style="Heading2", keep=True)]
        statuses = [(self.status[code], self.tally.statuses[code]) for code in STATUSES]
        statuses.append((_("Unanswered"), self.tally.statuses[""]))
        out.append(Table(PAIR_WIDTHS, None, style).pairs(statuses).keep_together().element)
        out.append(paragraph(_("Documents and versions"), style="Heading2", keep=True))
        table = Table((2800, 6870, 1700, 1700, 1500), [
            _("Document"), _("Title"), _("Versions"), _("Version now"), _("Comments")], style)
        for document in documents:
            version = document.current_version
            table.row([[paragraph(value, style=style)] for value in (
                document.slug, pick(version.title, lang)[0] if version else "",
                ", ".join(str(v.number) for v in document.versions if v.published_at),
                str(version.number) if version else "",
                str(self.tally.documents[document.id]))])
        out.append(table.keep_together().element)
        out.append(paragraph(_("Public hearings"), style="Heading2", keep=True))
        table = Table((1700, 1700, 2570, 1300, 1600, 1300, 1300, 1600, 1500), [
            _("City"), _("Date and time"), _("Venue"), _("Status"), _("Attendance"),
            _("Women"), _("Men"), _("Gender not stated"), _("Comments")], style)
        for hearing in self.hearings.values():
            table.row([[paragraph(_str(value), style=style)] for value in (
                hearing.city_name(lang), _when(hearing.starts_at),
                pick(hearing.venue, lang)[0], HEARING_STATUSES.label(hearing.status),
                hearing.attendance_total, hearing.attendance_women, hearing.attendance_men,
                hearing.attendance_unstated, self.tally.hearings[hearing.id])])
        out.append(table.element)
        return out

    def annex(self) -> list:
        """The organisations the public record names, with the comments each sent."""
        style = self.style
        out = [paragraph(_("Annex. Organisations that sent comments"), style="Heading1",
                         page_break=True, keep=True)]
        named = sorted(self.tally.organisations.values(),
                       key=lambda item: (-sum(item[1].values()), item[0].casefold()))
        if not named:
            out.append(paragraph(_("No organisation is named in the public record.")))
            return out
        table = Table((700, 9870, 2800, 1200), [
            _("No."), _("Organisation"), _("Category"), _("Comments")], style)
        for number, (name, categories) in enumerate(named, start=1):
            category = categories.most_common(1)[0][0]
            table.row([[paragraph(value, style=style)] for value in (
                str(number), name, self.category.get(category, category),
                str(sum(categories.values())))])
        out.append(table.element)
        return out


def _hearings(session: Session, consultation) -> list[Hearing]:
    if consultation is None:
        return []
    return list(session.scalars(
        select(Hearing).where(Hearing.consultation_id == consultation.id)
        .order_by(Hearing.starts_at.is_(None), Hearing.starts_at, Hearing.id)))


# ---------------------------------------------------------------- the Word package

def _word_document(lang: str):
    """An empty A4 landscape document: one named font everywhere, the export language
    for the spelling checker, black headings, no author."""
    word = WordDocument()
    styles = word.styles.element
    defaults = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = defaults.find(_W["rFonts"])
    fonts.attrib.clear()
    for attr in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{attr}"), FONT)
    language = defaults.find(_W["lang"])
    language.attrib.clear()
    language.set(_W["val"], WORD_LANGUAGE.get(lang, lang))
    for name in ("Normal", "Title", "Heading 1", "Heading 2", "Header", "Footer"):
        rpr = word.styles[name].element.get_or_add_rPr()
        for tag in ("rFonts", "color"):
            for element in rpr.findall(_W[tag]):
                rpr.remove(element)
    word.styles["Normal"].font.size = Pt(BODY_SIZE)
    word.styles["Title"].font.size = Pt(20)
    word.styles["Heading 1"].font.size = Pt(15)
    word.styles["Heading 2"].font.size = Pt(13)
    section = word.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, MARGIN)
    section.header_distance = section.footer_distance = Mm(10)
    properties = word.core_properties
    properties.author = properties.last_modified_by = ""
    properties.comments = ""
    properties.language = WORD_LANGUAGE.get(lang, lang)
    properties.created = properties.modified = utcnow()
    return word


def _table_style(word) -> str:
    """The paragraph style of table text: smaller, single-spaced, no space after."""
    style = word.styles.add_style(TABLE_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = word.styles["Normal"]
    style.font.size = Pt(TABLE_SIZE)
    style.paragraph_format.space_after = Pt(2)
    style.paragraph_format.line_spacing = 1.0
    return style.style_id


def _page_furniture(word, consultation, lang: str) -> None:
    """The consultation's title in the header; "page N of M" in the footer (Word fields:
    the numbers are filled in by Word and LibreOffice)."""
    section = word.sections[0]
    title = pick(consultation.title, lang)[0] if consultation is not None else ""
    header = section.header.paragraphs[0]
    header.style = word.styles["Header"]
    heading = " · ".join(filter(None, (_("Comment synthesis"), title)))
    add_run(header._p, heading, META)
    word.core_properties.title = text_of(heading)[:255]
    footer = section.footer.paragraphs[0]
    footer.alignment = 1  # centred
    page, pages = 990001, 990002  # placeholders, found again in the translated words
    words = _("page %(page)d of %(pages)d", page=page, pages=pages)
    for piece in re.split(f"({page}|{pages})", words):
        if piece in (str(page), str(pages)):
            field_ = _SUB(footer._p, _W["fldSimple"])
            field_.set(_W["instr"], "PAGE" if piece == str(page) else "NUMPAGES")
            add_run(field_, "1", META)
        else:
            add_run(footer._p, piece, META)
