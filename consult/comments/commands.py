"""A person's data on request, from the command line (docs/operations.md, Personal data):

- ``consult personal-data WHO``: everything stored with the comments of an e-mail address
  or a receipt code, as JSON, for answering a request to see one's data;
- ``consult erase CODE... --reason --as``: erase the personal data of comments on a written
  request, as a moderator does on the moderation page (the same service, audited);
- ``consult erasures``: the receipt codes of every comment whose personal data was erased,
  to erase them again in a database restored from a backup taken before.
"""
from __future__ import annotations

import json
import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from .. import db
from ..accounts.services import find_user
from ..core.time import iso_local, parse_local
from ..i18n import cli_language
from ..models import Comment, Document
from .receipts import ReceiptRefused, by_receipt, erase_personal_data

# What a person is given of each comment: every stored field that is theirs or says what
# became of their comment (not the staff's internal keys).
SHOWN = ("receipt_code", "received_at", "channel", "language", "body", "author_name",
         "organisation", "email", "category", "region", "gender", "consent", "state",
         "withdrawn_at", "erased_at")


def comments_of(session, who: str) -> list[Comment]:
    """The comments an e-mail address (any case) or a receipt code (as typed) names."""
    if "@" not in who:
        found = by_receipt(session, who)
        return [found] if found is not None else []
    return list(session.scalars(
        select(Comment).where(func.lower(Comment.email) == who.strip().lower())
        .options(joinedload(Comment.document).load_only(Document.slug)).order_by(Comment.id)))


def record_of(comment: Comment) -> dict:
    values = {name: getattr(comment, name) for name in SHOWN}
    for name in ("received_at", "withdrawn_at", "erased_at"):
        values[name] = iso_local(values[name])
    values["document"] = comment.document.slug
    values["clause"] = comment.clause_key
    return values


@click.command("personal-data")
@click.argument("who")
@with_appcontext
def personal_data(who):
    """Print, as JSON, everything stored with the comments of WHO (an e-mail address or a
    receipt code): to answer a person's request to see their data."""
    cli_language()
    found = comments_of(db.session(), who)
    if not found:
        raise click.ClickException(f"no comment of {who}")
    click.echo(json.dumps([record_of(comment) for comment in found], ensure_ascii=False,
                          indent=2))


@click.command("erasures")
@click.option("--since", default=None, help="only those erased from, e.g. 2025-06-01T09:00 "
              "(Asia/Bishkek)")
@with_appcontext
def erasures(since):
    """Print the receipt code of every comment whose personal data was erased (one a line,
    with when), to erase them again in a database restored from an older backup."""
    query = select(Comment.receipt_code, Comment.erased_at).where(
        Comment.erased_at.is_not(None)).order_by(Comment.erased_at, Comment.id)
    if since:
        try:
            query = query.where(Comment.erased_at >= parse_local(since))
        except ValueError as exc:
            raise click.ClickException(f"not a date and time: {exc}") from exc
    for code, erased_at in db.session().execute(query):
        click.echo(f"{code}\t{iso_local(erased_at)}")


@click.command("erase")
@click.argument("codes", nargs=-1)
@click.option("--reason", required=True, help="the written request carried out, e.g. "
              "'letter of 3 May 2025'")
@click.option("--as", "staff", required=True, help="the e-mail of the staff account "
              "doing it (recorded in the audit log)")
@click.option("--from-file", type=click.File("r"), default=None,
              help="read the codes from a file ('-': standard input), as 'consult erasures' "
              "prints them")
@with_appcontext
def erase(codes, reason, staff, from_file):
    """Erase the name, organisation and e-mail address stored with the comments of the
    receipt CODES, on a written request (the same as on the moderation page; audited).
    Codes not in the database are listed and make the command fail after the others are
    done."""
    cli_language()
    session = db.session()
    actor = find_user(session, staff)
    if actor is None or not actor.has_role("moderator"):  # as on the moderation page
        raise click.ClickException(f"{staff} is not an administrator's or moderator's account")
    typed = list(codes) + ([line.split("\t", 1)[0] for line in from_file if line.strip()]
                           if from_file else [])
    if not typed:
        raise click.ClickException("no receipt code given")
    erased, already, missing = 0, 0, []
    for code in typed:
        comment = by_receipt(session, code)
        if comment is None:
            missing.append(code)
            continue
        try:
            changed = erase_personal_data(session, comment, actor, reason)
        except ReceiptRefused as refusal:
            session.rollback()
            raise click.ClickException(str(refusal)) from None
        erased, already = erased + changed, already + (not changed)
    session.commit()
    click.echo(f"erased: {erased}; erased before: {already}; not in this database: "
               f"{len(missing)}")
    for code in missing:
        click.echo(f"  not found: {code}", err=True)
    if missing:
        sys.exit(1)
