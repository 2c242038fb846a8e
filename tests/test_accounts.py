"""Staff accounts: signing in and out, throttling, users, consultation settings, audit log."""
from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select

from consult import db
from consult.core.time import utcnow
from consult.models import AuditEvent, Consultation, User

PASSWORD = "correct horse battery"
LOGIN_ERROR = "The e-mail address or the password is not right"


def post_login(client, email, password=PASSWORD, next_=None, lang="en"):
    url = f"/{lang}/login" + (f"?next={next_}" if next_ is not None else "")
    return client.post(url, data={"email": email, "password": password})


def get_user(app, user_id) -> User:
    with app.app_context():
        return db.session().get(User, user_id)


def events(app, prefix="") -> list[AuditEvent]:
    with app.app_context():
        return list(db.session().scalars(
            select(AuditEvent).where(AuditEvent.action.startswith(prefix))
            .order_by(AuditEvent.id)))


def signed_in(client) -> bool:
    with client.session_transaction() as flask_session:
        return "_user_id" in flask_session


def is_landing(location: str) -> bool:
    """A page of this site (the first staff page the role may open), not the login form."""
    return location.startswith("/en/") and not location.startswith("/en/login")


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


# ------------------------------------------------------------------ sign-in

def test_login_form_works_without_javascript_on_a_phone(client):
    response = client.get("/ky/login")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="email"' in html and 'name="password"' in html and 'type="password"' in html
    assert 'name="viewport"' in html
    assert "<script" not in html
    assert 'method="post"' in html


def test_login_with_the_right_password_signs_in(client, make_user, app):
    user_id = make_user("admin", email="ana@example.org")
    response = post_login(client, "Ana@Example.org")
    assert response.status_code == 302
    assert is_landing(response.headers["Location"])
    assert signed_in(client)
    page = client.get("/en/users/").get_data(as_text=True)
    assert "ana@example.org" in page and "Sign out" in page
    [success] = events(app, "login.success")
    assert success.actor_id == user_id and success.object_id == user_id


def test_wrong_password_and_unknown_address_get_the_same_answer(client, make_user, app):
    make_user("moderator", email="mod@example.org")
    wrong_password = post_login(client, "mod@example.org", "not the password")
    unknown = post_login(client, "nobody@example.org", PASSWORD)
    assert wrong_password.status_code == unknown.status_code == 200
    for response in (wrong_password, unknown):
        assert LOGIN_ERROR in response.get_data(as_text=True)
    assert not signed_in(client)
    reasons = [e.after["reason"] for e in events(app, "login.failure")]
    assert reasons == ["wrong-password", "unknown-account"]
    assert all(e.actor_id is None for e in events(app, "login.failure"))


def test_empty_fields_are_refused_with_a_message(client):
    response = client.post("/en/login", data={"email": "", "password": ""})
    html = response.get_data(as_text=True)
    assert "Enter your e-mail address." in html and "Enter your password." in html
    assert not signed_in(client)


def test_five_failures_lock_the_account_for_fifteen_minutes(client, make_user, app):
    user_id = make_user("drafter", email="d@example.org")
    for _ in range(5):
        assert LOGIN_ERROR in post_login(client, "d@example.org", "wrong").get_data(as_text=True)
    user = get_user(app, user_id)
    assert user.failed_logins == 5
    assert timedelta(minutes=14) < user.locked_until - utcnow() <= timedelta(minutes=15)
    # Locked: even the right password is refused, with the very same message.
    response = post_login(client, "d@example.org")
    assert LOGIN_ERROR in response.get_data(as_text=True)
    assert not signed_in(client)
    [lock] = events(app, "user.lock")
    assert lock.object_id == user_id
    assert events(app, "login.failure")[-1].after["reason"] == "locked"
    # Once the lock has run out, the right password opens the account and resets the count.
    with app.app_context():
        s = db.session()
        s.get(User, user_id).locked_until = utcnow() - timedelta(seconds=1)
        s.commit()
    assert post_login(client, "d@example.org").status_code == 302
    user = get_user(app, user_id)
    assert user.failed_logins == 0 and user.locked_until is None


def test_a_success_resets_the_count_of_failures(client, make_user, app):
    user_id = make_user("drafter", email="d@example.org")
    for _ in range(4):
        post_login(client, "d@example.org", "wrong")
    assert get_user(app, user_id).failed_logins == 4
    assert post_login(client, "d@example.org").status_code == 302
    client.post("/en/logout")
    for _ in range(4):
        post_login(client, "d@example.org", "wrong")
    assert get_user(app, user_id).locked_until is None


def test_failed_logins_from_one_address_are_throttled(client, make_user, app):
    make_user("moderator", email="m@example.org")
    saved = app.config["LOGIN_RATE_LIMIT"]
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    try:
        for _ in range(3):
            assert post_login(client, "other@example.org", "wrong").status_code == 200
        response = post_login(client, "m@example.org")
        assert response.status_code == 429
        assert "Too many requests" in response.get_data(as_text=True)
        assert not signed_in(client)
        assert client.get("/en/login").status_code == 200  # reading the form is not limited
    finally:
        app.config["LOGIN_RATE_LIMIT"] = saved


def test_successful_logins_do_not_use_up_the_limit(client, make_user, app):
    make_user("moderator", email="m@example.org")
    saved = app.config["LOGIN_RATE_LIMIT"]
    app.config["LOGIN_RATE_LIMIT"] = "2 per minute"
    try:
        for _ in range(4):
            assert post_login(client, "m@example.org").status_code == 302
            client.post("/en/logout")
    finally:
        app.config["LOGIN_RATE_LIMIT"] = saved


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "/\\evil.example/", "\\\\evil.example",
    "javascript:alert(1)", "http:/evil.example", "/\n/evil.example", "evil.example",
])
def test_next_never_leads_off_the_site(client, make_user, target):
    make_user("moderator", email="m@example.org")
    from urllib.parse import quote
    response = post_login(client, "m@example.org", next_=quote(target, safe=""))
    assert response.status_code == 302
    assert is_landing(response.headers["Location"])


def test_a_staff_page_sends_to_login_and_back(client, make_user):
    make_user("moderator", email="m@example.org")
    response = client.get("/en/audit/?action=user")
    assert response.status_code == 302
    login_url = response.headers["Location"]
    assert login_url.startswith("/en/login?next=")
    after = client.post(login_url, data={"email": "m@example.org", "password": PASSWORD})
    assert after.headers["Location"] == "/en/audit/?action=user"


def test_signed_in_user_opening_login_is_sent_on(client, login):
    login("drafter")
    response = client.get("/en/login?next=/en/hearings/")
    assert response.status_code == 302 and response.headers["Location"] == "/en/hearings/"


def test_logout_requires_post_with_csrf_token(client, make_user, csrf):
    make_user("moderator", email="m@example.org")
    page = client.get("/en/login").get_data(as_text=True)
    client.post("/en/login", data={"email": "m@example.org", "password": PASSWORD,
                                   "csrf_token": csrf_token(page)})
    assert signed_in(client)
    assert client.get("/en/logout").status_code == 405
    assert client.post("/en/logout").status_code == 400
    assert client.post("/en/logout", data={"csrf_token": "forged"}).status_code == 400
    assert signed_in(client)
    staff_page = client.get("/en/audit/").get_data(as_text=True)
    response = client.post("/en/logout", data={"csrf_token": csrf_token(staff_page)})
    assert response.status_code == 302
    assert not signed_in(client)
    assert client.get("/en/audit/").status_code == 302


def test_login_without_csrf_token_is_refused_when_csrf_is_on(client, make_user, csrf):
    make_user("moderator", email="m@example.org")
    assert post_login(client, "m@example.org").status_code == 400
    assert not signed_in(client)


def test_an_inactive_account_cannot_sign_in(client, make_user, app):
    user_id = make_user("moderator", email="m@example.org")
    with app.app_context():
        s = db.session()
        s.get(User, user_id).active = False
        s.commit()
    assert LOGIN_ERROR in post_login(client, "m@example.org").get_data(as_text=True)
    assert events(app, "login.failure")[-1].after["reason"] == "inactive"


# ------------------------------------------------------------------ users

def test_users_page_lists_accounts_with_role_and_state(client, login, make_user):
    login("admin")
    make_user("drafter", email="drafter@example.org")
    html = client.get("/en/users/").get_data(as_text=True)
    assert "drafter@example.org" in html and "Drafter" in html and "Active" in html


def test_admin_creates_an_account_that_can_sign_in(client, login, app):
    admin_id = login("admin")
    response = client.post("/en/users/", data={
        "email": "New.Clerk@example.org", "name": "Aida", "role": "moderator",
        "password": "ten chars!"})
    assert response.status_code == 302
    assert "new.clerk@example.org" in client.get("/en/users/").get_data(as_text=True)
    created = events(app, "user.create")[-1]
    assert created.actor_id == admin_id and created.after == {"role": "moderator",
                                                              "active": True}
    client.post("/en/logout")
    assert post_login(client, "new.clerk@example.org", "ten chars!").status_code == 302


@pytest.mark.parametrize("data, message", [
    ({"password": "too short"}, "at least 10 characters"),
    ({"email": "not-an-address"}, "Enter a valid e-mail address."),
    ({"email": ""}, "Enter an e-mail address."),
    ({"role": "superuser"}, "Choose one of the listed roles."),
])
def test_bad_new_account_is_refused_and_nothing_stored(client, login, app, data, message):
    login("admin")
    created_before = len(events(app, "user.create"))
    form = {"email": "x@example.org", "name": "X", "role": "drafter",
            "password": "long enough password"}
    form.update(data)
    response = client.post("/en/users/", data=form)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session().scalar(select(User).where(User.email == "x@example.org")) is None
    assert len(events(app, "user.create")) == created_before


def test_an_address_in_use_is_refused_not_overwritten(client, login, make_user, app):
    login("admin")
    user_id = make_user("drafter", email="d@example.org")
    before = get_user(app, user_id).password_hash
    response = client.post("/en/users/", data={
        "email": "D@example.org", "name": "", "role": "admin",
        "password": "another long password"})
    assert "already exists" in response.get_data(as_text=True)
    user = get_user(app, user_id)
    assert user.role == "drafter" and user.password_hash == before


def test_admin_changes_a_role_audited(client, login, make_user, app):
    admin_id = login("admin")
    user_id = make_user("drafter")
    response = client.post(f"/en/users/{user_id}/role", data={"role": "moderator"})
    assert response.status_code == 302
    assert get_user(app, user_id).role == "moderator"
    [event] = events(app, "user.role")
    assert (event.actor_id, event.object_id) == (admin_id, user_id)
    assert (event.before, event.after) == ({"role": "drafter"}, {"role": "moderator"})


def test_unknown_role_and_own_demotion_are_refused(client, login, make_user, app):
    admin_id = login("admin")
    user_id = make_user("drafter")
    response = client.post(f"/en/users/{user_id}/role", data={"role": "root"},
                           follow_redirects=True)
    assert "Choose one of the listed roles." in response.get_data(as_text=True)
    response = client.post(f"/en/users/{admin_id}/role", data={"role": "drafter"},
                           follow_redirects=True)
    assert "You cannot remove your own administrator role." in response.get_data(as_text=True)
    assert get_user(app, admin_id).role == "admin"
    assert get_user(app, user_id).role == "drafter"
    assert events(app, "user.role") == []
    assert client.post("/en/users/99999/role", data={"role": "drafter"}).status_code == 404


def test_deactivate_and_reactivate_never_delete(client, login, make_user, app):
    admin_id = login("admin")
    user_id = make_user("moderator", email="m@example.org")
    client.post(f"/en/users/{user_id}/active?active=0")
    assert get_user(app, user_id).active is False
    assert "Deactivated" in client.get("/en/users/").get_data(as_text=True)
    assert LOGIN_ERROR in post_login(app.test_client(), "m@example.org").get_data(as_text=True)
    client.post(f"/en/users/{user_id}/active?active=1")
    assert get_user(app, user_id).active is True
    assert [e.action for e in events(app, "user.")][-2:] == ["user.deactivate", "user.activate"]
    response = client.post(f"/en/users/{admin_id}/active?active=0", follow_redirects=True)
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)
    assert get_user(app, admin_id).active is True


def test_a_deactivated_account_loses_its_open_session(client, login, app):
    user_id = login("moderator")
    assert client.get("/en/audit/").status_code == 200
    with app.app_context():
        s = db.session()
        s.get(User, user_id).active = False
        s.commit()
    assert client.get("/en/audit/").status_code == 302


def test_reactivating_lifts_a_lock(client, login, make_user, app):
    login("admin")
    user_id = make_user("moderator")
    with app.app_context():
        s = db.session()
        user = s.get(User, user_id)
        user.active, user.failed_logins = False, 5
        user.locked_until = utcnow() + timedelta(minutes=10)
        s.commit()
    client.post(f"/en/users/{user_id}/active?active=1")
    user = get_user(app, user_id)
    assert user.active and user.failed_logins == 0 and user.locked_until is None


# ------------------------------------------------------------------ audit log

def test_audit_page_lists_events_newest_first(client, login, make_user, app):
    admin_id = login("admin")
    user_id = make_user("drafter", email="d@example.org")
    client.post(f"/en/users/{user_id}/role", data={"role": "moderator"})
    client.post(f"/en/users/{user_id}/active?active=0")
    html = unescape(client.get("/en/audit/").get_data(as_text=True))
    actions = re.findall(r'<code class="action">([a-z.-]+)</code>', html)
    assert actions == ["user.deactivate", "user.role", "user.create", "user.create"]
    assert f"gave account {user_id} the role: Moderator" in html
    assert '<dt>Role</dt>\n          <dd><span class="was">Drafter</span> → Moderator</dd>' in html
    assert get_user(app, admin_id).email in html  # who


def test_audit_page_filters_by_action_prefix_and_object_type(client, login, make_user,
                                                             make_document, app):
    login("moderator")
    make_user("drafter")
    make_document()
    with app.app_context():
        from consult.core.consultation import set_moderation
        s = db.session()
        set_moderation(s, s.scalar(select(Consultation)), "post", None)
        s.commit()
    html = client.get("/en/audit/?action=consultation").get_data(as_text=True)
    assert "consultation.moderation" in html and "user.create" not in html
    html = client.get("/en/audit/?object_type=user_account").get_data(as_text=True)
    assert "user.create" in html and "consultation.moderation" not in html
    html = client.get("/en/audit/?action=user_").get_data(as_text=True)  # _ is not a wildcard
    assert "No events match." in html


def test_audit_page_shows_fifty_events_a_page(client, login, app):
    user_id = login("moderator")
    with app.app_context():
        from consult import audit
        s = db.session()
        user = s.get(User, user_id)
        for n in range(120):
            audit.record(s, user, "test.event", user, {"n": n}, {"n": n + 1})
        s.commit()
    first = unescape(client.get("/en/audit/?action=test").get_data(as_text=True))
    assert first.count("test.event") == 50
    assert '<span class="was">119</span> → 120' in first
    assert '<span class="was">69</span>' not in first
    third = unescape(client.get("/en/audit/?action=test&page=3").get_data(as_text=True))
    assert third.count("test.event") == 20 and '<span class="was">0</span> → 1' in third
    assert 'href="/en/audit/?page=2&action=test"' in third
    for absurd in ("abc", "0", "-1", "9223372036854775808", "²"):
        response = client.get(f"/en/audit/?page={absurd}")
        assert response.status_code == 404 and "Page not found" in response.get_data(
            as_text=True)


# ------------------------------------------------------------------ command line

def test_create_user_command_reads_the_password_twice(runner, app):
    result = runner.invoke(args=["create-user", "clerk@example.org", "--role", "moderator"],
                           input="a long password\na long password\n")
    assert result.exit_code == 0, result.output
    assert "created clerk@example.org (moderator)" in result.output
    client = app.test_client()
    assert post_login(client, "clerk@example.org", "a long password").status_code == 302


def test_create_user_command_refuses_a_short_password(runner, app):
    result = runner.invoke(args=["create-user", "clerk@example.org", "--role", "admin"],
                           input="short\nshort\n")
    assert result.exit_code != 0
    assert "at least 10 characters" in result.output
    with app.app_context():
        assert db.session().scalar(select(User)) is None


def test_create_user_command_refuses_mismatched_passwords(runner, app):
    result = runner.invoke(args=["create-user", "clerk@example.org", "--role", "drafter"],
                           input="a long password\nanother password\n"
                                 "a long password\na long password\n")
    assert "do not match" in result.output or "match" in result.output.lower()
    assert result.exit_code == 0  # asked again, then accepted


def test_create_user_command_refuses_an_unknown_role(runner, app):
    result = runner.invoke(args=["create-user", "x@example.org", "--role", "root"],
                           input="a long password\na long password\n")
    assert result.exit_code == 2
    with app.app_context():
        assert db.session().scalar(select(User)) is None


def test_create_user_command_resets_an_existing_account(runner, app, make_user):
    user_id = make_user("drafter", email="d@example.org")
    result = runner.invoke(args=["create-user", "d@example.org", "--role", "admin"],
                           input="a new long password\na new long password\n")
    assert result.exit_code == 0 and "updated d@example.org (admin)" in result.output
    assert get_user(app, user_id).role == "admin"
    assert post_login(app.test_client(), "d@example.org", "a new long password"
                      ).status_code == 302
