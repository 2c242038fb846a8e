"""Drafters' answers to comments (Aarhus Art. 6(8)): the rules an answer must keep, saving
one safely against a colleague's concurrent save, and its history.

Every function takes a session and plain values, flushes, and leaves the commit to the
view or command that called it. Every change is audited.
"""
from __future__ import annotations

import re
from collections.abc import Collection, Iterable

from flask import current_app, g, has_app_context
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from .. import audit
from ..core import languages
from ..core.time import utcnow
from ..core.vocab import STATUSES
from ..mail import events as mail
from ..models import (
    AuditEvent,
    Clause,
    Comment,
    Decision,
    Document,
    DocumentVersion,
    Response,
    User,
)

# Statuses that must say why, and those that must say what changed in the revised draft
# ("no change" is an answer): the vocabulary's attributes, listed nowhere else.
RATIONALE_REQUIRED = STATUSES.where(rationale=True).codes
CHANGE_REQUIRED = STATUSES.where(change=True).codes
# Long enough for a careful bilingual rationale, short enough to stay a cell in Excel.
MAX_TEXT = 20000
# MIN_RATIONALE_CHARS outside an application (the setting's default).
MIN_RATIONALE = 20
# What may name a clause inside a sentence: "п.12", "12-пункт" (Kyrgyz), "annex-1.4",
# "1.2.3." at the end of one; not the "2" of "CO2" nor of "1.2".
_KEY_LIKE = re.compile(r"(?<![^\W\d_])(?<!\d)(?<!\d\.)(?:annex-)?\d+(?:\.\d+)*(?![^\W\d_])")
_QUOTES = "\"'«»“”„‘’"


class AnswerInvalid(ValueError):
    """The answer breaks a rule; ``messages`` maps a field name to a translated message."""

    def __init__(self, messages: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in messages.items()))
        self.messages = messages


class AnswerConflict(Exception):
    """Someone else saved this answer after the editor opened it; ``current`` is theirs."""

    def __init__(self, current: Response | None):
        super().__init__("the answer was changed by someone else")
        self.current = current


def effective_response(comment: Comment) -> Response | None:
    """The response that applies to ``comment``: its group's when grouped (= comment.answer)."""
    return comment.answer


def snapshot(response: Response | None) -> dict | None:
    """What the audit log keeps of an answer."""
    if response is None:
        return None
    return {"status": response.status, "rationale": response.rationale,
            "change": response.change, "language": response.language,
            "revision": response.revision, "ready": response.ready_at is not None,
            "approved": response.approved_at is not None,
            "comment_id": response.comment_id, "group_id": response.group_id,
            "responder_id": response.responder_id}


def min_rationale_chars() -> int:
    """Characters a required rationale needs at least (MIN_RATIONALE_CHARS)."""
    if has_app_context():
        return int(current_app.config.get("MIN_RATIONALE_CHARS", MIN_RATIONALE))
    return MIN_RATIONALE


def no_change_phrases() -> frozenset[str]:
    """How "no change" may be written: in English and in every language of the site, as
    the catalogs have it (the English msgid where a translation is missing yet)."""
    # Kept for the application context: an upload checks thousands of rows, and switching
    # locales for each costs more than the rest of the check.
    cached = g.get("no_change_phrases") if has_app_context() else None
    if cached is None or cached[0] != languages.codes():
        phrases = {"no change"}
        for lang in languages.codes():
            with force_locale(lang):
                phrases.add(_comparable(_("no change")))
        cached = (languages.codes(), frozenset(phrases))
        if has_app_context():
            g.no_change_phrases = cached
    return cached[1]


def _comparable(text: str) -> str:
    """A change as compared with "no change": one space, quotes and a final period
    dropped, case-folded ("No change." and «без изменений» read the same)."""
    text = " ".join(text.split()).strip(_QUOTES + " ")
    text = text[:-1] if text.endswith(".") else text
    return text.strip(_QUOTES + " ").casefold()


def names_clause(change: str, clause_keys: Collection[str]) -> bool:
    """Whether a word of ``change`` is one of ``clause_keys`` (case-insensitive)."""
    return bool(referenced_keys(change, clause_keys))


def referenced_keys(change: str, clause_keys: Collection[str]) -> list[str]:
    """The keys among ``clause_keys`` that ``change`` names, in order of appearance."""
    return [key for _start, _end, key in clause_mentions(change, clause_keys)]


def clause_mentions(change: str, clause_keys: Collection[str]) -> list[tuple[int, int, str]]:
    """Where ``change`` names a clause of ``clause_keys``: (start, end, key), in order, each
    key once (the results page links the first mention)."""
    keys = {key.casefold(): key for key in clause_keys}
    found, seen = [], set()
    for match in re.finditer(r"[\w.-]+", change or ""):
        word = match.group().strip(".-").casefold()
        start = match.start() + (len(match.group()) - len(match.group().lstrip(".-")))
        candidates = [word] + [m.group() for m in _KEY_LIKE.finditer(word)]
        for candidate in candidates:
            key = keys.get(candidate)
            if key is not None and key not in seen:
                seen.add(key)
                offset = word.find(candidate)
                found.append((start + offset, start + offset + len(candidate), key))
                break
    return found


def _change_problem(change: str, clause_keys: Collection[str]) -> str | None:
    """What is wrong with the change of a status that needs one (None: nothing)."""
    if not change:
        return _('Say what changes in the revised draft: name the clause, e.g. '
                 '"clause 12: …", or write "no change".')
    if names_clause(change, clause_keys) or _comparable(change) in no_change_phrases():
        return None
    return _('No clause of this document is named: name the clause, e.g. "clause 12: …", '
             'or write "no change".')


def _rationale_problem(rationale: str) -> str | None:
    """What is wrong with the rationale of a status that needs one (None: nothing)."""
    if not rationale:
        return _("This status needs a rationale (in Kyrgyz and/or Russian).")
    least = min_rationale_chars()
    if len(rationale) < least:
        return _("The rationale is too short: write at least %(n)d characters (it has "
                 "%(count)d).", n=least, count=len(rationale))
    return None


def validate_answer(status: str | None, rationale: str | None, change: str | None, *,
                    clause_keys: Collection[str] = frozenset(),
                    language: str | None = None) -> tuple[str, str, str]:
    """Normalise the three fields, or raise AnswerInvalid naming every broken rule.

    A status that needs a rationale needs MIN_RATIONALE_CHARS characters of it (trimmed);
    one that needs a change must name one of ``clause_keys`` (the keys of every version
    of the comment's document: the change may point at the revised draft) or say
    "no change" (``no_change_phrases``). ``language``, when given, is the language of
    rationale and change and must be one of the site's. Pure: the caller looks up the keys.
    """
    status = (status or "").strip()
    rationale = normalise(rationale)
    change = normalise(change)
    messages: dict[str, str] = {}
    if not status:
        messages["status"] = _("Choose a response status.")
    elif status not in STATUSES:
        messages["status"] = _("Unknown response status.")
    if status in RATIONALE_REQUIRED and (problem := _rationale_problem(rationale)):
        messages["rationale"] = problem
    if status in CHANGE_REQUIRED and (problem := _change_problem(change, clause_keys)):
        messages["change"] = problem
    if len(rationale) > MAX_TEXT:
        messages["rationale"] = _("The rationale is too long (at most %(n)d characters).",
                                  n=MAX_TEXT)
    if len(change) > MAX_TEXT:
        messages["change"] = _("The change is too long (at most %(n)d characters).",
                               n=MAX_TEXT)
    if language is not None and language not in languages.codes():
        messages["language"] = _("Choose the language of the answer from the list.")
    if messages:
        raise AnswerInvalid(messages)
    return status, rationale, change


def normalise(text: str | None) -> str:
    """A rationale or change as stored: Unix line ends, trimmed."""
    return (text or "").replace("\r\n", "\n").strip()


def document_clause_keys(session: Session, document_ids: Iterable[int]) -> dict[int, set[str]]:
    """document id -> the clause keys of all its versions (one query for all of them)."""
    ids = sorted(set(document_ids))
    found: dict[int, set[str]] = {document_id: set() for document_id in ids}
    if ids:
        query = (select(DocumentVersion.document_id, Clause.key).distinct()
                 .join(DocumentVersion, Clause.version_id == DocumentVersion.id)
                 .where(DocumentVersion.document_id.in_(ids)))
        for document_id, key in session.execute(query):
            found[document_id].add(key)
    return found


def _owner_clause(comment: Comment):
    """The column and value that identify the response applying to ``comment``."""
    if comment.group_id is not None:
        return Response.group_id, comment.group_id
    return Response.comment_id, comment.id


def stored_response(session: Session, comment: Comment) -> Response | None:
    """The response applying to ``comment`` as the database has it now (not a stale copy)."""
    column, value = _owner_clause(comment)
    return session.execute(
        select(Response).where(column == value).execution_options(populate_existing=True)
    ).scalar_one_or_none()


def save_answer(session: Session, comment: Comment, status: str, rationale: str, change: str,
                actor: User | None, base_revision: int | None, *,
                language: str | None = None, ready: bool = False) -> Response:
    """Create or update the answer that applies to ``comment`` and return it.

    The answer is the group's when the comment is in a duplicate group, else its own.
    ``base_revision`` is the revision the editor started from (None when there was no
    answer yet). If the stored answer has moved on, AnswerConflict is raised carrying it,
    and nothing is written: a second drafter never silently overwrites the first. The
    revision check is done in the UPDATE itself, so two saves racing each other cannot
    both pass it. Bad values raise AnswerInvalid (``validate_answer``, with the clause
    keys of the comment's document). ``language``: of rationale and change, stored with
    them (None: not said; a new answer is then shown in the comment's language, an
    existing one keeps its language). ``ready``: its drafter marks it ready for a lead
    drafter's review; a change of status, rationale or change takes away an approval
    (``review``). Audits ``response.save``, bumps the document. Flushes, does not commit.
    """
    if decided_documents(session, [comment.document_id]):
        raise AnswerInvalid({"status": FINAL()})
    keys = document_clause_keys(session, [comment.document_id])[comment.document_id]
    status, rationale, change = validate_answer(status, rationale, change, clause_keys=keys,
                                                language=language)
    session.flush()
    current = stored_response(session, comment)
    now = utcnow()
    responder_id = actor.id if actor is not None else None

    if current is None:
        response = Response(status=status, rationale=rationale, change=change,
                            language=language or "", responder_id=responder_id, revision=1,
                            created_at=now, updated_at=now, ready_at=now if ready else None)
        try:
            # A savepoint: if another drafter created the answer meanwhile, the unique
            # constraint refuses ours and the outer transaction stays usable.
            with session.begin_nested():
                # The foreign key, not the relationship: assigning a one-to-one relationship
                # would quietly detach an answer someone else has just stored.
                column, value = _owner_clause(comment)
                setattr(response, column.key, value)
                session.add(response)
        except IntegrityError:
            raise AnswerConflict(stored_response(session, comment)) from None
        before = None
        # Let comment.answer load the new answer instead of a cached "none".
        session.expire(comment.group if comment.group_id is not None else comment,
                       ["response"])
    else:
        if base_revision is None or int(base_revision) != current.revision:
            raise AnswerConflict(current)
        before = snapshot(current)
        changed = (status, rationale, change) != (current.status, current.rationale,
                                                  current.change)
        review = {"ready_at": (current.ready_at or now) if ready else None}
        if changed:  # an edited answer is approved again before the public reads it
            review |= {"approved_at": None, "approved_by_id": None}
        result = session.execute(
            update(Response)
            .where(Response.id == current.id, Response.revision == current.revision)
            .values(status=status, rationale=rationale, change=change,
                    # Not said: the language stays what it was.
                    language=current.language if language is None else language,
                    responder_id=responder_id, updated_at=now,
                    revision=Response.revision + 1, **review)
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:
            raise AnswerConflict(stored_response(session, comment))
        session.refresh(current)
        response = current

    audit.record(session, actor, "response.save", response, before=before,
                 after=snapshot(response) | {"for_comment_id": comment.id})
    session.flush()
    mail.answers_changed(session, responses=[response])
    return response


def FINAL() -> str:  # noqa: N802 (a message, translated when said)
    return _("The decision was taken on these answers: they can no longer be changed.")


def decided_documents(session: Session, document_ids) -> set[int]:
    """Those of ``document_ids`` whose consultation has recorded its decision: their
    answers are final (the decision was taken on them)."""
    return set(session.scalars(
        select(Document.id).join(Decision, Decision.consultation_id == Document.consultation_id)
        .where(Document.id.in_(list(document_ids)))))


def effective_status():
    """The status of the answer that applies to a comment, as a column: its group's when
    the comment is grouped, else its own; NULL when unanswered. Returns the two aliases
    to join (``joined``) and the expression. Joins on the unique response.comment_id and
    group_id indexes, no subquery per row."""
    own, grp = aliased(Response), aliased(Response)
    return own, grp, case((Comment.group_id.is_not(None), grp.status), else_=own.status)


def joined(query, own, grp):
    """``query`` (on comments) with the outer joins ``effective_status`` needs."""
    return (query.outerjoin(own, own.comment_id == Comment.id)
            .outerjoin(grp, grp.group_id == Comment.group_id))


def answer_history(session: Session, comment: Comment) -> list[AuditEvent]:
    """Audit events of the answers this comment has had (its own and its group's)."""
    ids = [r.id for r in session.scalars(select(Response).where(or_(
        Response.comment_id == comment.id,
        and_(Response.group_id.is_not(None), Response.group_id == comment.group_id))))]
    if not ids:
        return []
    return list(session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "response",
                                 AuditEvent.object_id.in_(ids))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(100)))

