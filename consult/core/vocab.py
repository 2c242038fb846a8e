"""Every code list, declared once with its translated labels.

Codes are what the database, the API and uploaded files hold; labels are what people
read, in the language of the page or the export. Form choices, validators, templates,
the workbook lists and the OpenAPI enums are all derived from these vocabularies, so a
code added here appears everywhere at once.

A ``Vocabulary`` is a read-only mapping ``code -> lazy label`` (iterating gives the
codes), with helpers for forms and uploads. Some terms carry attributes that other
modules ask about (``CHANNELS.where(hearing=True)``) instead of listing codes again.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Term:
    code: str
    label: object  # a lazy string: rendered in the locale in force when shown
    attrs: dict = field(default_factory=dict)


class Vocabulary(Mapping):
    """An ordered list of codes with labels; see the module docstring."""

    def __init__(self, name: str, terms: list[Term]):
        self.name = name
        self._terms = {term.code: term for term in terms}

    def __getitem__(self, code: str):
        return self._terms[code].label

    def __iter__(self) -> Iterator[str]:
        return iter(self._terms)

    def __len__(self) -> int:
        return len(self._terms)

    def __repr__(self) -> str:
        return f"Vocabulary({self.name!r}, {list(self._terms)!r})"

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(self._terms)

    def label(self, code: str | None) -> str:
        """The label in the current locale; an unknown code is shown as it is."""
        term = self._terms.get(code or "")
        return str(term.label) if term is not None else (code or "")

    def attr(self, code: str, name: str, default=None):
        term = self._terms.get(code)
        return term.attrs.get(name, default) if term is not None else default

    def where(self, **attrs) -> Vocabulary:
        """The terms whose attributes have these values, as a vocabulary of their own."""
        chosen = [t for t in self._terms.values()
                  if all(t.attrs.get(k) == v for k, v in attrs.items())]
        return Vocabulary(self.name, chosen)

    def choices(self, blank=None) -> list[tuple[str, object]]:
        """(code, label) pairs, an optional blank first (forms wrap them: consult.forms)."""
        pairs = [(code, term.label) for code, term in self._terms.items()]
        return [("", blank)] + pairs if blank is not None else pairs

    def labels_in(self, lang: str) -> dict[str, str]:
        """Every label rendered in ``lang`` (once, not per row of an export)."""
        with force_locale(lang):
            return {code: str(term.label) for code, term in self._terms.items()}

    def reader(self, languages) -> dict[str, str]:
        """What a person may type for each code in an uploaded file: the code itself or
        its label in any of ``languages``, compared case-insensitively."""
        accepted = {code.casefold(): code for code in self._terms}
        for lang in languages:
            for code, label in self.labels_in(lang).items():
                accepted.setdefault(" ".join(label.split()).casefold(), code)
        return accepted


def _vocab(name: str, *terms: tuple) -> Vocabulary:
    return Vocabulary(name, [Term(code, label, attrs[0] if attrs else {})
                             for code, label, *attrs in terms])


# How a comment reached the register. ``public``: sent by the commenter through the
# site, refused outside the period; ``hearing``: said or handed in at a hearing (needs
# the hearing); ``letter``: arrived by e-mail or post, kept and marked when late.
CHANNELS = _vocab(
    "channel",
    ("online", _l("Online"), {"public": True}),
    ("hearing-oral", _l("Hearing (oral)"), {"hearing": True}),
    ("hearing-written", _l("Hearing (written)"), {"hearing": True}),
    ("email", _l("E-mail"), {"letter": True}),
    ("post", _l("Post"), {"letter": True}),
    ("form-import", _l("Online form (imported)"), {"imported": True}),
)
CATEGORIES = _vocab(
    "category",
    ("individual", _l("Individual")),
    ("ngo", _l("Non-governmental organisation")),
    ("academic", _l("Scientific or academic")),
    ("business", _l("Business")),
    ("local-government", _l("Local self-government")),
    ("state-body", _l("State body")),
    ("international", _l("International organisation")),
    ("other", _l("Other")),
)
REGIONS = _vocab(
    "region",
    ("bishkek", _l("Bishkek city")),
    ("osh-city", _l("Osh city")),
    ("batken", _l("Batken oblast")),
    ("chui", _l("Chui oblast")),
    ("issyk-kul", _l("Issyk-Kul oblast")),
    ("jalal-abad", _l("Jalal-Abad oblast")),
    ("naryn", _l("Naryn oblast")),
    ("osh", _l("Osh oblast")),
    ("talas", _l("Talas oblast")),
)
GENDERS = _vocab(
    "gender",
    ("female", _l("Female")),
    ("male", _l("Male")),
    ("unstated", _l("Prefer not to say")),
)
CONSENTS = _vocab(
    "consent",
    ("full", _l("Publish my comment with my name")),
    ("anonymous", _l("Publish my comment without my name")),
    ("none", _l("Do not publish the text of my comment")),
)
# Moderation states. ``public``: the text may be shown (subject to consent).
STATES = _vocab(
    "state",
    ("new", _l("Awaiting moderation")),
    ("published", _l("Published"), {"public": True}),
    ("hidden", _l("Hidden")),
    ("withdrawn", _l("Withdrawn")),
)
HIDE_REASONS = _vocab(
    "hide_reason",
    ("personal-data", _l("Third-party personal data")),
    ("abuse", _l("Abuse")),
    ("spam", _l("Spam")),
    ("duplicate", _l("Exact duplicate")),
    ("withdrawn", _l("Withdrawn by the author")),
    ("off-topic", _l("Off-topic (forwarded)")),
)
# Why a text is not public, beyond the moderators' hide reasons (comments.public decides).
WITHHELD = _vocab(
    "withheld",
    ("hidden", _l("Text not published: hidden by the moderators")),
    ("no-consent", _l("Text not published at the author's request")),
    ("not-moderated", _l("Text not published: not yet moderated")),
)
# Response statuses (Aarhus Art. 6(8)). ``rationale``: must say why; ``change``: must
# say what changes in the revised draft ("no change" is an answer).
STATUSES = _vocab(
    "status",
    ("accepted", _l("Accepted"), {"change": True}),
    ("partly-accepted", _l("Partly accepted"), {"rationale": True, "change": True}),
    ("not-accepted", _l("Not accepted"), {"rationale": True}),
    ("noted", _l("Noted")),
    ("out-of-scope", _l("Out of scope (forwarded)"), {"rationale": True}),
)
ROLES = _vocab(
    "role",
    ("admin", _l("Administrator")),
    ("moderator", _l("Moderator")),
    ("drafter", _l("Drafter")),
    # A lead drafter is a drafter who also assigns the work and approves answers.
    ("lead", _l("Lead drafter"), {"includes": ("drafter",)}),
)
KINDS = _vocab(
    "kind",
    ("programme", _l("Programme")),
    ("action-plan", _l("Action plan")),
)
FORMATS = _vocab(
    "format",
    ("in-person", _l("In person")),
    ("online", _l("Online")),
    ("hybrid", _l("In person and online")),
)
HEARING_STATUSES = _vocab(
    "hearing_status",
    ("planned", _l("Planned")),
    ("held", _l("Held")),
    ("cancelled", _l("Cancelled")),
)
# Files kept with a hearing record (staff only, never public). ``personal``: holds people's
# names and signatures, for those who keep the hearing records only.
HEARING_FILE_KINDS = _vocab(
    "hearing_file",
    ("minutes", _l("Signed minutes")),
    ("sign-in", _l("Sign-in sheet"), {"personal": True}),
    ("other", _l("Other")),
)

# Where a consultation stands (Aarhus Art. 6 and 7), in order; consult.core.consultation
# decides, from the dates and from the admins' explicit actions.
PHASES = _vocab(
    "phase",
    ("preparation", _l("In preparation")),
    ("announced", _l("Announced")),
    ("open", _l("Open for comments")),
    ("closed", _l("Closed for comments")),
    ("answering", _l("Comments being answered")),
    ("published", _l("Results published")),
    ("decided", _l("Decision taken")),
)

# How a clause of a revised version relates to the previous version's (drafts.match).
CHANGE_KINDS = _vocab(
    "change",
    ("same", _l("Unchanged")),
    ("changed", _l("Changed")),
    ("renumbered", _l("Renumbered")),
    ("split", _l("Split")),
    ("merged", _l("Merged")),
    ("new", _l("New")),
    ("deleted", _l("Deleted")),
)

ALL = (CHANNELS, CATEGORIES, REGIONS, GENDERS, CONSENTS, STATES, HIDE_REASONS, WITHHELD,
       STATUSES, ROLES, KINDS, FORMATS, HEARING_STATUSES, HEARING_FILE_KINDS, PHASES,
       CHANGE_KINDS)
