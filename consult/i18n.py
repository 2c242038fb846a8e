"""Languages: the URL prefix picks the locale; texts kept per language fall back gracefully."""
from flask import Flask, abort, current_app, g, redirect, request, url_for
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from .config import DEFAULT_LANGUAGE, LANGUAGES, ROOT_TRANSLATIONS
from .extensions import babel
from .timeutil import utcnow

LANGUAGE_NAMES = {"ky": "Кыргызча", "ru": "Русский", "en": "English"}


def init_app(app: Flask) -> None:
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(ROOT_TRANSLATIONS)
    babel.init_app(app, locale_selector=_locale)
    app.url_value_preprocessor(_pull_lang)
    app.url_defaults(_push_lang)
    app.add_url_rule("/", "root", _root)
    from . import labels
    app.jinja_env.globals.update(
        LANGUAGES=LANGUAGES, LANGUAGE_NAMES=LANGUAGE_NAMES, switch_language_url=switch_language_url,
        current_lang=current_lang, now_utc=utcnow,
        **{name: getattr(labels, name) for name in dir(labels) if name.isupper()})
    app.jinja_env.filters.update(
        localized=localized, datetime=local_datetime, date=local_date, clause_label=clause_label)


def current_lang() -> str:
    return g.get("lang") or DEFAULT_LANGUAGE


def _locale():
    return current_lang()


def _pull_lang(endpoint, values):
    if values and "lang" in values:
        lang = values.pop("lang")
        if lang not in LANGUAGES:
            abort(404)
        g.lang = lang


def _push_lang(endpoint, values):
    if "lang" not in values and current_app.url_map.is_endpoint_expecting(endpoint, "lang"):
        values["lang"] = current_lang()


def _root():
    """Send a visitor to the notice in the browser's preferred language."""
    lang = request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE)
    return redirect(url_for("drafts.notice", lang=lang))


def switch_language_url(lang: str) -> str:
    """The current page in another language, query string kept."""
    if request.endpoint is None or request.url_rule is None or not \
            current_app.url_map.is_endpoint_expecting(request.endpoint, "lang"):
        return url_for("drafts.notice", lang=lang)
    args = dict(request.view_args or {})
    args.update(request.args.to_dict())
    args["lang"] = lang
    return url_for(request.endpoint, **args)


def pick(texts: dict | None, lang: str | None = None) -> tuple[str, str]:
    """The text for ``lang`` from a per-language mapping, else the first available.

    Returns ``(text, language_it_is_in)`` so a page can say when it fell back.
    """
    lang = lang or current_lang()
    texts = texts or {}
    if texts.get(lang):
        return texts[lang], lang
    for other in (DEFAULT_LANGUAGE, "ru", "en"):
        if texts.get(other):
            return texts[other], other
    return "", lang


def localized(texts: dict | None, lang: str | None = None):
    """Jinja filter: the text for the page's language (HTML already sanitised stays HTML)."""
    return pick(texts, lang)[0]


def clause_label(key: str) -> str:
    """How a clause key reads to people: ``annex-1.3`` is clause 3 of annex 1."""
    if key.startswith("annex-"):
        annex, _, number = key[len("annex-"):].partition(".")
        return str(_l("Annex %(annex)s, %(number)s", annex=annex, number=number))
    return key


def local_datetime(value, fmt: str = "medium"):
    """Jinja filter: a naive-UTC time in Asia/Bishkek, in the page's locale."""
    if value is None:
        return ""
    return format_datetime(value, fmt)


def local_date(value, fmt: str = "long"):
    if value is None:
        return ""
    return format_date(value, fmt)


def html(texts: dict | None, lang: str | None = None) -> Markup:
    """Sanitised-at-import HTML kept per language, marked safe for templates."""
    return Markup(pick(texts, lang)[0])


__all__ = ["init_app", "pick", "localized", "html", "current_lang", "get_locale"]
