"""Light pages for a slow line: how every response travels, decided here.

- **Compression** (Flask-Compress): brotli or gzip, as the browser asks, for text
  (HTML, CSS, JavaScript, JSON, CSV, SVG); spreadsheets, Word files and images are
  compressed already. The page cache keeps pages uncompressed and each response is
  compressed on its way out, so a client gets only the encoding it asked for; every
  response says ``Vary: Accept-Encoding`` for the caches between.
- **Static files** are addressed with a hash of their content (``?v=``), read once per
  file and process: such an address is cached for a year as ``immutable``; one without
  it, or with an outdated hash, for an hour.
- **Conditional requests**: pages served from the page cache (their validator comes from
  ``consult.cache``) and the open-data API carry an ETag and answer a matching
  ``If-None-Match`` with ``304 Not Modified`` before anything is compressed.
- **Shared caches**: anonymous public pages hold nothing of one visitor and may be kept
  by nginx for ``SHARED_CACHE_SECONDS`` (``s-maxage``); browsers revalidate every time.
  Those of the page cache have their validator from it; others say so with
  ``@shared_page`` and get an ETag of their bytes.
  Pages for signed-in staff carry no ETag and are never stored (``private, no-store``).
"""
from __future__ import annotations

import hashlib
from functools import lru_cache, wraps
from pathlib import Path

from flask import Flask, current_app, request, send_from_directory, session
from flask_compress import Compress
from flask_login import current_user
from werkzeug.security import safe_join

from . import cache

COMPRESSED_TYPES = ("text/html", "text/css", "text/javascript", "application/javascript",
                    "application/json", "text/csv", "image/svg+xml")
VERSION_ARG = "v"
YEAR = 365 * 24 * 3600
UNVERSIONED_MAX_AGE = 3600
# /favicon.ico has no version in its address: a new icon must still reach people.
FAVICON_MAX_AGE = 7 * 24 * 3600
# A cached public page is the same for every reader: shared caches (nginx) may keep it
# for SHARED_CACHE_SECONDS, so that a crowd of readers costs the app one rendering a page
# every few seconds; a browser asks again (a 304) each time before showing its copy.
PAGE_CACHE_CONTROL = "public, max-age=0, s-maxage={seconds}"
STAFF_CACHE_CONTROL = "private, no-store"


def init_app(app: Flask) -> None:
    app.config.setdefault("COMPRESS_MIMETYPES", list(COMPRESSED_TYPES))
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    # Static files and CSV exports are streamed: gzip too for browsers without brotli.
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["br", "gzip"])
    # Registered here rather than by Flask-Compress itself, to leave out partial answers.
    app.config["COMPRESS_REGISTER"] = False
    compressor = Compress(app)

    def compress(response):
        # A range of a file (206) goes as it is: its Content-Range counts the file's bytes.
        if response.status_code == 206:
            return response
        return compressor.after_request(response)

    # Flask runs after-request hooks last registered first: the caching headers before
    # compression, so a 304 is decided before anything is compressed.
    app.after_request(compress)
    app.after_request(_caching_headers)
    app.url_defaults(_version_static_urls)
    app.add_url_rule("/favicon.ico", "favicon", favicon)


def favicon():
    """The icon where browsers and feed readers look for it without a ``<link>``."""
    return send_from_directory(current_app.static_folder, "favicon.ico",
                               max_age=FAVICON_MAX_AGE)


def static_version(filename: str) -> str | None:
    """The version in a static file's address: a hash of its content (None: no file)."""
    return _content_hash(current_app.static_folder, filename)


@lru_cache(maxsize=256)
def _content_hash(folder: str, filename: str) -> str | None:
    # Once per file and process: files change with a deployment, which restarts workers.
    path = safe_join(folder, filename)
    if path is None or not Path(path).is_file():
        return None
    return hashlib.blake2b(Path(path).read_bytes(), digest_size=6).hexdigest()


def _version_static_urls(endpoint: str, values: dict) -> None:
    if endpoint == "static" and VERSION_ARG not in values:
        version = static_version(values.get("filename", ""))
        if version is not None:
            values[VERSION_ARG] = version


def _caching_headers(response):
    if request.endpoint == "static":
        return _static_lifetime(response)
    if request.method in ("GET", "HEAD") and response.status_code in (200, 304) and \
            _tag(response):
        # A 304 the page cache answered carries the headers of the page it confirms.
        if response.status_code == 200:
            response.make_conditional(request)
    elif _staff_page(response):
        response.headers.setdefault("Cache-Control", STAFF_CACHE_CONTROL)
    return response


def _tag(response) -> bool:
    """Give a page anyone may share, or an API answer, its ETag; whether it has one."""
    if _anyones_page(response):
        validator = cache.page_validator()
        if validator is not None:
            response.set_etag(validator, weak=True)
        else:
            response.add_etag(weak=True)  # a @shared_page: a digest of its bytes
        response.headers.setdefault("Cache-Control", PAGE_CACHE_CONTROL.format(
            seconds=current_app.config["SHARED_CACHE_SECONDS"]))
        return True
    if request.blueprint == "api" and not response.is_streamed:
        # Weak: the same JSON is one entity whatever encoding carries it.
        response.add_etag(weak=True)
        return True
    return False


def shared_page(view):
    """Mark a public page that is the same for every anonymous reader (the notice, the
    hearing schedule, the results): answered with an ETag of its bytes and kept by nginx
    like the pages of the page cache. Staff, a visitor shown a message, and a page holding
    a visitor's form token are never marked."""
    @wraps(view)
    def marked(*args, **kwargs):
        request.environ[_SHARED] = True
        return view(*args, **kwargs)
    return marked


_SHARED = "consult.shared_page"


def _anyones_page(response) -> bool:
    """Whether this answer is a public page the same for every anonymous reader: one the
    page cache answered with, or a ``@shared_page``. Never one that changed the visitor's
    session (a message taken out of it while rendering, a returning visitor's session
    renewed: that answer is the visitor's own, and a shared cache must never keep a
    Set-Cookie), nor one holding their form token."""
    if cache.page_validator() is None and not (
            request.environ.get(_SHARED, False) and response.mimetype == "text/html"
            and not response.is_streamed and cache.cacheable()):
        return False
    return not session.modified and not cache.holds_visitor_token()


def _staff_page(response) -> bool:
    # Only HTML pages, which have already asked who is signed in (base.html does): the
    # account is known without another database query, even while the database is away.
    return ("Cache-Control" not in response.headers and response.mimetype == "text/html"
            and current_user.is_authenticated)


def _static_lifetime(response):
    """A year for the address of the file's current content, an hour for any other."""
    if response.status_code not in (200, 304):
        return response
    version = static_version((request.view_args or {}).get("filename", ""))
    versioned = version is not None and request.args.get(VERSION_ARG) == version
    cache_control = response.cache_control
    cache_control.no_cache = None
    cache_control.public = True
    cache_control.max_age = YEAR if versioned else UNVERSIONED_MAX_AGE
    if versioned:
        cache_control.immutable = True
    return response
