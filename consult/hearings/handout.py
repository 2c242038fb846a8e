"""The printed handout of a hearing: in each of the hearing's working languages, the
drafts' contents by clause number, and the paper comment form.

The paper form asks what a row of the offline kit's Comments sheet holds, in the kit's
column order (``kit.COLUMNS``), with the kit's own headers and lists (``column_labels``,
``kit_vocabulary``), so that a clerk types each form into a kit row as it stands. The
channel is printed, not asked: a form handed in is a written hearing comment. How the
comment may be published (the kit's last column, consent) is asked last.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import force_locale

from ..core import languages
from ..core.vocab import CHANNELS
from ..models import DocumentVersion, Hearing
from .kit import COLUMNS, column_labels, kit_vocabulary

PAPER_CHANNEL = "hearing-written"
# What a form may leave blank: the kit reads a blank as "not stated" (or, for the
# language, as the kit's language).
OPTIONAL = frozenset(("speaker", "organisation", "category", "gender", "language"))
# Written lines a field gets on paper; the comment has a box instead.
LINES = {"document": 0, "clause": 1, "speaker": 1, "organisation": 1}


def handout_languages(hearing: Hearing, page_lang: str) -> list[str]:
    """The hearing's working languages that the site speaks, the page's language first
    when it is one of them; the page's language alone when none is set."""
    working = [code for code in (hearing.languages or "").split(",")
               if code in languages.codes()]
    if not working:
        return [page_lang]
    return sorted(working, key=lambda code: code != page_lang)


@dataclass
class ContentsEntry:
    """A section of a draft and the clause numbers in it (``span``: "1–6", "" for none)."""
    level: int
    heading: str
    span: str


def clause_number(key: str) -> str:
    """A key as it reads under its own heading: an annex's clause by its number (the
    heading says which annex)."""
    return key.partition(".")[2] if key.startswith("annex-") else key


def key_span(keys: list[str]) -> str:
    if not keys:
        return ""
    first, last = clause_number(keys[0]), clause_number(keys[-1])
    return first if first == last else f"{first}–{last}"


def contents(version: DocumentVersion, lang: str) -> list[ContentsEntry]:
    """Every section of ``version`` in reading order, with the clause numbers it holds;
    clauses before the first section come first, under no heading."""
    keys: dict[int | None, list[str]] = {}
    for clause in version.clauses:
        keys.setdefault(clause.section_id, []).append(clause.key)
    entries = [ContentsEntry(1, "", key_span(keys[None]))] if keys.get(None) else []
    entries += [ContentsEntry(section.level, languages.pick(section.heading, lang)[0],
                              key_span(keys.get(section.id, [])))
                for section in version.sections]
    return entries


@dataclass
class PaperField:
    """One field of the paper form: its kit column, its label in each
    handout language, its choices (each in each language; none for a written field), and
    what is printed instead of asked."""
    column: str
    labels: list[str]
    choices: list[list[str]] = field(default_factory=list)
    printed: list[str] = field(default_factory=list)
    optional: bool = False
    lines: int = 0


def _in_languages(langs: list[str], make) -> list:
    """``make()`` evaluated in each language of ``langs``."""
    values = []
    for lang in langs:
        with force_locale(lang):
            values.append(make(lang))
    return values


def _pairs_to_choices(per_language: list[list[tuple[str, str]]]) -> list[list[str]]:
    """[(code, label)] per language -> for each code, its label in each language."""
    return [list(labels) for labels in zip(*[[label for _, label in pairs]
                                             for pairs in per_language], strict=True)]


def paper_form(langs: list[str], document_titles: list[dict[str, str]]) -> list[PaperField]:
    """The paper form's fields in the kit's column order (consent last); labels in each of
    ``langs``. ``document_titles``: the hearing's documents, each title by language."""
    headers = _in_languages(langs, lambda lang: column_labels())
    vocabularies = [kit_vocabulary(lang) for lang in langs]
    fields = []
    for column in COLUMNS:
        entry = PaperField(column, [labels[column] for labels in headers],
                           optional=column in OPTIONAL, lines=LINES.get(column, 0))
        if column == "document":
            entry.choices = [[languages.pick(titles, lang)[0] for lang in langs]
                             for titles in document_titles]
        elif column == "channel":
            entry.printed = _in_languages(langs, lambda lang: CHANNELS.label(PAPER_CHANNEL))
        elif column in vocabularies[0].labels:
            entry.choices = _pairs_to_choices([v.labels[column] for v in vocabularies])
        fields.append(entry)
    return fields
