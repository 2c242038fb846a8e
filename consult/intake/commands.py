"""``consult import-hearing HEARING_ID FILE.xlsx``: the offline kit, from the command line."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from .. import db
from ..core.uploads import UploadError
from ..hearings.kit import column_labels
from ..i18n import cli_language
from ..models import Hearing
from .kit import import_kit


@click.command("import-hearing")
@click.argument("hearing_id", type=int)
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def import_hearing(hearing_id: int, path: str):
    """Import a filled hearing kit; prints every problem by row and column, imports
    nothing unless the file is clean, and adds nothing twice."""
    cli_language()
    session = db.session()
    hearing = session.get(Hearing, hearing_id)
    if hearing is None:
        raise click.ClickException(f"no hearing {hearing_id}")
    try:
        outcome = import_kit(session, hearing, Path(path).read_bytes(), Path(path).name,
                             actor=None)
    except UploadError as exc:
        session.rollback()
        click.echo(f"{path}: {exc}", err=True)
        sys.exit(1)
    if outcome.problems:
        session.rollback()
        columns = column_labels()
        for problem in outcome.problems:
            click.echo(f"{path}: row {problem.row}, {columns.get(problem.column, problem.column)}:"
                       f" {problem.message}", err=True)
        click.echo(f"refused: {len(outcome.problems)} problem(s); nothing was imported", err=True)
        sys.exit(1)
    session.commit()
    if outcome.already:
        click.echo("this file was imported before; nothing was added")
    else:
        click.echo(f"{outcome.added} comment(s) imported, {outcome.skipped} already there")
