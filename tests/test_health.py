"""/healthz and /readyz: what a load balancer and monitoring ask of an app server."""
from __future__ import annotations

import pytest
import redis

from consult import create_app, db


def server(tmp_path, *, migrate: bool = True, **config):
    url = f"sqlite:///{tmp_path / 'health.sqlite3'}"
    if migrate:
        db.upgrade_database(url)
    return create_app({"TESTING": True, "SECRET_KEY": "health", "DATABASE_URL": url,
                       **config})


def test_healthz_answers_without_the_database(tmp_path):
    app = server(tmp_path, migrate=False, DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_ready_when_the_database_is_at_the_newest_migration(tmp_path):
    response = server(tmp_path).test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready",
                                   "checks": {"database": "ok", "redis": "not used"}}
    assert response.headers["Cache-Control"] == "no-store"


def test_not_ready_before_the_migrations_ran(tmp_path):
    response = server(tmp_path, migrate=False).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"] == "migrations pending"


def test_not_ready_when_the_database_is_unreachable(tmp_path):
    app = server(tmp_path, migrate=False,
                 DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"].startswith("unreachable")


@pytest.mark.parametrize("uri, ready", [("redis://127.0.0.1:1/0", False),
                                        ("redis://127.0.0.1:6379/15", True)])
def test_redis_counts_when_rate_limits_live_there(tmp_path, uri, ready):
    if ready:  # the machine's Redis: skipped where there is none
        try:
            redis.Redis.from_url(uri, socket_connect_timeout=1).ping()
        except redis.exceptions.ConnectionError:
            pytest.skip("no Redis on 127.0.0.1:6379")
    response = server(tmp_path, RATELIMIT_STORAGE_URI=uri).test_client().get("/readyz")
    assert response.status_code == (200 if ready else 503)
    assert response.get_json()["checks"]["redis"] == ("ok" if ready else "unreachable")
