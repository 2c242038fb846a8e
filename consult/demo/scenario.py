"""The demonstration consultation in mid-course, built through the application's own services.

Twenty days into a 45-day period: the notice announced two weeks before it opened, two
hearings held (attendance, minutes, what was said) and four to come, a few hundred comments
from every channel in every moderation state, chapters given out to the drafters, answers
drafted, marked ready and approved, and a campaign confirmed as one duplicate group.

Everything goes through the services a real clerk, moderator, drafter or lead drafter
would use (intake adapters, moderation, receipts, hearing records, answers, review, groups),
so the demonstration keeps every rule they keep and every step is audited. A fixed seed
makes it the same every time, relative to the moment it is built.
"""
from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..comments import receipts
from ..comments.intake import target_for
from ..comments.moderation import hide_comment, publish_comment
from ..core.consultation import announce, set_period
from ..core.time import from_local, to_local, utcnow
from ..core.uploads import sha256
from ..core.vocab import REGIONS
from ..drafts import services as draft_services
from ..hearings import records
from ..intake import form_export, hearing_entry, letters, online
from ..models import Comment, Consultation, Document, Hearing, User
from ..synthesis import review
from ..synthesis.answers import CHANGE_REQUIRED, RATIONALE_REQUIRED, save_answer
from ..synthesis.groups import create_group
from ..synthesis.suggestions import suggest
from . import texts

SEED = 2040
# Where the consultation stands, in days from today (Asia/Bishkek).
OPENED_DAYS_AGO, CLOSES_IN_DAYS, ANNOUNCED_DAYS_BEFORE_OPENING = 20, 25, 14
HEARING_DAYS = {"balykchy-2025": -16, "naryn-2025": -15, "osh-2025": 11,
                "jalal-abad-2025": 12, "bishkek-2025": 19}
SHORT_NOTICE_IN_DAYS = 6  # a hearing added late: less notice than HEARING_NOTICE_DAYS
# Comments received this recently still await moderation (moderators work oldest first).
MODERATION_LAG = timedelta(hours=30)
# Comments older than this may have been answered already.
ANSWERING_LAG = timedelta(days=3)

ONLINE_COMMENTS = 185
LETTERS = {"email": 16, "post": 8}
SPEAKERS = {"balykchy-2025": (20, 6), "naryn-2025": (16, 5)}  # (oral, written)
HEARING_TOPICS = {
    "balykchy-2025": ("issyk-kul", "pastures", "funding", "protected-areas", "participation",
                      "snow-leopard"),
    "naryn-2025": ("pastures", "argali", "snow-leopard", "water-glaciers", "monitoring"),
}
FORM_EXPORTS = ((texts.PROGRAMME, "ky", 14), (texts.PLAN, "ru", 10))
FORM_HEADERS = {"ky": ("Убакыт белгиси", "Пункт", "Сунуш же пикир", "Аты-жөнү", "Уюм"),
                "ru": ("Отметка времени", "Пункт", "Комментарий", "ФИО", "Организация")}
FORM_MAPPING = {"date": 0, "clause": 1, "comment": 2, "name": 3, "organisation": 4}
CAMPAIGN_SIZES = (7, 4)  # the grouped campaign, the one left as a suggestion
WITHDRAWN_BY_AUTHORS = 4

LANGUAGES = {"online": {"ky": 45, "ru": 47, "en": 8},
             "letter": {"ru": 60, "ky": 33, "en": 7},
             "balykchy-2025": {"ky": 55, "ru": 45},
             "naryn-2025": {"ky": 80, "ru": 20}}
CATEGORIES = {"individual": 50, "ngo": 15, "academic": 8, "business": 6,
              "local-government": 7, "state-body": 5, "international": 3, "other": 6}
ENGLISH_CATEGORIES = ("individual", "international", "ngo", "academic")
STATUSES = {"accepted": 22, "partly-accepted": 25, "not-accepted": 20, "noted": 28,
            "out-of-scope": 5}
# Of the answers given: approved, marked ready for review, still drafts.
REVIEW_STAGES = {"approved": 55, "ready": 25, "draft": 20}
SENT_BACK = 2


@dataclass(frozen=True)
class Staff:
    admin: User
    moderator: User
    drafter: User
    lead: User


@dataclass(frozen=True)
class Timeline:
    """The demonstration's dates, as naive UTC, around ``now``."""
    now: datetime

    def local(self, days: int, hour: int, minute: int = 0) -> datetime:
        """The Bishkek day ``days`` from today at ``hour:minute``."""
        day = to_local(self.now).date() + timedelta(days=days)
        return from_local(datetime.combine(day, time(hour, minute)))

    @property
    def opens_at(self) -> datetime:
        return self.local(-OPENED_DAYS_AGO, 9)

    @property
    def closes_at(self) -> datetime:
        return self.local(CLOSES_IN_DAYS, 18)

    @property
    def announced_at(self) -> datetime:
        return self.opens_at - timedelta(days=ANNOUNCED_DAYS_BEFORE_OPENING)

    def moment(self, rng: random.Random, after: datetime | None = None) -> datetime:
        """A time inside the period so far (after ``after`` when given), to the second."""
        start = after or self.opens_at + timedelta(hours=1)
        span = (self.now - timedelta(minutes=20) - start).total_seconds()
        return (start + timedelta(seconds=rng.random() * span)).replace(microsecond=0)


@dataclass(frozen=True)
class Person:
    name: str = ""
    organisation: str = ""
    category: str = "individual"
    region: str = ""
    gender: str = "unstated"
    consent: str = "anonymous"
    email: str = ""


@dataclass
class Planned:
    """A comment (or a letter on several clauses) the demonstration will receive."""
    channel: str
    slug: str
    keys: tuple[str | None, ...]  # (None,): the whole document
    language: str
    body: str
    at: datetime
    who: Person
    hearing: str | None = None
    hide: tuple[str, str] | None = None  # the moderator's reason and note
    campaign: int | None = None  # which campaign (index in CAMPAIGN_SIZES)


@dataclass
class Outcome:
    """What the intake produced, for the later steps to work on."""
    hidden: dict[int, tuple[str, str]] = field(default_factory=dict)
    campaigns: dict[int, list[int]] = field(default_factory=dict)


# ---------------------------------------------------------------- the whole scenario

def build(session: Session, consultation: Consultation, staff: Staff,
          now: datetime | None = None) -> None:
    """Bring ``consultation`` (its drafts and hearing schedule loaded, nothing else) to the
    middle of its period. Flushes; the caller commits."""
    rng = random.Random(SEED)
    timeline = Timeline(now or utcnow())
    schedule_hearings(session, consultation, timeline, staff.moderator)
    set_period(session, consultation, timeline.opens_at, timeline.closes_at, actor=staff.admin,
               now=timeline.now)
    announce(session, consultation, actor=staff.admin, now=timeline.announced_at)
    documents = {d.slug: d for d in draft_services.documents(session, consultation)}
    hearings = {h.slug: h for h in records.hearings(session, consultation)}
    outcome = receive(session, plan(rng, timeline), documents, hearings, staff)
    import_form_exports(session, rng, timeline, documents, staff.moderator)
    record_hearings(session, consultation, hearings, staff.moderator)
    moderate(session, consultation, timeline, outcome, staff.moderator)
    commenters_act(session, rng, consultation, outcome)
    give_out_work(session, rng, documents, staff)
    group_campaign(session, documents, outcome, staff)
    answer(session, rng, consultation, timeline, outcome, staff)


# ---------------------------------------------------------------- hearings

def schedule_hearings(session: Session, consultation: Consultation, timeline: Timeline,
                      moderator: User) -> None:
    """Date the schedule's hearings around today, each with its venue and agenda, and add
    one at short notice with its recorded reason (the notice rule of hearings.records)."""
    for hearing in records.hearings(session, consultation):
        starts = timeline.local(HEARING_DAYS[hearing.slug], 13, 30)
        values = {"starts_at": starts, "ends_at": starts + timedelta(hours=2, minutes=45),
                  "agenda": texts.AGENDA}
        if not any((hearing.venue or {}).values()):
            values["venue"] = texts.VENUES[hearing.slug]
        records.save_hearing(session, consultation, hearing, values, moderator)
    starts = timeline.local(SHORT_NOTICE_IN_DAYS, 14)
    records.save_hearing(session, consultation, None, {
        "city": texts.SHORT_NOTICE["city"], "starts_at": starts,
        "ends_at": starts + timedelta(hours=2, minutes=30),
        "venue": texts.SHORT_NOTICE["venue"], "format": "in-person", "online_link": "",
        "languages": "ky,ru", "agenda": texts.AGENDA, "status": "planned",
        "short_notice_reason": texts.SHORT_NOTICE["reason"]}, moderator)


def record_hearings(session: Session, consultation: Consultation,
                    hearings: dict[str, Hearing], moderator: User) -> None:
    """The record of each hearing held: attendance by gender and category, organisations,
    minutes; the first one closed for entry with its signed minutes kept."""
    for slug, held in texts.HELD.items():
        hearing = hearings[slug]
        total, women, men, unstated = held["attendance"]
        records.save_hearing(session, consultation, hearing, {
            "status": "held", "attendance_total": total, "attendance_women": women,
            "attendance_men": men, "attendance_unstated": unstated,
            "attendance_by_category": held["by_category"],
            "organisations": held["organisations"], "minutes": held["minutes"]}, moderator)
        if held["closed"]:
            records.add_file(session, hearing, "minutes", f"minutes-{slug}.pdf",
                             minutes_pdf(texts.MINUTES_SCAN), moderator)
            records.set_entry_closed(session, hearing, True, moderator)


def minutes_pdf(lines: tuple[str, ...]) -> bytes:
    """A one-page PDF showing ``lines`` (ASCII): the stand-in for a scan of signed minutes."""
    text = " ".join(f"({line.replace('(', '[').replace(')', ']')}) Tj 0 -20 Td"
                    for line in lines)
    stream = f"BT /F1 12 Tf 60 780 Td {text} ET".encode("ascii")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer << /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


# ---------------------------------------------------------------- what people write

def weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def person(rng: random.Random, language: str, category: str | None = None) -> Person:
    """Someone who comments: category, gender, region, consent, and a name and an
    organisation where they give them."""
    if category is None:
        category = rng.choice(ENGLISH_CATEGORIES) if language == "en" else \
            weighted(rng, CATEGORIES)
    gender = weighted(rng, {"female": 45, "male": 45, "unstated": 10})
    pool = texts.NAMES[(language, gender if gender != "unstated" else rng.choice(
        ("female", "male")))]
    organisation = rng.choice(texts.ORGANISATIONS[category]) \
        if category in texts.ORGANISATIONS else ""
    consent = weighted(rng, {"full": 70, "anonymous": 30} if organisation else
                       {"full": 30, "anonymous": 58, "none": 12})
    named = consent == "full" or rng.random() < 0.5
    return Person(name=rng.choice(pool) if named else "", organisation=organisation,
                  category=category, region=rng.choice(REGIONS.codes), gender=gender,
                  consent=consent,
                  email=f"commenter{rng.randrange(1000, 9999)}@example.org"
                  if rng.random() < 0.4 else "")


def target(rng: random.Random, topics: tuple[str, ...] | None = None,
           whole_document: float = 0.05, slug: str | None = None
           ) -> tuple[str | None, str, str | None]:
    """(topic, document slug, clause key) to comment on, in ``slug`` when given; topic and
    key None: the whole document. Every topic has clauses in the programme, which is
    taken when none of ``topics`` concerns the action plan."""
    slug = slug or (texts.PROGRAMME if rng.random() < 0.6 else texts.PLAN)
    if topics is None and rng.random() < whole_document:
        return None, slug, None
    names = [name for name in topics or texts.TOPICS if texts.TOPICS[name].clauses.get(slug)]
    if not names:
        slug = texts.PROGRAMME
        names = list(topics or texts.TOPICS)
    name = rng.choice(names)
    return name, slug, rng.choice(texts.TOPICS[name].clauses[slug])


def compose(rng: random.Random, language: str, topic: str | None, slug: str,
            key: str | None, category: str, letter: bool = False) -> str:
    """A comment: an opening (the writer's voice, the clause, or a courtesy), a proposal,
    often a reason, sometimes a closing."""
    if topic is None:
        return rng.choice(texts.WHOLE_DOCUMENT[language])
    chosen = texts.TOPICS[topic]
    parts = [texts.LETTER_GREETINGS[language]] if letter else []
    roll = rng.random()
    if roll < 0.35:
        parts.append(texts.CATEGORY_OPENINGS[category][language])
    elif roll < 0.6 and key and not key.startswith("annex-"):
        parts.append(texts.CLAUSE_OPENINGS[(language, texts.KINDS[slug])].format(key=key))
    elif roll < 0.8:
        parts.append(rng.choice(texts.OPENINGS[language]))
    parts.append(rng.choice(chosen.proposals[language]))
    if rng.random() < 0.6 or len(parts) == 1:
        parts.append(rng.choice(chosen.reasons[language]))
    if letter or rng.random() < 0.35:
        parts.append(rng.choice(texts.CLOSINGS[language]))
    return " ".join(parts)


def plan(rng: random.Random, timeline: Timeline) -> list[Planned]:
    """Every comment the demonstration receives (but the imported forms), oldest first."""
    planned = [*online_comments(rng, timeline), *hearing_contributions(rng, timeline),
               *written_letters(rng, timeline), *campaigns(rng, timeline),
               *to_be_hidden(rng, timeline)]
    return sorted(planned, key=lambda item: item.at)


def online_comments(rng: random.Random, timeline: Timeline) -> list[Planned]:
    planned = []
    for _number in range(ONLINE_COMMENTS):
        language = weighted(rng, LANGUAGES["online"])
        topic, slug, key = target(rng)
        who = person(rng, language)
        planned.append(Planned("online", slug, (key,), language,
                               compose(rng, language, topic, slug, key, who.category),
                               timeline.moment(rng), who))
    return planned


def hearing_contributions(rng: random.Random, timeline: Timeline) -> list[Planned]:
    """What speakers said, and what they handed in, at the hearings held."""
    planned = []
    for slug, (oral, written) in SPEAKERS.items():
        at = timeline.local(HEARING_DAYS[slug], 13, 30)
        for channel, count in (("hearing-oral", oral), ("hearing-written", written)):
            for _number in range(count):
                language = weighted(rng, LANGUAGES[slug])
                topic, document, key = target(rng, HEARING_TOPICS[slug])
                who = person(rng, language, weighted(rng, {"individual": 60, "ngo": 10,
                                                           "local-government": 15,
                                                           "other": 10, "academic": 5}))
                planned.append(Planned(channel, document, (key,), language,
                                       compose(rng, language, topic, document, key,
                                               who.category), at, who, hearing=slug))
    return planned


def written_letters(rng: random.Random, timeline: Timeline) -> list[Planned]:
    """Letters and e-mails, some on several clauses of one topic."""
    planned = []
    for channel, count in LETTERS.items():
        for _number in range(count):
            language = weighted(rng, LANGUAGES["letter"])
            topic, slug, key = target(rng)
            keys: tuple[str | None, ...] = (key,)
            if topic is not None:
                clauses = texts.TOPICS[topic].clauses[slug]
                keys = tuple(rng.sample(clauses, min(len(clauses), rng.choice((1, 1, 2, 3)))))
            who = person(rng, language, weighted(rng, {"ngo": 30, "academic": 20,
                                                       "state-body": 15, "individual": 25,
                                                       "local-government": 10}))
            planned.append(Planned(channel, slug, keys, language,
                                   compose(rng, language, topic, slug, keys[0], who.category,
                                           letter=True),
                                   timeline.moment(rng), who))
    return planned


def retyped(rng: random.Random, text: str) -> str:
    """``text`` as another campaigner sends it: other case, punctuation, a doubled letter
    or a Latin look-alike letter; still near-identical (synthesis.suggestions)."""
    variants = (lambda t: t.lower(), lambda t: t.replace("!", ".").replace("–", "-"),
                lambda t: t.replace("а", "a", 2), lambda t: t.replace(", ", " , "),
                lambda t: t.replace("нельзя", "нельзя никак"), lambda t: t + "!!",
                lambda t: t.replace("жем", "жемди"))
    for variant in rng.sample(variants, rng.choice((1, 2))):
        text = variant(text)
    return text


def campaigns(rng: random.Random, timeline: Timeline) -> list[Planned]:
    planned = []
    for index, ((slug, key, language, text), size) in enumerate(zip(
            (texts.CAMPAIGN_GROUPED, texts.CAMPAIGN_SUGGESTED), CAMPAIGN_SIZES, strict=True)):
        # A call shared on social networks: the comments come within a few days.
        start = timeline.now - timedelta(days=9 - 5 * index)
        for number in range(size):
            body = text if number == 0 else retyped(rng, text)
            planned.append(Planned("online", slug, (key,), language, body,
                                   timeline.moment(rng, after=start),
                                   person(rng, language, "individual"), campaign=index))
    return planned


def to_be_hidden(rng: random.Random, timeline: Timeline) -> list[Planned]:
    """Spam, abuse, a third person's details and an off-topic request: each hidden later."""
    planned = []
    for reason, language, body, note in texts.HIDDEN:
        _topic, slug, key = target(rng)
        start = timeline.opens_at + timedelta(days=2)
        planned.append(Planned("online", slug, (key,), language, body,
                               timeline.moment(rng, after=start) - MODERATION_LAG,
                               person(rng, language, "individual"), hide=(reason, note)))
    return planned


# ---------------------------------------------------------------- receiving them

def receive(session: Session, planned: list[Planned], documents: dict[str, Document],
            hearings: dict[str, Hearing], staff: Staff) -> Outcome:
    """Put every planned comment into the register through its channel's adapter; then
    one commenter e-mails the text of their online comment again, word for word."""
    outcome = Outcome()
    resent = next(item for item in planned if item.channel == "online" and item.hide is None
                  and item.campaign is None and item.who.name and item.keys[0] is not None)
    for number, item in enumerate(planned):
        document = documents[item.slug]
        if item.channel == "online":
            comments = [submit_online(session, document, item, f"demo-client-{number}")]
        elif item.hearing is not None:
            comments = [contribute(session, hearings[item.hearing], document, item,
                                   staff.moderator)]
        else:
            comments = send_letter(session, document, item, staff.moderator)
        for comment in comments:
            if item.hide is not None:
                outcome.hidden[comment.id] = item.hide
            if item.campaign is not None:
                outcome.campaigns.setdefault(item.campaign, []).append(comment.id)
        if item is resent:
            original_id = comments[0].id
    copy = Planned("email", resent.slug, resent.keys, resent.language, resent.body,
                   resent.at + timedelta(days=1), resent.who)
    for comment in send_letter(session, documents[resent.slug], copy, staff.moderator):
        outcome.hidden[comment.id] = ("duplicate", texts.DUPLICATE_NOTE.format(id=original_id))
    return outcome


def submit_online(session: Session, document: Document, item: Planned, client: str) -> Comment:
    who = item.who
    data = {"body": item.body, "language": item.language, "author_name": who.name,
            "organisation": who.organisation, "category": who.category,
            "region": who.region, "gender": who.gender, "email": who.email,
            "consent": who.consent}
    recorded = online.submit(session, target_for(session, document, item.keys[0]), data,
                             client=client, page_lang=item.language, now=item.at)
    return recorded.comment


def contribute(session: Session, hearing: Hearing, document: Document, item: Planned,
               clerk: User) -> Comment:
    who = item.who
    return hearing_entry.add_contribution(session, hearing, document, item.keys[0], {
        "speaker": who.name, "organisation": who.organisation,
        "consent": who.consent, "category": who.category, "gender": who.gender,
        "language": item.language, "channel": item.channel, "body": item.body}, clerk)


def send_letter(session: Session, document: Document, item: Planned,
                clerk: User) -> list[Comment]:
    who = item.who
    return letters.add_letter(session, document, [k for k in item.keys if k], {
        "channel": item.channel, "received_at": item.at, "author_name": who.name,
        "organisation": who.organisation, "category": who.category, "region": who.region,
        "gender": who.gender, "consent": who.consent, "language": item.language,
        "body": item.body, "email": who.email}, clerk)


def import_form_exports(session: Session, rng: random.Random, timeline: Timeline,
                        documents: dict[str, Document], clerk: User) -> None:
    """Exports of an online survey run by a partner, imported as a file (CSV) would be:
    read, mapped column by column, checked, then imported with their original dates."""
    for slug, language, rows in FORM_EXPORTS:
        document = documents[slug]
        data = export_file(rng, timeline, slug, language, rows)
        name = f"survey-{slug}-{language}.csv"
        records_, problems = form_export.map_export(
            form_export.read_export(data, name), FORM_MAPPING,
            form_export.clause_keys(session, document))
        if problems:
            raise RuntimeError(f"{name}: " + "; ".join(map(str, problems)))
        form_export.import_export(session, document, records_, language, sha256(data), name,
                                  clerk)


def export_file(rng: random.Random, timeline: Timeline, slug: str, language: str,
                rows: int) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    writer.writerow(FORM_HEADERS[language])
    for _number in range(rows):
        topic, _slug, key = target(rng, whole_document=0.1, slug=slug)
        who = person(rng, language)
        writer.writerow((to_local(timeline.moment(rng)).strftime("%d.%m.%Y %H:%M:%S"),
                         key or "", compose(rng, language, topic, slug, key, who.category),
                         who.name, who.organisation))
    return buffer.getvalue().encode("utf-8")


# ---------------------------------------------------------------- moderation and receipts

def moderate(session: Session, consultation: Consultation, timeline: Timeline,
             outcome: Outcome, moderator: User) -> None:
    """Oldest first, as the moderation queue lists them: hide what must be hidden, publish
    the rest; the latest comments, and the written ones of a hearing still being entered,
    wait."""
    comments = session.scalars(select(Comment).where(
        Comment.consultation_id == consultation.id).order_by(Comment.received_at, Comment.id))
    for comment in comments:
        if comment.id in outcome.hidden:
            reason, note = outcome.hidden[comment.id]
            hide_comment(session, comment, reason, note, moderator)
        elif comment.received_at < timeline.now - MODERATION_LAG and not (
                comment.hearing is not None and not comment.hearing.entry_closed
                and comment.channel == "hearing-written"):
            publish_comment(session, comment, moderator)


def commenters_act(session: Session, rng: random.Random, consultation: Consultation,
                   outcome: Outcome) -> None:
    """What commenters did with their receipt codes: withdrew, changed their consent, had
    their name erased; and one withdrawal a moderator made on a written request."""
    spared = {i for ids in outcome.campaigns.values() for i in ids} | set(outcome.hidden)
    online_ = [c for c in session.scalars(select(Comment).where(
        Comment.consultation_id == consultation.id, Comment.channel == "online",
        Comment.state == "published").order_by(Comment.id)) if c.id not in spared]
    withdrawn = rng.sample(online_, WITHDRAWN_BY_AUTHORS)
    for comment in withdrawn:
        receipts.withdraw(session, comment)
    named = [c for c in online_ if c.consent == "full" and c.author_name and c not in withdrawn]
    changed, erased = rng.sample(named, 2)
    receipts.change_consent(session, changed, "anonymous")
    receipts.erase_personal_data(session, erased)
    letter = session.scalar(select(Comment).where(
        Comment.consultation_id == consultation.id, Comment.channel == "post",
        Comment.state == "published").order_by(Comment.id))
    receipts.withdraw(session, letter, actor=letter.entered_by,
                      reason=texts.WITHDRAWAL_REQUEST)


# ---------------------------------------------------------------- the drafters' work

def give_out_work(session: Session, rng: random.Random, documents: dict[str, Document],
                  staff: Staff) -> None:
    """The lead drafter gives the first half of each document's chapters to the drafter,
    the rest but the last to themself, and one comment of theirs to the drafter singly."""
    for document in documents.values():
        positions = [c.position for c in review.chapters(session, document)
                     if c.position is not None]
        half = (len(positions) + 1) // 2
        for index, position in enumerate(positions[:-1]):
            review.assign_chapter(session, document, position,
                                  staff.drafter if index < half else staff.lead, staff.lead)
    theirs = list(session.scalars(select(Comment).where(review.mine(staff.lead))
                                  .order_by(Comment.id)))
    review.assign_comment(session, rng.choice(theirs), staff.drafter, staff.lead)


def group_campaign(session: Session, documents: dict[str, Document], outcome: Outcome,
                   staff: Staff) -> None:
    """The drafter confirms the campaign the desk suggests as one group, answers it once;
    the lead drafter approves the answer."""
    slug, key, language, _text = texts.CAMPAIGN_GROUPED
    members = set(outcome.campaigns[0])
    suggestion = next((s for s in suggest(session, documents[slug].id, key)
                       if members <= set(s.comment_ids)), None)
    if suggestion is None:
        raise RuntimeError("the campaign is not suggested as a duplicate group")
    create_group(session, suggestion.comment_ids, staff.drafter)
    status, rationale, change = texts.GROUP_ANSWER
    response = save_answer(session, session.get(Comment, suggestion.comment_ids[0]), status,
                           rationale, change, staff.drafter, None, language=language,
                           ready=True)
    review.approve(session, [response], staff.lead)


def answer(session: Session, rng: random.Random, consultation: Consultation,
           timeline: Timeline, outcome: Outcome, staff: Staff) -> None:
    """Answers to part of the older comments, each by the drafter whose queue holds it
    (the lead drafter otherwise): approved, ready for review, or drafts; two sent back."""
    spam = {i for i, (reason, _note) in outcome.hidden.items() if reason != "off-topic"}
    in_campaigns = {i for ids in outcome.campaigns.values() for i in ids}
    candidates = [c for c in session.scalars(select(Comment).where(
        Comment.consultation_id == consultation.id, Comment.state != "new",
        Comment.received_at < timeline.now - ANSWERING_LAG).order_by(Comment.id))
        if c.id not in spam | in_campaigns]
    off_topic = [c for c in candidates if outcome.hidden.get(c.id, ("",))[0] == "off-topic"]
    chosen = off_topic + rng.sample(candidates, len(candidates) * 45 // 100)
    queue = set(session.scalars(select(Comment.id).where(review.mine(staff.drafter))))
    stages: dict[str, list] = {stage: [] for stage in REVIEW_STAGES}
    for comment in dict.fromkeys(chosen):
        stage = weighted(rng, REVIEW_STAGES)
        status, rationale, change = answer_text(rng, comment, off_topic=comment in off_topic)
        stages[stage].append(save_answer(
            session, comment, status, rationale, change,
            staff.drafter if comment.id in queue else staff.lead, None,
            language=comment.language, ready=stage != "draft"))
    review.approve(session, stages["approved"], staff.lead)
    for response in rng.sample(stages["ready"], SENT_BACK):
        review.send_back(session, response, staff.lead, texts.SENT_BACK_NOTE)


def answer_text(rng: random.Random, comment: Comment, off_topic: bool) -> tuple[str, str, str]:
    """(status, rationale, change) a drafter would write, keeping the answer rules
    (synthesis.answers): a change names the clause, or says "no change"."""
    key, language = comment.clause_key, comment.language
    if off_topic:
        status = "out-of-scope"
    elif key is None or key.startswith("annex-"):
        status = "noted"  # a general remark, or an indicator: taken into account as a whole
    else:
        status = weighted(rng, STATUSES)
    rationale = rng.choice(texts.RATIONALES[status][language])
    change = ""
    if status in CHANGE_REQUIRED:
        if status == "partly-accepted" and rng.random() < 0.3:
            with force_locale(language):
                change = _("no change")
        else:
            prefix = texts.CHANGE_PREFIX[(language, comment.document.kind)].format(key=key)
            change = f"{prefix} {rng.choice(texts.CHANGES[language])}"
    if status in RATIONALE_REQUIRED and not rationale:
        raise RuntimeError(f"no rationale for {status} in {language}")
    return status, rationale, change
