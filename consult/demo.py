"""``consult demo``: a fresh database with the drafts, the hearings and demo accounts."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Flask, g
from werkzeug.serving import run_simple

from . import create_app, db
from .accounts.services import save_user
from .config import ROOT
from .core.consultation import announce, current_consultation, set_period
from .core.time import utcnow
from .drafts.load import import_paths
from .hearings.schedule import load_schedule

DEMO_ACCOUNTS = (("admin@example.org", "admin"), ("moderator@example.org", "moderator"),
                 ("drafter@example.org", "drafter"))


def make_app(path: Path, port: int) -> Flask:
    """An application on a new, empty SQLite file at ``path`` (an old one is replaced),
    printing QR codes and handouts for the address it is served at."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return create_app({"DATABASE_URL": f"sqlite:///{path}",
                       "PUBLIC_URL": f"http://127.0.0.1:{port}"})


def prepare(app: Flask, passwords: dict[str, str]) -> list[tuple[str, str, str]]:
    """Fill the app's (empty) database; return (email, role, password) of each account."""
    with app.app_context():
        g.lang = "en"
        db.upgrade_database(app.config["DATABASE_URL"])
        session = db.session()
        outcomes, problems = import_paths(session, [str(ROOT / "drafts")])
        if problems:
            raise RuntimeError("\n".join(str(p) for p in problems))
        load_schedule(session, ROOT / "drafts" / "hearings.json")
        consultation = current_consultation(session)
        # The demo is open for comments from today, so that it can be tried at once.
        start = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(days=1)
        set_period(session, consultation, start, start + timedelta(days=45), actor=None)
        announce(session, consultation, actor=None, now=start - timedelta(days=14))
        accounts = []
        for email, role in DEMO_ACCOUNTS:
            save_user(session, email, role, passwords[role], name=role.capitalize())
            accounts.append((email, role, passwords[role]))
        session.commit()
    return accounts


def serve(app: Flask, port: int) -> None:
    """Serve on 127.0.0.1 (app.run() refuses to serve from inside a flask command)."""
    run_simple("127.0.0.1", port, app, threaded=True, use_reloader=False)
