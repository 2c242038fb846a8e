"""A queued event written as an e-mail, when it is sent.

Written in the comment's language (a language the site no longer speaks falls back to
the site's first, ``core.languages``), from the comment as it is at that moment: its
receipt code, its document and clause. Plain text, with absolute links built from
``PUBLIC_URL`` (never from a request's Host, as printed handouts and QR codes): the
receipt, the results when they are the news, and the stop link, which is also the
``List-Unsubscribe`` header (with ``List-Unsubscribe-Post`` for a mail program's
one-click stop, RFC 8058).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime as mail_date
from email.utils import parseaddr

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..comments.public import responding_body
from ..core import formats, languages
from ..core.urls import public_url
from ..core.vocab import STATUSES
from ..i18n import clause_label
from ..models import Comment, OutboxMessage
from . import stop

# Subjects the site already says on its pages (the receipt, the answer, the results).
SUBJECTS = {
    "confirmation": _l("Receipt for your comment"),
    "answered": _l("Answer of the drafters"),
    "results": _l("Results published"),
}


@dataclass(frozen=True)
class Letter:
    """A message as written, before it is addressed."""
    subject: str
    body: str
    language: str
    stop_url: str


def message_language(lang: str) -> str:
    """The language of a comment's messages: its own, when the site still speaks it."""
    return lang if lang in languages.codes() else languages.default()


def absolute_url(endpoint: str, **values) -> str:
    """An absolute address on the site (``core.urls.public_url``: from PUBLIC_URL, never a
    request's Host); the site-relative path when PUBLIC_URL is not set."""
    found = public_url(endpoint, **values)
    if found is not None:
        return found
    with current_app.test_request_context("/"):
        return url_for(endpoint, **values)


def _place(comment: Comment) -> str:
    if comment.clause_key:
        return _("Clause %(key)s", key=clause_label(comment.clause_key))
    return _("the whole document")


def _document(comment: Comment, lang: str) -> str:
    return languages.pick(comment.version.title, lang)[0] or comment.document.slug


def _confirmation(message: OutboxMessage, comment: Comment, lang: str) -> list[str]:
    return [
        _("Thank you for your comment on “%(document)s” (%(place)s), received on "
          "%(received)s, Bishkek time.", document=_document(comment, lang),
          place=_place(comment),
          received=formats.current(comment.received_at, formats.LONG_DATETIME)),
        _("Its receipt, where you can see whether it is published, read the drafters' "
          "answer, withdraw it, change how it is published or have your personal data "
          "erased:") + "\n" + _receipt(comment, lang),
        _("Keep this message: the link is the only key to your comment, and anyone who has "
          "it can open the receipt."),
        _("We will write to you when your comment is answered and when the results of the "
          "consultation are published."),
    ]


def _answered(message: OutboxMessage, comment: Comment, lang: str) -> list[str]:
    return [
        _("Your comment on “%(document)s” (%(place)s) was answered: %(status)s.",
          document=_document(comment, lang), place=_place(comment),
          status=STATUSES.label(message.status)),
        _("The answer and its reasons are on your comment's receipt:") + "\n"
        + _receipt(comment, lang),
    ]


def _results(message: OutboxMessage, comment: Comment, lang: str) -> list[str]:
    consultation = comment.document.consultation
    return [
        _("The results of the consultation “%(consultation)s” are published: every comment "
          "received, how it was answered and what changed in the drafts.",
          consultation=languages.pick(consultation.title, lang)[0] or consultation.slug),
        _("Your comment and its answer:") + "\n" + _receipt(comment, lang),
        _("All the results:") + "\n" + absolute_url("publication.results", lang=lang,
                                                    cslug=consultation.slug),
    ]


WRITERS = {"confirmation": _confirmation, "answered": _answered, "results": _results}


def _receipt(comment: Comment, lang: str) -> str:
    return absolute_url("comments.receipt", lang=lang, code=comment.receipt_code)


def write(message: OutboxMessage, comment: Comment) -> Letter:
    """``message`` written out for ``comment``, in the comment's language."""
    lang = message_language(comment.language)
    with force_locale(lang):
        stop_url = absolute_url("mail.stop_page", lang=lang, token=stop.token_for(comment.id))
        paragraphs = WRITERS[message.kind](message, comment, lang)
        paragraphs += [
            "— " + responding_body(comment.document.consultation, lang),
            _("You receive this message because this address was given with a comment. To "
              "receive no more messages at this address, open:") + "\n" + stop_url,
        ]
        subject = " ".join(str(SUBJECTS[message.kind]).split())
    return Letter(subject, "\n\n".join(paragraphs) + "\n", lang, stop_url)


def email_message(letter: Letter, *, sender: str, to: str, message_id: int) -> EmailMessage:
    """The letter addressed, with the headers mail programs read. The Message-ID stays the
    same on every attempt, so a server that took a message it then reported as failed
    lets the recipient's mail program drop the second copy."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    email = EmailMessage()
    email["Subject"] = letter.subject
    email["From"] = sender
    email["To"] = to
    email["Date"] = mail_date(datetime.now(UTC))
    email["Message-ID"] = f"<consult-outbox-{message_id}@{domain}>"
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no automatic replies, please
    email["List-Unsubscribe"] = f"<{letter.stop_url}>"
    email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email.set_content(letter.body, cte="quoted-printable")
    email["Content-Language"] = letter.language  # after: set_content replaces Content-*
    return email
