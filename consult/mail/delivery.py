"""Delivering the outbox to the SMTP server (``consult send-mail``).

A sender claims due messages one by one with an UPDATE that requires the revision it
read (and the message still due): two senders running at once (two ``--watch`` loops, a
cron job overlapping a manual run) never both claim one message, on SQLite or
PostgreSQL. Claims are committed before anything is sent, and every outcome right after
its message. A claim older than ``CLAIM_TIMEOUT`` is a sender that died mid-message: its
messages are due again (a message may then go twice, which is better than never; the
Message-ID stays the same, so mail programs drop the copy).

A refusal the server calls temporary (4xx), a dropped connection or a server out of
reach is tried again later, after ``MAIL_RETRY_SECONDS`` doubled at each attempt (at most
``MAX_DELAY``), until ``MAIL_MAX_ATTEMPTS`` attempts have failed: then the message is
given up (``failed``). A permanent refusal of the message itself (5xx to its recipient
or its content) is given up at once: asking again gets the same answer. A message whose
comment no longer has an address (erased, or stopped) is cancelled, not sent.

What the server said is kept in ``last_error`` with every address in it masked.
"""
from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from ..core.time import utcnow
from ..models import OutboxMessage
from . import messages
from .outbox import scrub

log = logging.getLogger("consult.mail")

CLAIM_TIMEOUT = timedelta(minutes=15)
MAX_DELAY = timedelta(hours=6)
BATCH = 50
ERROR_MAX = 500


class MailNotConfigured(Exception):
    """Mail cannot be sent: ``missing`` names the settings to set."""

    def __init__(self, missing: list[str]):
        super().__init__("set " + ", ".join(missing) + " to send mail")
        self.missing = missing


@dataclass(frozen=True)
class Settings:
    """How to reach the SMTP server, and how hard to try."""
    server: str
    port: int
    username: str
    password: str
    starttls: bool
    tls: bool  # TLS from the first byte (SMTPS, port 465)
    sender: str
    timeout: float
    max_attempts: int
    retry_seconds: int

    @classmethod
    def from_config(cls, config) -> Settings:
        """The settings from the application's configuration; MailNotConfigured without
        a server, a sender address or the site's public address (every message links to
        the site)."""
        missing = [name for name in ("MAIL_SERVER", "MAIL_FROM", "PUBLIC_URL")
                   if not config.get(name)]
        if missing:
            raise MailNotConfigured(missing)
        return cls(server=config["MAIL_SERVER"], port=int(config["MAIL_PORT"]),
                   username=config.get("MAIL_USERNAME", ""),
                   password=config.get("MAIL_PASSWORD", ""),
                   starttls=bool(config.get("MAIL_USE_TLS")),
                   tls=bool(config.get("MAIL_USE_SSL")), sender=config["MAIL_FROM"],
                   timeout=float(config.get("MAIL_TIMEOUT", 30)),
                   max_attempts=max(1, int(config.get("MAIL_MAX_ATTEMPTS", 10))),
                   retry_seconds=max(1, int(config.get("MAIL_RETRY_SECONDS", 60))))


@dataclass
class Pass:
    """What one delivery pass did."""
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0


class Connection:
    """One SMTP session for a pass, opened when the first message goes and again after
    the server hung up. A server that cannot be reached (or refuses to let us in) is not
    asked again in the same pass: the pass's other messages fail at once, each counting
    an attempt, rather than waiting for a timeout each."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None
        self._unreachable: OSError | None = None

    def send(self, email) -> None:
        if self._unreachable is not None:
            raise self._unreachable
        if self._smtp is None:
            try:
                self._smtp = _open(self.settings)
            except OSError as exc:  # smtplib's errors are OSErrors too
                self._unreachable = exc
                raise
        try:
            self._smtp.send_message(email)
        except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused):
            raise  # the server answered and reset the transaction: the session goes on
        except OSError:
            self.close()
            raise

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except OSError:
                self._smtp.close()
            self._smtp = None


def _open(settings: Settings) -> smtplib.SMTP:
    context = ssl.create_default_context()
    if settings.tls:
        smtp = smtplib.SMTP_SSL(settings.server, settings.port, timeout=settings.timeout,
                                context=context)
    else:
        smtp = smtplib.SMTP(settings.server, settings.port, timeout=settings.timeout)
    try:
        if settings.starttls and not settings.tls:
            smtp.starttls(context=context)
        if settings.username:
            smtp.login(settings.username, settings.password)
    except OSError:
        smtp.close()
        raise
    return smtp


def _due(now: datetime):
    """Pending and due, or claimed by a sender that has not finished within the timeout."""
    return or_(and_(OutboxMessage.state == "pending", OutboxMessage.next_attempt_at <= now),
               and_(OutboxMessage.state == "sending",
                    OutboxMessage.claimed_at < now - CLAIM_TIMEOUT))


def claim(session: Session, now: datetime, limit: int = BATCH) -> list[tuple[int, int]]:
    """Claim up to ``limit`` due messages for this sender, oldest due first, and commit:
    ``[(id, revision of the claim)]``. A message another sender claimed between our read
    and our update is left to it."""
    candidates = session.execute(
        select(OutboxMessage.id, OutboxMessage.revision).where(_due(now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)).all()
    claimed = []
    for message_id, revision in candidates:
        taken = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.revision == revision,
                   _due(now))
            .values(state="sending", claimed_at=now, revision=revision + 1)
            .execution_options(synchronize_session=False))
        if taken.rowcount == 1:
            claimed.append((message_id, revision + 1))
    session.commit()
    return claimed


def deliver_pending(session: Session, settings: Settings, now: datetime | None = None
                    ) -> Pass:
    """Deliver every message due (``now``, default the clock), a batch at a time, and
    return what was done. Commits as it goes."""
    outcome = Pass()
    connection = Connection(settings)
    try:
        while batch := claim(session, now or utcnow()):
            for message_id, revision in batch:
                _deliver(session, connection, settings, message_id, revision,
                         now or utcnow(), outcome)
    finally:
        connection.close()
    if any(vars(outcome).values()):
        log.info("mail: %d sent, %d to retry, %d given up, %d cancelled", outcome.sent,
                 outcome.retrying, outcome.failed, outcome.cancelled)
    return outcome


def _deliver(session: Session, connection: Connection, settings: Settings, message_id: int,
             revision: int, now: datetime, outcome: Pass) -> None:
    session.expire_all()  # the comment as it is now: an erasure may have just happened
    message = session.get(OutboxMessage, message_id)
    if message is None or message.state != "sending" or message.revision != revision:
        return  # cancelled since it was claimed
    address = message.comment.email
    if not address:
        if _finish(session, message, revision, state="cancelled"):
            outcome.cancelled += 1
        return
    try:
        email = messages.email_message(messages.write(message, message.comment),
                                       sender=settings.sender, to=address,
                                       message_id=message.id)
        connection.send(email)
    except (OSError, ValueError) as exc:  # ValueError: an address no header can hold
        _failed(session, message, revision, exc, settings, now, outcome)
        return
    if _finish(session, message, revision, state="sent", sent_at=now,
               attempts=message.attempts + 1, last_error=""):
        outcome.sent += 1


def _finish(session: Session, message: OutboxMessage, revision: int, **values) -> bool:
    """Record the outcome if our claim still holds (not cancelled meanwhile); commit."""
    done = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.revision == revision,
               OutboxMessage.state == "sending")
        .values(claimed_at=None, revision=revision + 1, **values)
        .execution_options(synchronize_session=False)).rowcount == 1
    session.commit()
    return done


def _failed(session: Session, message: OutboxMessage, revision: int, exc: Exception,
            settings: Settings, now: datetime, outcome: Pass) -> None:
    attempts = message.attempts + 1
    error = describe(exc)
    if permanent(exc) or attempts >= settings.max_attempts:
        if _finish(session, message, revision, state="failed", attempts=attempts,
                   last_error=error):
            outcome.failed += 1
        log.warning("mail: message %d given up after %d attempt(s): %s", message.id,
                    attempts, error)
        return
    delay = min(timedelta(seconds=settings.retry_seconds * 2 ** (attempts - 1)), MAX_DELAY)
    if _finish(session, message, revision, state="pending", attempts=attempts,
               next_attempt_at=now + delay, last_error=error):
        outcome.retrying += 1


def permanent(exc: Exception) -> bool:
    """Whether the server refused this very message for good (5xx to its recipient or
    its content). Refusals of our sign-in or sender address are the site's settings,
    not the message's fault: they are tried again once an administrator fixes them."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _reply in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPDataError):
        return exc.smtp_code >= 500
    return isinstance(exc, ValueError)


def describe(exc: Exception) -> str:
    """What went wrong, as kept in ``last_error``: the server's reply, addresses masked."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        text = "; ".join(f"{code} {_reply(reply)}" for code, reply in exc.recipients.values())
    elif isinstance(exc, smtplib.SMTPResponseException):
        text = f"{exc.smtp_code} {_reply(exc.smtp_error)}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return scrub(" ".join(text.split()))[:ERROR_MAX]


def _reply(reply) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
