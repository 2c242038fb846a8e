"""Staff navigation: (endpoint, label, roles that see it; admins see everything).

The first entry a user may open is where they land after signing in.
"""
from flask_babel import lazy_gettext as _l

STAFF_LINKS = (
    ("comments.queue", _l("Moderation"), ("moderator",)),
    ("synthesis.desk", _l("Drafting desk"), ("drafter",)),
    ("synthesis.files", _l("Synthesis files"), ("drafter",)),
    ("synthesis.review_page", _l("Answers to review"), ("lead",)),
    ("hearings.manage", _l("Hearing records"), ("moderator",)),
    ("hearings.statistics", _l("Participation"), ("moderator", "drafter")),
    ("settings.consultation", _l("Consultation settings"), ()),
    ("publication.publish", _l("Publish results"), ()),
    ("accounts.users", _l("Users"), ()),
    ("mail.outbox_page", _l("Outbox"), ()),
    ("accounts.audit", _l("Audit log"), ("moderator",)),
)
