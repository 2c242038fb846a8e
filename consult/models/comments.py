"""Comments from every channel, their duplicate groups and the drafters' responses.

A comment is never deleted: moderation changes its ``state`` and the reason.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.time import utcnow
from ..db import Base
from .accounts import User
from .drafts import Clause, Document, DocumentVersion
from .hearings import Hearing


class DuplicateGroup(Base):
    __tablename__ = "duplicate_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"))
    clause_key: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    members: Mapped[list[Comment]] = relationship(back_populates="group", order_by="Comment.id")
    response: Mapped[Response | None] = relationship(
        back_populates="group", foreign_keys="Response.group_id", uselist=False)


class Comment(Base):
    __tablename__ = "comment"
    __table_args__ = (
        # Serves the published list under a clause (newest first) and the counts per clause.
        Index("ix_comment_document_clause_state", "document_id", "clause_key", "state",
              "received_at"),
        # The same by the clause row (of the version commented on): lists and counts that
        # follow a clause across versions, and the desk's clause by clause order. The
        # drafter and group make it hold all the desk's progress reads of each comment.
        Index("ix_comment_document_clause_id_state", "document_id", "clause_id", "state",
              "received_at", "assignee_id", "group_id"),
        Index("ix_comment_state_received", "state", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"))
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"))
    # The version the comment was made on (Aarhus Art. 6(4): tied to the draft as it stood).
    version_id: Mapped[int] = mapped_column(ForeignKey("document_version.id"))
    clause_id: Mapped[int | None] = mapped_column(ForeignKey("clause.id"))  # None: whole document
    clause_key: Mapped[str | None] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(20), default="online")
    hearing_id: Mapped[int | None] = mapped_column(ForeignKey("hearing.id"), index=True)
    language: Mapped[str] = mapped_column(String(2))
    body: Mapped[str] = mapped_column(Text)
    author_name: Mapped[str] = mapped_column(String(200), default="")
    organisation: Mapped[str] = mapped_column(String(300), default="")
    category: Mapped[str] = mapped_column(String(20), default="individual")
    region: Mapped[str] = mapped_column(String(20), default="")
    gender: Mapped[str] = mapped_column(String(10), default="unstated")
    email: Mapped[str] = mapped_column(String(254), default="")  # never public, never exported
    consent: Mapped[str] = mapped_column(String(10), default="anonymous")
    receipt_code: Mapped[str] = mapped_column(String(32), unique=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    in_period: Mapped[bool] = mapped_column(default=True)
    state: Mapped[str] = mapped_column(String(12), default="new")
    hidden_reason: Mapped[str] = mapped_column(String(20), default="")
    moderation_note: Mapped[str] = mapped_column(Text, default="")
    moderated_at: Mapped[datetime | None]
    # The commenter's own actions with the receipt code (consult.comments.receipts).
    withdrawn_at: Mapped[datetime | None]
    erased_at: Mapped[datetime | None]  # name, organisation and e-mail blanked
    group_id: Mapped[int | None] = mapped_column(ForeignKey("duplicate_group.id"), index=True)
    # Hash of the submitting client and the text, kept for the record; resubmissions are
    # found by SubmissionClaim's unique key, so this copy has no index to maintain.
    submission_key: Mapped[str] = mapped_column(String(64), default="")
    # Where an imported comment came from (file hash and row), so re-imports add nothing.
    source_ref: Mapped[str | None] = mapped_column(String(120), unique=True)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The drafter this comment is given to (over the assignment of its chapter).
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    document: Mapped[Document] = relationship()
    version: Mapped[DocumentVersion] = relationship()
    clause: Mapped[Clause | None] = relationship()
    hearing: Mapped[Hearing | None] = relationship()
    group: Mapped[DuplicateGroup | None] = relationship(back_populates="members")
    response: Mapped[Response | None] = relationship(
        back_populates="comment", foreign_keys="Response.comment_id", uselist=False)
    entered_by: Mapped[User | None] = relationship(foreign_keys=[entered_by_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])

    @property
    def answer(self) -> Response | None:
        """The response that applies: the group's when the comment is grouped."""
        if self.group is not None:
            return self.group.response
        return self.response


class Response(Base):
    __tablename__ = "response"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Exactly one of comment_id and group_id is set.
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id"), unique=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("duplicate_group.id"), unique=True)
    status: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(8), default="")  # of rationale and change
    rationale: Mapped[str] = mapped_column(Text, default="")
    change: Mapped[str] = mapped_column(Text, default="")
    responder_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # Incremented on every save: a save based on an older revision is refused.
    revision: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The review (synthesis.review): marked ready by its drafter, approved by a lead drafter.
    # Any change of status, rationale or change makes it a draft again.
    ready_at: Mapped[datetime | None]
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    comment: Mapped[Comment | None] = relationship(
        back_populates="response", foreign_keys=[comment_id])
    group: Mapped[DuplicateGroup | None] = relationship(
        back_populates="response", foreign_keys=[group_id])
    responder: Mapped[User | None] = relationship(foreign_keys=[responder_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])


class ChapterAssignment(Base):
    """A chapter of a document (by its position in the current version) given to a
    drafter: its comments are in their queue unless given to someone singly."""
    __tablename__ = "chapter_assignment"
    __table_args__ = (UniqueConstraint("document_id", "chapter_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"))
    chapter_position: Mapped[int]
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class SubmissionClaim(Base):
    """A client's submission of a text on a clause, claimed for a minute: the same text
    sent again by the same client within that minute is the same comment (a double click,
    a reload after a slow answer). The primary key makes that hold however close the two
    submissions are: the second insert of a claim fails, and its sender gets the first
    comment's receipt."""
    __tablename__ = "submission_claim"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id"))
    claimed_at: Mapped[datetime]
