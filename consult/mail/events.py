"""Which changes owe a commenter a message, queued in the transaction of the change.

- **Answered**: when the answer that applies to a comment (its duplicate group's, when
  grouped) is public by ``comments.public.answer_public`` (the only place that decides:
  at once, or once a lead drafter approved it when the consultation asks for that). The
  message tells the answer's status.
- **Results**: when the comment's consultation publishes its results.

Each is news once. What counts is what the commenter was last told (or is about to be):
an answer edited without a change of status, or approved again after an edit, tells
nothing new (the receipt shows its words as they are now); a new status is news, and an
unsent message about the old one is cancelled rather than sent first. A message not sent
yet whose news is gone (an edited answer awaiting approval again, an answer sent back,
results taken down) is cancelled; when the news comes back, it is owed again unless the
commenter already had it. So a status changed and changed back before its message left
tells nothing, and results published again after a correction tell nothing new.

Withdrawing a comment does not stop its messages (its answer stays on the receipt); the
stop link and the erasure of personal data do.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

from sqlalchemy import case, or_, select
from sqlalchemy.orm import Session, aliased

from ..comments.public import answer_public
from ..models import Comment, Consultation, OutboxMessage, Response
from . import outbox


def answers_changed(session: Session, *, comment_ids: Iterable[int] = (),
                    responses: Iterable[Response] = ()) -> None:
    """Queue (or cancel) the "answered" messages after answers were saved, approved, sent
    back or uploaded: ``comment_ids`` are comments whose answer changed, ``responses``
    answers that changed; the other members of their duplicate groups are found here."""
    if not outbox.mail_enabled():
        return
    ids, groups = set(comment_ids), set()
    for response in responses:
        if response.group_id is not None:
            groups.add(response.group_id)
        else:
            ids.add(response.comment_id)
    session.flush()
    _tell(session, "answered", _public_statuses(session, ids - {None}, groups))


def results_published(session: Session, consultation: Consultation) -> None:
    """Queue the "results" message of every comment of ``consultation`` with an address."""
    _results_news(session, consultation, "")


def results_withdrawn(session: Session, consultation: Consultation) -> None:
    """Cancel the "results" messages of ``consultation`` not sent yet."""
    _results_news(session, consultation, None)


def _results_news(session: Session, consultation: Consultation, news: str | None) -> None:
    if not outbox.mail_enabled():
        return
    ids = session.scalars(select(Comment.id).where(
        Comment.consultation_id == consultation.id, Comment.email != ""))
    _tell(session, "results", dict.fromkeys(ids, news))


def _concerned(ids: set[int], groups: set[int]) -> Iterator:
    """Conditions on Comment, a chunk at a time: these comments, the members of their
    groups and the members of ``groups``."""
    member = aliased(Comment)
    ids_, groups_ = sorted(ids), sorted(groups)
    for start in range(0, len(ids_), outbox.CHUNK):
        chunk = ids_[start:start + outbox.CHUNK]
        yield or_(Comment.id.in_(chunk), Comment.group_id.in_(
            select(member.group_id).where(member.id.in_(chunk), member.group_id.is_not(None))))
    for start in range(0, len(groups_), outbox.CHUNK):
        yield Comment.group_id.in_(groups_[start:start + outbox.CHUNK])


def _public_statuses(session: Session, ids: set[int], groups: set[int]
                     ) -> dict[int, str | None]:
    """comment id -> the status of its answer if the public may read it, else None; for
    the concerned comments with an address."""
    own, shared = aliased(Response), aliased(Response)
    grouped = Comment.group_id.is_not(None)
    query = (select(Comment.id, Comment.consultation_id,
                    case((grouped, shared.status), else_=own.status).label("status"),
                    case((grouped, shared.approved_at),
                         else_=own.approved_at).label("approved_at"))
             .outerjoin(own, own.comment_id == Comment.id)
             .outerjoin(shared, shared.group_id == Comment.group_id)
             .where(Comment.email != ""))
    consultations: dict[int, Consultation | None] = {}
    found: dict[int, str | None] = {}
    for condition in _concerned(ids, groups):
        for row in session.execute(query.where(condition)):
            if row.consultation_id not in consultations:
                consultations[row.consultation_id] = session.get(Consultation,
                                                                 row.consultation_id)
            # The row carries the answer's approved_at: answer_public reads nothing else.
            public = row.status is not None and answer_public(
                row, consultations[row.consultation_id])
            found[row.id] = row.status if public else None
    return found


def _tell(session: Session, kind: str, news: dict[int, str | None]) -> None:
    """Bring the ``kind`` messages of these comments in line with ``news`` (comment id ->
    what to tell, e.g. a status; None: nothing, any more): see the module docstring."""
    told: dict[int, list] = defaultdict(list)
    ids = sorted(news)
    for start in range(0, len(ids), outbox.CHUNK):
        for message in session.execute(
                select(OutboxMessage.id, OutboxMessage.comment_id, OutboxMessage.status,
                       OutboxMessage.state)
                .where(OutboxMessage.kind == kind,
                       OutboxMessage.comment_id.in_(ids[start:start + outbox.CHUNK]))
                .order_by(OutboxMessage.id)):
            told[message.comment_id].append(message)
    stale, rows = [], []
    for comment_id, status in news.items():
        messages = told[comment_id]
        outdated = {m.id for m in messages if m.state in outbox.OPEN_STATES
                    and m.status != status}
        stale += outdated
        standing = [m for m in messages if m.state != "cancelled" and m.id not in outdated]
        if status is None or (standing and standing[-1].status == status):
            continue
        rows.append({"comment_id": comment_id, "kind": kind, "status": status,
                     "event_key": f"{kind}:{comment_id}:{len(messages) + 1}"})
    outbox.cancel(session, message_ids=stale)
    outbox.queue(session, rows)
