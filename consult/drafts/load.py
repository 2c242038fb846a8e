"""Parsed drafts -> database: documents, versions, sections, clauses.

All or nothing per document: a document whose files are refused writes nothing,
and a document whose text did not change is left as it is.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core import languages
from ..core.spreadsheets import Problem
from ..models import Clause, Consultation, Document, DocumentVersion, Section
from . import revisions
from .parse import DraftError, MergedDocument, ParsedFile, merge, parse, problem

DEFAULT_CONSULTATION = "default"


@dataclass
class ImportOutcome:
    slug: str
    action: str  # "created" | "new-version" (unpublished) | "replaced" | "unchanged"
    version: int


def find_sources(paths: list[str]) -> list[Path]:
    """Expand folders to the ``<lang>.md`` files below them."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*.md") if p.stem in languages.codes()))
        else:
            found.append(path)
    return found


def read_sources(paths: list[Path]) -> tuple[dict[str, list[ParsedFile]], list[Problem]]:
    """Parse every file; group the good ones by document, collect the problems."""
    by_document: dict[str, list[ParsedFile]] = {}
    problems: list[Problem] = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(problem(str(path), 1, str(_l(
                "The file cannot be read as UTF-8 text: %(reason)s", reason=exc))))
            continue
        try:
            parsed = parse(text, str(path))
        except DraftError as exc:
            problems.extend(exc.problems)
            # Remember the document it claims to be, so none of it is imported.
            slug = _declared_slug(text)
            if slug:
                by_document.setdefault(slug, []).append(None)  # type: ignore[arg-type]
            continue
        by_document.setdefault(parsed.slug, []).append(parsed)
    return by_document, problems


def _declared_slug(text: str) -> str | None:
    for line in text.lstrip("\ufeff").splitlines():
        if not line.strip():
            return None
        if line.lower().startswith("document:"):
            return line.split(":", 1)[1].strip()
    return None


def import_paths(session: Session, paths: list[str]) -> tuple[list[ImportOutcome], list[Problem]]:
    """Import every document found under ``paths``; flushes, the caller commits.

    Returns what happened to each document and every problem found. A document
    with any problem is skipped whole; the others are imported.
    """
    by_document, problems = read_sources(find_sources(paths))
    outcomes: list[ImportOutcome] = []
    for _slug, files in by_document.items():
        if any(f is None for f in files):
            continue
        try:
            merged = merge(files)
            outcomes.append(store(session, merged))
        except DraftError as exc:
            problems.extend(exc.problems)
    return outcomes, problems


def get_consultation(session: Session, slug: str | None) -> Consultation:
    """The named consultation, or the default one, created on first use."""
    slug = slug or DEFAULT_CONSULTATION
    consultation = session.scalar(select(Consultation).where(Consultation.slug == slug))
    if consultation is None:
        consultation = Consultation(slug=slug, title={}, authority={}, developer={}, contact={})
        session.add(consultation)
        session.flush()
    return consultation


def store(session: Session, merged: MergedDocument) -> ImportOutcome:
    """Write one merged document as a new document or version, or do nothing.

    A document's first version is published at once. A higher ``Version`` is stored beside
    the published one, unpublished, with its clause matching proposed (``revisions``); a
    revision re-imported with the same number before publication replaces the pending one.
    """
    document = session.scalar(select(Document).where(Document.slug == merged.slug))
    if document is None:
        return _create(session, merged)
    if document.kind != merged.kind:
        raise DraftError([problem(merged.paths[0], 1, str(_l(
            "%(slug)s was imported as Kind %(old)s and cannot become %(new)s.",
            slug=merged.slug, old=document.kind, new=merged.kind)))])
    published = document.current_version
    pending = revisions.pending_version(session, document)
    for known in (pending, published):
        if known is not None and known.source_hash == merged.source_hash:
            return ImportOutcome(merged.slug, "unchanged", known.number)
    if published is not None and merged.version <= published.number:
        raise DraftError([problem(merged.paths[0], 1, str(_l(
            "The text of %(slug)s changed but its Version is still %(version)d: "
            "raise Version above %(latest)d to import it as a new version.",
            slug=merged.slug, version=merged.version, latest=published.number)))])
    action = "new-version"
    if pending is not None:
        if merged.version != pending.number:
            raise DraftError([problem(merged.paths[0], 1, str(_l(
                "Version %(pending)d of %(slug)s is imported and not yet published: publish "
                "it first, or import the corrected text as Version %(pending)d to replace it.",
                pending=pending.number, slug=merged.slug)))])
        revisions.drop_pending(session, pending)
        action = "replaced"
    version = _add_version(session, document, merged)
    revisions.propose_matching(session, version, published)
    return ImportOutcome(merged.slug, action, merged.version)


def _create(session: Session, merged: MergedDocument) -> ImportOutcome:
    consultation = get_consultation(session, merged.consultation)
    document = Document(consultation=consultation, slug=merged.slug, kind=merged.kind,
                        position=len(consultation.documents))
    session.add(document)
    version = _add_version(session, document, merged)
    revisions.publish_first(session, version)
    return ImportOutcome(merged.slug, "created", merged.version)


def _add_version(session: Session, document: Document,
                 merged: MergedDocument) -> DocumentVersion:
    version = DocumentVersion(
        document=document, number=merged.version, title=merged.title,
        preamble_html=merged.preamble_html, languages=merged.languages,
        demonstration=merged.demonstration, source_hash=merged.source_hash)
    session.add(version)
    sections = []
    for position, s in enumerate(merged.sections):
        section = Section(version=version, position=position, level=s["level"],
                          heading=s["heading"], body_html=s["body_html"],
                          columns=s["columns"], annex=s["annex"], chapter_position=s["chapter"])
        sections.append(section)
        session.add(section)
    for position, c in enumerate(merged.clauses):
        session.add(Clause(
            version=version, key=c["key"], position=position,
            section=sections[c["section"]] if c["section"] is not None else None,
            html=c["html"], text=c["text"], cells=c["cells"]))
    session.flush()
    return version
