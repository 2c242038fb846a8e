"""The outbox: one row per message a commenter is owed (``consult.mail``).

A row names the event (its comment, its kind, the answer status it tells) and its
delivery; it holds no address and no text. Both come from the comment when the message
is sent, so erasing the commenter's personal data (or stopping the messages) leaves
nothing here to send to and nothing to erase.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.time import utcnow
from ..db import Base
from .comments import Comment


class OutboxMessage(Base):
    __tablename__ = "outbox_message"
    __table_args__ = (
        # What a sender looks for: pending messages due now, oldest first.
        Index("ix_outbox_message_state_next_attempt_at", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="")  # the answer's, when answered
    # Names the event (e.g. "confirmation:12"): unique, so an event is queued once however
    # many transactions report it at the same time.
    event_key: Mapped[str] = mapped_column(String(80), unique=True)
    state: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A sender's claim: the revision goes up with every change of state, so two senders
    # never both claim (or both finish) one message.
    claimed_at: Mapped[datetime | None]
    revision: Mapped[int] = mapped_column(default=1)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    comment: Mapped[Comment] = relationship()
