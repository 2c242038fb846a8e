"""``consult send-mail [--watch]``: deliver the outbox to the SMTP server."""
from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import db
from ..i18n import cli_language
from . import delivery


@click.command("send-mail")
@click.option("--watch", is_flag=True,
              help="keep delivering: a pass, a pause, another pass, until stopped")
@click.option("--interval", default=30, show_default=True, type=click.IntRange(1, 3600),
              help="seconds between passes with --watch")
@with_appcontext
def send_mail(watch: bool, interval: int):
    """Deliver the e-mail messages due (MAIL_SERVER, MAIL_FROM and PUBLIC_URL must be
    set); failed attempts are tried again later, with --watch or at the next run."""
    cli_language()
    try:
        settings = delivery.Settings.from_config(current_app.config)
    except delivery.MailNotConfigured as exc:
        raise click.ClickException(str(exc)) from None
    session = db.session()
    try:
        while True:
            done = delivery.deliver_pending(session, settings)
            # Each pass reads afresh: a long --watch must not keep what it read before.
            session.close()
            if not watch or any(vars(done).values()):
                click.echo(f"{done.sent} sent, {done.retrying} to retry, {done.failed} "
                           f"given up, {done.cancelled} cancelled")
            if not watch:
                return
            time.sleep(interval)
    except KeyboardInterrupt:
        click.echo("stopped")
