"""What every form shares: choices from the vocabularies and languages, one validator.

Choices are built when a form is made (callables), not when this module is imported, so
the languages of the application in hand are offered (``core.languages``).
"""
from __future__ import annotations

from functools import lru_cache

from flask_babel import lazy_gettext as _l
from wtforms import Field, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from .core import languages
from .core.vocab import Vocabulary


def choices_of(vocabulary: Vocabulary, blank=None, only=None) -> list[SelectChoice]:
    """(code, label) choices of a vocabulary (``only``: a subset of its codes)."""
    return [SelectChoice(code, label) for code, label in vocabulary.choices(blank)
            if only is None or code in only or code == ""]


def language_choices() -> list[SelectChoice]:
    """The application's languages, each by its own name."""
    return [SelectChoice(code, languages.name(code)) for code in languages.codes()]


class Listed:
    """Accept only one of the field's own choices (WTForms's built-in check has no
    Kyrgyz message: this one says what to do, translated)."""

    def __init__(self, message=None):
        self.message = message or _l("Choose one of the listed values.")

    def __call__(self, form, field) -> None:
        allowed = {str(choice[0]) if isinstance(choice, tuple) else str(choice.value)
                   for choice in (field.choices() if callable(field.choices)
                                  else field.choices or [])}
        values = field.data if isinstance(field.data, list) else [field.data]
        if any(str(value) not in allowed for value in values if value is not None):
            raise ValidationError(self.message)


def localized_fields(prefix: str, label, field=StringField, max_length: int = 2000,
                     required=(), required_message=None) -> dict[str, Field]:
    """One field per language of the application, named ``<prefix>_<code>`` and labelled
    "<label> (<language's own name>)"; those in ``required`` must be filled."""
    fields = {}
    for code in languages.codes():
        validators = [Length(max=max_length, message=_l("Too long."))]
        if code in required:
            validators.insert(0, DataRequired(message=required_message or _l("Fill this in.")))
        fields[localized_name(prefix, code)] = field(
            _l("%(label)s (%(language)s)", label=label, language=languages.name(code)),
            validators=validators)
    return fields


def localized_name(prefix: str, code: str) -> str:
    """The name of a per-language field (``city_ky``)."""
    return f"{prefix}_{code}"


def localized_values(form, prefix: str) -> dict[str, str]:
    """``{language: text}`` of the filled per-language fields of ``prefix``."""
    values = {code: (form[localized_name(prefix, code)].data or "").strip()
              for code in languages.codes() if localized_name(prefix, code) in form}
    return {code: text for code, text in values.items() if text}


def fill_localized(form, prefix: str, texts: dict | None) -> None:
    for code in languages.codes():
        if localized_name(prefix, code) in form:
            form[localized_name(prefix, code)].data = (texts or {}).get(code, "")


def per_languages(build):
    """Decorator for a function that builds a form class from the application's languages:
    the class is made once per set of languages, and each call makes a form of it."""
    make = lru_cache(maxsize=8)(lambda codes: build())

    def form(*args, **kwargs):
        return make(languages.codes())(*args, **kwargs)
    form.__doc__ = build.__doc__
    return form
