"""The page's language: the URL prefix picks the locale; Jinja helpers for texts and codes.

Which languages exist is decided in ``core.languages``; the labels of codes in
``core.vocab``. This module only binds them to requests and templates.
"""
from __future__ import annotations

import os

from flask import Flask, abort, current_app, g, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from .core import formats, languages, vocab
from .core.time import utcnow
from .extensions import babel


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=current_lang)
    app.url_value_preprocessor(_pull_lang)
    app.url_defaults(_push_lang)
    app.add_url_rule("/", "root", _root)
    app.jinja_env.globals.update(
        languages=languages.codes, language_name=languages.name,
        switch_language_url=switch_language_url, current_lang=current_lang, now_utc=utcnow,
        **{name: value for name, value in vars(vocab).items()
           if isinstance(value, vocab.Vocabulary)})
    app.jinja_env.filters.update(
        localized=localized, datetime=local_datetime, date=local_date, isotime=formats.machine,
        clause_label=clause_label)


def current_lang() -> str:
    return g.get("lang") or languages.default()


def cli_language() -> None:
    """Messages in the terminal's language when it is one of ours, else English."""
    lang = (os.environ.get("CONSULT_LANG") or os.environ.get("LANG") or "en")[:2]
    g.lang = lang if lang in languages.codes() else "en"


def _pull_lang(endpoint, values):
    if values and "lang" in values:
        lang = values.pop("lang")
        if lang not in languages.codes():
            abort(404)
        g.lang = lang


def _push_lang(endpoint, values):
    if "lang" not in values and current_app.url_map.is_endpoint_expecting(endpoint, "lang"):
        values["lang"] = current_lang()


def _root():
    """Send a visitor to the notice in the browser's preferred language."""
    lang = request.accept_languages.best_match(languages.codes(), default=languages.default())
    return redirect(url_for("drafts.notice", lang=lang))


# Query parameters a page's address may carry into another language. Anything else a
# visitor adds (``_external``, ``_scheme``, ``_method``, a view argument such as ``slug``)
# would be read by url_for as an instruction: it is dropped.
KEPT_QUERY = frozenset(("page", "compare", "version", "doc", "state", "clause", "channel",
                        "hearing", "category", "status", "unanswered", "document", "public",
                        "action", "object_type"))


def switch_language_url(lang: str) -> str:
    """The current page in another language: the endpoint's own arguments and the
    query parameters of ``KEPT_QUERY``, nothing else."""
    if request.endpoint is None or request.url_rule is None or not \
            current_app.url_map.is_endpoint_expecting(request.endpoint, "lang"):
        return url_for("drafts.notice", lang=lang)
    own = request.url_rule.arguments
    query = {name: value for name, value in request.args.items()
             if name in KEPT_QUERY and name not in own}
    return url_for(request.endpoint, **{**query, **(request.view_args or {}), "lang": lang})


def pick(texts: dict | None, lang: str | None = None) -> tuple[str, str]:
    """The text in the page's language (or ``lang``), else by the fallback order:
    ``(text, language it is in)``."""
    return languages.pick(texts, lang or current_lang())


def localized(texts: dict | None, lang: str | None = None):
    """Jinja filter: the text for the page's language (HTML already sanitised stays HTML)."""
    return pick(texts, lang)[0]


def html(texts: dict | None, lang: str | None = None) -> Markup:
    """Sanitised-at-import HTML kept per language, marked safe for templates."""
    return Markup(pick(texts, lang)[0])


def clause_label(key: str) -> str:
    """How a clause key reads to people: ``annex-1.3`` is clause 3 of annex 1."""
    if key and key.startswith("annex-"):
        annex, _, number = key[len("annex-"):].partition(".")
        return str(_l("Annex %(annex)s, %(number)s", annex=annex, number=number))
    return key


# A template asks for a date or a time ``short`` (numeric: tables, lists, meta lines) or
# ``long`` (the month by name: a date in a sentence); core.formats says how each reads.
LENGTHS = {"short": (formats.DATE, formats.DATETIME),
           "long": (formats.LONG_DATE, formats.LONG_DATETIME)}


def _named(length: str, with_time: bool) -> str:
    if length not in LENGTHS:
        raise ValueError(f"date length {length!r}: say 'short' or 'long'")
    return LENGTHS[length][with_time]


def local_datetime(value, length: str = "short") -> str:
    """Jinja filter: a stored time, in Asia/Bishkek, in the language being rendered."""
    return formats.current(value, _named(length, True))


def local_date(value, length: str = "short") -> str:
    """Jinja filter: the date of a stored time (or a calendar date) in the language
    being rendered."""
    return formats.current(value, _named(length, False))
