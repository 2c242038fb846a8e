"""Health endpoints for load balancers and monitoring, outside the language prefix.

``/healthz``: the process answers (no database touched: a restart is the only cure for a
process that does not answer). ``/readyz``: this process can serve: the database answers,
its schema is at the newest migration (an app server started before ``consult upgrade``
finished is not ready), and Redis answers when rate limits are counted there. A load
balancer sends traffic only to ready servers; neither endpoint is cached.
"""
from __future__ import annotations

from functools import cache

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from . import db, ratelimit

bp = Blueprint("health", __name__)
NO_STORE = {"Cache-Control": "no-store"}


@cache
def _head_revisions(url: str) -> frozenset[str]:
    """The newest migration(s) of the code this process runs (read once)."""
    return frozenset(ScriptDirectory.from_config(db.alembic_config(url)).get_heads())


def _database() -> str:
    with db.engine().connect() as connection:
        connection.execute(text("SELECT 1"))
        current = frozenset(MigrationContext.configure(connection).get_current_heads())
    expected = _head_revisions(current_app.config["DATABASE_URL"])
    return "ok" if current == expected else "migrations pending"


def _redis() -> str:
    uri = current_app.config.get("RATELIMIT_STORAGE_URI", "memory://")
    if not uri.startswith(("redis://", "rediss://", "redis+")):
        return "not used"
    return "ok" if ratelimit.storage_reachable() else "unreachable"


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok"), 200, NO_STORE


@bp.get("/readyz")
def readyz():
    checks = {}
    try:
        checks["database"] = _database()
    except Exception as exc:  # any failure to reach the database means "not ready"
        checks["database"] = f"unreachable ({type(exc).__name__})"
    try:
        checks["redis"] = _redis()
    except Exception as exc:  # as above, for Redis
        checks["redis"] = f"unreachable ({type(exc).__name__})"
    ready = checks["database"] == "ok" and checks["redis"] in ("ok", "not used")
    return (jsonify(status="ready" if ready else "not ready", checks=checks),
            200 if ready else 503, NO_STORE)
