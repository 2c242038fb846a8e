"""Rate limits on what people send: decided here for every route that declares one.

Built on ``limits`` (the engine of Flask-Limiter) through its public API. A limit has a
scope ("comment", "login") and applies to the client across every route of that scope:
a comment sent from a clause page and one from a document page count against the same
allowance. The counters live in ``RATELIMIT_STORAGE_URI``: ``redis://...`` shares them
between the workers and servers of a deployment; ``memory://`` keeps them per process.

Only the methods named are limited (the POST of a form): reading pages never costs a
counter look-up.
"""
from __future__ import annotations

import math
import time
from functools import wraps

from flask import Flask, current_app, request
from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

# Scope -> the setting holding its limits ("10 per minute;60 per hour").
SCOPES = {"comment": "COMMENT_RATE_LIMIT", "login": "LOGIN_RATE_LIMIT",
          "receipt": "RECEIPT_RATE_LIMIT"}
EXTENSION = "consult.ratelimit"


def init_app(app: Flask) -> None:
    uri = app.config["RATELIMIT_STORAGE_URI"]
    app.extensions[EXTENSION] = MovingWindowRateLimiter(storage_from_string(uri))
    if uri.startswith("memory://") and not app.testing:
        # Said once a worker starts serving, not by every command-line run.
        app.before_request(_warn_per_process)


_warned = []


def _warn_per_process() -> None:
    if not _warned:
        _warned.append(True)
        current_app.logger.warning(
            "rate limits are counted per process (RATELIMIT_STORAGE_URI=memory://): with "
            "several workers a client gets the limits once per worker; set "
            "RATELIMIT_STORAGE_URI=redis://... to share them")


def client() -> str:
    """Who is counted: the client's address (as trusted proxies report it)."""
    return request.remote_addr or "unknown"


def _items(scope: str):
    # Read per request so that tests and operators can change a limit without a restart.
    return parse_many(current_app.config[SCOPES[scope]])


def exceeded(scope: str) -> int | None:
    """Seconds until the client may try again, or None when within every limit."""
    return _refusal(scope, "test")


def count(scope: str) -> None:
    """Count one attempt of the client against every limit of ``scope``."""
    limiter = current_app.extensions[EXTENSION]
    for item in _items(scope):
        limiter.hit(item, scope, client())


def admit(scope: str) -> int | None:
    """Count one attempt of the client against every limit of ``scope`` unless that limit
    is reached (one atomic step per limit, no separate look-up first): None when every
    limit admitted it, else the seconds until the client may try again."""
    return _refusal(scope, "hit")


def _refusal(scope: str, step: str) -> int | None:
    """Seconds to wait by the limits of ``scope`` that refuse the client at ``step``
    (``test``: look only; ``hit``: count unless reached), or None."""
    limiter = current_app.extensions[EXTENSION]
    refuses = getattr(limiter, step)
    waits = [_wait(limiter, item, scope) for item in _items(scope)
             if not refuses(item, scope, client())]
    return max(waits) if waits else None


def _wait(limiter, item, scope: str) -> int:
    reset_at = limiter.get_window_stats(item, scope, client()).reset_time
    return max(1, math.ceil(reset_at - time.time()))


def limit(scope: str, methods=("POST",), counts=None):
    """View decorator: refuse (429, with ``Retry-After``) a client over the limits of
    ``scope``. ``counts(response)`` decides whether an attempt counts (default: all do);
    sign-in counts only failures."""
    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if request.method not in methods:
                return view(*args, **kwargs)
            if counts is None:  # every attempt counts: one step admits and counts it
                wait = admit(scope)
                if wait is not None:
                    raise TooManyRequests(retry_after=wait)
                return view(*args, **kwargs)
            wait = exceeded(scope)
            if wait is not None:
                raise TooManyRequests(retry_after=wait)
            response = current_app.make_response(view(*args, **kwargs))
            if counts(response):
                count(scope)
            return response
        return wrapped
    return decorate


def reset() -> None:
    """Forget every counter (tests)."""
    current_app.extensions[EXTENSION].storage.reset()


def storage_reachable() -> bool:
    """Whether the counters' storage answers (``/readyz``)."""
    return bool(current_app.extensions[EXTENSION].storage.check())
