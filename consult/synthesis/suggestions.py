"""Suggesting duplicate groups: identical or near-identical comments on the same clause.

Mass campaigns send the same text many times, sometimes retyped with a typo or pasted
with other punctuation. A comment is not a vote: the drafter answers the substance once,
and every member keeps its own row. This module only *suggests*; the drafter confirms.

``normalise`` and ``cluster`` are pure; ``suggest`` reads the comments of one document.
"""
from __future__ import annotations

import bisect
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Comment

# Near-identical: fuzz.ratio (normalised Indel similarity, 0-100) at least this.
THRESHOLD = 90
# Below this length a single changed letter already changes the meaning ("да" / "нет"
# are far apart anyway, but "agree" / "agreed" are not worth a fuzzy guess): exact only.
MIN_FUZZY_LENGTH = 12

# Latin letters that look like Cyrillic ones, which copy-paste campaigns mix freely.
LOOKALIKES = str.maketrans({
    "a": "а", "c": "с", "e": "е", "o": "о", "p": "р", "x": "х", "y": "у", "k": "к",
    "m": "м", "t": "т", "h": "н", "b": "в", "i": "і", "ё": "е",
})
NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalise(text: str) -> str:
    """The text as compared: case, punctuation, spacing and lookalike letters ignored."""
    text = unicodedata.normalize("NFKC", text or "").casefold().translate(LOOKALIKES)
    return NOT_WORD.sub(" ", text).strip()


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _join_similar(texts: list[str], parent: list[int], threshold: int) -> None:
    """Union the indexes of ``texts`` whose fuzz.ratio reaches ``threshold``.

    Every pair whose lengths allow the threshold at all (ratio >= t needs
    short/long >= t / (200 - t)) is compared, except two texts already joined: with
    the texts sorted by length, each text's possible partners are one slice, and a
    campaign's variants, once joined, are not compared with each other again. The
    comparisons run in rapidfuzz (C++), one call per text. The letters are first
    renumbered below 256, which keeps every ratio and makes rapidfuzz's lookups cheap.
    """
    order = sorted((i for i, text in enumerate(texts) if len(text) >= MIN_FUZZY_LENGTH),
                   key=lambda i: len(texts[i]))
    if len(order) < 2:
        return
    letters = sorted(set().union(*(texts[i] for i in order)))
    table = {ord(c): n for n, c in enumerate(letters)} if len(letters) <= 256 else {}
    compact = [texts[i].translate(table) for i in order]
    lengths = [len(text) for text in compact]
    factor = threshold / (200 - threshold)
    # label[k] names the component of compact[k]; a union relabels the smaller one.
    label = list(range(len(order)))
    members = {k: [k] for k in range(len(order))}
    for k, text in enumerate(compact):
        end = bisect.bisect_right(lengths, len(text) / factor)
        own = label[k]
        partners = [m for m in range(k + 1, end) if label[m] != own]
        if not partners:
            continue
        for _text, _score, n in process.extract(
                text, [compact[m] for m in partners], scorer=fuzz.ratio,
                score_cutoff=threshold, limit=None):
            a, b = label[k], label[partners[n]]
            if a == b:
                continue
            if len(members[a]) < len(members[b]):
                a, b = b, a
            moved = members.pop(b)
            for m in moved:
                label[m] = a
            members[a].extend(moved)
    for component in members.values():
        if len(component) > 1:
            root = min(order[m] for m in component)
            for m in component:
                parent[order[m]] = root


def cluster(items: list[tuple[int, str]], threshold: int = THRESHOLD) -> list[list[int]]:
    """Group ids whose texts are identical or near-identical once normalised.

    ``items`` are (id, text) pairs. Returns groups of two or more ids, each sorted, the
    groups ordered by their first id. Identical normalised texts group first (a dict);
    only the distinct texts are compared with rapidfuzz (see _join_similar).
    """
    by_text: dict[str, list[int]] = defaultdict(list)
    for item_id, text in items:
        key = normalise(text)
        if key:
            by_text[key].append(item_id)
    texts = list(by_text)
    parent = list(range(len(texts)))
    _join_similar(texts, parent, threshold)
    merged: dict[int, list[int]] = defaultdict(list)
    for i, text in enumerate(texts):
        merged[_find(parent, i)].extend(by_text[text])
    groups = [sorted(ids) for ids in merged.values() if len(ids) > 1]
    return sorted(groups, key=lambda ids: ids[0])


@dataclass
class Suggestion:
    """Comments on one clause that look like the same text; ``identical`` if exactly so."""
    clause_key: str | None
    comment_ids: list[int]
    identical: bool
    comments: list[Comment] = field(default_factory=list)


def suggest(session: Session, document_id: int, clause_key: str | None = None,
            *, whole_document: bool = False, threshold: int = THRESHOLD) -> list[Suggestion]:
    """Suggested groups among the not-yet-grouped comments of a document.

    Only comments on the same clause are compared (``clause_key`` narrows to one clause;
    None with ``whole_document`` False means every clause). Withdrawn comments are left
    out: their authors took them back.
    """
    query = (select(Comment.id, Comment.clause_key, Comment.body)
             .where(Comment.document_id == document_id, Comment.group_id.is_(None),
                    Comment.state != "withdrawn")
             .order_by(Comment.clause_key, Comment.id))
    if clause_key is not None or whole_document:
        query = query.where(Comment.clause_key.is_(None) if whole_document
                            else Comment.clause_key == clause_key)
    per_clause: dict[str | None, list[tuple[int, str]]] = defaultdict(list)
    for comment_id, key, body in session.execute(query):
        per_clause[key].append((comment_id, body))
    suggestions = []
    for key, items in per_clause.items():
        texts = {comment_id: normalise(body) for comment_id, body in items}
        for ids in cluster(items, threshold):
            identical = len({texts[i] for i in ids}) == 1
            suggestions.append(Suggestion(key, ids, identical))
    return suggestions


# Above this many ungrouped comments in a document, the groups page does not compare
# every clause on each visit (a minute and more for 100,000 comments): it lists the
# clauses with their counts and compares the one the drafter chooses.
WHOLE_DOCUMENT_LIMIT = 3000


def clause_counts(session: Session, document_id: int) -> list[tuple[str | None, int]]:
    """(clause key, ungrouped comments that suggestions would compare) for each clause of
    a document with at least two of them: one GROUP BY on the (document, clause) index."""
    return [(key, count) for key, count in session.execute(
        select(Comment.clause_key, func.count())
        .where(Comment.document_id == document_id, Comment.group_id.is_(None),
               Comment.state != "withdrawn")
        .group_by(Comment.clause_key).order_by(Comment.clause_key)).all() if count > 1]
