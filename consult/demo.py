"""``consult demo``: a fresh database with the drafts, the hearings and demo accounts."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask

from . import ROOT, db
from .accounts.services import save_user
from .cli import upgrade_database
from .consultations import set_period
from .drafts.load import import_paths
from .drafts.services import current_consultation
from .hearings.schedule import load_schedule
from .timeutil import utcnow

DEMO_ACCOUNTS = (("admin@example.org", "admin"), ("moderator@example.org", "moderator"),
                 ("drafter@example.org", "drafter"))


def prepare(app: Flask, passwords: dict[str, str]) -> list[tuple[str, str, str]]:
    """Fill the app's (empty) database; return (email, role, password) of each account."""
    upgrade_database(app.config["DATABASE_URL"])
    session = db.session()
    outcomes, problems = import_paths(session, [str(ROOT / "drafts")])
    if problems:
        raise RuntimeError("\n".join(str(p) for p in problems))
    load_schedule(session, ROOT / "drafts" / "hearings.json")
    consultation = current_consultation(session)
    # The demo is open for comments from today, so that it can be tried at once.
    start = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(days=1)
    set_period(session, consultation, start, start + timedelta(days=45), actor=None)
    accounts = []
    for email, role in DEMO_ACCOUNTS:
        save_user(session, email, role, passwords[role], name=role.capitalize())
        accounts.append((email, role, passwords[role]))
    session.commit()
    return accounts
