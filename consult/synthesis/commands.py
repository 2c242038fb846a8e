"""``consult export-synthesis``: the synthesis workbook, or the comparison table for filing,
from the command line."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from .. import db
from ..core import languages
from ..core.consultation import by_slug, current_consultation
from ..drafts.services import document_by_slug
from ..i18n import cli_language
from .docx import export_docx
from .workbook import export_workbook


@click.command("export-synthesis")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True),
              help="the file to write (.xlsx, or .docx with --format docx)")
@click.option("--format", "file_format", type=click.Choice(["xlsx", "docx"]), default="xlsx",
              show_default=True,
              help="xlsx: the synthesis workbook; docx: the comparison table for filing "
                   "(always the public form of each comment)")
@click.option("--document", "document_slug", default=None, help="only this document (slug)")
@click.option("--lang", default="ru", show_default=True,
              help="language of headers and labels (one of the site's languages)")
@click.option("--public", is_flag=True,
              help="the public variant of the workbook: hidden text withheld")
@click.option("--consultation", "consultation_slug", default=None,
              help="consultation slug (default: the current one)")
@with_appcontext
def export_synthesis(out, file_format, document_slug, lang, public, consultation_slug):
    """Write the comment synthesis (workbook or comparison table) and print the count check."""
    cli_language()
    if lang not in languages.codes():
        raise click.BadParameter(f"choose one of {', '.join(languages.codes())}",
                                 param_hint="--lang")
    session = db.session()
    consultation = by_slug(session, consultation_slug) if consultation_slug \
        else current_consultation(session)
    if consultation is None:
        raise click.ClickException(f"no consultation {consultation_slug or ''}".strip())
    document = document_by_slug(session, document_slug) if document_slug else None
    if document_slug is not None and (document is None
                                      or document.consultation_id != consultation.id):
        raise click.ClickException(f"no document {document_slug} in {consultation.slug}")
    if file_format == "docx":
        summary = export_docx(session, out, lang=lang, consultation=consultation,
                              document_slug=document_slug)
    else:
        summary = export_workbook(session, out, lang=lang, public=public,
                                  consultation=consultation, document_slug=document_slug)
    states = summary.states
    click.echo(f"{out}: {summary.received} comment(s) received = "
               f"{states['published']} published + {states['hidden']} hidden + "
               f"{states['withdrawn']} withdrawn + {states['new']} awaiting moderation: "
               + ("holds" if summary.check_holds else "DOES NOT HOLD"))
    if not summary.check_holds:
        raise SystemExit(1)
