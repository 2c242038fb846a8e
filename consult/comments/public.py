"""What the public may see of a comment: the only place that decides.

Every public surface calls this module: the clause and document pages, the receipt, the
results page, the results CSV, the open-data API and the public variant of the synthesis
workbook. The rules (Aarhus Art. 4(4)(f) and the Law "On personal information"):

- the text is public only for a published comment whose author did not ask to withhold
  it (consent ``none``); otherwise the public reads why it is withheld;
- a person's name only with consent ``full`` and only while the comment is published
  (not awaiting moderation, hidden or withdrawn);
- an individual's organisation under the same condition; an organisation writing as
  such is named while its comment is published (its signatory never, unless consenting);
- category and region are shown (they are what participation statistics are made of);
- e-mail addresses never (this module never reads them);
- answers are shown once the results are published, and staff are named as the
  responding body (the consultation's authority), never as persons.

The functions take anything with a comment's attributes (an ORM ``Comment`` or a row of a
query selecting the same column names), so that exports streaming 100,000 rows use the
same rule as the pages.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..core.languages import pick
from ..core.vocab import HIDE_REASONS, STATES, WITHHELD
from ..models import Clause, ClauseLineage, Comment, Consultation

# Which comments each kind of surface lists. The pages under a clause show what is
# published; open data lists every comment that went through moderation; the results,
# their CSV and the public workbook list every comment received (the count check holds).
LISTED_UNDER_CLAUSES = ("published",)
LISTED_IN_OPEN_DATA = ("published", "hidden", "withdrawn")


def withheld_reason(comment) -> str:
    """Why the text is not public ('' when it is): a hide reason or a ``WITHHELD`` code."""
    if comment.state == "withdrawn":
        return "withdrawn"
    if comment.state == "hidden":
        return comment.hidden_reason if comment.hidden_reason in HIDE_REASONS else "hidden"
    if not STATES.attr(comment.state, "public"):
        return "not-moderated"
    if comment.consent == "none":
        return "no-consent"
    return ""


def withheld_label(reason: str) -> str:
    """The words for a withheld reason code, in the current language."""
    return HIDE_REASONS.label(reason) if reason in HIDE_REASONS else WITHHELD.label(reason)


def public_author(comment) -> tuple[str, str]:
    """(name, organisation) as the public may read them ('' where withheld)."""
    if not STATES.attr(comment.state, "public"):
        return "", ""
    consented = comment.consent == "full"
    name = (comment.author_name or "") if consented else ""
    organisation = (comment.organisation or "") if (
        consented or comment.category != "individual") else ""
    return name, organisation


def public_text(comment) -> str | None:
    """The text as the public may read it; None when withheld."""
    return None if withheld_reason(comment) else comment.body


@dataclass(frozen=True)
class PublicComment:
    """A comment in its public form: what a template, a CSV row or the API may show."""
    id: int
    text: str | None  # None: withheld, see ``withheld``
    withheld: str
    name: str
    organisation: str
    category: str
    region: str
    language: str
    state: str
    channel: str
    clause_key: str | None
    received_at: datetime
    in_period: bool
    hearing_id: int | None
    group_id: int | None
    clause_id: int | None = None  # the clause of the version it was made on
    version_id: int | None = None

    @property
    def author(self) -> str:
        """Name and organisation as one line ('' when neither is public)."""
        return ", ".join(part for part in (self.name, self.organisation) if part)


def public_form(comment) -> PublicComment:
    """``comment`` as the public may see it."""
    name, organisation = public_author(comment)
    reason = withheld_reason(comment)
    return PublicComment(
        id=comment.id, text=None if reason else comment.body, withheld=reason, name=name,
        organisation=organisation, category=comment.category, region=comment.region or "",
        language=comment.language, state=comment.state, channel=comment.channel,
        clause_key=comment.clause_key, received_at=comment.received_at,
        in_period=comment.in_period, hearing_id=comment.hearing_id,
        group_id=comment.group_id, clause_id=comment.clause_id, version_id=comment.version_id)


def author_form(comment) -> PublicComment:
    """What the receipt shows its holder: the text as they sent it, whatever its state
    (it is theirs), and the authorship exactly as the public sees it."""
    return replace(public_form(comment), text=comment.body)


def commenter(comment, category_label: str, *, public: bool) -> str:
    """The workbook's ``Commenter`` cell (DESIGN.md section 6).

    A name only with consent ``full`` (in the public variant also only while published);
    otherwise the category and a participant number. Organisations as for the name,
    except that an organisation writing as such is named in the full variant.
    """
    if public:
        name, organisation = public_author(comment)
    else:
        consented = comment.consent == "full"
        name = (comment.author_name or "") if consented else ""
        organisation = (comment.organisation or "") if (
            consented or comment.category != "individual") else ""
    who = name or _("%(category)s #%(number)s", category=category_label, number=comment.id)
    return f"{who} ({organisation})" if organisation else who


# ---------------------------------------------------------------- answers

def answers_public(consultation: Consultation) -> bool:
    """Whether the drafters' answers may be shown to the public (results published)."""
    return consultation.results_published_at is not None


def answer_public(response, consultation: Consultation | None) -> bool:
    """Whether the public may read this answer at all (on the receipt at once; on the
    results, the CSV, the API and the public files once the results are published): when
    the consultation asks for a lead drafter's approval, only once it is approved.
    ``response``: a Response, or a row with its ``approved_at``."""
    if response is None:
        return False
    if consultation is not None and not consultation.answer_approval:
        return True
    return response.approved_at is not None


def responding_body(consultation: Consultation | None, lang: str) -> str:
    """Who answered, as the public reads it: the authority, never a member of staff."""
    if consultation is not None:
        name = pick(consultation.authority, lang)[0]
        if name:
            return name
    return _("The responsible authority")


# ---------------------------------------------------------------- lists

def published_comments(session: Session, document_id: int, clause_id: int | None,
                       limit: int = 200, offset: int = 0, *,
                       follow: bool = True) -> list[PublicComment]:
    """Published comments on one clause (None: on the whole document), newest first, in
    their public form. ``follow``: with the comments made on every earlier version of the
    clause (its lineage); otherwise only those made on this very clause."""
    if clause_id is None:
        on = Comment.clause_id.is_(None)
    elif follow:
        on = Comment.clause_id.in_(select(ClauseLineage.clause_id)
                                   .where(ClauseLineage.current_clause_id == clause_id))
    else:
        on = Comment.clause_id == clause_id
    comments = session.scalars(
        select(Comment).where(Comment.document_id == document_id, on,
                              Comment.state.in_(LISTED_UNDER_CLAUSES))
        .order_by(Comment.received_at.desc(), Comment.id.desc()).limit(limit).offset(offset))
    return [public_form(c) for c in comments]


def published_counts(session: Session, document_id: int,
                     version_id: int | None = None) -> dict[str | None, int]:
    """Comments listed under each clause key (None: on the whole document). Without
    ``version_id``: under the current version's clauses, comments on earlier versions
    following their clause; with it, the comments made on that version's clauses."""
    whole = session.scalar(select(func.count()).select_from(Comment).where(
        Comment.document_id == document_id, Comment.clause_id.is_(None),
        Comment.state.in_(LISTED_UNDER_CLAUSES)))
    if version_id is None:
        rows = session.execute(
            select(Clause.key, func.count())
            .select_from(Comment)
            .join(ClauseLineage, ClauseLineage.clause_id == Comment.clause_id)
            .join(Clause, Clause.id == ClauseLineage.current_clause_id)
            .where(Comment.document_id == document_id,
                   Comment.state.in_(LISTED_UNDER_CLAUSES))
            .group_by(Clause.key))
    else:
        rows = session.execute(
            select(Clause.key, func.count()).select_from(Comment)
            .join(Clause, Clause.id == Comment.clause_id)
            .where(Comment.document_id == document_id, Clause.version_id == version_id,
                   Comment.state.in_(LISTED_UNDER_CLAUSES))
            .group_by(Clause.key))
    counts: dict[str | None, int] = dict(rows.all())
    if whole:
        counts[None] = whole
    return counts
