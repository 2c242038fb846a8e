"""Word-level differences between two versions of a clause's text. Pure: no Flask.

``word_diff`` gives the operations; joining the texts of the "equal" and "delete" ones gives
back the old text exactly, of the "equal" and "insert" ones the new text, whitespace and
punctuation included. Words and punctuation marks are compared without the whitespace that
follows them, so a changed line break does not make a word look changed.
``diff_html`` says every change in words for screen readers (not by colour alone);
``diff_text`` is for a spreadsheet cell.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from difflib import SequenceMatcher

from markupsafe import Markup, escape

TOKEN = re.compile(r"(\w+|[^\w\s])(\s*)")
LEADING_SPACE = re.compile(r"\s*")
WORD = re.compile(r"\S+")
LONG_STRETCH, KEPT_WORDS = 12, 5  # an unchanged stretch of more words shows only the ends

Op = tuple[str, str]


def _tokens(text: str) -> tuple[str, list[tuple[str, str]]]:
    """The leading whitespace and the (word or punctuation mark, whitespace after) tokens."""
    lead = LEADING_SPACE.match(text).group()
    return lead, TOKEN.findall(text, len(lead))


def _same_tokens(old: list[tuple[str, str]], new: list[tuple[str, str]]) -> list[Op]:
    """Ops for tokens whose words are equal: only their whitespace may differ."""
    ops: list[Op] = []
    for (word, old_space), (_word, new_space) in zip(old, new, strict=True):
        ops.append(("equal", word))
        if old_space == new_space:
            ops.append(("equal", old_space))
        else:
            ops += [("delete", old_space), ("insert", new_space)]
    return ops


def _joined(tokens: list[tuple[str, str]]) -> str:
    return "".join(word + space for word, space in tokens)


def _common_space(old: str, new: str) -> int:
    """Length of the whitespace both texts end with, if neither is whitespace alone."""
    if not old.strip() or not new.strip():
        return 0
    common = 0
    for a, b in zip(reversed(old), reversed(new), strict=False):
        if a != b or not a.isspace():
            break
        common += 1
    return common


def _tidy(ops: Iterable[Op]) -> list[Op]:
    """Empty ops dropped; in each run of changes one deletion then one insertion; the
    whitespace both end with moved out into the following equal text."""
    result: list[Op] = []
    deleted: list[str] = []
    inserted: list[str] = []

    def flush() -> None:
        old, new = "".join(deleted), "".join(inserted)
        deleted.clear()
        inserted.clear()
        common = _common_space(old, new)
        tail = old[len(old) - common:]
        old, new = old[:len(old) - common], new[:len(new) - common]
        result.extend((op, text) for op, text in (("delete", old), ("insert", new),
                                                   ("equal", tail)) if text)

    for op, text in ops:
        if op == "delete":
            deleted.append(text)
        elif op == "insert":
            inserted.append(text)
        else:
            flush()
            result.append((op, text))
    flush()
    merged: list[Op] = []
    for op, text in result:
        if not text:
            continue
        if merged and merged[-1][0] == op:
            merged[-1] = (op, merged[-1][1] + text)
        else:
            merged.append((op, text))
    return merged


def word_diff(old: str, new: str) -> list[Op]:
    """("equal" | "delete" | "insert", text) operations turning ``old`` into ``new``."""
    old_lead, old_tokens = _tokens(old)
    new_lead, new_tokens = _tokens(new)
    ops: list[Op] = ([("equal", old_lead)] if old_lead == new_lead
                     else [("delete", old_lead), ("insert", new_lead)])
    matcher = SequenceMatcher(None, [w for w, _s in old_tokens], [w for w, _s in new_tokens],
                              autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            ops += _same_tokens(old_tokens[i1:i2], new_tokens[j1:j2])
        else:
            ops += [("delete", _joined(old_tokens[i1:i2])), ("insert", _joined(new_tokens[j1:j2]))]
    return _tidy(ops)


def visible(ops: Iterable[Op]) -> list[Op]:
    """The ops as shown: a change of whitespace alone is no change (the new spacing is kept)."""
    shown = []
    for op, text in ops:
        if not text.strip():
            if op == "delete":
                continue
            op = "equal"
        shown.append((op, text))
    return _tidy(shown)


def diff_html(ops: Iterable[Op], deleted_label: str, inserted_label: str) -> Markup:
    """The changes as HTML: <del> and <ins>, each starting with its label for screen readers
    (visually hidden); every text escaped."""
    parts = []
    for op, text in visible(ops):
        if op == "delete":
            parts.append(Markup('<del><span class="visually-hidden">{} </span>{}</del>').format(
                deleted_label, text))
        elif op == "insert":
            parts.append(Markup('<ins><span class="visually-hidden">{} </span>{}</ins>').format(
                inserted_label, text))
        else:
            parts.append(escape(text))
    return Markup("").join(parts)


def _shortened(text: str) -> str:
    """An unchanged stretch of more than LONG_STRETCH words as its first and last KEPT_WORDS
    words, with the original spacing around them."""
    words = list(WORD.finditer(text))
    if len(words) <= LONG_STRETCH:
        return text
    return text[:words[KEPT_WORDS - 1].end()] + " … " + text[words[-KEPT_WORDS].start():]


def diff_text(ops: Iterable[Op]) -> str:
    """The changes as plain text: [-deleted-] and {+inserted+}, long unchanged stretches
    shortened."""
    marks = {"delete": "[-{}-]", "insert": "{{+{}+}}"}
    return "".join(marks[op].format(text) if op in marks else _shortened(text)
                   for op, text in visible(ops))


def changed(old: str, new: str) -> bool:
    """Whether the texts differ beyond whitespace."""
    return old.split() != new.split()
