"""Consultations and the documents put to them, version by version, clause by clause."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core import period
from ..core.time import utcnow
from ..db import Base

# Per-language texts are JSON objects keyed by language code: {"ky": ..., "ru": ..., "en": ...}.
# A clause page needs all three at once (language switch, side-by-side view), so one row
# per clause beats a row per clause and language.


class Consultation(Base):
    __tablename__ = "consultation"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    # The notice (Aarhus Art. 6(2), SEA Protocol Annex V), each text per language; what it
    # must hold before anything opens is core.consultation.NOTICE_ITEMS.
    title: Mapped[dict] = mapped_column(JSON, default=dict)
    proposal: Mapped[dict] = mapped_column(JSON, default=dict)  # and the decision it serves
    authority: Mapped[dict] = mapped_column(JSON, default=dict)
    developer: Mapped[dict] = mapped_column(JSON, default=dict)
    contact: Mapped[dict] = mapped_column(JSON, default=dict)
    documents_at: Mapped[dict] = mapped_column(JSON, default=dict)  # where to read them
    how_to_comment: Mapped[dict] = mapped_column(JSON, default=dict)
    legal_basis: Mapped[dict] = mapped_column(JSON, default=dict)
    # Whether an environmental assessment applies (None: not said yet) and where to read it.
    assessment_applies: Mapped[bool | None]
    assessment_at: Mapped[dict] = mapped_column(JSON, default=dict)
    announced_at: Mapped[datetime | None]  # the notice made public
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    # Why a period shorter than MIN_PERIOD_DAYS is reasonable, per language (Art. 6(3)).
    period_justification: Mapped[dict] = mapped_column(JSON, default=dict)
    # "pre": a comment is public once a moderator publishes it; "post": at once.
    moderation: Mapped[str] = mapped_column(String(8), default="pre")
    # Whether a lead drafter approves each answer before the public sees it.
    answer_approval: Mapped[bool] = mapped_column(default=True, server_default="1")
    results_published_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    documents: Mapped[list[Document]] = relationship(
        back_populates="consultation", order_by="Document.position")
    decision: Mapped[Decision | None] = relationship(back_populates="consultation",
                                                     uselist=False)

    def is_open(self, at: datetime | None = None) -> bool:
        """Whether comments are accepted at ``at`` (naive UTC, default now): the notice is
        public and ``at`` is inside the period."""
        return self.announced_at is not None and period.is_open(self.opens_at, self.closes_at,
                                                                 at)

    def in_period(self, at: datetime) -> bool:
        """Whether ``at`` is inside the period (late letters are kept, marked late)."""
        return period.in_period(self.opens_at, self.closes_at, at)


class Decision(Base):
    """The decision taken after the consultation, made public with its reasons and how the
    comments were taken into account (Aarhus Art. 6(9))."""
    __tablename__ = "decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), unique=True)
    title: Mapped[dict] = mapped_column(JSON, default=dict)
    number: Mapped[str] = mapped_column(String(120), default="")
    adopted_on: Mapped[date]
    text_url: Mapped[str] = mapped_column(String(500), default="")  # the adopted text
    version_id: Mapped[int | None] = mapped_column(ForeignKey("document_version.id"))
    published_url: Mapped[str] = mapped_column(String(500), default="")  # where published
    reasons: Mapped[dict] = mapped_column(JSON, default=dict)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    consultation: Mapped[Consultation] = relationship(back_populates="decision")
    version: Mapped[DocumentVersion | None] = relationship()


class Document(Base):
    __tablename__ = "document"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"))
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # programme | action-plan
    position: Mapped[int] = mapped_column(default=0)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("document_version.id", use_alter=True))
    # Goes up whenever what the public pages show about this document's comments changes,
    # so cached pages are rebuilt exactly when needed, in every worker (consult.cache).
    public_revision: Mapped[int] = mapped_column(default=0)

    consultation: Mapped[Consultation] = relationship(back_populates="documents")
    versions: Mapped[list[DocumentVersion]] = relationship(
        back_populates="document", foreign_keys="DocumentVersion.document_id",
        order_by="DocumentVersion.number")
    current_version: Mapped[DocumentVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True)



class DocumentVersion(Base):
    __tablename__ = "document_version"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[dict] = mapped_column(JSON, default=dict)
    preamble_html: Mapped[dict] = mapped_column(JSON, default=dict)
    languages: Mapped[list] = mapped_column(JSON, default=list)
    demonstration: Mapped[bool] = mapped_column(default=False)
    source_hash: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A revised version stays unpublished (the public keeps reading the previous one) until
    # an admin has confirmed how its clauses match the previous version's (drafts.revisions).
    published_at: Mapped[datetime | None]
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("document_version.id"))
    matching_confirmed_at: Mapped[datetime | None]
    matching_confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    document: Mapped[Document] = relationship(
        back_populates="versions", foreign_keys=[document_id])
    previous: Mapped[DocumentVersion | None] = relationship(
        remote_side=[id], foreign_keys=[previous_id])
    sections: Mapped[list[Section]] = relationship(
        back_populates="version", order_by="Section.position", cascade="all, delete-orphan")
    clauses: Mapped[list[Clause]] = relationship(
        back_populates="version", order_by="Clause.position", cascade="all, delete-orphan")


class Section(Base):
    __tablename__ = "section"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("document_version.id"), index=True)
    position: Mapped[int]
    level: Mapped[int]  # 1 for '#', 2 for '##', 3 for '###'
    heading: Mapped[dict] = mapped_column(JSON, default=dict)
    # Text of the section that is not a clause: an intro paragraph, a table of abbreviations.
    body_html: Mapped[dict] = mapped_column(JSON, default=dict)
    # Action-plan table header in each language, e.g. ["No.", "Measure", ...].
    columns: Mapped[dict] = mapped_column(JSON, default=dict)
    annex: Mapped[int | None]
    # The top-level chapter this section belongs to (itself for a chapter), for statistics.
    chapter_position: Mapped[int] = mapped_column(default=0)

    version: Mapped[DocumentVersion] = relationship(back_populates="sections")


class Clause(Base):
    __tablename__ = "clause"
    __table_args__ = (UniqueConstraint("version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("document_version.id"), index=True)
    section_id: Mapped[int | None] = mapped_column(ForeignKey("section.id"))
    key: Mapped[str] = mapped_column(String(40))
    position: Mapped[int]
    html: Mapped[dict] = mapped_column(JSON, default=dict)  # sanitised at import
    text: Mapped[dict] = mapped_column(JSON, default=dict)  # plain text, for excerpts
    cells: Mapped[dict] = mapped_column(JSON, default=dict)  # action-plan row cells (HTML)

    version: Mapped[DocumentVersion] = relationship(back_populates="clauses")
    section: Mapped[Section | None] = relationship()

    def excerpt(self, lang: str, length: int = 120) -> str:
        """The start of the clause's plain text in ``lang`` (or any language it has)."""
        text = self.text.get(lang) or next(iter(self.text.values()), "")
        return text if len(text) <= length else text[: length - 1].rstrip() + "…"


class ClauseMatch(Base):
    """How a clause of a revised version relates to the previous version's: one row per
    link (old -> new), and one per clause that is new (no old) or deleted (no new). The
    kind is ``drafts.match.KINDS``; proposed at import, corrected and confirmed by an admin."""
    __tablename__ = "clause_match"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("document_version.id"), index=True)
    old_clause_id: Mapped[int | None] = mapped_column(ForeignKey("clause.id"))
    new_clause_id: Mapped[int | None] = mapped_column(ForeignKey("clause.id"))
    kind: Mapped[str] = mapped_column(String(12))
    similarity: Mapped[float] = mapped_column(Float, default=0.0)
    position: Mapped[int] = mapped_column(default=0)  # reading order on the review page

    old_clause: Mapped[Clause | None] = relationship(foreign_keys=[old_clause_id])
    new_clause: Mapped[Clause | None] = relationship(foreign_keys=[new_clause_id])


class ClauseLineage(Base):
    """Where each clause of every published version stands in the current version: the
    clause(s) it became (several after a split), or the version that deleted it. Rebuilt
    from the confirmed matchings whenever a version is published, so that pages, files and
    the API follow a comment's clause with one join (drafts.revisions)."""
    __tablename__ = "clause_lineage"
    __table_args__ = (UniqueConstraint("clause_id", "current_clause_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), index=True)
    clause_id: Mapped[int] = mapped_column(ForeignKey("clause.id"), index=True)
    current_clause_id: Mapped[int | None] = mapped_column(ForeignKey("clause.id"), index=True)
    deleted_in: Mapped[int | None]  # the version number that no longer has it
    # The first of several current clauses (in reading order): where a list of comments in
    # current order puts it.
    first: Mapped[bool] = mapped_column(default=True)
