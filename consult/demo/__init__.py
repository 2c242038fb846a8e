"""``consult demo``: a fresh database holding a consultation in mid-course, then served.

The database gets the drafts, the hearing schedule and the demo accounts, and
``scenario.build`` brings the consultation to the middle of its period through the
application's own services.

One demo per database: while a demo prepares or serves a database it holds a lock on the
file beside it (``<database>.lock``, an flock released when the process ends, however it
ends), and a second ``consult demo`` on that database is refused before it touches
anything. A demo that would serve also checks first that its port is free.
"""
from __future__ import annotations

import fcntl
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from flask import Flask, g
from werkzeug.serving import run_simple

from .. import create_app, db
from ..accounts.services import save_user
from ..config import ROOT
from ..core.consultation import current_consultation
from ..drafts.load import import_paths
from ..hearings.schedule import load_schedule
from . import scenario

DEMO_ACCOUNTS = (("admin@example.org", "admin"), ("moderator@example.org", "moderator"),
                 ("drafter@example.org", "drafter"), ("lead@example.org", "lead"))
ACCOUNT_NAMES = {"admin": "Admin", "moderator": "Moderator", "drafter": "Drafter",
                 "lead": "Lead drafter"}


class DemoRefused(RuntimeError):
    """The demo cannot start without harming another one; the message says what to do."""


def lock_path(path: Path) -> Path:
    """The lock file of the demo database at ``path`` (the same for every way of naming it)."""
    return Path(f"{path.resolve()}.lock")


@contextmanager
def demo_lock(path: Path) -> Iterator[None]:
    """Hold the lock of the demo database at ``path`` until the block ends (or the process
    does); DemoRefused at once when another process holds it."""
    lock = lock_path(path)
    lock.parent.mkdir(parents=True, exist_ok=True)
    # "a+": opening must not erase the holder's process id before the lock is ours.
    with open(lock, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            raise DemoRefused(
                f"a demo is already running on {path} (process {holder}): its database is "
                "left as it is. Stop that demo first (Ctrl+C where it runs), or give this "
                "one another --database.") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield


def check_port(port: int) -> None:
    """DemoRefused when something already listens on 127.0.0.1:``port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the server will: a port left in TIME_WAIT by an earlier run is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise DemoRefused(
                f"port {port} on 127.0.0.1 is in use (another demo?). Stop what uses it, or "
                "give this demo another --port.") from None


def make_app(path: Path, port: int) -> Flask:
    """An application on a new, empty SQLite file at ``path`` (an old one is replaced: hold
    ``demo_lock(path)`` first), printing QR codes and handouts for the address it is
    served at."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return create_app({"DATABASE_URL": f"sqlite:///{path}",
                       "PUBLIC_URL": f"http://127.0.0.1:{port}"})


def prepare(app: Flask, passwords: dict[str, str],
            now: datetime | None = None) -> list[tuple[str, str, str]]:
    """Fill the app's (empty) database: drafts, hearings, accounts, and the consultation in
    mid-course as of ``now`` (default: now). Returns (email, role, password) of each
    account."""
    with app.app_context():
        g.lang = "en"
        db.upgrade_database(app.config["DATABASE_URL"])
        session = db.session()
        _outcomes, problems = import_paths(session, [str(ROOT / "drafts")])
        if problems:
            raise RuntimeError("\n".join(str(p) for p in problems))
        load_schedule(session, ROOT / "drafts" / "hearings.json")
        staff, accounts = {}, []
        for email, role in DEMO_ACCOUNTS:
            staff[role], _created = save_user(session, email, role, passwords[role],
                                              name=ACCOUNT_NAMES[role])
            accounts.append((email, role, passwords[role]))
        scenario.build(session, current_consultation(session), scenario.Staff(**staff), now)
        session.commit()
    return accounts


def serve(app: Flask, port: int) -> None:
    """Serve on 127.0.0.1 (app.run() refuses to serve from inside a flask command)."""
    run_simple("127.0.0.1", port, app, threaded=True, use_reloader=False)
