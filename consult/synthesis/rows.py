"""Comment-response rows: one per comment received, from every channel, hidden ones included.

The domain -> rows layer of the synthesis: the workbook, the CSV download and the results
page all read these rows. One streamed query joins each comment to the answers that may
apply to it; the small tables (documents, versions, clauses, hearings, groups, users) are
read once into dicts, so 100,000 comments cost one pass and no query per row.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from ..comments import public as policy
from ..core import formats
from ..core.consultation import current_consultation
from ..core.time import local_naive
from ..core.vocab import (
    CATEGORIES,
    CHANNELS,
    CONSENTS,
    GENDERS,
    HIDE_REASONS,
    ROLES,
    STATES,
    STATUSES,
)
from ..drafts import revisions
from ..i18n import clause_label, pick
from ..models import (
    Clause,
    Comment,
    Consultation,
    Document,
    DocumentVersion,
    Hearing,
    Response,
    Section,
    User,
)

# The Comments sheet, in the order of the contract (DESIGN.md section 6).
COLUMNS = [
    ("no", _l("No.")),
    ("comment_id", _l("Comment ID")),
    ("document", _l("Document")),
    ("version", _l("Version")),
    ("clause", _l("Clause")),
    # Where that clause is in the document's current version (after a revision).
    ("current_clause", _l("Clause in the current version")),
    ("clause_excerpt", _l("Clause excerpt")),
    ("comment", _l("Comment")),
    ("language", _l("Language")),
    ("channel", _l("Channel")),
    ("hearing", _l("Hearing")),
    ("received", _l("Received")),
    ("in_period", _l("In period")),
    ("category", _l("Category")),
    ("gender", _l("Gender")),
    ("commenter", _l("Commenter")),
    ("consent", _l("Consent")),
    ("moderation", _l("Moderation")),
    ("moderation_reason", _l("Moderation reason")),
    ("group", _l("Group")),
    ("group_size", _l("Group size")),
    ("status", _l("Response status")),
    ("rationale", _l("Rationale")),
    ("change", _l("Change in revised draft")),
    ("responded_by", _l("Responded by")),
    ("responded_at", _l("Responded at")),
]
COLUMN_CODES = [code for code, _label in COLUMNS]

# Comment states whose text the public variant withholds (not yet moderated, or hidden).
WITHHELD_STATES = ("new", "hidden", "withdrawn")
# Rows are streamed from the database in chunks of this many.
CHUNK = 2000


@dataclass
class Meta:
    """What the workbook needs about a row besides its displayed values (codes, chapter)."""
    document_id: int
    state: str
    channel: str
    category: str
    gender: str
    status: str
    hearing_id: int | None
    chapter: str
    clause: str = ""
    hidden_reason: str = ""
    moderation_note: str = ""
    # The answer applying to the row (its group's when grouped) and its revision: the
    # workbook carries them, so an upload can tell what changed since the export.
    answer_id: int | None = None
    answer_revision: int | None = None


def hearing_label(hearing: Hearing, lang: str) -> str:
    """A hearing as a reader names it: city and local date."""
    city = hearing.city_name(lang)
    return f"{city}, {formats.text(hearing.starts_at, formats.DATE, lang)}" \
        if hearing.starts_at else city


def iter_rows(session: Session, *, lang: str, public: bool,
              consultation_id: int | None = None,
              document_slug: str | None = None) -> Iterator[dict]:
    """One dict per comment received (hidden included), keys = the codes of ``COLUMNS``.

    Values are display strings in ``lang``, except ``received`` and ``responded_at``
    (naive Asia/Bishkek datetimes) and the numbers. ``public`` withholds the text of
    comments not (or no longer) published and of commenters who refused publication.
    E-mail addresses are never read.
    """
    for row, _meta in iter_records(session, lang=lang, public=public,
                                   consultation_id=consultation_id,
                                   document_slug=document_slug):
        yield row


def iter_records(session: Session, *, lang: str, public: bool,
                 consultation_id: int | None = None,
                 document_slug: str | None = None) -> Iterator[tuple[dict, Meta]]:
    """Like ``iter_rows`` but with each row's ``Meta`` (codes and chapter) for the summaries.
    ``consultation_id``: whose comments (default: the current consultation's)."""
    if consultation_id is None:
        current = current_consultation(session)
        consultation_id = current.id if current is not None else 0
    with force_locale(lang):
        ctx = _Context(session, lang, consultation_id, document_slug)
        labels = _Labels(lang)
        if document_slug is not None and not ctx.documents:
            return
        rows = session.execute(_stream_query(ctx).execution_options(yield_per=CHUNK))
        for number, rec in enumerate(rows, start=1):
            yield _build(rec, number, ctx, labels, public)


class _Labels:
    """Every code's label rendered once in the export language (not once per row)."""

    def __init__(self, lang: str):
        self.channel = CHANNELS.labels_in(lang)
        self.category = CATEGORIES.labels_in(lang)
        self.gender = GENDERS.labels_in(lang)
        self.consent = CONSENTS.labels_in(lang)
        self.state = STATES.labels_in(lang)
        self.reason = HIDE_REASONS.labels_in(lang)
        self.status = STATUSES.labels_in(lang)
        self.role = ROLES.labels_in(lang)
        self.yes, self.no = _("yes"), _("no")
        self.whole = _("Whole document")
        self.withheld = _("[Text withheld: %(reason)s]")


class _Context:
    """The small tables, read once into dicts keyed by id."""

    def __init__(self, session: Session, lang: str, consultation_id: int,
                 document_slug: str | None):
        query = select(Document).where(Document.consultation_id == consultation_id) \
            .order_by(Document.position, Document.id)
        if document_slug is not None:
            query = query.where(Document.slug == document_slug)
        docs = list(session.scalars(query))
        self.documents = {d.id: d for d in docs}
        versions = list(session.scalars(select(DocumentVersion).where(
            DocumentVersion.document_id.in_(self.documents or [0]))))
        self.versions = {v.id: v.number for v in versions}
        titles = {v.id: pick(v.title, lang)[0] for v in versions}
        self.document_title = {d.id: titles.get(d.current_version_id) or d.slug for d in docs}
        self.document_order = {d.id: i for i, d in enumerate(docs)}
        version_ids = list(self.versions) or [0]
        sections = session.execute(select(
            Section.id, Section.version_id, Section.position, Section.chapter_position,
            Section.heading).where(Section.version_id.in_(version_ids))).all()
        heading_at = {(s.version_id, s.position): pick(s.heading, lang)[0] for s in sections}
        chapter_of_section = {
            s.id: heading_at.get((s.version_id, s.chapter_position), "") for s in sections}
        self.clauses: dict[int, tuple[str, str, str]] = {}
        for clause in session.scalars(select(Clause).where(Clause.version_id.in_(version_ids))):
            self.clauses[clause.id] = (clause_label(clause.key), clause.excerpt(lang),
                                       chapter_of_section.get(clause.section_id, ""))
        self.current_clause = {
            clause_id: _("deleted in version %(number)d", number=fate.deleted_in)
            if fate.deleted_in else ", ".join(clause_label(key) for key in fate.current)
            for clause_id, fate in revisions.fates(session, self.clauses).items()}
        self.hearings = {h.id: hearing_label(h, lang) for h in session.scalars(
            select(Hearing).where(Hearing.consultation_id == consultation_id))}
        self.group_sizes = dict(session.execute(
            select(Comment.group_id, func.count()).where(Comment.group_id.is_not(None))
            .group_by(Comment.group_id)).all())
        self.users = {u.id: (u.name, u.role) for u in session.scalars(select(User))}
        consultation = session.get(Consultation, consultation_id)
        self.responding_body = policy.responding_body(consultation, lang)
        # Whether answers need a lead drafter's approval before the public reads them.
        self.approval = consultation is not None and consultation.answer_approval


def _stream_query(ctx: _Context):
    own = aliased(Response)
    shared = aliased(Response)
    return (
        select(Comment.id, Comment.document_id, Comment.version_id, Comment.clause_id,
               Comment.clause_key, Comment.body, Comment.language, Comment.channel,
               Comment.hearing_id, Comment.received_at, Comment.in_period, Comment.category,
               Comment.gender, Comment.author_name, Comment.organisation, Comment.consent,
               Comment.state, Comment.hidden_reason, Comment.moderation_note,
               Comment.group_id,
               own.status, own.rationale, own.change, own.responder_id, own.updated_at,
               shared.status, shared.rationale, shared.change, shared.responder_id,
               shared.updated_at, own.approved_at, shared.approved_at,
               own.id, own.revision, shared.id, shared.revision)
        .outerjoin(own, own.comment_id == Comment.id)
        .outerjoin(shared, (shared.group_id == Comment.group_id)
                   & Comment.group_id.is_not(None))
        .outerjoin(Clause, Clause.id == Comment.clause_id)
        .join(Document, Document.id == Comment.document_id)
        .where(Comment.document_id.in_(list(ctx.documents) or [0]))
        .order_by(Document.position, Document.id, func.coalesce(Clause.position, -1),
                  Comment.clause_key, Comment.id))


def _public_text(rec, labels: _Labels) -> str:
    reason = policy.withheld_reason(rec)
    return labels.withheld % {"reason": policy.withheld_label(reason)} if reason else rec.body


def _build(rec, number: int, ctx: _Context, labels: _Labels, public: bool):
    # Columns 20-24 are the comment's own answer, 25-29 its group's (the group's wins), 30-31
    # their approvals.
    grouped = rec.group_id is not None
    status, rationale, change, responder_id, responded_at = rec[25:30] if grouped else rec[20:25]
    # 32-35: the ids and revisions of both answers (the workbook carries the one applying).
    answer_id, answer_revision = rec[34:36] if grouped else rec[32:34]
    if public and ctx.approval and status is not None and \
            (rec[31] if grouped else rec[30]) is None:
        # Not yet approved by a lead drafter: the public reads it as not answered yet.
        status = rationale = change = responder_id = responded_at = None
    clause_name, excerpt, chapter = ctx.clauses.get(rec.clause_id, (labels.whole, "", ""))
    if rec.clause_id is None and rec.clause_key:
        clause_name = clause_label(rec.clause_key)
    responder = ""
    if responder_id is not None and public:
        responder = ctx.responding_body  # staff are never named in public
    elif responder_id is not None:
        name, role = ctx.users.get(responder_id, ("", ""))
        responder = name or labels.role.get(role, "")
    row = {
        "no": number,
        "comment_id": rec.id,
        "document": ctx.document_title[rec.document_id],
        "version": ctx.versions.get(rec.version_id),
        "clause": clause_name,
        "current_clause": ctx.current_clause.get(rec.clause_id, labels.whole)
        if rec.clause_id is not None else labels.whole,
        "clause_excerpt": excerpt,
        "comment": _public_text(rec, labels) if public else rec.body,
        "language": rec.language,
        "channel": labels.channel.get(rec.channel, rec.channel),
        "hearing": ctx.hearings.get(rec.hearing_id, "") if rec.hearing_id else "",
        "received": local_naive(rec.received_at),
        "in_period": labels.yes if rec.in_period else labels.no,
        "category": labels.category.get(rec.category, rec.category),
        "gender": labels.gender.get(rec.gender, rec.gender),
        "commenter": policy.commenter(rec, labels.category.get(rec.category, rec.category),
                                      public=public),
        "consent": labels.consent.get(rec.consent, rec.consent),
        "moderation": labels.state.get(rec.state, rec.state),
        "moderation_reason": labels.reason.get(rec.hidden_reason, ""),
        "group": rec.group_id,
        "group_size": ctx.group_sizes.get(rec.group_id) if grouped else None,
        "status": labels.status.get(status, status or ""),
        "rationale": rationale or "",
        "change": change or "",
        "responded_by": responder,
        "responded_at": local_naive(responded_at),
    }
    meta = Meta(document_id=rec.document_id, state=rec.state, channel=rec.channel,
                category=rec.category, gender=rec.gender, status=status or "",
                hearing_id=rec.hearing_id, chapter=chapter or labels.whole,
                clause=clause_name, hidden_reason=rec.hidden_reason,
                moderation_note="" if public else rec.moderation_note,
                answer_id=answer_id, answer_revision=answer_revision)
    return row, meta
