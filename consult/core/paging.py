"""Page numbers from URLs, and the page of a list they give.

A page number is a whole number from 1 to ``MAX_PAGE``: anything else in the URL
(letters, zero, ``9223372036854775808``) is a page that does not exist, never an
overflow in the database's OFFSET.
"""
from __future__ import annotations

from dataclasses import dataclass

MAX_PAGE = 1_000_000


def page_number(raw: str | None) -> int | None:
    """The page asked for: 1 when not given, None when not a page number at all."""
    if raw is None or raw == "":
        return 1
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 7:
        return None
    number = int(raw)
    return number if 1 <= number <= MAX_PAGE else None


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
