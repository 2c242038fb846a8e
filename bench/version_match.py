"""Speed and accuracy of matching the clauses of two versions of a draft (consult.drafts.match).

Generates a programme of 300 clauses in Kyrgyz, Russian and English (sentences of 15-60
words from a small vocabulary of biodiversity terms, and short boilerplate clauses such as
"The Ministry reports annually." repeated through the text, which makes matching harder)
and a revised version with a known truth: 20% of the clauses edited (a few words replaced,
inserted or deleted, in every language), clauses inserted and deleted so that about 5% are
renumbered, and 2% split or merged. Times ``propose()`` (the first run and the best of 3)
and compares its links (old key, new key) with the truth: precision, recall, and the share
of rows whose kind is right.

    .venv/bin/python bench/version_match.py [--seed 1] [--clauses 300]

Targets: every run under 1 second (the first one too); precision and recall each at least
0.95. Links that differ from the truth are listed.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from consult.drafts.match import ClauseText, Pair, propose  # noqa: E402

LANGS = ("ky", "ru", "en")
TARGET_SECONDS, TARGET_SHARE = 1.0, 0.95
EDITED, RENUMBERED, SPLIT_OR_MERGED = 0.20, 0.05, 0.02

# Parallel vocabularies: the same index means the same thing in every language.
ACTORS = {
    "en": ("The Ministry of Natural Resources", "Local self-government bodies",
           "The State Agency for Environmental Protection", "The Forestry Service",
           "Research institutes", "Pasture committees", "The Hydrometeorological Service"),
    "ru": ("Министерство природных ресурсов", "Органы местного самоуправления",
           "Государственное агентство охраны окружающей среды", "Лесная служба",
           "Научно-исследовательские институты", "Пастбищные комитеты", "Гидрометслужба"),
    "ky": ("Жаратылыш ресурстары министрлиги", "Жергиликтүү өз алдынча башкаруу органдары",
           "Айлана-чөйрөнү коргоо мамлекеттик агенттиги", "Токой кызматы",
           "Илимий-изилдөө институттары", "Жайыт комитеттери", "Гидрометкызмат"),
}
VERBS = {
    "en": ("shall ensure the protection of", "shall monitor", "shall restore",
           "shall prepare a management plan for", "shall assess the state of",
           "shall support the sustainable use of", "shall report on", "shall map"),
    "ru": ("обеспечивают охрану", "осуществляют мониторинг", "восстанавливают",
           "разрабатывают план управления для", "оценивают состояние",
           "поддерживают устойчивое использование", "отчитываются о", "картируют"),
    "ky": ("коргоону камсыз кылат", "мониторинг жүргүзөт", "калыбына келтирет",
           "башкаруу планын иштеп чыгат", "абалына баа берет",
           "туруктуу пайдаланууну колдойт", "отчет берет", "картага түшүрөт"),
}
OBJECTS = {
    "en": ("protected areas", "snow leopard populations", "walnut-fruit forests", "pastures",
           "glaciers", "wetlands", "juniper forests", "mountain ecosystems",
           "rare plant species", "migratory birds", "river basins", "biodiversity"),
    "ru": ("охраняемых территорий", "популяций снежного барса", "орехово-плодовых лесов",
           "пастбищ", "ледников", "водно-болотных угодий", "арчовых лесов",
           "горных экосистем", "редких видов растений", "перелётных птиц", "речных бассейнов",
           "биоразнообразия"),
    "ky": ("корголуучу аймактардын", "илбирс популяцияларынын", "жаңгак-мөмө токойлорунун",
           "жайыттардын", "мөңгүлөрдүн", "суу-саздак жерлердин", "арча токойлорунун",
           "тоо экосистемаларынын", "сейрек өсүмдүк түрлөрүнүн", "көчмө куштардын",
           "дарыя бассейндеринин", "биологиялык ар түрдүүлүктүн"),
}
PLACES = {
    "en": ("in Naryn region", "in Issyk-Kul region", "in Chui region", "in Talas region",
           "in Jalal-Abad region", "in Osh region", "in Batken region",
           "throughout the republic"),
    "ru": ("в Нарынской области", "в Иссык-Кульской области", "в Чуйской области",
           "в Таласской области", "в Джалал-Абадской области", "в Ошской области",
           "в Баткенской области", "по всей республике"),
    "ky": ("Нарын облусунда", "Ысык-Көл облусунда", "Чүй облусунда", "Талас облусунда",
           "Жалал-Абад облусунда", "Ош облусунда", "Баткен облусунда", "бүт республика боюнча"),
}
TIMES = {
    "en": ("by 2030", "annually", "within two years", "before the grazing season",
           "every five years", "together with local communities", "with donor support"),
    "ru": ("до 2030 года", "ежегодно", "в течение двух лет", "до начала сезона выпаса",
           "каждые пять лет", "совместно с местными сообществами", "при поддержке доноров"),
    "ky": ("2030-жылга чейин", "жыл сайын", "эки жылдын ичинде", "жайыт мезгилине чейин",
           "ар беш жылда", "жергиликтүү жамааттар менен бирге", "донорлордун колдоосу менен"),
}
BOILERPLATE = {
    "en": ("The Ministry reports annually.", "Funding comes from the republican budget.",
           "This clause enters into force on publication."),
    "ru": ("Министерство отчитывается ежегодно.", "Финансирование из республиканского бюджета.",
           "Настоящий пункт вступает в силу со дня опубликования."),
    "ky": ("Министрлик жыл сайын отчет берет.", "Каржылоо республикалык бюджеттен.",
           "Бул пункт жарыяланган күндөн тартып күчүнө кирет."),
}
SLOTS = (ACTORS, VERBS, OBJECTS, PLACES, TIMES)


# A clause is abstract: a boilerplate index, or sentences of (actor, verb, object, place,
# time) indices, some slots None. Rendering it gives the same meaning in every language.
Sentence = tuple[int | None, ...]


@dataclass
class Draft:
    sentences: list[Sentence] | None = None
    boilerplate: int | None = None
    origin: tuple = ()  # the old clause indices it comes from
    fate: str = "same"  # as made: same, edited, new, split, merged


def render(draft: Draft, lang: str) -> str:
    if draft.boilerplate is not None:
        return BOILERPLATE[lang][draft.boilerplate]
    sentences = []
    for sentence in draft.sentences:
        actor, verb, obj, place, when = (None if k is None else slot[lang][k]
                                         for slot, k in zip(SLOTS, sentence, strict=True))
        order = ((actor, place, when, obj, verb) if lang == "ky" else
                 (actor, verb, obj, place, when))
        text = " ".join(part for part in order if part)
        sentences.append(text[0].upper() + text[1:] + ".")
    return " ".join(sentences)


def random_sentence(rng: random.Random) -> Sentence:
    return tuple(rng.randrange(len(slot["en"])) if n < 3 or rng.random() < 0.7 else None
                 for n, slot in enumerate(SLOTS))


def random_clause(rng: random.Random) -> Draft:
    if rng.random() < 0.08:
        return Draft(boilerplate=rng.randrange(len(BOILERPLATE["en"])))
    target = rng.randint(15, 60)
    sentences = [random_sentence(rng)]
    while len(render(Draft(sentences), "en").split()) < target:
        sentences.append(random_sentence(rng))
    return Draft(sentences)


def edit(draft: Draft, rng: random.Random) -> Draft:
    """A few words replaced, inserted or deleted (one slot each), the same in every
    language; always a different text."""
    sentences = [list(s) for s in draft.sentences]
    for _ in range(rng.randint(1, 1 + len(sentences) // 2)):
        sentence = rng.choice(sentences)
        n = rng.randrange(len(SLOTS))
        choices = [k for k in range(len(SLOTS[n]["en"])) if k != sentence[n]]
        if sentence[n] is None:
            sentence[n] = rng.choice(choices)  # inserted
        elif n >= 3 and rng.random() < 0.5:
            sentence[n] = None  # deleted
        else:
            sentence[n] = rng.choice(choices)  # replaced
    edited = Draft([tuple(s) for s in sentences], origin=draft.origin, fate="edited")
    return edited if render(edited, "en") != render(draft, "en") else edit(draft, rng)


def plan(old: list[Draft], rng: random.Random) -> dict[int, str]:
    """What happens where: each numbering shift (an insertion, a split) is undone 2-5 clauses
    later (a deletion, a merge), so a small share of the clauses is renumbered; some clauses
    are also replaced in place by new ones (deleted and inserted, same number)."""
    size = len(old)
    sentences = [bool(d.sentences) for d in old] + [False]
    pairs = max(1, round(size * SPLIT_OR_MERGED / 2))  # a split and a merge each
    shifts = max(1, round(size * RENUMBERED / 3.5) - pairs)
    replaced = max(1, round(size * 0.01))
    kinds = ["shift-boilerplate"] + ["shift"] * (shifts - 1) + ["split"] * pairs + [
        "replace"] * replaced
    rng.shuffle(kinds)
    span = size // len(kinds)
    events: dict[int, str] = {}
    for n, kind in enumerate(kinds):
        window = range(n * span, (n + 1) * span - 8)
        if kind == "replace":
            events[rng.choice(window)] = "replace"
            continue
        if kind == "split":
            long_ones = [i for i in window if old[i].sentences and len(old[i].sentences) > 1]
            at = rng.choice(long_ones or list(window))
            undo = next((m for m in range(at + rng.randint(2, 5), (n + 1) * span - 1)
                         if sentences[m] and sentences[m + 1]), at + 3)
            events[at], events[undo] = "split", "merge"
        else:
            at = rng.choice(window)
            events[at] = "insert-boilerplate" if kind == "shift-boilerplate" else "insert"
            events[at + rng.randint(2, 5)] = "delete"
    return events


def revise(old: list[Draft], rng: random.Random) -> list[Draft]:
    """The new version as drafts whose ``origin`` says which old clauses each comes from."""
    size, events = len(old), plan(old, rng)
    movable = [i for i in range(size) if i not in events and i - 1 not in events
               and old[i].sentences]
    edited = set(rng.sample(movable, min(len(movable), round(size * EDITED))))
    maybe_edit = (lambda d: edit(d, rng) if rng.random() < 0.5 else d)  # noqa: E731
    new: list[Draft] = []
    i = 0
    while i < size:
        event, draft = events.get(i), old[i]
        same = Draft(draft.sentences, draft.boilerplate, (i,))
        if event in ("insert", "insert-boilerplate", "replace"):
            fresh = random_clause(rng)
            if event == "insert-boilerplate":
                fresh = Draft(boilerplate=rng.randrange(len(BOILERPLATE["en"])))
            new.append(Draft(fresh.sentences, fresh.boilerplate, (), "new"))
            if event != "replace":
                new.append(same)
        elif event == "split" and draft.sentences and len(draft.sentences) > 1:
            cut = rng.randint(1, len(draft.sentences) - 1)
            for part in (draft.sentences[:cut], draft.sentences[cut:]):
                new.append(Draft(maybe_edit(Draft(part)).sentences, origin=(i,), fate="split"))
        elif event == "merge" and i + 1 < size and old[i + 1].sentences and draft.sentences:
            joined = maybe_edit(Draft(draft.sentences + old[i + 1].sentences))
            new.append(Draft(joined.sentences, origin=(i, i + 1), fate="merged"))
            i += 1
        elif event != "delete":
            new.append(edit(same, rng) if i in edited else same)
        i += 1
    return new


def clause_texts(drafts: list[Draft]) -> list[ClauseText]:
    return [ClauseText(str(n + 1), n, {lang: render(d, lang) for lang in LANGS})
            for n, d in enumerate(drafts)]


def truth(new: list[Draft]) -> list[Pair]:
    """The expected rows (similarity left 0): kinds from how each clause was made, not from
    classify(), so the benchmark checks the kinds too."""
    rows = []
    for n, draft in enumerate(new):
        key = str(n + 1)
        for i in draft.origin:
            old_key = str(i + 1)
            kind = draft.fate
            if kind in ("same", "edited"):
                kind = ("renumbered" if old_key != key else
                        "changed" if kind == "edited" else "same")
            rows.append(Pair(old_key, key, kind, 0.0))
        if not draft.origin:
            rows.append(Pair(None, key, "new", 0.0))
    return rows


def deleted(old_size: int, rows: list[Pair]) -> list[Pair]:
    kept = {row.old for row in rows}
    return [Pair(str(i + 1), None, "deleted", 0.0) for i in range(old_size)
            if str(i + 1) not in kept]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--clauses", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3, help="timed runs (best is reported)")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    old_drafts = [Draft(**{**vars(random_clause(rng)), "origin": (i,)})
                  for i in range(args.clauses)]
    new_drafts = revise(old_drafts, rng)
    old, new = clause_texts(old_drafts), clause_texts(new_drafts)
    expected = truth(new_drafts)
    expected += deleted(len(old), expected)

    times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        proposed = propose(old, new)
        times.append(time.perf_counter() - started)

    def links(rows: list[Pair]) -> set[tuple[str, str]]:
        return {(r.old, r.new) for r in rows if r.old is not None and r.new is not None}

    want, got = links(expected), links(proposed)
    precision = len(want & got) / len(got) if got else 1.0
    recall = len(want & got) / len(want) if want else 1.0
    rows_of = {(r.old, r.new): r.kind for r in proposed}
    right_kinds = sum(rows_of.get((r.old, r.new)) == r.kind for r in expected)
    kinds = Counter(r.kind for r in expected)
    print(f"seed {args.seed}: {len(old)} old and {len(new)} new clauses x {len(LANGS)} "
          f"languages; truth: " + ", ".join(f"{kinds[k]} {k}" for k in sorted(kinds)))
    print(f"  propose(): first run {times[0] * 1000:.0f} ms, best of {args.runs} "
          f"{min(times) * 1000:.0f} ms   (target < {TARGET_SECONDS * 1000:.0f} ms)")
    print(f"  links: precision {precision:.3f}, recall {recall:.3f}   "
          f"(target >= {TARGET_SHARE:.2f}); {len(got - want)} wrong, {len(want - got)} missed")
    print(f"  kinds right: {right_kinds / len(expected):.3f} of {len(expected)} rows")
    for old_key, new_key in sorted(got ^ want, key=lambda link: int(link[1] or link[0])):
        print(f"    {'extra ' if (old_key, new_key) in got else 'missed'} "
              f"{old_key} -> {new_key}")
    ok = (max(times) < TARGET_SECONDS and precision >= TARGET_SHARE
          and recall >= TARGET_SHARE)
    print("  RESULT:", "target met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
