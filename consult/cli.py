"""The ``consult`` command line (the same as ``flask --app wsgi``): DESIGN.md section 5.

Each area keeps its own commands (``intake.commands``, ``synthesis.commands``); this
module gathers them with the database, drafts, accounts and demo commands.
"""
from __future__ import annotations

import secrets
import sys
from pathlib import Path

import click
from alembic import command
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from . import create_app, db, translations
from . import demo as demonstration
from .accounts.services import MIN_PASSWORD_LENGTH, save_user
from .backup import backup_command, restore_command
from .comments.commands import erase, erasures, personal_data
from .config import ROOT
from .core.consultation import LifecycleRefused, by_slug, current_consultation
from .core.consultation import announce as announce_consultation
from .core.consultation import set_period as set_consultation_period
from .core.time import parse_local, utcnow
from .core.vocab import ROLES
from .drafts.commands import publish_version
from .drafts.load import import_paths
from .hearings.schedule import load_schedule
from .i18n import cli_language
from .intake.commands import import_hearing
from .mail.commands import send_mail
from .synthesis.commands import export_synthesis


def main() -> None:
    """Entry point of the ``consult`` console script."""
    FlaskGroup(create_app=lambda: create_app(), name="consult",
               help="consult: public consultation, clause by clause.")(prog_name="consult")


def init_app(app: Flask) -> None:
    for item in (db_group, import_drafts, publish_version, set_period, announce, create_user,
                 load_hearings, import_hearing, demo, export_synthesis, backup_command,
                 restore_command, send_mail, personal_data, erase, erasures,
                 translations.translations_group):
        app.cli.add_command(item)


# ------------------------------------------------------------------ database

@click.group("db", help="Database schema (Alembic migrations).")
def db_group():
    pass


@db_group.command("upgrade")
@with_appcontext
def db_upgrade():
    """Bring the database to the newest schema."""
    db.upgrade_database(current_app.config["DATABASE_URL"])
    click.echo("database is at the newest schema")


@db_group.command("current")
@with_appcontext
def db_current():
    """Show the schema revision the database is at."""
    command.current(db.alembic_config(current_app.config["DATABASE_URL"]))


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(message: str):
    """Write a new migration from the difference between models and database (review it!)."""
    command.revision(db.alembic_config(current_app.config["DATABASE_URL"]), message=message,
                     autogenerate=True)


# ------------------------------------------------------------------ drafts

@click.command("import-drafts")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@with_appcontext
def import_drafts(paths):
    """Import draft sources (files or folders of <document>/<lang>.md)."""
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
        if outcome.action in ("new-version", "replaced"):
            click.echo(f"  not published yet: review its clause matching at "
                       f"/<lang>/settings/versions/{outcome.slug}/{outcome.version}, then "
                       f"publish it there or with 'consult publish-version {outcome.slug} "
                       f"{outcome.version}'")


def _consultation(session, slug):
    consultation = by_slug(session, slug) if slug else current_consultation(session)
    if consultation is None:
        raise click.ClickException(f"no consultation {slug or ''}".strip())
    return consultation


def _refused(refusal: LifecycleRefused):
    for reason in refusal.reasons:
        click.echo(f"refused: {reason}", err=True)
    sys.exit(1)


@click.command("set-period")
@click.option("--consultation", "slug", default=None, help="consultation slug (default: current)")
@click.option("--opens", required=True, help="e.g. 2025-06-01T09:00 (Asia/Bishkek)")
@click.option("--closes", required=True, help="e.g. 2025-07-15T18:00 (Asia/Bishkek)")
@click.option("--justification-ky", default="", help="why a short period is reasonable (ky)")
@click.option("--justification-ru", default="", help="why a short period is reasonable (ru)")
@with_appcontext
def set_period(slug, opens, closes, justification_ky, justification_ru):
    """Set when the consultation accepts comments (Asia/Bishkek time); refused, with every
    reason, while the notice is incomplete or a short period lacks its justification."""
    cli_language()
    session = db.session()
    consultation = _consultation(session, slug)
    try:
        opens_at, closes_at = parse_local(opens), parse_local(closes)
    except ValueError as exc:
        raise click.ClickException(f"not a date and time: {exc}") from exc
    try:
        set_consultation_period(session, consultation, opens_at, closes_at, actor=None,
                                justification={"ky": justification_ky, "ru": justification_ru})
    except LifecycleRefused as refusal:
        session.rollback()
        _refused(refusal)
    session.commit()
    click.echo(f"{consultation.slug}: open from {opens} to {closes} (Asia/Bishkek)")
    if closes_at <= utcnow():
        # Allowed (a consultation held on paper may be recorded afterwards), but an
        # operator copying an example's dates would otherwise open nothing unawares.
        click.echo(f"warning: this period has already ended ({closes}): comments are not "
                   "accepted", err=True)


@click.command("announce")
@click.option("--consultation", "slug", default=None, help="consultation slug (default: current)")
@with_appcontext
def announce(slug):
    """Make the consultation's notice public; refused, with what is missing, while the
    notice is incomplete."""
    cli_language()
    session = db.session()
    consultation = _consultation(session, slug)
    try:
        announce_consultation(session, consultation, actor=None)
    except LifecycleRefused as refusal:
        session.rollback()
        _refused(refusal)
    session.commit()
    click.echo(f"{consultation.slug}: announced")


# ------------------------------------------------------------------ people and hearings

@click.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice(list(ROLES)), required=True)
@click.option("--name", default="")
@click.password_option(prompt="Password", confirmation_prompt=True,
                       help="read from a prompt, or from standard input when piped")
@with_appcontext
def create_user(email, role, name, password):
    """Create a staff account (or reset its password and role)."""
    cli_language()
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.ClickException(
            f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    session = db.session()
    user, created = save_user(session, email, role, password, name=name)
    session.commit()
    click.echo(f"{'created' if created else 'updated'} {user.email} ({user.role})")


@click.command("load-hearings")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def load_hearings(path):
    """Load a hearing schedule file (JSON); hearings already there are updated."""
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
              help="the SQLite file to create (an existing one is replaced, unless a demo "
                   "is running on it)")
def demo(port, no_serve, path):
    """Fresh SQLite database holding a consultation in mid-course (drafts, hearings held and
    planned, comments from every channel, answers, demo users); then serve it. Refused
    while another demo runs on the same database or port."""
    try:
        with demonstration.demo_lock(path):
            if not no_serve:
                demonstration.check_port(port)
            app = demonstration.make_app(path, port)
            accounts = demonstration.prepare(app, passwords={
                role: secrets.token_urlsafe(9) for role in ROLES})
            click.echo(f"demo database: {path}")
            for email, role, password in accounts:
                click.echo(f"  {role:<10} {email:<28} password: {password}")
            if no_serve:
                return
            click.echo(f"open http://127.0.0.1:{port}/  (Ctrl+C stops the demo)")
            demonstration.serve(app, port)
    except demonstration.DemoRefused as refusal:
        raise click.ClickException(f"refused: {refusal}") from None
