"""``consult publish-version``: publish a revised version from the command line."""
from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from .. import db
from ..i18n import cli_language
from . import revisions, services


@click.command("publish-version")
@click.argument("slug")
@click.argument("number", type=click.IntRange(1, 9999))
@click.option("--accept-proposed", is_flag=True,
              help="Confirm the proposed clause matching as it stands (printed) and publish.")
@with_appcontext
def publish_version(slug: str, number: int, accept_proposed: bool):
    """Publish version NUMBER of document SLUG, once its clause matching is confirmed on
    the review page (or with --accept-proposed)."""
    cli_language()
    session = db.session()
    document = services.document_by_slug(session, slug)
    version = revisions.version_by_number(session, document, number) if document else None
    if version is None:
        raise click.ClickException(f"no version {number} of {slug}")
    if version.published_at is not None:
        raise click.ClickException(f"version {number} of {slug} is already published")
    if accept_proposed:
        _print_matching(revisions.matching(session, version))
        revisions.confirm_matching(session, version, actor=None)
    elif version.matching_confirmed_at is None:
        click.echo(f"refused: the clause matching of version {number} is not confirmed; "
                   f"review it at /<lang>/settings/versions/{slug}/{number}, or run again "
                   "with --accept-proposed", err=True)
        sys.exit(1)
    try:
        revisions.publish_version(session, version, actor=None)
    except revisions.RevisionRefused as refusal:
        session.rollback()
        for reason in refusal.reasons:
            click.echo(f"refused: {reason}", err=True)
        sys.exit(1)
    session.commit()
    click.echo(f"{slug}: version {number} published")


def _print_matching(rows: list[revisions.MatchRow]) -> None:
    counts = revisions.kinds_count(rows)
    click.echo("matching: " + ", ".join(f"{kind} {count}" for kind, count in counts.items()))
    for row in rows:
        if row.kind == "same":
            continue
        old = row.old.key if row.old is not None else "-"
        new = row.new.key if row.new is not None else "-"
        similarity = f" ({row.similarity:.2f})" if row.old is not None and row.new is not None \
            else ""
        click.echo(f"  {old:>10} -> {new:<10} {row.kind}{similarity}")
