"""Whole public pages kept per worker for anonymous readers.

A document or clause page depends on its URL, the document's version and
``public_revision`` (bumped whenever its public comments change) and the consultation's
phase (not yet open, open, closed). The only per-visitor part is the CSRF token in the
comment form: the stored copy is cut where the token stood, and the visitor's own token
is put there on the way out. Signed-in staff, POSTs and pages carrying a flash message are rendered
afresh.
"""
from __future__ import annotations

from collections import OrderedDict
from datetime import datetime

from flask import Response, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

class PageCache:
    def __init__(self, size: int):
        self.size = size
        # Kept encoded and cut at the CSRF token: serving a hit is joining three byte strings.
        self._pages: OrderedDict[tuple, tuple[bytes, bytes | None]] = OrderedDict()

    def get(self, key: tuple) -> Response | None:
        """The page for this visitor, or None when it must be rendered."""
        page = self._pages.get(key)
        if page is None:
            return None
        self._pages.move_to_end(key)
        head, tail = page
        body = head if tail is None else b"".join((head, generate_csrf().encode(), tail))
        return Response(body, content_type="text/html; charset=utf-8")

    def put(self, key: tuple, html: str) -> None:
        """Keep a page rendered for this request, cut where its CSRF token stands."""
        head, token, tail = html.partition(generate_csrf())
        self._pages[key] = (head.encode(), tail.encode()) if token else (html.encode(), None)
        while len(self._pages) > self.size:
            self._pages.popitem(last=False)

    def clear(self) -> None:
        self._pages.clear()


def cacheable() -> bool:
    """Whether this request may be answered from, and its page kept in, the cache."""
    return (request.method == "GET" and not current_user.is_authenticated
            and "_flashes" not in session)


def phase(opens_at: datetime | None, closes_at: datetime | None, now: datetime) -> str:
    """Where the consultation stands: its pages differ before, during and after the period."""
    if not opens_at or not closes_at:
        return "unset"
    if now < opens_at:
        return "before"
    return "open" if now < closes_at else "after"
