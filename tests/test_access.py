"""Every staff page refuses other roles: the whole matrix of pages x roles.

Staff pages are found in the URL map (every view wrapped by ``role_required`` carries
``_roles``), so pages added later are covered without touching this file.
"""
from __future__ import annotations

import secrets

import pytest
from flask import url_for
from sqlalchemy import func, select

from consult import create_app, db
from consult.accounts.navigation import STAFF_LINKS
from consult.models import AuditEvent, Comment, Document, Hearing

WHO = ("anonymous", "admin", "moderator", "drafter")


def view_roles(view) -> tuple[str, ...] | None:
    """The roles ``role_required`` put on a view, looking through other decorators."""
    while view is not None:
        if hasattr(view, "_roles"):
            return view._roles
        view = getattr(view, "__wrapped__", None)
    return None


def staff_routes():
    """(endpoint, method, parameter names, allowed roles) for every role-protected route."""
    app = create_app({"TESTING": True, "SECRET_KEY": "collect", "DATABASE_URL": "sqlite://"})
    routes = []
    for rule in app.url_map.iter_rules():
        roles = view_roles(app.view_functions[rule.endpoint])
        if roles is None:
            continue
        for method in sorted(rule.methods & {"GET", "POST"}):
            routes.append((rule.endpoint, method, tuple(sorted(rule.arguments - {"lang"})),
                           frozenset(roles) | {"admin"}))
    app.extensions["consult.engine"].dispose()
    return sorted(routes)


STAFF_ROUTES = staff_routes()
CASES = [
    pytest.param(endpoint, method, params, allowed, who,
                 id=f"{method}-{endpoint}{''.join('-' + p for p in params)}-{who}")
    for endpoint, method, params, allowed, who in (
        route + (who,) for route in STAFF_ROUTES for who in WHO)
    # An allowed POST would change state with made-up data; each package tests its own.
    if not (method == "POST" and who in allowed)
]


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
        s.commit()
        by_name = {"slug": document.slug, "document": document.slug, "key": clause.key,
                   "clause_key": clause.key, "hearing_id": hearing.id, "comment_id": comment.id,
                   "user_id": user_id, "code": comment.receipt_code,
                   "document_id": document.id, "clause_id": clause.id}
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


def test_the_matrix_covers_the_account_pages():
    endpoints = {endpoint for endpoint, *_ in STAFF_ROUTES}
    assert {"accounts.users", "accounts.consultation", "accounts.audit",
            "accounts.change_role", "accounts.set_active"} <= endpoints
    assert len(CASES) >= 4 * 3


def test_every_staff_link_leads_to_a_page_its_roles_may_open(app):
    """The navigation shows a link exactly to the roles the page lets in."""
    for endpoint, _label, link_roles in STAFF_LINKS:
        if endpoint not in app.view_functions:
            continue
        roles = view_roles(app.view_functions[endpoint])
        assert roles is not None, f"{endpoint} is not protected by role_required"
        assert set(roles) | {"admin"} == set(link_roles) | {"admin"}, endpoint


def test_login_and_logout_are_not_staff_pages(client):
    assert client.get("/en/login").status_code == 200


def test_audit_log_is_closed_to_drafters(client, login):
    login("drafter")
    assert client.get("/en/audit/").status_code == 403
