"""Translated labels for the codes stored in the database, in one place.

Forms, pages, workbooks and the API all show these; the codes never change.
"""
from flask_babel import lazy_gettext as _l

CATEGORY_LABELS = {
    "individual": _l("Individual"),
    "ngo": _l("Non-governmental organisation"),
    "academic": _l("Scientific or academic"),
    "business": _l("Business"),
    "local-government": _l("Local self-government"),
    "state-body": _l("State body"),
    "international": _l("International organisation"),
    "other": _l("Other"),
}
REGION_LABELS = {
    "bishkek": _l("Bishkek city"),
    "osh-city": _l("Osh city"),
    "batken": _l("Batken oblast"),
    "chui": _l("Chui oblast"),
    "issyk-kul": _l("Issyk-Kul oblast"),
    "jalal-abad": _l("Jalal-Abad oblast"),
    "naryn": _l("Naryn oblast"),
    "osh": _l("Osh oblast"),
    "talas": _l("Talas oblast"),
}
GENDER_LABELS = {
    "female": _l("Female"),
    "male": _l("Male"),
    "unstated": _l("Prefer not to say"),
}
CONSENT_LABELS = {
    "full": _l("Publish my comment with my name"),
    "anonymous": _l("Publish my comment without my name"),
    "none": _l("Do not publish the text of my comment"),
}
CHANNEL_LABELS = {
    "online": _l("Online"),
    "hearing-oral": _l("Hearing (oral)"),
    "hearing-written": _l("Hearing (written)"),
    "email": _l("E-mail"),
    "post": _l("Post"),
    "form-import": _l("Online form (imported)"),
}
STATE_LABELS = {
    "new": _l("Awaiting moderation"),
    "published": _l("Published"),
    "hidden": _l("Hidden"),
    "withdrawn": _l("Withdrawn"),
}
HIDE_REASON_LABELS = {
    "personal-data": _l("Third-party personal data"),
    "abuse": _l("Abuse"),
    "spam": _l("Spam"),
    "duplicate": _l("Exact duplicate"),
    "withdrawn": _l("Withdrawn by the author"),
    "off-topic": _l("Off-topic (forwarded)"),
}
STATUS_LABELS = {
    "accepted": _l("Accepted"),
    "partly-accepted": _l("Partly accepted"),
    "not-accepted": _l("Not accepted"),
    "noted": _l("Noted"),
    "out-of-scope": _l("Out of scope (forwarded)"),
}
ROLE_LABELS = {
    "admin": _l("Administrator"),
    "moderator": _l("Moderator"),
    "drafter": _l("Drafter"),
}
KIND_LABELS = {
    "programme": _l("Programme"),
    "action-plan": _l("Action plan"),
}
FORMAT_LABELS = {
    "in-person": _l("In person"),
    "online": _l("Online"),
    "hybrid": _l("In person and online"),
}
HEARING_STATUS_LABELS = {
    "planned": _l("Planned"),
    "held": _l("Held"),
    "cancelled": _l("Cancelled"),
}

# Staff navigation: (endpoint, label, roles that see it; admins see everything).
STAFF_LINKS = (
    ("comments.queue", _l("Moderation"), ("moderator",)),
    ("hearings.manage", _l("Hearing records"), ("moderator",)),
    ("hearings.statistics", _l("Participation"), ("moderator", "drafter")),
    ("synthesis.desk", _l("Drafting desk"), ("drafter",)),
    ("accounts.consultation", _l("Consultation settings"), ()),
    ("synthesis.publish", _l("Publish results"), ()),
    ("accounts.users", _l("Users"), ()),
    ("accounts.audit", _l("Audit log"), ("moderator",)),
)
