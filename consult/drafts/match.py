"""Which clause of a document's version N became which clause of version N+1. Pure: no
database, no request (the kinds' codes come from core.vocab, where their labels are).

A revised draft renumbers, edits, inserts, deletes, splits and merges clauses, so keys alone
cannot say where a comment on version N belongs in N+1. ``propose`` suggests the links
(old key, new key); a person reviews them, and ``classify`` names the kind of every link of
the corrected set. ``propose`` ends with ``classify``, so both always agree on the kinds.

How ``propose`` links, in order of trust:

1. texts identical once normalised, unique in both versions and not short: linked, and kept
   (with the other pairs that are each other's only best match) as the anchors that say
   where the other clauses are expected: between the anchors around them, taking the
   longest run of anchors in the same order in both versions, so that a moved clause does
   not mislead;
2. the other clauses: word-level similarity averaged over the languages (each word of a
   language coded as one character, so rapidfuzz compares word sequences at the speed of
   short strings), plus a small bonus for the same key and for a position near the expected
   one, so that repeated boilerplate goes to the partner in the same place; greedy 1:1 by
   that score, first the links of ``MOVED_THRESHOLD`` (anywhere, unless the clause is short
   or repeated), then, between the links made so far, those of ``LINK_THRESHOLD``. A clause
   rewritten in place is far more likely than one rewritten and moved, and the texts of a
   draft share much of their wording, so a weak likeness counts only in place;
3. splits and merges among the leftovers: a clause whose words are found, in order, among
   the words its neighbour's partner left unmatched (every language) joins that partner, if
   it is long enough not to be boilerplate and the joined texts are more alike than before;
   an unlinked clause spread over 2+ consecutive unlinked ones where it is expected is
   linked to them all, if together they are alike enough.
"""
from __future__ import annotations

import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Indel, LCSseq

from ..core.vocab import CHANGE_KINDS

# The kinds of change, declared with their labels in core.vocab.
KINDS = CHANGE_KINDS.codes

LINK_THRESHOLD = 0.55  # word-level similarity a proposed 1:1 link needs at the expected place
MOVED_THRESHOLD = 0.8  # ... anywhere else
ANCHOR_THRESHOLD = 0.8  # ... for a mutual best pair to also steer positions
KEY_BONUS = 0.01
NEAR_BONUS = 0.05  # at the expected position; falls off as 1 / (1 + distance)
OUTSIDE_GAP = 3  # extra distance for a clause beyond the neighbouring anchors
CONTAINED = 0.6  # share of a part's words found in the whole, for a split or merge
MIN_WORDS = 6  # shorter clauses (boilerplate) are never split or merged, nor linked far away

NOT_WORD = re.compile(r"[^\w\s]|_")
FIRST_CODE = 0x10000  # word codes start past the surrogates


@dataclass(frozen=True)
class ClauseText:
    key: str  # e.g. "12", "3.4", "annex-1.2"
    position: int  # order in its version, 0-based
    text: dict[str, str]  # plain text per language code


@dataclass(frozen=True)
class Pair:
    old: str | None  # key in the old version (None: a new clause)
    new: str | None  # key in the new version (None: deleted)
    kind: str  # one of KINDS
    similarity: float  # 0..1 between the two texts; 0.0 for "new" and "deleted"


# ---------------------------------------------------------------- texts

def normalise(text: str) -> str:
    """Lower case, punctuation as spaces, single spaces: the form texts are compared in."""
    return " ".join(NOT_WORD.sub(" ", text.casefold()).split())


def _languages(text: dict[str, str]) -> dict[str, str]:
    """The languages a clause really has (an empty text is no text)."""
    return {lang: value for lang, value in text.items() if isinstance(value, str)
            and value.strip()}


def similarity(a: dict[str, str], b: dict[str, str]) -> float:
    """Character similarity (rapidfuzz ratio) of the normalised texts, averaged over the
    languages both have; 0.0 when they share none."""
    a, b = _languages(a), _languages(b)
    common = a.keys() & b.keys()
    if not common:
        return 0.0
    return sum(fuzz.ratio(normalise(a[lang]), normalise(b[lang])) for lang in common) / (
        100 * len(common))


def _same_text(a: dict[str, str], b: dict[str, str]) -> bool:
    """Identical in every language once whitespace is normalised."""
    def spaced(text: dict[str, str]) -> dict[str, str]:
        return {lang: " ".join(value.split()) for lang, value in _languages(text).items()}
    return spaced(a) == spaced(b)


Codes = dict[str, str]  # language -> the clause's words, one character per distinct word


def _word_codes(old: Sequence[ClauseText], new: Sequence[ClauseText]) -> tuple[
        list[Codes], list[Codes]]:
    """Every clause's normalised words, coded per language with one table for both versions."""
    tables: dict[str, dict[str, str]] = defaultdict(dict)

    def code(clause: ClauseText) -> Codes:
        coded = {}
        for lang, value in _languages(clause.text).items():
            table = tables[lang]
            coded[lang] = "".join(table.setdefault(word, chr(FIRST_CODE + len(table)))
                                  for word in normalise(value).split())
        return coded

    return [code(c) for c in old], [code(c) for c in new]


def _score(a: Codes, b: Codes) -> float:
    """Word-level similarity of two coded clauses, averaged over their common languages."""
    common = a.keys() & b.keys()
    if not common:
        return 0.0
    return sum(Indel.normalized_similarity(a[lang], b[lang]) for lang in common) / len(common)


def _length(codes: Codes) -> float:
    """Words per language, on average."""
    return sum(map(len, codes.values())) / len(codes) if codes else 0.0


def _score_matrix(rows: list[Codes], columns: list[Codes]) -> list[list[float]]:
    """``_score`` for every row against every column, one rapidfuzz call per row and
    language."""
    total = [[0.0] * len(columns) for _ in rows]
    count = [[0] * len(columns) for _ in rows]
    for lang in sorted({lang for codes in columns for lang in codes}):
        having = [j for j, codes in enumerate(columns) if lang in codes]
        choices = [columns[j][lang] for j in having]
        for i, codes in enumerate(rows):
            if lang not in codes:
                continue
            row_total, row_count = total[i], count[i]
            for _choice, score, k in process.extract(
                    codes[lang], choices, scorer=Indel.normalized_similarity, limit=None):
                j = having[k]
                row_total[j] += score
                row_count[j] += 1
    return [[t / c if c else 0.0 for t, c in zip(row_total, row_count, strict=True)]
            for row_total, row_count in zip(total, count, strict=True)]


# ---------------------------------------------------------------- positions

def _increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest chain of ``pairs`` (sorted by first item) whose second items increase."""
    tails: list[int] = []  # tails[n]: the pair ending the best chain of n + 1 found so far
    ends: list[int] = []  # ... and its second item
    before = [-1] * len(pairs)
    for k, (_p, q) in enumerate(pairs):
        n = bisect_left(ends, q)
        before[k] = tails[n - 1] if n else -1
        if n == len(tails):
            tails.append(k)
            ends.append(q)
        else:
            tails[n], ends[n] = k, q
    chain, k = [], tails[-1] if tails else -1
    while k >= 0:
        chain.append(pairs[k])
        k = before[k]
    return chain[::-1]


class _Positions:
    """Where a clause of one version is expected in the other, from anchors in order."""

    def __init__(self, anchors: Iterable[tuple[int, int]], size_from: int, size_to: int):
        chain = _increasing(sorted(anchors))
        self.froms = [-1] + [p for p, _q in chain] + [size_from]
        self.tos = [-1] + [q for _p, q in chain] + [size_to]

    def gap(self, p: int) -> tuple[int, int, int, int]:
        """(lowest, highest, expected after the anchor before, ... before the one after)."""
        k = bisect_left(self.froms, p)
        if self.froms[k] == p:
            q = self.tos[k]
            return q - 1, q + 1, q, q
        lo_p, lo_q, hi_p, hi_q = self.froms[k - 1], self.tos[k - 1], self.froms[k], self.tos[k]
        return lo_q, hi_q, lo_q + (p - lo_p), hi_q - (hi_p - p)

    def distance(self, p: int, q: int) -> int:
        lo, hi, after, before = self.gap(p)
        d = min(abs(q - after), abs(q - before))
        return d if lo < q < hi else d + OUTSIDE_GAP

    def in_gap(self, p: int, q: int) -> bool:
        """Whether ``q`` lies between the anchors around ``p``."""
        lo, hi, _after, _before = self.gap(p)
        return lo < q < hi


# ---------------------------------------------------------------- proposing

def _signatures(side: list[Codes]) -> dict[tuple, list[int]]:
    """The clauses of one version by normalised text."""
    found: dict[tuple, list[int]] = defaultdict(list)
    for i, codes in enumerate(side):
        found[tuple(sorted(codes.items()))].append(i)
    return found


def _movable(codes: list[Codes], signatures: dict[tuple, list[int]]) -> set[int]:
    """The clauses that may be linked far from where they are expected: not short, not
    repeated (boilerplate is linked in place or not at all)."""
    return {found[0] for found in signatures.values()
            if len(found) == 1 and _length(codes[found[0]]) >= MIN_WORDS}


def _exact(old: dict[tuple, list[int]], new: dict[tuple, list[int]],
           movable: tuple[set[int], set[int]]) -> list[tuple[int, int]]:
    """Pairs of movable clauses whose normalised texts are identical."""
    return [(olds[0], new[sig][0]) for sig, olds in old.items()
            if olds[0] in movable[0] and new.get(sig, [-1])[0] in movable[1]]


def _mutual_best(scores: list[list[float]]) -> list[tuple[int, int]]:
    """(row, column) pairs each other's only best, scoring at least ANCHOR_THRESHOLD."""
    def unique_best(values: Sequence[float]) -> int | None:
        best = max(values, default=0.0)
        if best < ANCHOR_THRESHOLD:
            return None
        found = [k for k, value in enumerate(values) if value == best]
        return found[0] if len(found) == 1 else None

    columns = list(zip(*scores, strict=True)) if scores else []
    found = []
    for i, row in enumerate(scores):
        j = unique_best(row)
        if j is not None and unique_best(columns[j]) == i:
            found.append((i, j))
    return found


def _greedy(scores: list[list[float]], rows: list[int], columns: list[int],
            bonus: Callable[[int, int], float], accept: Callable[[int, int, float], bool],
            taken: tuple[set[int], set[int]]) -> list[tuple[int, int]]:
    """1:1 links among the rows and columns not ``taken`` yet (and then taken), by
    descending score plus bonus, each one ``accept`` allows."""
    taken_rows, taken_columns = taken
    candidates = []
    for a, row in enumerate(scores):
        i = rows[a]
        if i in taken_rows:
            continue
        for b, score in enumerate(row):
            j = columns[b]
            if score >= LINK_THRESHOLD and j not in taken_columns and accept(i, j, score):
                candidates.append((-(score + bonus(i, j)), i, j))
    candidates.sort()
    links = []
    for _score, i, j in candidates:
        if i not in taken_rows and j not in taken_columns:
            taken_rows.add(i)
            taken_columns.add(j)
            links.append((i, j))
    return links


def _one_to_one(old: Sequence[ClauseText], new: Sequence[ClauseText], old_codes: list[Codes],
                new_codes: list[Codes]) -> tuple[list[tuple[int, int]], _Positions]:
    """Steps 1 and 2 of the module docstring; also returns the positions the links give.
    Step 2 runs twice: first any link of MOVED_THRESHOLD, then, between those, the links
    of LINK_THRESHOLD at the expected place."""
    old_texts, new_texts = _signatures(old_codes), _signatures(new_codes)
    movable = _movable(old_codes, old_texts), _movable(new_codes, new_texts)
    links = _exact(old_texts, new_texts, movable)
    taken = {i for i, _j in links}, {j for _i, j in links}
    rows = [i for i in range(len(old)) if i not in taken[0]]
    columns = [j for j in range(len(new)) if j not in taken[1]]
    scores = _score_matrix([old_codes[i] for i in rows], [new_codes[j] for j in columns])
    positions = _Positions(links + [(rows[a], columns[b]) for a, b in _mutual_best(scores)],
                           len(old), len(new))

    def bonus(i: int, j: int) -> float:
        same_key = KEY_BONUS if old[i].key == new[j].key else 0.0
        return same_key + NEAR_BONUS / (1 + positions.distance(i, j))

    def strong(i: int, j: int, score: float) -> bool:
        return score >= MOVED_THRESHOLD and (
            positions.in_gap(i, j) or (i in movable[0] and j in movable[1]))

    links += _greedy(scores, rows, columns, bonus, strong, taken)
    positions = _Positions(links, len(old), len(new))
    links += _greedy(scores, rows, columns, bonus,
                     lambda i, j, _score: positions.in_gap(i, j), taken)
    return links, _Positions(links, len(old), len(new))


def _leftovers(whole: str, used: str) -> tuple[str, ...]:
    """The words of ``whole`` left unmatched by its alignment with ``used``, in order: once
    with the alignment matching words as early as it can, once as late (where a part of a
    split came from depends on whether it stands before or after the others)."""
    if not used:
        return (whole,)

    def unmatched(a: str, b: str) -> str:
        return "".join(a[op.src_start:op.src_end] for op in LCSseq.opcodes(a, b)
                       if op.tag != "equal")

    return unmatched(whole, used), unmatched(whole[::-1], used[::-1])[::-1]


class _Parts:
    """Growing splits (one whole, several consecutive parts); merges are the same with the
    versions swapped. ``parts_of`` and ``wholes_of`` hold the links by index."""

    def __init__(self, wholes: list[Codes], parts: list[Codes],
                 links: Iterable[tuple[int, int]], positions: _Positions):
        self.wholes, self.parts, self.positions = wholes, parts, positions
        self.parts_of: dict[int, list[int]] = defaultdict(list)
        self.wholes_of: dict[int, list[int]] = defaultdict(list)
        for i, j in links:
            self.parts_of[i].append(j)
            self.wholes_of[j].append(i)

    def links(self) -> list[tuple[int, int]]:
        return [(i, j) for i, js in self.parts_of.items() for j in js]

    def _free(self, j: int) -> bool:
        return 0 <= j < len(self.parts) and not self.wholes_of.get(j) and _length(
            self.parts[j]) >= MIN_WORDS

    def _joined(self, run: list[int]) -> Codes:
        joined: dict[str, str] = defaultdict(str)
        for j in sorted(run):
            for lang, codes in self.parts[j].items():
                joined[lang] += codes
        return joined

    def _contained(self, i: int, run: list[int], j: int) -> float:
        """Share of part ``j``'s words found, in order, among the words of whole ``i`` that
        ``run`` leaves unmatched; averaged over languages."""
        part, whole, used = self.parts[j], self.wholes[i], self._joined(run)
        shares = [max(LCSseq.similarity(part[lang], leftover)
                      for leftover in _leftovers(whole[lang], used.get(lang, "")))
                  / len(part[lang]) for lang in part.keys() & whole.keys() if part[lang]]
        return sum(shares) / len(shares) if shares else 0.0

    def _extension(self, i: int, run: list[int]) -> tuple[float, int] | None:
        """The best free part next to ``run`` that whole ``i`` contains, if it helps."""
        now = _score(self.wholes[i], self._joined(run)) if run else 0.0
        best = None
        for j in (min(run) - 1, max(run) + 1) if run else ():
            if self._free(j) and self._contained(i, run, j) >= CONTAINED:
                gain = _score(self.wholes[i], self._joined([*run, j])) - now
                if gain > 0 and (best is None or gain > best[0]):
                    best = (gain, j)
        return best

    def _alone(self, i: int) -> bool:
        """Whether whole ``i`` shares none of its parts with another whole."""
        return all(self.wholes_of[j] == [i] for j in self.parts_of.get(i, ()))

    def extend(self) -> None:
        """Add to linked wholes the free neighbouring parts they contain, best gain first."""
        while True:
            found = [(extension, i) for i in list(self.parts_of)
                     if self.parts_of[i] and self._alone(i)
                     and (extension := self._extension(i, self.parts_of[i]))]
            if not found:
                return
            (_gain, j), i = max(found)
            self.parts_of[i].append(j)
            self.wholes_of[j].append(i)

    def seed(self) -> None:
        """Unlinked wholes whose words are spread over 2+ consecutive free parts near where
        they are expected: link them all when the parts together resemble the whole."""
        for i, whole in enumerate(self.wholes):
            if self.parts_of.get(i) or _length(whole) < 2 * MIN_WORDS:
                continue
            lo, hi, _after, _before = self.positions.gap(i)
            best = None
            for j in range(max(lo + 1, 0), min(hi, len(self.parts))):
                if not self._free(j) or self._contained(i, [], j) < CONTAINED:
                    continue
                run = [j]
                while extension := self._extension(i, run):
                    run.append(extension[1])
                score = _score(whole, self._joined(run))
                if len(run) > 1 and score >= LINK_THRESHOLD and (best is None
                                                                 or score > best[0]):
                    best = (score, run)
            if best:
                for j in best[1]:
                    self.parts_of[i].append(j)
                    self.wholes_of[j].append(i)


def _splits_and_merges(links: list[tuple[int, int]], positions: _Positions,
                       old_codes: list[Codes], new_codes: list[Codes]) -> list[tuple[int, int]]:
    """Step 3 of the module docstring: splits first, then merges."""
    splits = _Parts(old_codes, new_codes, links, positions)
    splits.extend()
    splits.seed()
    links = splits.links()
    backwards = _Positions([(j, i) for i, j in links], len(new_codes), len(old_codes))
    merges = _Parts(new_codes, old_codes, [(j, i) for i, j in links], backwards)
    merges.extend()
    merges.seed()
    return [(i, j) for j, i in merges.links()]


def propose(old: Sequence[ClauseText], new: Sequence[ClauseText]) -> list[Pair]:
    """The proposed matching of version ``old`` to version ``new``, classified."""
    old, new = _in_order(old, "old"), _in_order(new, "new")
    old_codes, new_codes = _word_codes(old, new)
    links, positions = _one_to_one(old, new, old_codes, new_codes)
    links = _splits_and_merges(links, positions, old_codes, new_codes)
    return classify(old, new, [(old[i].key, new[j].key) for i, j in links])


# ---------------------------------------------------------------- classifying

def _in_order(clauses: Sequence[ClauseText], side: str) -> list[ClauseText]:
    """The clauses by position; refuses a key that occurs twice."""
    seen = set()
    for clause in clauses:
        if clause.key in seen:
            raise ValueError(f"key {clause.key!r} occurs twice in the {side} version")
        seen.add(clause.key)
    return sorted(clauses, key=lambda c: c.position)


def _kind(old: ClauseText, new: ClauseText, partners_of_old: int, partners_of_new: int) -> str:
    if partners_of_old > 1:
        return "split"
    if partners_of_new > 1:
        return "merged"
    if old.key != new.key:
        return "renumbered"
    return "same" if _same_text(old.text, new.text) else "changed"


def classify(old: Sequence[ClauseText], new: Sequence[ClauseText],
             links: Iterable[tuple[str, str]]) -> list[Pair]:
    """The rows of the matching given by ``links`` (old key, new key), in reading order of
    the new version; an unlinked new clause is "new", an unlinked old one "deleted", placed
    right after the rows of the old clause before it. Refuses (ValueError) a link naming a
    key its version does not have. A link both splitting and merging is called "split"."""
    old, new = _in_order(old, "old"), _in_order(new, "new")
    old_at = {c.key: n for n, c in enumerate(old)}
    new_at = {c.key: n for n, c in enumerate(new)}
    olds_of: dict[str, list[str]] = defaultdict(list)
    news_of: dict[str, list[str]] = defaultdict(list)
    for old_key, new_key in dict.fromkeys(tuple(link) for link in links):
        if old_key not in old_at:
            raise ValueError(f"link names old key {old_key!r}, not in the old version")
        if new_key not in new_at:
            raise ValueError(f"link names new key {new_key!r}, not in the new version")
        olds_of[new_key].append(old_key)
        news_of[old_key].append(new_key)

    rows = []
    for clause in new:
        if clause.key not in olds_of:
            rows.append(Pair(None, clause.key, "new", 0.0))
        for old_key in sorted(olds_of.get(clause.key, ()), key=old_at.__getitem__):
            before = old[old_at[old_key]]
            kind = _kind(before, clause, len(news_of[old_key]), len(olds_of[clause.key]))
            rows.append(Pair(old_key, clause.key, kind, similarity(before.text, clause.text)))
    return _with_deleted(rows, old, news_of)


def _with_deleted(rows: list[Pair], old: list[ClauseText],
                  news_of: dict[str, list[str]]) -> list[Pair]:
    """``rows`` with a "deleted" row for every unlinked old clause, right after the rows of
    the old clause before it (a run of deleted clauses stays together, in order)."""
    after: dict[str | None, list[Pair]] = defaultdict(list)  # old key (None: start) -> rows
    anchor = None
    for clause in old:
        if clause.key in news_of:
            anchor = clause.key
        else:
            after[anchor].append(Pair(clause.key, None, "deleted", 0.0))
    last = {row.old: n for n, row in enumerate(rows) if row.old is not None}
    result = list(after[None])
    for n, row in enumerate(rows):
        result.append(row)
        if row.old is not None and last[row.old] == n:
            result.extend(after[row.old])
    return result
