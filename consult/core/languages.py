"""Which languages the site speaks, what they are called, and which text stands in for which.

Decided here and nowhere else. The list comes from the ``LANGUAGES`` setting (the
environment variable of that name, e.g. ``ky,ru,en,uz``); its order is the fallback
order, so the first language is the default (Kyrgyz, the state language). Adding a
language is configuration, its catalog in ``translations/`` and its draft files: names
come from the Unicode CLDR data Babel ships, never from a list kept here.

``REQUIRED_LANGUAGES`` (default Kyrgyz and Russian, the state and the official language)
are those a notice must be complete in before a consultation opens.
"""
from __future__ import annotations

from functools import lru_cache

from babel import Locale, UnknownLocaleError
from flask import current_app, has_app_context

DEFAULT_LANGUAGES = ("ky", "ru", "en")
DEFAULT_REQUIRED = ("ky", "ru")


def parse_setting(value: str | None, default: tuple[str, ...]) -> tuple[str, ...]:
    """``"ky, ru,en"`` -> ("ky", "ru", "en"); unknown or repeated codes refused."""
    if not value:
        return default
    codes: list[str] = []
    for raw in value.replace(";", ",").split(","):
        code = raw.strip().lower()
        if not code or code in codes:
            continue
        try:
            Locale.parse(code)
        except (ValueError, UnknownLocaleError):
            raise ValueError(f"LANGUAGES: {code!r} is not a language code") from None
        codes.append(code)
    return tuple(codes) or default


def codes() -> tuple[str, ...]:
    """The site's languages in fallback order (the application's, outside one the default)."""
    if has_app_context():
        return current_app.config["LANGUAGES"]
    return DEFAULT_LANGUAGES


def default() -> str:
    return codes()[0]


def required() -> tuple[str, ...]:
    """The languages a notice must be complete in."""
    if has_app_context():
        return current_app.config["REQUIRED_LANGUAGES"]
    return DEFAULT_REQUIRED


@lru_cache(maxsize=64)
def name(code: str) -> str:
    """The language's own name for itself, as a language switcher shows it ("Кыргызча")."""
    try:
        native = Locale.parse(code).get_display_name(code) or code
    except (ValueError, UnknownLocaleError):
        return code
    return native[:1].upper() + native[1:]


def names() -> dict[str, str]:
    return {code: name(code) for code in codes()}


def fallback(lang: str) -> list[str]:
    """``lang`` first, then the others in the configured order."""
    return [lang] + [code for code in codes() if code != lang]


def pick(texts: dict | None, lang: str) -> tuple[str, str]:
    """The text for ``lang`` from a per-language mapping, else the first available in the
    fallback order (else any). Returns ``(text, language it is in)`` so a page can say
    when it fell back."""
    texts = texts or {}
    for code in fallback(lang):
        if texts.get(code):
            return texts[code], code
    for code, text in texts.items():
        if text:
            return text, code
    return "", lang
