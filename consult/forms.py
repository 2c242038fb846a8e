"""What every form shares: choices from the vocabularies and languages, one validator.

Choices are built when a form is made (callables), not when this module is imported, so
the languages of the application in hand are offered (``core.languages``).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

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
