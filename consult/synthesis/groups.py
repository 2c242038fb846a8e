"""Suggesting duplicate groups: identical or near-identical comments on the same clause.

Mass campaigns send the same text many times, sometimes retyped with a typo or pasted
with other punctuation. A comment is not a vote: the drafter answers the substance once,
and every member keeps its own row. This module only *suggests*; the drafter confirms.

``normalise`` and ``cluster`` are pure; ``suggest`` reads the comments of one document.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Comment

# Near-identical: fuzz.ratio (normalised Indel similarity, 0-100) at least this.
THRESHOLD = 90
# Below this length a single changed letter already changes the meaning ("да" / "нет"
# are far apart anyway, but "agree" / "agreed" are not worth a fuzzy guess): exact only.
MIN_FUZZY_LENGTH = 12
# How many of a text's rarest words pick the texts it is compared with.
BLOCK_WORDS = 4
MIN_SHARED = 2

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

    Comparing every pair is quadratic (minutes for thousands of distinct texts), so pairs
    are blocked: two near-identical texts share most words, so each text is compared
    only with the texts holding at least MIN_SHARED of its BLOCK_WORDS rarest shared
    words, and only when their lengths allow the threshold at all
    (ratio >= t needs short/long >= t / (200 - t)).
    """
    words = [{w for w in text.split() if len(w) >= 3} if len(text) >= MIN_FUZZY_LENGTH
             else set() for text in texts]
    postings: dict[str, list[int]] = defaultdict(list)
    for i, ws in enumerate(words):
        for w in ws:
            postings[w].append(i)
    factor = threshold / (200 - threshold)
    for i, ws in enumerate(words):
        if not ws:
            continue
        # A word only this text has finds no partner: the rarest *shared* words block.
        keys = sorted((w for w in ws if len(postings[w]) > 1),
                      key=lambda w: (len(postings[w]), w))[:BLOCK_WORDS]
        root = _find(parent, i)
        size = len(texts[i])
        hits: Counter[int] = Counter()
        for w in keys:
            hits.update(postings[w])
        # A near-identical text shares most of these words, not just one of them.
        needed = min(MIN_SHARED, len(keys))
        candidates = {}
        for j, count in hits.items():
            if count < needed or j == i or _find(parent, j) == root:
                continue
            other = len(texts[j])
            if min(size, other) >= factor * max(size, other):
                candidates[j] = texts[j]
        if not candidates:
            continue
        # One call compares the text with every candidate, in C++.
        for _text, _score, j in process.extract(texts[i], candidates, scorer=fuzz.ratio,
                                                score_cutoff=threshold, limit=None):
            a, b = _find(parent, i), _find(parent, j)
            if a != b:
                parent[max(a, b)] = min(a, b)
        root = _find(parent, i)


def cluster(items: list[tuple[int, str]], threshold: int = THRESHOLD) -> list[list[int]]:
    """Group ids whose texts are identical or near-identical once normalised.

    ``items`` are (id, text) pairs. Returns groups of two or more ids, each sorted, the
    groups ordered by their first id. Identical normalised texts group first (a dict);
    only the distinct texts are compared with rapidfuzz, in chunks of the matrix, and
    only texts whose lengths allow the threshold at all.
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
