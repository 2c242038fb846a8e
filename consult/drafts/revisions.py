"""Revised versions of a document (Aarhus Art. 6(8), 6(9): showing what changed and why).

A revised version is imported beside the published one and stays unpublished: its clauses
are matched to the previous version's (``match.propose``), an admin reviews the matching,
corrects it where the proposal is wrong, and confirms it; only then can the version be
published. Publishing makes it the document's current version and rebuilds the lineage:
for every clause of every published version, the clause(s) it became in the current
version, or the version that deleted it. Every page, file and API response that places a
comment reads that lineage (``fates``, ``lineage_join``): none matches clauses by key.

Services take a session and plain values, flush, and leave the commit to the caller.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session, selectinload

from .. import audit
from ..core.time import iso_local, utcnow
from ..models import (
    Clause,
    ClauseLineage,
    ClauseMatch,
    Document,
    DocumentVersion,
    Section,
    User,
)
from . import diff, match

# Kinds that are a change of the text (the Changes sheet and the results page list them);
# a renumbered clause is listed only when its text changed too.
CHANGE_KINDS = ("changed", "renumbered", "split", "merged", "new", "deleted")


class RevisionRefused(ValueError):
    """The change was not made; ``reasons`` (translated) say why."""

    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


# ---------------------------------------------------------------- versions

def published_versions(session: Session, document: Document) -> list[DocumentVersion]:
    """The document's published versions, oldest first."""
    return list(session.scalars(
        select(DocumentVersion).where(DocumentVersion.document_id == document.id,
                                      DocumentVersion.published_at.is_not(None))
        .order_by(DocumentVersion.number)))


def pending_version(session: Session, document: Document) -> DocumentVersion | None:
    """The revised version imported and not yet published, if any."""
    return session.scalar(
        select(DocumentVersion).where(DocumentVersion.document_id == document.id,
                                      DocumentVersion.published_at.is_(None))
        .order_by(DocumentVersion.number.desc()).limit(1))


def pending_versions(session: Session, document_ids: Iterable[int]) -> list[DocumentVersion]:
    """Every revised version awaiting publication among ``document_ids``."""
    ids = list(document_ids)
    if not ids:
        return []
    return list(session.scalars(
        select(DocumentVersion).where(DocumentVersion.document_id.in_(ids),
                                      DocumentVersion.published_at.is_(None))
        .options(selectinload(DocumentVersion.document))
        .order_by(DocumentVersion.document_id, DocumentVersion.number)))


def version_by_number(session: Session, document: Document, number: int
                      ) -> DocumentVersion | None:
    return session.scalar(select(DocumentVersion).where(
        DocumentVersion.document_id == document.id, DocumentVersion.number == number))


def version_at(session: Session, document: Document, moment: datetime | None
               ) -> DocumentVersion | None:
    """The version the public was reading at ``moment`` (naive UTC): the last one published
    by then, or the first published if ``moment`` is earlier (a letter dated before the
    drafts went online still concerns the first version). None: nothing is published."""
    published = published_versions(session, document)
    if not published:
        return None
    if moment is None:
        return published[-1]
    chosen = published[0]
    for version in published:
        if version.published_at <= moment:
            chosen = version
    return chosen


def drop_pending(session: Session, version: DocumentVersion) -> None:
    """Remove an unpublished version (re-imported with corrected text before publication).
    It was never public and nothing refers to it but its own matching."""
    if version.published_at is not None:
        raise ValueError("a published version is never removed")
    session.execute(delete(ClauseMatch).where(ClauseMatch.version_id == version.id))
    session.execute(delete(Clause).where(Clause.version_id == version.id))
    session.execute(delete(Section).where(Section.version_id == version.id))
    session.delete(version)
    session.flush()


# ---------------------------------------------------------------- matching

def clause_texts(clauses: Iterable[Clause]) -> list[match.ClauseText]:
    return [match.ClauseText(c.key, c.position, dict(c.text or {})) for c in clauses]


def _clauses(session: Session, version_id: int) -> list[Clause]:
    return list(session.scalars(select(Clause).where(Clause.version_id == version_id)
                                .order_by(Clause.position)))


def propose_matching(session: Session, version: DocumentVersion,
                     previous: DocumentVersion) -> None:
    """Store the proposed matching of ``version`` against ``previous`` (unconfirmed)."""
    old, new = _clauses(session, previous.id), _clauses(session, version.id)
    version.previous_id = previous.id
    version.matching_confirmed_at = None
    version.matching_confirmed_by_id = None
    _store(session, version, old, new,
           match.propose(clause_texts(old), clause_texts(new)))


def _store(session: Session, version: DocumentVersion, old: list[Clause], new: list[Clause],
           pairs: list[match.Pair]) -> None:
    session.execute(delete(ClauseMatch).where(ClauseMatch.version_id == version.id))
    old_id = {c.key: c.id for c in old}
    new_id = {c.key: c.id for c in new}
    session.add_all(ClauseMatch(
        version_id=version.id, old_clause_id=old_id.get(pair.old) if pair.old else None,
        new_clause_id=new_id.get(pair.new) if pair.new else None, kind=pair.kind,
        similarity=round(pair.similarity, 4), position=position)
        for position, pair in enumerate(pairs))
    session.flush()


@dataclass
class MatchRow:
    """One row of the review page: a link, a new clause or a deleted one."""
    kind: str
    old: Clause | None
    new: Clause | None
    similarity: float

    def diff(self, lang: str) -> list[tuple[str, str]]:
        return diff.word_diff(_text(self.old, lang), _text(self.new, lang))


def _text(clause: Clause | None, lang: str) -> str:
    if clause is None:
        return ""
    return clause.text.get(lang) or next(iter(clause.text.values()), "")


def matching(session: Session, version: DocumentVersion) -> list[MatchRow]:
    """The stored matching of ``version``, in reading order."""
    rows = session.scalars(
        select(ClauseMatch).where(ClauseMatch.version_id == version.id)
        .options(selectinload(ClauseMatch.old_clause), selectinload(ClauseMatch.new_clause))
        .order_by(ClauseMatch.position))
    return [MatchRow(r.kind, r.old_clause, r.new_clause, r.similarity) for r in rows]


def links_of(rows: Iterable[MatchRow]) -> dict[str, list[str]]:
    """New clause key -> the old keys it is linked to (empty: a new clause)."""
    links: dict[str, list[str]] = {}
    for row in rows:
        if row.new is not None:
            links.setdefault(row.new.key, [])
            if row.old is not None:
                links[row.new.key].append(row.old.key)
    return links


def correct_matching(session: Session, version: DocumentVersion,
                     links: dict[str, list[str]], actor: User | None) -> list[str]:
    """Replace the matching by ``links`` (new key -> old keys) and confirm it. Returns the
    keys whose links changed from what was stored; RevisionRefused names unknown keys."""
    _check_unpublished(version)
    old, new = _clauses(session, version.previous_id), _clauses(session, version.id)
    old_keys, new_keys = {c.key for c in old}, {c.key for c in new}
    reasons = [_("Version %(number)d has no clause %(key)s.", number=version.number, key=key)
               for key in links if key not in new_keys]
    reasons += [_("The previous version has no clause %(key)s (named for clause %(new)s).",
                  key=key, new=new_key)
                for new_key, keys in links.items() for key in keys if key not in old_keys]
    if reasons:
        raise RevisionRefused(reasons)
    before = links_of(matching(session, version))
    pairs = match.classify(clause_texts(old), clause_texts(new),
                           [(o, n) for n, keys in links.items() for o in keys])
    _store(session, version, old, new, pairs)
    corrected = sorted((key for key in new_keys if sorted(before.get(key, []))
                        != sorted(links.get(key, []))), key=_order_of(new))
    _confirm(session, version, actor, corrected, before, links)
    return corrected


def confirm_matching(session: Session, version: DocumentVersion, actor: User | None) -> None:
    """Confirm the stored matching as it stands."""
    _check_unpublished(version)
    _confirm(session, version, actor, [], {}, {})


def _confirm(session, version, actor, corrected, before, links) -> None:
    version.matching_confirmed_at = utcnow()
    version.matching_confirmed_by_id = actor.id if actor is not None else None
    session.flush()
    audit.record(session, actor, "version.matching", version,
                 before={key: before.get(key, []) for key in corrected} or None,
                 after={"confirmed_at": iso_local(version.matching_confirmed_at),
                        "corrected": {key: links.get(key, []) for key in corrected}})


def _order_of(clauses: list[Clause]):
    position = {c.key: c.position for c in clauses}
    return lambda key: position.get(key, 0)


def _check_unpublished(version: DocumentVersion) -> None:
    if version.published_at is not None:
        raise RevisionRefused([_("Version %(number)d is already published: its matching "
                                 "can no longer change.", number=version.number)])


def kinds_count(rows: Iterable[MatchRow]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[row.kind] += 1
    return dict(counts)


# ---------------------------------------------------------------- publication

def publish_first(session: Session, version: DocumentVersion) -> None:
    """A document's first version is public as soon as it is imported."""
    version.published_at = utcnow()
    version.matching_confirmed_at = version.published_at
    version.document.current_version = version
    session.flush()
    rebuild_lineage(session, version.document)


def publish_version(session: Session, version: DocumentVersion, actor: User | None) -> None:
    """Make a revised version the document's current one; refused until its matching is
    confirmed. Audited; the public pages change by themselves (cache keys hold the version)."""
    if version.published_at is not None:
        raise RevisionRefused([_("Version %(number)d is already published.",
                                 number=version.number)])
    if version.matching_confirmed_at is None:
        raise RevisionRefused([_("Confirm how the clauses of version %(number)d match the "
                                 "previous version before publishing it.",
                                 number=version.number)])
    document = version.document
    previous = document.current_version
    version.published_at = utcnow()
    document.current_version = version
    document.public_revision += 1
    session.flush()
    rebuild_lineage(session, document)
    audit.record(session, actor, "version.publish", document,
                 before={"version": previous.number if previous else None},
                 after={"version": version.number,
                        "published_at": iso_local(version.published_at)})


def rebuild_lineage(session: Session, document: Document) -> None:
    """Recompute where every clause of every published version stands in the current one."""
    versions = published_versions(session, document)
    session.execute(delete(ClauseLineage).where(ClauseLineage.document_id == document.id))
    if not versions:
        session.flush()
        return
    # Links of each published revision: old clause id -> new clause ids.
    steps: list[tuple[int, dict[int, list[int]]]] = []
    for version in versions[1:]:
        step: dict[int, list[int]] = defaultdict(list)
        for old_id, new_id in session.execute(
                select(ClauseMatch.old_clause_id, ClauseMatch.new_clause_id)
                .where(ClauseMatch.version_id == version.id,
                       ClauseMatch.old_clause_id.is_not(None),
                       ClauseMatch.new_clause_id.is_not(None))):
            step[old_id].append(new_id)
        steps.append((version.number, step))
    current = versions[-1]
    position = dict(session.execute(select(Clause.id, Clause.position)
                                    .where(Clause.version_id == current.id)).all())
    rows = []
    for index, version in enumerate(versions):
        for clause_id in session.scalars(select(Clause.id)
                                         .where(Clause.version_id == version.id)):
            reached, deleted_in = [clause_id], None
            for number, step in steps[index:]:
                reached = sorted({n for c in reached for n in step.get(c, [])})
                if not reached:
                    deleted_in = number
                    break
            if deleted_in is not None:
                rows.append(dict(document_id=document.id, clause_id=clause_id,
                                 current_clause_id=None, deleted_in=deleted_in, first=True))
                continue
            reached.sort(key=lambda c: position.get(c, 0))
            rows.extend(dict(document_id=document.id, clause_id=clause_id,
                             current_clause_id=c, deleted_in=None, first=i == 0)
                        for i, c in enumerate(reached))
    if rows:
        session.execute(ClauseLineage.__table__.insert(), rows)
    session.flush()


# ---------------------------------------------------------------- following a clause

@dataclass(frozen=True)
class Fate:
    """Where a clause commented on stands in the current version."""
    version: int  # the version the comment was made on
    key: str  # its key there
    current: tuple[str, ...] = ()  # its key(s) in the current version
    deleted_in: int | None = None  # or the version that deleted it
    current_version: int = 0

    @property
    def moved(self) -> bool:
        """Whether the clause is not (only) the same key of the same version any more."""
        return self.version != self.current_version or self.current != (self.key,)


def fates(session: Session, clause_ids: Iterable[int]) -> dict[int, Fate]:
    """For each clause id, where it stands in its document's current version."""
    ids = sorted({c for c in clause_ids if c is not None})
    if not ids:
        return {}
    found: dict[int, Fate] = {}
    for start in range(0, len(ids), 1000):
        places = session.execute(_PLACES, {"ids": ids[start:start + 1000]}).all()
        # A clause of the current version is where it was made: only the others are
        # followed through the lineage (a receipt's clause nearly always is current).
        earlier = [clause_id for clause_id, _key, number, current_number in places
                   if number != current_number]
        current_keys: dict[int, list[str]] = defaultdict(list)
        deleted: dict[int, int] = {}
        if earlier:
            for clause_id, key, deleted_in in session.execute(_LINEAGE, {"ids": earlier}):
                if deleted_in is not None:
                    deleted[clause_id] = deleted_in
                elif key is not None:
                    current_keys[clause_id].append(key)
        for clause_id, key, number, current_number in places:
            now = (key,) if number == current_number else tuple(current_keys[clause_id])
            found[clause_id] = Fate(number, key, now, deleted.get(clause_id),
                                    current_number or number)
    return found


def _current_number():
    current = DocumentVersion.__table__.alias("current_version")
    return (select(current.c.number)
            .join(Document, Document.current_version_id == current.c.id)
            .where(Document.id == DocumentVersion.document_id)
            .scalar_subquery())


# Both statements built once, their ids bound when run.
# Each clause's key, its version's number and the current version's number.
_PLACES = (select(Clause.id, Clause.key, DocumentVersion.number, _current_number())
           .join(DocumentVersion, DocumentVersion.id == Clause.version_id)
           .where(Clause.id.in_(bindparam("ids", expanding=True))))
# Where each clause went: its current clause(s) in order, or the version that deleted it.
_CURRENT_CLAUSE = Clause.__table__.alias("current_clause")
_LINEAGE = (select(ClauseLineage.clause_id, _CURRENT_CLAUSE.c.key, ClauseLineage.deleted_in)
            .outerjoin(_CURRENT_CLAUSE, _CURRENT_CLAUSE.c.id == ClauseLineage.current_clause_id)
            .where(ClauseLineage.clause_id.in_(bindparam("ids", expanding=True)))
            .order_by(ClauseLineage.clause_id, _CURRENT_CLAUSE.c.position))


def earlier_clause_ids(session: Session, clause: Clause) -> list[int]:
    """Every clause (of any published version, this one included) that became ``clause``."""
    return list(session.scalars(select(ClauseLineage.clause_id)
                                .where(ClauseLineage.current_clause_id == clause.id)))


@dataclass
class PreviousText:
    """What a clause was in the version before its own (the clause page's diff)."""
    kind: str
    number: int  # the previous version's number
    clauses: list[Clause]  # several when merged; empty when the clause is new

    def diff(self, clause: Clause, lang: str) -> list[tuple[str, str]]:
        old = "\n".join(_text(c, lang) for c in self.clauses)
        return diff.word_diff(old, _text(clause, lang))

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.clauses]


def previous_text(session: Session, clause: Clause) -> PreviousText | None:
    """The matched clause(s) of the previous version, or None for a first version."""
    version = session.get(DocumentVersion, clause.version_id)
    if version is None or version.previous_id is None:
        return None
    rows = list(session.scalars(
        select(ClauseMatch).where(ClauseMatch.version_id == version.id,
                                  ClauseMatch.new_clause_id == clause.id)
        .options(selectinload(ClauseMatch.old_clause))))
    if not rows:
        return None
    previous = session.get(DocumentVersion, version.previous_id)
    return PreviousText(rows[0].kind, previous.number,
                        _unique(r.old_clause for r in rows))


def clauses_by_id(session: Session, ids: Iterable[int]) -> dict[int, tuple[int, Clause]]:
    """Clauses by id with their version's number (comments made on earlier versions)."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    return {clause.id: (number, clause) for clause, number in session.execute(
        select(Clause, DocumentVersion.number)
        .join(DocumentVersion, DocumentVersion.id == Clause.version_id)
        .where(Clause.id.in_(wanted)))}


# ---------------------------------------------------------------- what changed

@dataclass
class Change:
    """A clause changed between the last two published versions."""
    kind: str
    old_keys: list[str]
    new_keys: list[str]
    old_text: dict[str, str]
    new_text: dict[str, str]
    pointing: list = field(default_factory=list)  # filled by the synthesis: (comment, status)

    def diff(self, lang: str) -> list[tuple[str, str]]:
        return diff.word_diff(_pick(self.old_text, lang), _pick(self.new_text, lang))


def _pick(texts: dict[str, str], lang: str) -> str:
    return texts.get(lang) or next(iter(texts.values()), "")


def changes(session: Session, document: Document) -> list[Change]:
    """One entry per changed clause between the last two published versions (none when the
    document has one version), in the current version's reading order. Split and merged
    clauses are one entry each (all their old and new keys); a renumbered clause is listed
    only when its text changed."""
    current = document.current_version
    if current is None or current.previous_id is None:
        return []
    rows = matching(session, current)
    # Gather links into connected groups (a split or merge is one change).
    groups: list[list[MatchRow]] = []
    by_old: dict[int, list[MatchRow]] = {}
    by_new: dict[int, list[MatchRow]] = {}
    for row in rows:
        group = (by_old.get(row.old.id) if row.old is not None else None) or \
            (by_new.get(row.new.id) if row.new is not None else None)
        if group is None:
            group = []
            groups.append(group)
        group.append(row)
        if row.old is not None:
            by_old[row.old.id] = group
        if row.new is not None:
            by_new[row.new.id] = group
    found = []
    for group in groups:
        kind = group[0].kind
        if kind == "same":
            continue
        old = _unique(r.old for r in group)
        new = _unique(r.new for r in group)
        old_text = _joined(old)
        new_text = _joined(new)
        if kind == "renumbered" and not any(
                diff.changed(old_text.get(code, ""), new_text.get(code, ""))
                for code in set(old_text) | set(new_text)):
            continue
        found.append(Change(kind, [c.key for c in old], [c.key for c in new],
                            old_text, new_text))
    return found


def _unique(clauses: Iterable[Clause | None]) -> list[Clause]:
    seen: dict[int, Clause] = {}
    for clause in clauses:
        if clause is not None:
            seen.setdefault(clause.id, clause)
    return sorted(seen.values(), key=lambda c: c.position)


def _joined(clauses: list[Clause]) -> dict[str, str]:
    codes = {code for c in clauses for code in (c.text or {})}
    return {code: "\n".join(c.text.get(code, "") for c in clauses).strip() for code in codes}
