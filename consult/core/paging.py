"""Numbers people put in URLs and forms (page numbers, ids), and the page of a list.

A page number is a whole number from 1 to ``MAX_PAGE`` and an id one from 1 to ``MAX_ID``
(a PostgreSQL integer): anything else (letters, ``²``, zero, ``9223372036854775808``) is
a page or a record that does not exist, never an overflow in the database.
"""
from __future__ import annotations

from dataclasses import dataclass

from werkzeug.routing import IntegerConverter

MAX_PAGE = 1_000_000
MAX_ID = 2**31 - 1


def whole_number(raw: str | None, high: int) -> int | None:
    """``raw`` as a whole number from 1 to ``high``, else None (ASCII digits only)."""
    if not raw or not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(high)):
        return None
    number = int(raw)
    return number if 1 <= number <= high else None


def page_number(raw: str | None) -> int | None:
    """The page asked for: 1 when not given, None when not a page number at all."""
    if raw is None or raw == "":
        return 1
    return whole_number(raw, MAX_PAGE)


def record_id(raw: str | None) -> int | None:
    """An id typed or posted (a form's hidden field, a filter): None when it cannot be one."""
    return whole_number(raw, MAX_ID)


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: an id beyond what the database holds is not found."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 (werkzeug's signature)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


@dataclass(frozen=True)
class Page:
    """Page ``number`` (from 1) of ``total`` items, ``per_page`` at a time."""
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.per_page

    @property
    def exists(self) -> bool:
        return 1 <= self.number <= self.pages

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.pages else None

    def clamped(self) -> Page:
        """The nearest page that exists (for lists where a stale link should still land)."""
        return Page(min(max(self.number, 1), self.pages), self.per_page, self.total)
