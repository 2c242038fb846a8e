"""Every staff page refuses other roles: the whole matrix of pages x roles.

The roles each staff page lets in are written here, not read back from the decorator:
the test fails when a page lets in a role it should not, and when a page exists that
this file does not list (a new page must be added to one of the lists below).
"""
from __future__ import annotations

import secrets

import pytest
from flask import url_for
from sqlalchemy import func, select

from consult import create_app, db
from consult.accounts.navigation import STAFF_LINKS
from consult.core.vocab import ROLES
from consult.models import AuditEvent, Comment, Document, Hearing, HearingFile

WHO = ("anonymous", "admin", "moderator", "drafter", "lead")
MODERATORS = frozenset({"admin", "moderator"})
DRAFTERS = frozenset({"admin", "drafter", "lead"})  # a lead drafter is a drafter too
LEADS = frozenset({"admin", "lead"})
STAFF_READERS = frozenset({"admin", "moderator", "drafter", "lead"})
ADMINS = frozenset({"admin"})

# Every staff endpoint and the roles that may open it (admins may open everything).
EXPECTED = {
    "accounts.audit": MODERATORS,
    "accounts.change_role": ADMINS,
    "accounts.set_active": ADMINS,
    "accounts.users": ADMINS,
    "mail.outbox_page": ADMINS,
    "comments.moderate": MODERATORS,
    "comments.queue": MODERATORS,
    "comments.written_request": MODERATORS,
    "hearings.close_entry": MODERATORS,
    "hearings.download_file": STAFF_READERS,  # a sign-in sheet only to moderators: below
    "hearings.edit": MODERATORS,
    "hearings.edit_comment": MODERATORS,
    "hearings.entry": MODERATORS,
    "hearings.handout": MODERATORS,
    "hearings.kit_download": MODERATORS,
    "hearings.kit_upload": MODERATORS,
    "hearings.manage": MODERATORS,
    "hearings.record": MODERATORS,
    "hearings.statistics": STAFF_READERS,
    "intake.form_import": MODERATORS,
    "intake.form_mapping": MODERATORS,
    "intake.letter": MODERATORS,

    "publication.publish": ADMINS,
    "settings.announce": ADMINS,
    "settings.consultation": ADMINS,
    "settings.decision": ADMINS,
    "settings.moderation": ADMINS,
    "settings.notice": ADMINS,
    "settings.period": ADMINS,
    "settings.version_confirm": ADMINS,
    "settings.version_publish": ADMINS,
    "settings.version_review": ADMINS,
    "publication.unpublish": ADMINS,
    "synthesis.answer": DRAFTERS,
    "synthesis.approve": LEADS,
    "synthesis.assign": LEADS,
    "synthesis.assignments": LEADS,
    "synthesis.desk": DRAFTERS,
    "synthesis.export": DRAFTERS,
    "synthesis.export_docx": DRAFTERS,
    "synthesis.files": DRAFTERS,
    "synthesis.review_page": LEADS,
    "synthesis.send_back": LEADS,
    "synthesis.group_confirm": DRAFTERS,
    "synthesis.group_merge": DRAFTERS,
    "synthesis.group_split": DRAFTERS,
    "synthesis.groups": DRAFTERS,
    "synthesis.upload_answers": DRAFTERS,
    "synthesis.resolve_answers": DRAFTERS,
}
# Pages anyone may open (or that sign staff in and out).
PUBLIC = {
    "root", "static", "drafts.notice", "drafts.archive", "drafts.document", "drafts.clause",
    "comments.withdraw", "comments.consent", "comments.erase",
    "hearings.schedule", "comments.receipt", "comments.lookup", "publication.results",
    "publication.results_document", "publication.results_csv", "accounts.login",
    "accounts.logout", "api.index", "api.openapi", "api.documents", "api.document",
    "api.version", "api.comments", "api.comment", "api.hearings", "api.results",
    "health.healthz", "health.readyz", "favicon",
    "mail.stop_page",
}


def all_routes():
    """(endpoint, method, parameter names) of every route of the application."""
    app = create_app({"TESTING": True, "SECRET_KEY": "collect", "DATABASE_URL": "sqlite://"})
    routes = sorted({(rule.endpoint, method, tuple(sorted(rule.arguments - {"lang"})))
                     for rule in app.url_map.iter_rules()
                     for method in rule.methods & {"GET", "POST"}})
    app.extensions["consult.engine"].dispose()
    return routes


ROUTES = all_routes()
STAFF_ROUTES = [route for route in ROUTES if route[0] in EXPECTED]
CASES = [
    pytest.param(endpoint, method, params, EXPECTED[endpoint], who,
                 id=f"{method}-{endpoint}{''.join('-' + p for p in params)}-{who}")
    for endpoint, method, params in STAFF_ROUTES for who in WHO
    # An allowed POST would change state with made-up data; each package tests its own.
    if not (method == "POST" and who in EXPECTED[endpoint])
]


def test_every_page_is_listed_as_staff_or_public():
    unlisted = {endpoint for endpoint, _m, _p in ROUTES} - set(EXPECTED) - PUBLIC
    assert unlisted == set(), "list these pages in EXPECTED or PUBLIC"
    assert set(EXPECTED) <= {endpoint for endpoint, _m, _p in ROUTES}


@pytest.fixture
def samples(app, make_document, make_user):
    """Real values for URL parameters: a document, clause, hearing, comment, user."""
    user_id = make_user("drafter")
    document_id = make_document().id
    with app.app_context():
        s = db.session()
        document = s.get(Document, document_id)
        version = document.current_version
        clause = version.clauses[0]
        hearing = Hearing(consultation_id=document.consultation_id, slug="naryn",
                          city={"en": "Naryn", "ru": "Нарын", "ky": "Нарын"})
        s.add(hearing)
        s.flush()
        comment = Comment(consultation_id=document.consultation_id, document_id=document.id,
                          version_id=version.id, clause_id=clause.id, clause_key=clause.key,
                          hearing_id=hearing.id, channel="hearing-oral",
                          language="ru", body="Образец комментария",
                          receipt_code=secrets.token_urlsafe(16))
        s.add(comment)
        scan = HearingFile(hearing_id=hearing.id, kind="minutes", filename="minutes.pdf",
                           content_type="application/pdf", size=9, data=b"%PDF-1.4\n")
        s.add(scan)
        s.commit()
        by_name = {"file_id": scan.id, "slug": document.slug, "document": document.slug,
                   "key": clause.key,
                   "clause_key": clause.key, "hearing_id": hearing.id, "comment_id": comment.id,
                   "user_id": user_id, "code": comment.receipt_code,
                   "document_id": document.id, "clause_id": clause.id, "number": 1}
    return by_name


def build_url(app, endpoint: str, params: tuple[str, ...], samples: dict) -> str:
    rule = next(r for r in app.url_map.iter_rules(endpoint)
                if r.arguments - {"lang"} == set(params))
    values = {}
    for name in params:
        converter = type(rule._converters[name]).__name__
        values[name] = samples.get(name, 1 if converter == "IntegerConverter" else "x")
    with app.test_request_context():
        return url_for(endpoint, lang="en", **values)


def audit_count(app) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(AuditEvent))


@pytest.mark.parametrize("endpoint, method, params, allowed, who", CASES)
def test_staff_page_access(app, client, login, request, endpoint, method, params, allowed,
                           who):
    # Sample data where the URL or the page needs it; a refusal must not depend on data.
    needs_data = bool(params) or who in allowed
    samples = request.getfixturevalue("samples") if needs_data else {}
    if who != "anonymous":
        login(who)
    url = build_url(app, endpoint, params, samples)
    events_before = audit_count(app)
    response = client.open(url, method=method)
    location = response.headers.get("Location", "")
    if who == "anonymous":
        assert response.status_code == 302 and location.startswith("/en/login?next=")
    elif who not in allowed:
        assert response.status_code == 403
        assert "You may not open this page" in response.get_data(as_text=True)
    elif params:
        # The sample may not fit the page (404), but the role must never be refused.
        assert response.status_code in (200, 302, 404), response.status_code
        assert not location.startswith("/en/login")
    else:
        assert response.status_code == 200, response.status_code
    if who == "anonymous" or who not in allowed:
        assert audit_count(app) == events_before  # a refusal changes nothing


def test_every_staff_link_leads_to_a_page_its_roles_may_open():
    """The navigation shows a link exactly to the roles the page lets in."""
    for endpoint, _label, link_roles in STAFF_LINKS:
        assert endpoint in EXPECTED, endpoint
        # A role that includes a linked role (a lead drafter is a drafter) sees it too.
        seen = {role for role in ROLES
                if {role, *ROLES.attr(role, "includes", ())} & set(link_roles)}
        assert EXPECTED[endpoint] == seen | {"admin"}, endpoint


def test_login_and_logout_are_not_staff_pages(client):
    assert client.get("/en/login").status_code == 200


def test_audit_log_is_closed_to_drafters(client, login):
    login("drafter")
    assert client.get("/en/audit/").status_code == 403


@pytest.mark.parametrize("kind, who, status", [
    ("minutes", "anonymous", 302), ("minutes", "drafter", 200), ("minutes", "moderator", 200),
    ("sign-in", "anonymous", 302), ("sign-in", "drafter", 403), ("sign-in", "moderator", 200),
    ("sign-in", "admin", 200)])
def test_hearing_scans_are_for_staff_and_sign_in_sheets_for_moderators(
        app, client, login, samples, kind, who, status):
    """Minutes help drafters answer; a sign-in sheet holds people's names and signatures."""
    with app.app_context():
        s = db.session()
        scan = HearingFile(hearing_id=samples["hearing_id"], kind=kind, filename="scan.pdf",
                           content_type="application/pdf", size=9, data=b"%PDF-1.4\n")
        s.add(scan)
        s.commit()
        url = f"/en/hearings/{samples['hearing_id']}/files/{scan.id}"
    if who != "anonymous":
        login(who)
    response = client.get(url)
    assert response.status_code == status
    if status == 200:
        assert response.data == b"%PDF-1.4\n"
        assert response.headers["Content-Disposition"].startswith("attachment")
    else:
        assert b"%PDF" not in response.data
