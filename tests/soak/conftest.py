"""Soak and fault tests: nginx, gunicorn, PostgreSQL and Redis on loopback.

They need TEST_DATABASE_URL naming a PostgreSQL server, nginx (Debian's /usr/sbin/nginx)
and Redis on 127.0.0.1:6379. Without one of them they are skipped, saying which, unless
CONSULT_REQUIRE_SOAK=1 (set by .ci/run for its PostgreSQL pass), where a missing
prerequisite fails the run instead of passing silently. SOAK_SECONDS (default 60) is the
length of the main load; the fault tests run for a share of it. The figures of every load
are shown at the end of the run.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import redis

from tests.soak.servers import NGINX, REDIS_DB, prepared_site

FIGURES: list[str] = []


def _missing_prerequisite(reason: str):
    if os.environ.get("CONSULT_REQUIRE_SOAK") == "1":
        pytest.fail(f"soak tests required (CONSULT_REQUIRE_SOAK=1): {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def clean_database():
    """The soak tests bring their own database and servers: the suite's per-test cleaning
    (and the in-process application it needs) has nothing to do here."""
    yield


@pytest.fixture(scope="session")
def soak_seconds() -> float:
    return float(os.environ.get("SOAK_SECONDS", "60"))


@pytest.fixture(scope="session")
def postgres_server() -> str:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        _missing_prerequisite("TEST_DATABASE_URL does not name a PostgreSQL server")
    return url


@pytest.fixture(scope="session")
def nginx_binary() -> str:
    if not Path(NGINX).is_file():
        _missing_prerequisite(f"nginx is not installed ({NGINX}; apt-get install nginx)")
    return NGINX


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = f"redis://127.0.0.1:6379/{REDIS_DB}"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        _missing_prerequisite("no Redis on 127.0.0.1:6379")
    return url


@pytest.fixture
def fresh_redis(redis_url) -> str:
    """The soak's Redis database, emptied: every stack starts with no rate-limit counts."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    client.close()
    return redis_url


@pytest.fixture(scope="session")
def site(postgres_server, nginx_binary, redis_url):
    """One prepared database for every soak test (each counts only its own comments)."""
    with prepared_site(postgres_server) as prepared:
        yield prepared


@pytest.fixture
def report_figures():
    """Keep a block of figures for the end of the run (passed or failed)."""
    return FIGURES.append


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section("soak figures")
        for block in FIGURES:
            for line in block.splitlines():
                terminalreporter.write_line(line)
