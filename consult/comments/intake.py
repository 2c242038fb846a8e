"""The one service every channel calls to put a comment into the register.

Online form, fast entry at a hearing, letters and e-mails, hearing kit rows and imported
form exports are adapters (``consult.intake``): each parses its own input into a
``NewComment`` and calls ``record_comment``. The rules are here, once:

- the target is a clause of the document's current version, or the whole document;
- a channel marked ``public`` (the online form) is refused outside the period; every
  other channel is kept and marked late (Aarhus Art. 6(3), 6(7));
- codes are checked against ``core.vocab`` and the language against ``core.languages``;
- invisible control characters are removed from every text (``core.text``);
- the moderation mode decides whether the comment is public at once;
- a resubmission (same client and text within a minute) or a re-import (same source
  reference) returns the comment already stored instead of a second one, however close
  the two requests are (unique keys, not a read then an insert);
- each comment gets a new receipt code (``receipts.new_code``); a code already given fails
  its unique key, and the attempt is made again with new codes;
- every comment recorded is audited.

Flushes; the caller commits.
"""
from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import event, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached

from .. import audit
from ..core import languages
from ..core.text import clean
from ..core.time import utcnow
from ..core.vocab import CATEGORIES, CHANNELS, CONSENTS, GENDERS, REGIONS
from ..drafts import revisions
from ..mail import outbox
from ..models import (
    Clause,
    Comment,
    Consultation,
    Document,
    DocumentVersion,
    SubmissionClaim,
    User,
)
from . import receipts

# A resubmission of the same text by the same client within this window is the same
# comment (a double click, a reload after a slow answer), not a second one.
DUPLICATE_WINDOW = timedelta(seconds=60)
TEXT_LIMITS = {"body": 20_000, "author_name": 200, "organisation": 300, "email": 254}


class Refused(ValueError):
    """The comment was not recorded; the message (translated) says why."""


@dataclass
class NewComment:
    """A comment as a channel adapter parsed it, before the register's rules apply."""
    channel: str
    body: str
    language: str
    author_name: str = ""
    organisation: str = ""
    category: str = "individual"
    region: str = ""
    gender: str = "unstated"
    email: str = ""
    consent: str = "anonymous"
    received_at: datetime | None = None  # default: now
    hearing_id: int | None = None
    # Where an imported comment came from (file and row): a re-import adds nothing.
    source_ref: str | None = None
    # Who sent an online comment (address and browser): a resubmission adds nothing.
    client: str = ""


@dataclass
class Target:
    """What a comment is on: a clause of a published version of the document, or (clause
    None) the whole document; ``version_id`` (default: the current version) is the version
    the commenter was reading."""
    document: Document
    clause: Clause | None = None
    version_id: int | None = None

    @property
    def clause_key(self) -> str | None:
        return self.clause.key if self.clause is not None else None


@dataclass
class Recorded:
    comment: Comment
    created: bool  # False: the comment was already in the register
    stripped: bool  # invisible control characters were removed from the text


def target_for(session: Session, document: Document, clause_key: str | None,
               at: datetime | None = None, version: DocumentVersion | None = None,
               loaded: Clause | None = None) -> Target:
    """The target named by a clause key in the version the public was reading at ``at``
    (naive UTC; None: now, the current version), or in ``version`` when the source says
    which (a hearing kit records it). Refused when that version has no such clause.
    ``loaded``: the clause already read by the caller (its page), spared a query when it
    is the one named."""
    if version is None:
        version = revisions.version_at(session, document, at) if at is not None else None
    version_id = version.id if version is not None else document.current_version_id
    if not clause_key:
        return Target(document, None, version_id)
    if loaded is not None and loaded.version_id == version_id and loaded.key == clause_key:
        return Target(document, loaded, version_id)
    clause = session.scalar(select(Clause).where(
        Clause.version_id == version_id, Clause.key == clause_key))
    if clause is None:
        raise Refused(_("There is no clause %(key)s in this document.", key=clause_key))
    return Target(document, clause, version_id)


def submission_key(client: str, document_id: int, clause_key: str | None, body: str) -> str:
    """A hash naming one client's submission of one text on one clause."""
    raw = "\x1f".join((client, str(document_id), clause_key or "", body))
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def _clean_values(new: NewComment) -> tuple[dict, bool]:
    values, stripped = {}, False
    for name, limit in TEXT_LIMITS.items():
        raw = getattr(new, name) or ""
        # The body is kept exactly as typed; the short fields lose stray spaces.
        text, removed = clean(raw if name == "body" else raw.strip())
        if len(text) > limit:
            raise Refused(_("The text is too long (at most %(n)s characters).", n=limit))
        values[name] = text
        stripped = stripped or removed
    if not values["body"].strip():
        raise Refused(_("Please write your comment."))
    return values, stripped


def _check_codes(new: NewComment) -> None:
    checks = ((new.channel, CHANNELS), (new.category, CATEGORIES), (new.gender, GENDERS),
              (new.consent, CONSENTS))
    if any(code not in vocabulary for code, vocabulary in checks) or \
            (new.region and new.region not in REGIONS) or \
            new.language not in languages.codes():
        raise Refused(_("A value is not one of those listed."))
    if CHANNELS.attr(new.channel, "hearing") and new.hearing_id is None:
        raise Refused(_("A hearing contribution needs its hearing."))


def record_comment(session: Session, target: Target, new: NewComment, actor: User | None,
                   now: datetime | None = None, alone: bool = False) -> Recorded:
    """Put one comment into the register (see the module docstring); Refused, storing
    nothing, when a rule is broken. ``alone``: as for ``record_comments``."""
    return record_comments(session, [(target, new)], actor, now, alone)[0]


def record_comments(session: Session, entries: list[tuple[Target, NewComment]],
                    actor: User | None, now: datetime | None = None,
                    alone: bool = False) -> list[Recorded]:
    """``record_comment`` for many comments at once (a hearing kit of 5,000 rows): the
    same rules for each, checked for all before any is stored; then one INSERT for all
    and one audit event per comment, written together.

    Two requests storing the same comment at the same instant (a double click; two clerks
    uploading one kit) race on a unique key; the loser's attempt is rolled back and made
    again, and then finds the winner's comment. The first attempt does not look for a
    resubmission's claim before inserting: the claim's unique key refuses a resubmission
    anyway, so the look-up is made only by the attempt after such a refusal, and a
    comment sent once (nearly all of them) costs one query less.

    The insert is made in a savepoint, so that a lost race undoes it and nothing else the
    caller did in the transaction. ``alone`` says the comments are the transaction's only
    writes (a comment sent online): a lost race then rolls back the whole transaction,
    and each comment is spared the savepoint's two round trips to the database."""
    now = now or utcnow()
    for attempt in range(MAX_ATTEMPTS - 1):
        try:
            return _record(session, entries, actor, now, look_first=attempt > 0, alone=alone)
        except _Raced:
            continue
    return _record(session, entries, actor, now, look_first=True, alone=alone)


MAX_ATTEMPTS = 3


class _Raced(Exception):
    """Another transaction stored the same comment between our check and our insert."""


def _record(session: Session, entries: list[tuple[Target, NewComment]], actor: User | None,
            now: datetime, look_first: bool, alone: bool) -> list[Recorded]:
    consultations: dict[int, Consultation] = {}
    known: dict[str, Comment | int] = dict(
        _stored_refs(session, [new.source_ref for _t, new in entries]))
    rows: list[dict] = []
    claims: dict[int, tuple[str, bool]] = {}  # row index -> (claim key, a stale one exists)
    found: list[tuple[Comment | int, bool, bool]] = []  # (comment or row, created, stripped)
    for target, new in entries:
        document = target.document
        consultation = consultations.get(document.consultation_id)
        if consultation is None:
            consultation = consultations[document.consultation_id] = session.get(
                Consultation, document.consultation_id)
        received_at = new.received_at or now
        if CHANNELS.attr(new.channel, "public") and not consultation.is_open(received_at):
            raise Refused(_("Comments are accepted only during the consultation period. "
                            "Your comment was not stored."))
        _check_codes(new)
        values, stripped = _clean_values(new)
        key = submission_key(new.client, document.id, target.clause_key, values["body"]) \
            if new.client else ""
        claim = _claim(session, key) if key and look_first else None
        if new.source_ref and new.source_ref in known:
            found.append((known[new.source_ref], False, stripped))
            continue
        if claim is not None and claim.claimed_at >= now - DUPLICATE_WINDOW:
            found.append((session.get(Comment, claim.comment_id), False, stripped))
            continue
        if new.source_ref:
            known[new.source_ref] = len(rows)  # the same row twice in one file
        if key:
            claims[len(rows)] = (key, claim is not None)
        found.append((len(rows), True, stripped))
        rows.append(dict(
            consultation_id=consultation.id, document_id=document.id,
            version_id=target.version_id or document.current_version_id,
            clause_id=target.clause.id if target.clause is not None else None,
            clause_key=target.clause_key, channel=new.channel, hearing_id=new.hearing_id,
            language=new.language, category=new.category, region=new.region or "",
            gender=new.gender, consent=new.consent, receipt_code=receipts.new_code(),
            received_at=received_at, in_period=consultation.in_period(received_at),
            state="published" if consultation.moderation == "post" else "new",
            submission_key=key, source_ref=new.source_ref,
            entered_by_id=actor.id if actor is not None else None, hidden_reason="",
            moderation_note="", created_at=now, updated_at=now, **values))
    comments = _insert(session, rows, claims, actor, now, alone)
    outbox.comments_received(session, comments)
    return [Recorded(comments[item] if isinstance(item, int) else item, created, stripped)
            for item, created, stripped in found]


def _claim(session: Session, key: str) -> SubmissionClaim | None:
    return session.execute(select(SubmissionClaim).where(SubmissionClaim.key == key)
                           .execution_options(populate_existing=True)).scalar_one_or_none()


# Core, not the unit of work (a third of a comment's cost): one INSERT for all the rows,
# RETURNING their ids in row order. Both statements are built once, bound when run.
_NEW_COMMENTS = insert(Comment.__table__).returning(Comment.__table__.c.id,
                                                    sort_by_parameter_order=True)
_NEW_CLAIM = insert(SubmissionClaim.__table__)
# The columns a row may leave out (moderation, withdrawal, grouping...): stored as NULL,
# and known to be so without reading the row back.
_EMPTY = {column.key: None for column in Comment.__table__.columns
          if column.nullable and column.default is None and column.server_default is None}


def _insert(session: Session, rows: list[dict], claims: dict[int, tuple[str, bool]],
            actor: User | None, now: datetime, alone: bool) -> list[Comment]:
    """Insert ``rows`` and their submission claims in one savepoint (``alone``: in the
    transaction itself); audit each; return the comments in row order. Raises _Raced
    (nothing written) when a unique key was taken."""
    if not rows:
        return []
    try:
        with contextlib.nullcontext() if alone else session.begin_nested():
            ids = session.scalars(_NEW_COMMENTS, rows).all()
            for index, (key, stale) in claims.items():
                _take_claim(session, key, stale, ids[index], now)
    except IntegrityError:
        if alone:
            session.rollback()
        raise _Raced() from None
    comments = [Comment(id=comment_id, **(_EMPTY | row))
                for row, comment_id in zip(rows, ids, strict=True)]
    _attach(session, comments)
    audit.record_many(session, actor, "comment.enter" if actor is not None else
                      "comment.submit", Comment.__tablename__,
                      [(comment.id, None, snapshot(row)) for comment, row in zip(
                          comments, rows, strict=True)])
    return comments


def _attach(session: Session, comments: list[Comment]) -> None:
    """Put the comments, as their rows were stored, in the session without reading them
    back. The session takes them for loaded rows, which a rollback would not undo: each is
    noted with the transaction it was stored in, and forgotten if that one rolls back."""
    for comment in comments:
        make_transient_to_detached(comment)
    session.add_all(comments)
    stored_in = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_ATTACHED, []).append((stored_in, comments))


_ATTACHED = "consult.attached_comments"


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, rolled_back) -> None:
    attached = session.info.get(_ATTACHED)
    if not attached:
        return
    kept = []
    for stored_in, comments in attached:
        if _within(stored_in, rolled_back):
            for comment in comments:
                if comment in session:
                    session.expunge(comment)
        else:
            # Still undone if a transaction around it rolls back, even one whose own
            # savepoint was released meanwhile.
            kept.append((stored_in, comments))
    session.info[_ATTACHED] = kept


@event.listens_for(Session, "after_commit")
def _forget_committed(session: Session) -> None:
    # Called for a released savepoint too: only the outermost commit stores for good.
    if not session.in_nested_transaction():
        session.info.pop(_ATTACHED, None)


def _within(transaction, outer) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


def _take_claim(session: Session, key: str, stale: bool, comment_id: int,
                now: datetime) -> None:
    """Claim ``key`` for the new comment: insert it, or take over a claim older than the
    window. A claim taken meanwhile by another request is a race."""
    if not stale:
        # Core, not the ORM's bulk machinery: a plain row, nothing to keep in the session.
        session.execute(_NEW_CLAIM, {"key": key, "comment_id": comment_id, "claimed_at": now})
        return
    taken = session.execute(
        update(SubmissionClaim)
        .where(SubmissionClaim.key == key, SubmissionClaim.claimed_at < now - DUPLICATE_WINDOW)
        .values(comment_id=comment_id, claimed_at=now)
        .execution_options(synchronize_session=False))
    if taken.rowcount != 1:
        raise IntegrityError("submission claim", None, Exception("claimed meanwhile"))


def _stored_refs(session: Session, refs: list[str | None]) -> dict[str, Comment]:
    wanted = [ref for ref in refs if ref]
    found: dict[str, Comment] = {}
    for start in range(0, len(wanted), 1000):
        for comment in session.scalars(select(Comment).where(
                Comment.source_ref.in_(wanted[start:start + 1000]))):
            found[comment.source_ref] = comment
    return found


SNAPSHOT_FIELDS = ("channel", "clause_key", "hearing_id", "document_id", "language",
                   "category", "gender", "consent", "state", "in_period")


def snapshot(comment: Comment | dict) -> dict:
    """What the audit log keeps of a comment as recorded or edited (no e-mail address)."""
    get = comment.get if isinstance(comment, dict) else comment.__getattribute__
    return {name: get(name) for name in (*SNAPSHOT_FIELDS, "body", "author_name",
                                         "organisation")}
