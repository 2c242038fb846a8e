"""When a cached page changes: decided here, for every worker and every page.

Two mechanisms, both in this module:

1. **The public revision of a document.** ``Document.public_revision`` goes up by itself
   whenever something a public page shows about the document's comments changes: a
   comment recorded in a public state (one waiting for moderation shows nowhere) or edited,
   its moderation state, its answer, its duplicate group, or
   the publication of the consultation's results. SQLAlchemy events below watch every
   flush (and every bulk statement) of those tables, so no caller has to remember it.
   Cache keys include the revision; a stale page is never served, in any process.

2. **In-process caches**, all made through ``lru()`` (cachetools LRU caches behind a
   lock: gunicorn's threaded workers share them), so that ``clear_all()`` empties every
   one in one call (tests do).

``PageCache`` keeps whole anonymous pages, the same bytes for every reader. A page's
validator (its ETag, ``page_validator()``) is a digest of its key and of the build that
renders it (code, templates, catalogs, static files, settings): the same in every worker
and app server, known before anything is rendered. ``consult.delivery`` answers a
matching ``If-None-Match`` with ``304 Not Modified`` and lets shared caches keep the page;
nginx confirming the copy it keeps costs one light query, even in a worker that has not
rendered the page yet (after a restart, on a newly started app server).
"""
from __future__ import annotations

import hashlib
import threading
from collections.abc import Hashable
from itertools import chain

from cachetools import LRUCache
from flask import Response, current_app, g, request, session
from flask_login import current_user
from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import Session

from .config import ROOT
from .core.vocab import STATES
from .models import Comment, Consultation, Document, DuplicateGroup
from .models import Response as Answer

_MISSING = object()


class Cache:
    """A named LRU cache safe to share between threads."""

    def __init__(self, name: str, maxsize: int):
        self.name = name
        self._data: LRUCache = LRUCache(maxsize=maxsize)
        self._lock = threading.Lock()

    def get(self, key: Hashable, default=None):
        with self._lock:
            value = self._data.get(key, _MISSING)
        return default if value is _MISSING else value

    def set(self, key: Hashable, value) -> None:
        with self._lock:
            self._data[key] = value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


_registry: dict[str, Cache] = {}


def lru(name: str, maxsize: int) -> Cache:
    """The process's cache called ``name`` (made on first use)."""
    cache = _registry.get(name)
    if cache is None:
        cache = _registry.setdefault(name, Cache(name, maxsize))
    return cache


def clear_all() -> None:
    """Empty every in-process cache."""
    for cache in _registry.values():
        cache.clear()


# ---------------------------------------------------------------- public revisions

# What public pages show of a document's comments lives in these tables.
_WATCHED_TABLES = (Comment.__table__, Answer.__table__, DuplicateGroup.__table__)


@event.listens_for(Session, "before_flush")
def _revise_on_flush(session: Session, _context, _instances) -> None:
    documents: set[int] = set()
    new = session.new  # built anew on every access: once per flush, not once per object
    for obj in chain(new, session.dirty, session.deleted):
        if isinstance(obj, Comment) and obj in new and not _shown(obj.state):
            # A comment waiting for moderation changes no public page (the totals follow
            # the newest comment id instead). Not locking the document's row for it lets
            # comments on one document be recorded side by side.
            continue
        if isinstance(obj, (Comment, DuplicateGroup)):
            documents.update(_values(obj, "document_id"))
        elif isinstance(obj, Answer):
            documents.update(_answer_documents(session, obj))
        elif isinstance(obj, Consultation) and _changed(obj, "results_published_at"):
            documents.update(session.scalars(
                select(Document.id).where(Document.consultation_id == obj.id)))
    _revise(session, documents, everything=False)


@event.listens_for(Session, "do_orm_execute")
def _revise_on_bulk(state) -> None:
    """Bulk INSERT/UPDATE/DELETE statements bypass the unit of work: revise the documents
    an insert names, or every document when the statement does not say."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if table not in _WATCHED_TABLES:
        return
    params = state.parameters
    rows = params if isinstance(params, list) else [params] if params else []
    ids = {row.get("document_id") for row in rows if isinstance(row, dict)}
    # By name: an ORM statement's table is an annotated copy, never the Table itself.
    if state.is_insert and table.name == Comment.__tablename__ and rows and None not in ids:
        # As every channel records comments: only those shown at once revise a document.
        _revise(state.session, {row["document_id"] for row in rows
                                if _shown(row.get("state"))}, everything=False)
    else:
        _revise(state.session, set(), everything=True)


def _values(obj, name: str) -> set[int]:
    """The attribute's current value and, if it changed in this flush, its old one."""
    history = inspect(obj).attrs[name].history
    return {v for v in chain(history.added, history.unchanged, history.deleted)
            if v is not None} or ({getattr(obj, name)} - {None})


# The state of a comment recorded without one (the column's default).
_NEW_STATE = Comment.__table__.c.state.default.arg


def _shown(state: str | None) -> bool:
    """Whether a comment in this state is shown on public pages."""
    return bool(STATES.attr(state or _NEW_STATE, "public"))


def _changed(obj, name: str) -> bool:
    return inspect(obj).attrs[name].history.has_changes()


def _answer_documents(session: Session, answer: Answer) -> set[int]:
    if answer.comment_id is not None:
        return set(session.scalars(select(Comment.document_id)
                                   .where(Comment.id == answer.comment_id)))
    if answer.group_id is not None:
        return set(session.scalars(select(DuplicateGroup.document_id)
                                   .where(DuplicateGroup.id == answer.group_id)))
    return set()


def _revise(session: Session, documents: set[int], everything: bool) -> None:
    if not documents and not everything:
        return
    statement = update(Document).values(public_revision=Document.public_revision + 1)
    locked = select(Document.id).order_by(Document.id)
    if not everything:
        statement = statement.where(Document.id.in_(sorted(documents)))
        locked = locked.where(Document.id.in_(sorted(documents)))
    # A Core statement on the session's connection: inside a flush, no autoflush.
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # The rows locked in one order (by id) in every transaction: an UPDATE locks them
        # in the order it finds them, which differs between two concurrent ones, and two
        # comments on different documents then deadlock.
        connection.execute(locked.with_for_update(key_share=True))
    connection.execute(statement.execution_options(synchronize_session=False))
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Document) and (everything or obj.id in documents):
            session.expire(obj, ["public_revision"])


# ---------------------------------------------------------------- anonymous pages

class PageCache:
    """Whole public pages kept per worker for anonymous readers.

    A page's key holds everything it depends on (see the caller). Nothing in a kept page
    belongs to one visitor: the comment form carries no session token (``consult.security``
    checks where a post comes from instead), so the same bytes may go to every reader, and
    nginx may keep them too (``consult.delivery`` says for how long).
    """

    def __init__(self, name: str, size: int):
        # Kept encoded: serving a hit costs no rendering.
        self._pages = lru(name, size)

    def get(self, key: tuple) -> Response | None:
        """The answer for this visitor: ``304 Not Modified`` when the copy they (or nginx)
        hold is this key's page, the kept page, or None when it must be rendered."""
        validator = _validator(key)
        # Kept with the request, not in ``g``: an application context may outlive it.
        request.environ[_VALIDATOR] = validator
        if request.if_none_match.contains_weak(validator):
            return Response(status=304)
        body = self._pages.get(key)
        if body is None:
            return None
        return Response(body, content_type="text/html; charset=utf-8")

    def put(self, key: tuple, html: str) -> None:
        """Keep a page rendered for this request, unless it holds something of this
        visitor's own (a form token a template asked for)."""
        if holds_visitor_token():
            return
        self._pages.set(key, html.encode())


def _validator(key: tuple) -> str:
    """The validator of the page kept under ``key``: whichever worker or app server renders
    it, the same bytes, so the same validator."""
    return hashlib.blake2b(repr(key).encode() + _build(), digest_size=16).hexdigest()


def _build() -> bytes:
    """A digest of what decides a page's bytes besides its key: the application's code,
    templates, catalogs and static files, and its settings. Made once per process; a
    deployment that changes any of them changes every page's validator, so no copy kept
    by nginx or a browser outlives it."""
    digest = current_app.extensions.get(_BUILD)
    if digest is None:
        hasher = hashlib.blake2b(digest_size=16)
        for folder in (ROOT / "consult", ROOT / "templates", ROOT / "translations"):
            for path in sorted(folder.rglob("*")):
                if path.is_file() and path.suffix not in (".pyc", ".po", ".pot"):
                    hasher.update(str(path.relative_to(ROOT)).encode() + b"\0")
                    hasher.update(path.read_bytes())
        hasher.update(repr(sorted((name, value) for name, value in current_app.config.items()
                                  if isinstance(value, (str, int, float, bool, tuple))))
                      .encode())
        digest = current_app.extensions.setdefault(_BUILD, hasher.digest())
    return digest


_BUILD = "consult.page_build"


_VALIDATOR = "consult.page_validator"


def holds_visitor_token() -> bool:
    """Whether the page rendered for this request holds this visitor's form token (a
    template asked for it): such a page is one visitor's, never kept or shared."""
    # flask-wtf keeps the token it handed out in ``g`` under the field's name.
    return current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token") in g


def page_validator() -> str | None:
    """The validator (for an ETag) of the cached page this request answers with, if any."""
    return request.environ.get(_VALIDATOR)


def cacheable() -> bool:
    """Whether this request may be answered from, and its page kept in, the cache."""
    return (request.method == "GET" and not current_user.is_authenticated
            and "_flashes" not in session)
