"""The online channel: the comment form under every clause and under a whole document."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ..comments.intake import NewComment, Recorded, Target, record_comment

FIELDS = ("body", "language", "author_name", "organisation", "category", "region",
          "gender", "email", "consent")


def submit(session: Session, target: Target, data: dict, client: str, page_lang: str,
           now: datetime | None = None, alone: bool = False) -> Recorded | None:
    """Record what a citizen sent. ``data`` holds the form fields by their contract names
    (DESIGN.md section 4) and ``website``, the honeypot; ``client`` names the sender's
    connection (a resubmission returns the first receipt); ``alone``: the comment is the
    transaction's only write (``intake.record_comments``).

    Returns None for a filled honeypot (nothing stored: the caller answers as if all went
    well), else what the intake service recorded. Raises ``Refused``.
    """
    if data.get("website"):
        return None
    values = {name: data.get(name) or "" for name in FIELDS}
    return record_comment(session, target, NewComment(
        channel="online", body=values["body"], language=values["language"] or page_lang,
        author_name=values["author_name"], organisation=values["organisation"],
        category=values["category"] or "individual", region=values["region"],
        gender=values["gender"] or "unstated", email=values["email"],
        consent=values["consent"] or "anonymous", client=client), actor=None, now=now,
        alone=alone)
