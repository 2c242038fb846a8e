"""The audit log in words: each event as a sentence ("Ainura Ch. hid comment 314: abuse")
and what it changed as labelled fields, before and after, in the page's language.

The one place that knows what an action code means to a person: the audit page, and
anything else that shows an event to staff, read it here. Codes nobody taught it yet are
still shown, in a plain sentence naming the code, never hidden.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..core import languages
from ..core.vocab import (
    CATEGORIES,
    CHANNELS,
    CONSENTS,
    FORMATS,
    GENDERS,
    HEARING_FILE_KINDS,
    HEARING_STATUSES,
    HIDE_REASONS,
    REGIONS,
    ROLES,
    STATES,
    STATUSES,
)
from ..i18n import local_datetime
from ..models import AuditEvent

# The longest value shown in full; a longer one (a notice text, minutes) is cut.
LONGEST_VALUE = 300

# What each kind of object is called, for the filter and for codes without a sentence.
OBJECT_TYPES = {
    "comment": _l("Comment"), "response": _l("Answer"), "duplicate_group": _l("Duplicate group"),
    "user_account": _l("Account"), "consultation": _l("Consultation"),
    "document": _l("Document"), "document_version": _l("Document version"),
    "hearing": _l("Hearing"), "hearing_file": _l("Hearing file"),
    "import_batch": _l("Import"), "decision": _l("Decision"),
    "outbox_message": _l("E-mail message"),
}

# Labels of the fields an event's before and after carry; a field not listed keeps its name.
FIELD_LABELS = {
    "state": _l("Moderation"), "reason": _l("Reason"), "note": _l("Note"),
    "consent": _l("Consent"), "by": _l("Asked by"), "body": _l("Text"),
    "author_name": _l("Name"), "email": _l("E-mail address"), "organisation": _l("Organisation"),
    "category": _l("Category"), "region": _l("Region"), "gender": _l("Gender"),
    "language": _l("Language"), "channel": _l("Channel"), "clause_key": _l("Clause"),
    "status": _l("Response status"), "rationale": _l("Rationale"),
    "change": _l("Change in the revised draft"), "ready": _l("Ready for review"),
    "approved": _l("Approved"), "approved_at": _l("Approved at"),
    "revision": _l("Revision"), "group_id": _l("Group"), "comment_id": _l("Comment"),
    "for_comment_id": _l("Comment"), "responder_id": _l("Answered by (account)"),
    "copied_from": _l("Copied from answer"), "members": _l("Comments in the group"),
    "removed": _l("Taken out"), "merged_group": _l("Merged group"),
    "answer_from_comment": _l("Answer taken from comment"), "chapter": _l("Chapter"),
    "drafter": _l("Drafter (account)"), "role": _l("Role"), "active": _l("Active"),
    "failed_logins": _l("Failed sign-ins in a row"), "locked_until": _l("Locked until"),
    "address": _l("Network address"), "session_version": _l("Session"),
    "entry_closed": _l("Closed for entry"), "kind": _l("Kind"), "filename": _l("File"),
    "size": _l("Size (bytes)"), "erased": _l("Erased"),
    "redacted_events": _l("Earlier events cleared"), "sha256": _l("Checksum (SHA-256)"),
    "hearing_id": _l("Hearing"), "target": _l("Imported into"), "added": _l("Added"),
    "skipped": _l("Skipped"), "applied": _l("Applied"), "conflicts": _l("Conflicts"),
    "unchanged": _l("Already as on the site"), "untouched": _l("Not changed in the file"),
    "kept": _l("Kept as on the site"), "export_id": _l("Export"),
    "announced_at": _l("Announced at"), "opens_at": _l("Opens"), "closes_at": _l("Closes"),
    "period_justification": _l("Why the period is short"), "moderation": _l("Moderation"),
    "answer_approval": _l("Answers approved by a lead drafter"),
    "results_published_at": _l("Results published at"), "version": _l("Version"),
    "published_at": _l("Published at"), "confirmed_at": _l("Confirmed at"),
    "corrected": _l("Corrected matching"), "title": _l("Title"), "number": _l("Number"),
    "adopted_on": _l("Adopted on"), "text_url": _l("Adopted text"),
    "published_url": _l("Where it is published"), "reasons": _l("Reasons"),
    "proposal": _l("What is proposed"), "authority": _l("Responsible authority"),
    "developer": _l("Drafted by"), "contact": _l("Contact"),
    "documents_at": _l("Where the documents are"), "how_to_comment": _l("How to comment"),
    "legal_basis": _l("Legal basis"), "assessment_applies": _l("Environmental assessment"),
    "assessment_at": _l("Where the assessment can be read"), "city": _l("City"),
    "venue": _l("Venue"), "agenda": _l("Agenda"), "starts_at": _l("Starts"),
    "ends_at": _l("Ends"), "format": _l("Format"), "online_link": _l("Online link"),
    "languages": _l("Working languages"), "short_notice_reason": _l("Reason for short notice"),
    "attendance_total": _l("Attendance, total"), "attendance_women": _l("Women"),
    "attendance_men": _l("Men"), "attendance_unstated": _l("Gender not stated"),
    "attendance_by_category": _l("Attendance by category"),
    "organisations": _l("Organisations present"), "minutes": _l("Minutes"),
}

# Fields whose values are codes of a vocabulary: shown by their label.
FIELD_VOCABULARIES = {
    "state": STATES, "reason": HIDE_REASONS, "consent": CONSENTS, "category": CATEGORIES,
    "region": REGIONS, "gender": GENDERS, "channel": CHANNELS, "status": STATUSES,
    "role": ROLES, "format": FORMATS, "kind": HEARING_FILE_KINDS,
}

# The same field name with another meaning on another kind of object.
OBJECT_VOCABULARIES = {("hearing", "status"): HEARING_STATUSES}
OBJECT_FIELD_LABELS = {("hearing", "status"): _l("Status")}

# A time as the audit log keeps it (core.time.iso_local): ISO 8601 with its offset.
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)")

# Fields the sentence already says (which comment, by whom) or that only count versions.
QUIET_FIELDS = frozenset(("revision", "session_version", "for_comment_id", "responder_id"))


@dataclass(frozen=True)
class Change:
    """One field an event changed (or recorded): its label, its value before and after."""
    label: str
    before: str | None  # None: the field had no value before (a creation)
    after: str | None


@dataclass(frozen=True)
class EventInWords:
    event: AuditEvent
    sentence: str
    changes: list[Change]


def in_words(event: AuditEvent) -> EventInWords:
    """The event as a sentence and a list of changed fields, in the page's language."""
    return EventInWords(event, sentence(event),
                        changes(event.before, event.after, event.object_type))


def object_type_label(name: str) -> str:
    return str(OBJECT_TYPES.get(name, name))


def _who(event: AuditEvent) -> str:
    """Who acted: the account's label at the time, else who stands behind an anonymous
    action (the commenter with the receipt code, a citizen's browser, the system)."""
    if event.actor_label:
        return event.actor_label
    after = event.after or {}
    if after.get("by") == "receipt":
        return _("The commenter (with the receipt code)")
    if after.get("by") == "stop-link":
        return _("The commenter (with the link in an e-mail)")
    if event.action == "comment.submit":
        return _("A citizen")
    if event.action == "login.failure":
        return _("Someone")
    return _("The system")


def sentence(event: AuditEvent) -> str:
    """What happened, said in one sentence of the page's language."""
    after, before = event.after or {}, event.before or {}
    values = {"who": _who(event), "id": event.object_id if event.object_id is not None else "—"}
    words = _SENTENCES.get(event.action)
    if words is None:
        # The page shows the code beside every sentence.
        return _("%(who)s: an action on %(object)s %(id)s",
                 object=object_type_label(event.object_type), **values)
    return words(event, after, before, values)


def _hide(event, after, before, v) -> str:
    reason = HIDE_REASONS.label(after.get("reason"))
    if after.get("note"):
        return _("%(who)s hid comment %(id)s: %(reason)s (%(note)s)", reason=reason,
                 note=after["note"], **v)
    return _("%(who)s hid comment %(id)s: %(reason)s", reason=reason, **v)


def _answer_saved(event, after, before, v) -> str:
    comment = after.get("for_comment_id") or after.get("comment_id")
    status = STATUSES.label(after.get("status"))
    if comment is None:
        return _("%(who)s saved answer %(id)s: %(status)s", status=status, **v)
    return _("%(who)s answered comment %(comment)s: %(status)s", comment=comment,
             status=status, **v)


def _login_failure(event, after, before, v) -> str:
    if after.get("reason") == "unknown-account":
        return _("Failed sign-in with an unknown e-mail address")
    return _("Failed sign-in to account %(id)s", **v)


def _period(event, after, before, v) -> str:
    return _("%(who)s set the comment period of consultation %(id)s", **v)


def _import(event, after, before, v) -> str:
    return _("%(who)s imported %(added)s comments from %(file)s", added=after.get("added", 0),
             file=after.get("filename") or "—", **v)


def _say(message):
    """A sentence that needs only who and the object's number."""
    return lambda event, after, before, v: _(str(message), **v)


_SENTENCES = {
    "comment.submit": _say(_l("%(who)s sent comment %(id)s online")),
    "comment.enter": lambda e, a, b, v: _(
        "%(who)s entered comment %(id)s (%(channel)s)", channel=CHANNELS.label(a.get("channel")),
        **v),
    "comment.edit": _say(_l("%(who)s corrected comment %(id)s")),
    "comment.publish": _say(_l("%(who)s published comment %(id)s")),
    "comment.hide": _hide,
    "comment.withdraw": _say(_l("%(who)s withdrew comment %(id)s")),
    "comment.consent": lambda e, a, b, v: _(
        "%(who)s changed the consent of comment %(id)s: %(consent)s",
        consent=CONSENTS.label(a.get("consent")), **v),
    "comment.erase": _say(_l("%(who)s erased the personal data of comment %(id)s")),
    "comment.mail_stop": _say(_l("%(who)s stopped the e-mails about comment %(id)s")),
    "response.save": _answer_saved,
    "response.approve": _say(_l("%(who)s approved answer %(id)s")),
    "response.return": _say(_l("%(who)s sent answer %(id)s back to its drafter")),
    "group.create": _say(_l("%(who)s confirmed duplicate group %(id)s")),
    "group.split": _say(_l("%(who)s took comments out of duplicate group %(id)s")),
    "group.merge": lambda e, a, b, v: _(
        "%(who)s merged duplicate group %(source)s into group %(id)s",
        source=a.get("merged_group", "—"), **v),
    "assignment.chapter": _say(_l("%(who)s gave out a chapter of document %(id)s")),
    "assignment.comment": _say(_l("%(who)s gave comment %(id)s to a drafter")),
    "answers.upload": lambda e, a, b, v: _(
        "%(who)s uploaded answers from %(file)s: %(applied)s applied",
        file=a.get("filename") or "—", applied=a.get("applied", 0), **v),
    "answers.resolve": lambda e, a, b, v: _(
        "%(who)s decided conflicts of an answers upload: %(applied)s applied",
        applied=a.get("applied", 0), **v),
    "hearing.create": _say(_l("%(who)s added hearing %(id)s")),
    "hearing.update": _say(_l("%(who)s changed hearing %(id)s")),
    "hearing.close-entry": _say(_l("%(who)s closed hearing %(id)s for entry")),
    "hearing.reopen-entry": _say(_l("%(who)s reopened hearing %(id)s for entry")),
    "hearing.file-add": lambda e, a, b, v: _(
        "%(who)s added the file %(file)s to hearing %(hearing)s", file=a.get("filename", "—"),
        hearing=a.get("hearing_id", "—"), **v),
    "import.hearing-kit": _import,
    "import.form-export": _import,
    "consultation.announce": _say(_l("%(who)s announced consultation %(id)s")),
    "consultation.period": _period,
    "consultation.extend": _say(_l("%(who)s extended the comment period of consultation "
                                   "%(id)s")),
    "consultation.moderation": _say(_l("%(who)s changed how comments of consultation %(id)s "
                                       "are moderated")),
    "consultation.answer_approval": _say(_l("%(who)s changed whether answers of consultation "
                                            "%(id)s need a lead drafter's approval")),
    "consultation.notice": _say(_l("%(who)s changed the notice of consultation %(id)s")),
    "consultation.decision": _say(_l("%(who)s recorded the decision of consultation %(id)s")),
    "results.publish": _say(_l("%(who)s published the results of consultation %(id)s")),
    "results.unpublish": _say(_l("%(who)s took down the results of consultation %(id)s")),
    "version.matching": _say(_l("%(who)s confirmed the clause matching of version %(id)s")),
    "version.publish": lambda e, a, b, v: _(
        "%(who)s published version %(number)s of document %(id)s",
        number=a.get("version", "—"), **v),
    "user.create": _say(_l("%(who)s created account %(id)s")),
    "user.update": _say(_l("%(who)s changed account %(id)s")),
    "user.role": lambda e, a, b, v: _(
        "%(who)s gave account %(id)s the role: %(role)s", role=ROLES.label(a.get("role")), **v),
    "user.activate": _say(_l("%(who)s reactivated account %(id)s")),
    "user.deactivate": _say(_l("%(who)s deactivated account %(id)s")),
    "user.lock": _say(_l("Account %(id)s was locked after failed sign-ins")),
    "login.success": _say(_l("%(who)s signed in")),
    "login.failure": _login_failure,
    "logout": _say(_l("%(who)s signed out")),
}


def changes(before: dict | None, after: dict | None, object_type: str = "") -> list[Change]:
    """The fields an event changed, labelled, with their values before and after; for an
    event without a before (a creation), every field it recorded with a value."""
    before, after = before or {}, after or {}
    vocabularies = {name: vocabulary for (kind, name), vocabulary in
                    OBJECT_VOCABULARIES.items() if kind == object_type}
    shown = []
    for name in list(after) + [key for key in before if key not in after]:
        if name in QUIET_FIELDS or (name in before and before.get(name) == after.get(name)) \
                or (name not in before and after.get(name) in (None, "", [], {})):
            continue
        shown.append(Change(
            str(OBJECT_FIELD_LABELS.get((object_type, name)) or FIELD_LABELS.get(name, name)),
            value_in_words(name, before[name], vocabularies) if name in before else None,
            value_in_words(name, after.get(name), vocabularies)))
    return shown


def value_in_words(name: str, value, vocabularies: dict | None = None) -> str:
    """A recorded value as a person reads it: labels for codes, Yes/No, language names,
    each language's text of a per-language value, lists joined; long texts cut."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if name == "erased" and isinstance(value, list):  # names of fields
        return ", ".join(str(FIELD_LABELS.get(item, item)) for item in value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    vocabulary = (vocabularies or {}).get(name) or FIELD_VOCABULARIES.get(name)
    if vocabulary is not None and isinstance(value, str):
        return vocabulary.label(value)
    if name in ("language", "languages") and isinstance(value, str):
        return ", ".join(languages.name(code) for code in value.split(",") if code)
    if isinstance(value, dict):
        return "; ".join(f"{_key_name(key)}: {value_in_words(name, item, vocabularies)}"
                         for key, item in value.items())
    if isinstance(value, list):
        return ", ".join(value_in_words(name, item, vocabularies) for item in value)
    if isinstance(value, str) and ISO_TIME.fullmatch(value):
        # Shown as every time on the staff pages: the page's locale, Bishkek time.
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return local_datetime(moment.astimezone(UTC).replace(tzinfo=None), "short")
    text = str(value)
    return text if len(text) <= LONGEST_VALUE else text[:LONGEST_VALUE - 1] + "…"


def _key_name(key: str) -> str:
    """A key inside a per-field mapping: a language code reads as the language's name."""
    return languages.name(key) if key in languages.codes() else str(key)
