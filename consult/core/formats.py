"""How dates and times read, per language: the named formats every page, file and
message uses, declared here once.

- ``DATE``: ``30.11.2026`` (ky, ru), ``30 Nov 2026`` (en): tables, lists, file cells
  written as text.
- ``DATETIME``: the date and ``22:00``, 24-hour, no seconds.
- ``LONG_DATE``: the month by name, for a date standing in a sentence:
  ``2026-жылдын 30-ноябры``, ``30 ноября 2026 г.``, ``30 November 2026``.
- ``LONG_DATETIME``: the long date and the time.

Times are shown in Asia/Bishkek (``core.time``); the zone is said once where it matters
(a page's footer, next to a period), never after each time, so no format carries an
offset. A language without its own entry in ``STYLES`` (``LANGUAGES`` is configurable)
gets day.month.year and the long date Unicode CLDR gives it through Babel.

``machine`` writes the value of an HTML ``datetime`` attribute: UTC to the minute.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from babel.dates import format_date, format_time
from flask_babel import get_locale

from . import languages
from .time import to_local

DATE = "date"
DATETIME = "datetime"
LONG_DATE = "long-date"
LONG_DATETIME = "long-datetime"
NAMES = (DATE, DATETIME, LONG_DATE, LONG_DATETIME)

TIME = "HH:mm"

# The month after a day in a Kyrgyz date is possessive ("2026-жылдын 30-ноябры", as laws
# and decrees write it); CLDR has only the nominative ("ноябрь"), so the forms are here.
KYRGYZ_MONTHS = ("январы", "февралы", "марты", "апрели", "майы", "июну", "июлу",
                 "августу", "сентябры", "октябры", "ноябры", "декабры")


def kyrgyz_long_date(day: date) -> str:
    return f"{day.year}-жылдын {day.day}-{KYRGYZ_MONTHS[day.month - 1]}"


@dataclass(frozen=True)
class Style:
    """One language's formats: Babel (CLDR) patterns, or a function where CLDR has no
    pattern for the form the language needs."""
    date: str
    long_date: str | Callable[[date], str]
    joiner: str = ", "  # between a date and its time


STYLES = {
    "ky": Style(date="dd.MM.y", long_date=kyrgyz_long_date),
    # A no-break space keeps "2026 г." on one line.
    "ru": Style(date="dd.MM.y", long_date="d MMMM y\u00a0'г'."),
    "en": Style(date="d MMM y", long_date="d MMMM y"),
}
OTHER = Style(date="dd.MM.y", long_date="long")


def style(lang: str) -> Style:
    return STYLES.get(lang, OTHER)


def local(value: date | datetime) -> date | datetime:
    """A stored time (naive UTC) as Asia/Bishkek time; a calendar date as it is."""
    return to_local(value) if isinstance(value, datetime) else value


def text(value: date | datetime | None, name: str, lang: str) -> str:
    """``value`` in the named format ``name`` in ``lang``; "" for None. A ``datetime``
    is a stored time (naive UTC); a ``date`` is a calendar date (no zone)."""
    if value is None:
        return ""
    if name not in NAMES:
        raise ValueError(f"unknown date format {name!r}; the formats are {NAMES}")
    when, chosen = local(value), style(lang)
    if name in (DATE, DATETIME):
        day = format_date(when, chosen.date, locale=lang)
    elif callable(chosen.long_date):
        day = chosen.long_date(when)
    else:
        day = format_date(when, chosen.long_date, locale=lang)
    if name in (DATE, LONG_DATE) or not isinstance(when, datetime):
        return day
    return day + chosen.joiner + format_time(when, TIME, locale=lang)


def current(value: date | datetime | None, name: str) -> str:
    """``text`` in the language being rendered: a page's, or the one a file or message is
    made in (``force_locale``); outside both, the site's first language."""
    locale = get_locale()
    return text(value, name, str(locale) if locale is not None else languages.default())


def machine(value: date | datetime | None) -> str:
    """The value of an HTML ``datetime`` attribute: ``2026-11-30T16:00Z`` (UTC, to the
    minute) for a stored time, ``2026-11-30`` for a calendar date."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%MZ")
    return value.isoformat()
