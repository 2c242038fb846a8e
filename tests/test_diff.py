"""Word-level differences (consult.drafts.diff): exact round trips, HTML and spreadsheet text."""
import random

import pytest
from markupsafe import Markup

from consult.drafts.diff import changed, diff_html, diff_text, word_diff

CASES = [
    ("", ""),
    ("", "New text."),
    ("Old text.", ""),
    ("Same text.", "Same text."),
    ("The forests.", "The forests and lakes."),
    ("a b c", "x y c"),
    ("a  b\n", "a b"),
    ("  leading space", "leading space  "),
    ("Охрана пастбищ, лесов и ледников.", "Охрана пастбищ и ледников; мониторинг."),
    ("Жайыттарды коргоо\nжана калыбына келтирүү.", "Жайыттарды   коргоо жана калыбына."),
    ("x<y & z", "x>y && z"),
    ("1.2.3 (a)-(b)", "1.2.4 (a)–(c)"),
    ("\t\n", " "),
]


def sides(ops: list[tuple[str, str]]) -> tuple[str, str]:
    old = "".join(text for op, text in ops if op in ("equal", "delete"))
    new = "".join(text for op, text in ops if op in ("equal", "insert"))
    return old, new


def well_formed(ops: list[tuple[str, str]]) -> bool:
    """Known ops, no empty text, no two equal ops in a row, no insertion before a deletion."""
    kinds = [op for op, _text in ops]
    steps = list(zip(kinds, kinds[1:], strict=False))
    return (set(kinds) <= {"equal", "delete", "insert"} and all(text for _op, text in ops)
            and all(a != b for a, b in steps) and ("insert", "delete") not in steps)


@pytest.mark.parametrize(("old", "new"), CASES)
def test_round_trip_explicit(old, new):
    ops = word_diff(old, new)
    assert sides(ops) == (old, new)
    assert well_formed(ops)


def random_text(rng: random.Random) -> str:
    pieces = ["пастбища", "forests", "жайыт", "a", "B", "2030", ",", ".", ";", "-", "«", "»",
              " ", " ", " ", "  ", "\n", "\t", "&", "<"]
    return "".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))


def mutate(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    for _ in range(rng.randint(0, 4)):
        at = rng.randint(0, len(words))
        action = rng.choice(("insert", "delete", "replace"))
        if action == "insert" or not words:
            words.insert(at, random_text(rng)[:8])
        elif action == "delete":
            words.pop(min(at, len(words) - 1))
        else:
            words[min(at, len(words) - 1)] = random_text(rng)[:6]
    return " ".join(words)


def test_round_trip_random():
    rng = random.Random(20261202)
    for _ in range(500):
        old = random_text(rng)
        new = mutate(old, rng) if rng.random() < 0.8 else random_text(rng)
        ops = word_diff(old, new)
        assert sides(ops) == (old, new), (old, new, ops)
        assert well_formed(ops), ops


def test_only_the_changed_word_is_marked():
    assert word_diff("The Ministry reports annually.", "The Ministry reports quarterly.") == [
        ("equal", "The Ministry reports "), ("delete", "annually"), ("insert", "quarterly"),
        ("equal", ".")]


def test_changed_punctuation_alone_is_marked_alone():
    assert word_diff("forests, pastures", "forests; pastures") == [
        ("equal", "forests"), ("delete", ","), ("insert", ";"), ("equal", " pastures")]


def test_html_escapes_texts_and_labels():
    ops = word_diff("<script>alert(1)</script> & pastures", "<b>bold</b> && pastures")
    html = diff_html(ops, "deleted <i>&", "inserted <script>")
    assert isinstance(html, Markup)
    assert "<script>" not in html and "<b>" not in html and "<i>" not in html
    assert "&lt;script&gt;" in html and "&amp;" in html
    assert '<del><span class="visually-hidden">deleted &lt;i&gt;&amp; </span>' in html
    assert '<ins><span class="visually-hidden">inserted &lt;script&gt; </span>' in html


def test_html_says_changes_in_words_and_keeps_deletion_and_insertion_apart():
    html = diff_html(word_diff("Pastures are restored.", "Forests are restored."),
                     "deleted", "inserted")
    assert html == Markup(
        '<del><span class="visually-hidden">deleted </span>Pastures</del>'
        '<ins><span class="visually-hidden">inserted </span>Forests</ins> are restored.')


def test_html_of_unchanged_text_and_of_whitespace_changes_has_no_marks():
    assert diff_html(word_diff("Same text.", "Same text."), "d", "i") == "Same text."
    html = diff_html(word_diff("a  b\nc", "a b c"), "d", "i")
    assert "<del>" not in html and "<ins>" not in html
    assert html == "a b c"


def test_text_marks_deletions_and_insertions():
    ops = word_diff("Pastures are restored yearly.", "Forests are restored.")
    assert diff_text(ops) == "[-Pastures-]{+Forests+} are restored[- yearly-]."


def test_text_shortens_long_unchanged_stretches():
    words = " ".join(f"w{n}" for n in range(1, 21))  # 20 words
    ops = word_diff(f"Old {words} end.", f"New {words} end.")
    assert diff_text(ops) == "[-Old-]{+New+} w1 w2 w3 w4 w5 … w17 w18 w19 w20 end."


def test_text_keeps_stretches_of_twelve_words():
    words = " ".join(f"w{n}" for n in range(1, 12))  # 11 words and "end."
    ops = word_diff(f"Old {words} end.", f"New {words} end.")
    assert diff_text(ops) == f"[-Old-]{{+New+}} {words} end."


def test_changed_ignores_whitespace_only():
    assert not changed("Pastures  are\nrestored. ", " Pastures are restored.")
    assert changed("Pastures are restored.", "Pastures are Restored.")
    assert changed("Pastures are restored.", "Pastures are restored")
    assert not changed("", "  ")
