"""The ``consult`` command line (the same as ``flask --app wsgi``)."""
from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import click
from flask import Flask, current_app, g
from flask.cli import FlaskGroup, with_appcontext

from . import ROOT, db
from .config import LANGUAGES


def main() -> None:
    """Entry point of the ``consult`` console script."""
    from . import create_app
    FlaskGroup(create_app=lambda: create_app(), name="consult",
               help="consult: public consultation, clause by clause.")(prog_name="consult")


def init_app(app: Flask) -> None:
    app.cli.add_command(db_group)
    app.cli.add_command(import_drafts)
    app.cli.add_command(set_period)
    app.cli.add_command(create_user)
    app.cli.add_command(load_hearings)
    from .hearings.commands import import_hearing
    app.cli.add_command(import_hearing)
    app.cli.add_command(demo)
    from .synthesis.commands import export_synthesis
    app.cli.add_command(export_synthesis)
    from .translations import translations_group
    app.cli.add_command(translations_group)


def cli_language() -> None:
    """Messages in the terminal's language when it is one of ours, else English."""
    lang = (os.environ.get("CONSULT_LANG") or os.environ.get("LANG") or "en")[:2]
    g.lang = lang if lang in LANGUAGES else "en"


# ------------------------------------------------------------------ database

def alembic_config(url: str | None = None):
    from alembic.config import Config
    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.set_main_option("file_template",
                           "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    config.set_main_option("sqlalchemy.url",
                           (url or current_app.config["DATABASE_URL"]).replace("%", "%%"))
    return config


def upgrade_database(url: str | None = None) -> None:
    """Bring the database at ``url`` (default: the app's) to the newest schema."""
    from alembic import command
    command.upgrade(alembic_config(url), "head")


@click.group("db", help="Database schema (Alembic migrations).")
def db_group():
    pass


@db_group.command("upgrade")
@with_appcontext
def db_upgrade():
    """Bring the database to the newest schema."""
    upgrade_database()
    click.echo("database is at the newest schema")


@db_group.command("current")
@with_appcontext
def db_current():
    """Show the schema revision the database is at."""
    from alembic import command
    command.current(alembic_config())


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(message: str):
    """Write a new migration from the difference between models and database (review it!)."""
    from alembic import command
    command.revision(alembic_config(), message=message, autogenerate=True)


# ------------------------------------------------------------------ drafts

@click.command("import-drafts")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@with_appcontext
def import_drafts(paths):
    """Import draft sources (files or folders of <document>/<lang>.md)."""
    from .drafts.load import import_paths
    cli_language()
    session = db.session()
    outcomes, problems = import_paths(session, list(paths))
    if problems:
        session.rollback()
        for problem in problems:
            click.echo(str(problem), err=True)
        click.echo(f"refused: {len(problems)} problem(s); nothing of the affected "
                   "document(s) was imported", err=True)
        sys.exit(1)
    session.commit()
    for outcome in outcomes:
        click.echo(f"{outcome.slug}: {outcome.action} (version {outcome.version})")


@click.command("set-period")
@click.option("--consultation", "slug", default=None, help="consultation slug (default: current)")
@click.option("--opens", required=True, help="e.g. 2025-06-01T09:00 (Asia/Bishkek)")
@click.option("--closes", required=True, help="e.g. 2025-07-15T18:00 (Asia/Bishkek)")
@with_appcontext
def set_period(slug, opens, closes):
    """Set when the consultation accepts comments (Asia/Bishkek time)."""
    from .consultations import set_period as set_consultation_period
    from .drafts.services import current_consultation
    from .models import Consultation
    from sqlalchemy import select
    from .timeutil import parse_local
    cli_language()
    session = db.session()
    consultation = (session.scalar(select(Consultation).where(Consultation.slug == slug))
                    if slug else current_consultation(session))
    if consultation is None:
        raise click.ClickException(f"no consultation {slug or ''}".strip())
    try:
        opens_at, closes_at = parse_local(opens), parse_local(closes)
    except ValueError as exc:
        raise click.ClickException(f"not a date and time: {exc}") from exc
    try:
        set_consultation_period(session, consultation, opens_at, closes_at, actor=None)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    session.commit()
    click.echo(f"{consultation.slug}: open from {opens} to {closes} (Asia/Bishkek)")


# ------------------------------------------------------------------ people

@click.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "moderator", "drafter"]), required=True)
@click.option("--name", default="")
@click.password_option(prompt="Password", confirmation_prompt=True,
                       help="read from a prompt, or from standard input when piped")
@with_appcontext
def create_user(email, role, name, password):
    """Create a staff account (or reset its password and role)."""
    from .accounts.services import save_user
    cli_language()
    if len(password) < 10:
        raise click.ClickException("the password must have at least 10 characters")
    session = db.session()
    user, created = save_user(session, email, role, password, name=name)
    session.commit()
    click.echo(f"{'created' if created else 'updated'} {user.email} ({user.role})")


@click.command("load-hearings")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def load_hearings(path):
    """Load a hearing schedule file (JSON); hearings already there are updated."""
    from .hearings.schedule import load_schedule
    cli_language()
    session = db.session()
    try:
        hearings = load_schedule(session, Path(path))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    session.commit()
    click.echo(f"{len(hearings)} hearing(s) loaded")


# ------------------------------------------------------------------ demo

@click.command("demo")
@click.option("--port", default=5000, show_default=True)
@click.option("--no-serve", is_flag=True, help="prepare the database and stop")
@click.option("--database", "path", type=click.Path(dir_okay=False, path_type=Path),
              default=ROOT / "instance" / "demo.sqlite3", show_default=True,
              help="the SQLite file to create (an existing one is replaced)")
def demo(port, no_serve, path):
    """Fresh SQLite database with the drafts, hearings and demo users; then serve it."""
    from . import create_app
    from .demo import prepare
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    app = create_app({"DATABASE_URL": f"sqlite:///{path}"})
    with app.app_context():
        g.lang = "en"
        accounts = prepare(app, passwords={role: secrets.token_urlsafe(9)
                                           for role in ("admin", "moderator", "drafter")})
    click.echo(f"demo database: {path}")
    for email, role, password in accounts:
        click.echo(f"  {role:<10} {email:<28} password: {password}")
    if no_serve:
        return
    click.echo(f"open http://127.0.0.1:{port}/  (Ctrl+C stops the demo)")
    # app.run() refuses to serve from inside a flask command; run the same server directly.
    from werkzeug.serving import run_simple
    run_simple("127.0.0.1", port, app, threaded=True, use_reloader=False)
