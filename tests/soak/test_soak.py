"""Soak and fault tests: 32 citizens reading and commenting through nginx and gunicorn (4
workers) on PostgreSQL, with workers, the master and the database connections killed
under them. Every acknowledged comment must be stored exactly once; nothing the app
refused may be stored; no 5xx under plain load; a readable 503, never a 500 or an nginx 502,
while the database is away, and service again as soon as it is back, without a restart.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy import create_engine, text

from tests.soak.load import (
    ACKNOWLEDGED,
    Ledger,
    run_load,
    server_errors,
    stored_comments,
    summary,
    verify,
)
from tests.soak.servers import Gunicorn, Nginx, app_environment

CLIENTS = 32


@contextlib.contextmanager
def stack(folder, site, redis_url, workers: int = 4) -> Iterator[tuple[Nginx, Gunicorn]]:
    """gunicorn as deployed on the site's database, nginx as deployed in front of it."""
    app = Gunicorn(app_environment(site.database_url, redis_url), folder / "gunicorn.log",
                   workers=workers)
    nginx = Nginx(folder / "nginx", [app.address])
    try:
        app.start()
        nginx.start()
        yield nginx, app
    finally:
        nginx.stop()
        app.stop()


def event_time(ledger: Ledger, name: str) -> float:
    return next(at for event, at in ledger.events if event.startswith(name))


def checked(name: str, ledger: Ledger, site, report) -> None:
    """The ledger against the database; the run's figures go to the end of the output."""
    verdict = verify(ledger, stored_comments(site.database_url, ledger.run))
    report(summary(name, ledger, verdict))
    assert not verdict.missing, f"acknowledged, not stored once: {verdict.missing[:5]}"
    assert not verdict.wrong_receipt, f"stored under another receipt: {verdict.wrong_receipt[:5]}"
    assert not verdict.stored_refused, f"refused, yet stored: {verdict.stored_refused[:5]}"
    assert not verdict.duplicated, f"stored twice: {verdict.duplicated[:5]}"
    assert not verdict.phantoms, f"stored, never sent: {verdict.phantoms[:5]}"


def test_load_answers_no_5xx_and_keeps_every_acknowledged_comment_once(
        site, fresh_redis, soak_seconds, report_figures, tmp_path):
    with stack(tmp_path, site, fresh_redis) as (nginx, _app):
        ledger = run_load(nginx.port, site, soak_seconds, CLIENTS)
    checked("load", ledger, site, report_figures)
    assert server_errors(ledger) == []
    assert [a for a in ledger.answers if a.status is None] == []
    refused = [a for a in ledger.attempts if a.outcome != ACKNOWLEDGED]
    assert refused == [], f"comments not acknowledged under plain load: {refused[:5]}"
    assert len(ledger.attempts) >= CLIENTS, "the load sent too few comments to mean much"


def test_kill_9_of_a_worker_and_of_the_master_loses_no_acknowledged_comment(
        site, fresh_redis, soak_seconds, report_figures, tmp_path):
    seconds = max(soak_seconds / 2, 20)
    with stack(tmp_path, site, fresh_redis) as (nginx, app):
        def restart():
            app.start()
            return f"master {app.process.pid}"

        faults = [(seconds * 0.2, "kill -9 of a worker", lambda: f"pid {app.kill_worker()}"),
                  (seconds * 0.45, "kill -9 of the master", app.kill_master),
                  (seconds * 0.45, "gunicorn restarted", restart)]
        ledger = run_load(nginx.port, site, seconds, CLIENTS, faults, after_faults=8)
        assert app.process.poll() is None
    checked("crash", ledger, site, report_figures)
    from_app = [a for a in server_errors(ledger) if a.by_app]
    assert from_app == [], "the app itself answered 5xx"
    restarted = event_time(ledger, "gunicorn restarted")
    after = [a for a in ledger.answers if a.kind == "comment" and a.at > restarted]
    assert after and all(a.status == 302 for a in after), "no service after the restart"


def _terminate(admin, database: str) -> str:
    with admin.connect() as connection:
        killed = connection.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": database}).scalar()
    return f"{killed} connections"


def _allow_connections(admin, database: str, allowed: bool) -> None:
    with admin.connect() as connection:
        connection.execute(text(
            f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS {str(allowed).lower()}'))


def test_database_away_answers_a_readable_503_and_recovers_without_restart(
        site, fresh_redis, soak_seconds, postgres_server, report_figures, tmp_path):
    seconds = max(soak_seconds / 3, 15)
    database = site.database_url.rsplit("/", 1)[1]
    admin = create_engine(postgres_server.replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")

    def away():
        # Gone for a while: no connection cut now can be replaced until it is back.
        _allow_connections(admin, database, False)
        return _terminate(admin, database)

    faults = [(seconds * share, "connections terminated", lambda: _terminate(admin, database))
              for share in (0.15, 0.3, 0.45)]
    faults += [(seconds * 0.55, "database away", away),
               (seconds * 0.55 + 3, "database back",
                lambda: _allow_connections(admin, database, True))]
    try:
        with stack(tmp_path, site, fresh_redis) as (nginx, app):
            master = app.process.pid
            ledger = run_load(nginx.port, site, seconds, CLIENTS, faults, after_faults=4)
            assert app.process.poll() is None and app.process.pid == master, "restarted"
    finally:
        _allow_connections(admin, database, True)
        admin.dispose()
    checked("database away", ledger, site, report_figures)
    errors = server_errors(ledger)
    assert [a for a in errors if a.status != 503 or not a.readable] == [], \
        "only the app's readable 503 page while the database is away"
    assert errors, "the database was away, yet no request noticed"
    assert [a for a in ledger.answers if a.status is None] == []
    back = event_time(ledger, "database back")
    after = [a for a in ledger.answers if a.at > back]
    assert after and all(a.status in (200, 302) for a in after), "not recovered"
