"""The outbox's own rules, which the comments area calls: queue the confirmation of a new
comment, cancel a commenter's messages when their personal data is erased; the code lists
of messages and their delivery; an address as staff may see it (masked).

Every function takes a session and plain values, flushes at most, and leaves the commit
to the caller: a message is queued in the very transaction of the change that owes it,
and is lost with it when that change is rolled back.

Messages are queued only while mail is configured (``MAIL_SERVER``): a site that runs
without mail for months would otherwise greet its first ``send-mail`` with months of
stale confirmations.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..core.time import utcnow
from ..core.vocab import Term, Vocabulary
from ..models import Comment, OutboxMessage

KINDS = Vocabulary("mail_kind", [
    Term("confirmation", _l("Comment received")),
    Term("answered", _l("Comment answered")),
    Term("results", _l("Results published")),
])
# ``open``: may still be sent (a cancellation stops it).
STATES = Vocabulary("mail_state", [
    Term("pending", _l("Waiting"), {"open": True}),
    Term("sending", _l("Being sent"), {"open": True}),
    Term("sent", _l("Sent")),
    Term("failed", _l("Given up")),
    Term("cancelled", _l("Cancelled")),
])
OPEN_STATES = STATES.where(open=True).codes
CHUNK = 1000
_ADDRESS = re.compile(r"[^\s<>()\[\],;:\"']+@[^\s<>()\[\],;:\"']+")


def mail_enabled() -> bool:
    """Whether messages are queued: mail is configured (``MAIL_SERVER``)."""
    return has_app_context() and bool(current_app.config.get("MAIL_SERVER"))


def mask(address: str | None) -> str:
    """An address as staff may see it: ``a***@example.org`` ('' for none)."""
    local, at, domain = (address or "").rpartition("@")
    if not at:
        return "***" if address else ""
    return f"{local[:1]}***@{domain}"


def scrub(text: str) -> str:
    """``text`` (a mail server's reply, which often repeats the recipient) with every
    address in it masked."""
    return _ADDRESS.sub(lambda found: mask(found.group()), text)


def queue(session: Session, rows: list[dict]) -> None:
    """Add outbox rows (``comment_id``, ``kind``, ``event_key``, optionally ``status``);
    an ``event_key`` already queued, by this transaction or a concurrent one, adds
    nothing (the unique key decides, not a read before the insert)."""
    if not rows:
        return
    now = utcnow()
    values = [{"status": "", "state": "pending", "attempts": 0, "next_attempt_at": now,
               "revision": 1, "last_error": "", "created_at": now} | row for row in rows]
    dialect = {"sqlite": sqlite, "postgresql": postgresql}[session.get_bind().dialect.name]
    session.execute(dialect.insert(OutboxMessage)
                    .on_conflict_do_nothing(index_elements=["event_key"]), values)


def comments_received(session: Session, comments: Iterable[Comment]) -> None:
    """Queue the confirmation (with the receipt link) of each new comment that left an
    address."""
    if not mail_enabled():
        return
    queue(session, [{"comment_id": c.id, "kind": "confirmation",
                     "event_key": f"confirmation:{c.id}"} for c in comments if c.email])


def cancel(session: Session, *, comment_ids: Iterable[int] = (),
           message_ids: Iterable[int] = ()) -> int:
    """Cancel the messages not sent yet of these comments, or these messages (one being
    sent right now too: its sender's claim no longer holds, so it is not marked sent).
    Returns how many were cancelled."""
    count = 0
    for column, ids in ((OutboxMessage.comment_id, comment_ids), (OutboxMessage.id, message_ids)):
        ids = sorted(set(ids))
        for start in range(0, len(ids), CHUNK):
            count += session.execute(
                update(OutboxMessage)
                .where(column.in_(ids[start:start + CHUNK]),
                       OutboxMessage.state.in_(OPEN_STATES))
                .values(state="cancelled", claimed_at=None,
                        revision=OutboxMessage.revision + 1)
                .execution_options(synchronize_session=False)).rowcount
    return count


def listing(session: Session, state: str = "", *, limit: int = 50, offset: int = 0
            ) -> tuple[list[tuple[OutboxMessage, str]], int]:
    """A page of the outbox for staff, newest first (``state``: only those in it), each
    message with its recipient masked; and how many there are."""
    where = [OutboxMessage.state == state] if state else []
    total = session.scalar(select(func.count()).select_from(OutboxMessage).where(*where)) or 0
    rows = session.execute(
        select(OutboxMessage, Comment.email).join(Comment, Comment.id == OutboxMessage.comment_id)
        .where(*where).order_by(OutboxMessage.id.desc()).limit(limit).offset(offset))
    return [(message, mask(address)) for message, address in rows], total
