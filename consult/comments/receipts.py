"""The commenter's own page: a comment found by its receipt code, and what its holder may
do with it (Aarhus Art. 6; the Law "On personal information").

The receipt code is the commenter's key: with it, at any time and with no account, they may
withdraw the comment, change their consent to publication, or have their personal data
erased. Staff do the same on a written request and must say why. What the public then sees
follows from the comment's row alone (``consult.comments.public``), so every page, CSV, API
response and export honours a change as soon as it is committed.

The code itself is made and read here too (``new_code``, ``candidates``): issued as
``K7HM-X4PT-9CEA``, found again however it is typed back, from a phone, a paper receipt or a
voice on the telephone.

Services take a session and plain values, flush and never commit; each change is audited
(actor None: the commenter with the code; a User: staff on a written request).
"""
from __future__ import annotations

import re
import secrets
import unicodedata

from flask_babel import gettext as _
from sqlalchemy import JSON, bindparam, select
from sqlalchemy.orm import Session, defer, joinedload

from .. import audit
from ..core.text import clean
from ..core.time import iso_local, utcnow
from ..core.vocab import CONSENTS
from ..mail import outbox
from ..models import (
    AuditEvent,
    Comment,
    Consultation,
    Document,
    DocumentVersion,
    DuplicateGroup,
    User,
)

# What "personal data" means for erasure: what identifies the commenter. Category, region
# and gender stay: they are statistics, not identification, and the totals must hold.
PERSONAL_FIELDS = ("author_name", "organisation", "email")
# A written request's reason must say something ("per letter of 3 May" and up).
REASON_MIN_WORDS = 3
REASON_MAX = 2000


# The receipt code: digits and the ten capital letters whose shape Kyrgyz and Russian
# keyboards share (Cyrillic А С Е Н К М Р Т Х У), so that it is typed right on either
# layout; no two characters look alike (no O beside 0, no I or L beside 1, no S, Z, B, G
# beside 5, 2, 8, 6). Shown and stored in groups of four: K7HM-X4PT-9CEA.
ALPHABET = "0123456789ACEHKMPTXY"
LENGTH = 12
GROUP = 4
EXAMPLE = "K7HM-X4PT-9CEA"
# What a reader may type instead of a character of the code: a Latin look-alike, or a
# Cyrillic letter on a Kyrgyz or Russian keyboard (after capitalising).
LOOKALIKES = str.maketrans({
    "O": "0", "Q": "0", "I": "1", "L": "1", "Z": "2", "S": "5", "G": "6", "B": "8",
    "А": "A", "С": "C", "Е": "E", "Н": "H", "К": "K", "М": "M", "Р": "P", "Т": "T",
    "Х": "X", "У": "Y", "Ү": "Y", "О": "0", "Ө": "0", "І": "1", "З": "3", "Б": "6",
    "В": "8",
})
# The codes given before these (``secrets.token_urlsafe``: 22 characters, capital and
# small letters mattering) stay valid, matched exactly as typed; 32 is the column's width.
LEGACY = re.compile(r"[A-Za-z0-9_-]{16,32}")
# Longer input is no code of either form: refused before any work is done on it.
TYPED_MAX = 64


class ReceiptRefused(ValueError):
    """The change was not made; the message (translated) says why."""


def new_code() -> str:
    """A new receipt code, e.g. ``K7HM-X4PT-9CEA``: 12 characters of a 20-character
    alphabet, from ``secrets``.

    Why 12 characters are enough: 20**12 is about 4.1 * 10**15 codes, 51.9 bits. A code is
    guessed only by trying it, and every receipt address and the "Find my comment" box
    count a client's wrong codes (``RECEIPT_RATE_LIMIT``, by default 60 an hour: 525,600 a
    year from one address). Even with a million comments stored (a consultation brings
    thousands), one try hits some comment with a chance of 2.4 * 10**-10: a year of tries
    from one address, 1.3 * 10**-4; from a thousand addresses, 0.13, and the prize is one
    random stranger's receipt. (Ten characters of a 28-character alphabet, 48 bits, would
    be 14 times easier; this alphabet was chosen for the keyboards, and two more
    characters make up for it.)

    Unique: the column is unique, so a code given twice (a chance of one in 4 * 10**15 per
    pair) fails the insert, and ``intake.record_comments`` tries again with new codes."""
    code = "".join(secrets.choice(ALPHABET) for _position in range(LENGTH))
    return grouped(code)


def grouped(code: str) -> str:
    """``K7HMX4PT9CEA`` as it is shown and stored: ``K7HM-X4PT-9CEA``."""
    return "-".join(code[start:start + GROUP] for start in range(0, len(code), GROUP))


def _ignored(char: str) -> bool:
    # Spaces of every kind, dashes of every kind, the minus sign, and invisible format
    # characters (a soft hyphen or zero-width space copied from a PDF).
    return char.isspace() or char == "\u2212" or unicodedata.category(char) in ("Pd", "Cf")


def normalise(typed: str) -> str | None:
    """The receipt code as issued from a code as typed: capital or small letters, with or
    without spaces and dashes, with a look-alike for a character of the code (O or
    Cyrillic О for 0, I or L for 1, S for 5, Cyrillic К for K...). None when the text
    cannot be a code of this form."""
    if len(typed) > TYPED_MAX:
        return None
    text = unicodedata.normalize("NFKC", typed).upper()
    code = "".join(char for char in text if not _ignored(char)).translate(LOOKALIKES)
    if len(code) != LENGTH or any(char not in ALPHABET for char in code):
        return None
    return grouped(code)


def candidates(typed: str) -> list[str]:
    """The stored codes ``typed`` may stand for: the code of the current form it reads
    as, and itself, exactly, when it has the form of a code given before; none when it
    is no receipt code at all (malformed)."""
    if len(typed) > TYPED_MAX:
        return []
    current, legacy = normalise(typed), typed.strip()
    return ([current] if current is not None else []) + \
        ([legacy] if LEGACY.fullmatch(legacy) else [])


def by_receipt(session: Session, code: str) -> Comment | None:
    """The comment a receipt code (as typed, see ``candidates``) names, with what its
    receipt page shows."""
    forms = candidates(code)
    if not forms:
        return None
    return session.scalar(_BY_RECEIPT, {"codes": forms})


# One query for the comment and everything its receipt page shows (each a many-to-one,
# or the one answer), built once: a receipt is the page every commenter is sent to. The
# texts it does not show (the notice's, the version's preamble) are left unread; the
# clause is named by revisions.fates.
_NOTICE_TEXTS = tuple(column for column in Consultation.__table__.columns
                      if isinstance(column.type, JSON))
_BY_RECEIPT = (
    select(Comment).where(Comment.receipt_code.in_(bindparam("codes", expanding=True)))
    .options(joinedload(Comment.document).joinedload(Document.current_version)
             .defer(DocumentVersion.preamble_html),
             joinedload(Comment.document).joinedload(Document.consultation)
             .options(*(defer(getattr(Consultation, c.key)) for c in _NOTICE_TEXTS)),
             joinedload(Comment.response),
             joinedload(Comment.group).joinedload(DuplicateGroup.response)))


def reason_text(reason: str | None) -> str:
    """A written request's reason, cleaned; ReceiptRefused unless it says something."""
    text, _removed = clean((reason or "").strip())
    if len(text.split()) < REASON_MIN_WORDS:
        raise ReceiptRefused(_("Give the reason for this change in at least a few words (the "
                               "written request it carries out)."))
    if len(text) > REASON_MAX:
        raise ReceiptRefused(_("The reason may be at most %(max)d characters long.",
                               max=REASON_MAX))
    return text


def staff_reason(actor: User | None, reason: str) -> str:
    """The reason as it goes into the audit event: required from staff, '' for the
    commenter (who owes nobody a reason)."""
    return reason_text(reason) if actor is not None else ""


def _audit(session: Session, actor: User | None, action: str, comment: Comment,
           before: dict, after: dict, reason: str) -> None:
    # Who asked is part of the record: the commenter with the code, or staff on paper.
    after = {**after, "by": "staff" if actor is not None else "receipt"}
    if reason:
        after["reason"] = reason
    session.flush()
    audit.record(session, actor, action, comment, before, after)


def withdraw(session: Session, comment: Comment, actor: User | None = None,
             reason: str = "") -> bool:
    """Withdraw the comment: its text leaves every public surface; it stays in the
    register (and every count) as withdrawn and keeps its answer. Returns whether anything
    changed (withdrawing twice changes nothing). Audited."""
    reason = staff_reason(actor, reason)
    if comment.state == "withdrawn":
        return False
    before = {"state": comment.state, "reason": comment.hidden_reason}
    comment.state, comment.hidden_reason = "withdrawn", "withdrawn"
    comment.withdrawn_at = utcnow()
    _audit(session, actor, "comment.withdraw", comment, before,
           {"state": "withdrawn", "reason": "withdrawn",
            "withdrawn_at": iso_local(comment.withdrawn_at)}, reason)
    return True


def change_consent(session: Session, comment: Comment, consent: str,
                   actor: User | None = None, reason: str = "") -> bool:
    """Set how the comment may be published (a ``CONSENTS`` code). Returns whether anything
    changed. Audited."""
    reason = staff_reason(actor, reason)
    if consent not in CONSENTS:
        raise ReceiptRefused(_("Choose one of the listed ways to publish your comment."))
    if comment.state == "withdrawn":
        # Nothing of a withdrawn comment is published again: consent has nothing to govern.
        raise ReceiptRefused(_("This comment was withdrawn: nothing of it is published, so "
                               "there is no consent to change."))
    if consent == "full" and comment.erased_at is not None:
        # The name is gone: "publish with my name" would promise what cannot be shown.
        raise ReceiptRefused(_("Your name was erased, so the comment cannot be published "
                               "with it."))
    if consent == comment.consent:
        return False
    before = {"consent": comment.consent}
    comment.consent = consent
    _audit(session, actor, "comment.consent", comment, before,
           {"consent": consent, "changed_at": iso_local(utcnow())}, reason)
    return True


def erase_personal_data(session: Session, comment: Comment, actor: User | None = None,
                        reason: str = "") -> bool:
    """Blank the commenter's name, organisation and e-mail address; the comment itself, its
    category, region and answer stay. Returns whether anything changed. Audited without
    the erased values: the event names only the fields that were erased.

    Erasure reaches the audit log too: the comment's earlier events (the snapshot taken
    when it was recorded, staff edits) keep what happened but lose the personal values,
    which is what erasure means; the erase event says how many were redacted."""
    reason = staff_reason(actor, reason)
    erased = [name for name in PERSONAL_FIELDS if getattr(comment, name)]
    if not erased and comment.erased_at is not None:
        return False
    before = {"erased_at": iso_local(comment.erased_at)}
    for name in erased:
        setattr(comment, name, "")
    comment.erased_at = utcnow()
    redacted = _redact_audit(session, comment.id)
    outbox.cancel(session, comment_ids=[comment.id])
    _audit(session, actor, "comment.erase", comment, before,
           {"erased": erased, "erased_at": iso_local(comment.erased_at),
            "redacted_events": redacted}, reason)
    return True


def _redact_audit(session: Session, comment_id: int) -> int:
    """Blank the personal fields in the comment's earlier audit events; how many changed."""
    changed = 0
    for event in session.scalars(select(AuditEvent).where(
            AuditEvent.object_type == Comment.__tablename__,
            AuditEvent.object_id == comment_id)):
        redacted = {side: _without_personal(getattr(event, side)) for side in ("before", "after")}
        if any(redacted[side] != getattr(event, side) for side in redacted):
            # New dicts, so that SQLAlchemy sees the JSON columns change.
            event.before, event.after = redacted["before"], redacted["after"]
            changed += 1
    return changed


def _without_personal(values: dict | None) -> dict | None:
    if not isinstance(values, dict):
        return values
    return {key: ("" if key in PERSONAL_FIELDS and value else value)
            for key, value in values.items()}
