"""Several app servers as one: nginx in front of two gunicorn servers on different ports
against one PostgreSQL and one Redis. A citizen and a moderator move from one server to
the other in the middle of what they do (one server is stopped between their requests, so
nginx must send the next one to the other, and each server's access log shows which served
what): sessions and form tokens signed on one are honoured by the other, a comment form read
on one is accepted by the other, a page kept by one server follows a change made on the
other, and the rate limits count across both.
"""
from __future__ import annotations

import contextlib
import secrets

from sqlalchemy import create_engine, select

from bench.serving import Browser, comment_form, form_token, receipt_code
from consult.models import Comment
from tests.soak.servers import Gunicorn, Nginx, app_environment

CITIZEN, MODERATOR, READER, GUESSER = "soak-citizen", "soak-moderator", "soak-reader", \
    "soak-guesser"
LOGIN = "/en/login"
QUEUE = "/en/moderation/"
# Failed sign-ins allowed per address and minute in this test; counted in Redis.
LOGIN_LIMIT = 3


def comment_row(database_url: str, code: str) -> tuple[int, str]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return tuple(connection.execute(select(Comment.id, Comment.state).where(
                Comment.receipt_code == code)).one())
    finally:
        engine.dispose()


def test_a_citizen_and_a_moderator_move_between_two_app_servers(site, fresh_redis, tmp_path):
    # SHARED_CACHE_SECONDS=0: nginx keeps no page, so that every request reaches an app
    # server and its access log shows which (nginx's own cache: test_soak).
    env = app_environment(site.database_url, fresh_redis, SHARED_CACHE_SECONDS="0",
                          LOGIN_RATE_LIMIT=f"{LOGIN_LIMIT} per minute")
    one = Gunicorn(env, tmp_path / "one.log", workers=2)
    two = Gunicorn(env, tmp_path / "two.log", workers=2)
    nginx = Nginx(tmp_path / "nginx", [one.address, two.address])
    clause = site.clauses[0]
    marker = f"two-servers-{secrets.token_hex(4)}"
    with contextlib.ExitStack() as stack:
        for process in (two, one, nginx):
            stack.callback(process.stop)
        one.start()
        nginx.start()
        citizen, moderator, reader = (Browser(nginx.port, agent)
                                      for agent in (CITIZEN, MODERATOR, READER))

        # On server one only: the citizen opens the form, the reader the same page (kept
        # by server one), the moderator signs in.
        response, page = citizen.request("GET", clause)
        assert response.status == 200 and b'name="body"' in page
        assert reader.request("GET", clause)[0].status == 200
        _, page = moderator.request("GET", LOGIN)
        email, password = site.moderator
        response, _ = moderator.request("POST", LOGIN, {
            "csrf_token": form_token(page), "email": email, "password": password})
        assert response.status == 302, "sign-in refused"

        # Server two only: the form is sent, the receipt opened, the comment published.
        two.start()
        one.stop()
        response, _ = citizen.request("POST", clause, comment_form(
            f"Comment {marker} sent to the other server.", "Soak Citizen"))
        code = receipt_code(response)
        assert code is not None, f"the form from server one was refused: {response.status}"
        response, page = citizen.request("GET", f"/en/receipts/{code}/")
        assert response.status == 200 and marker.encode() in page
        comment_id, state = comment_row(site.database_url, code)
        assert state == "new", "the demo consultation is pre-moderated"
        response, page = moderator.request("GET", QUEUE)
        assert response.status == 200, "the session from server one is not honoured"
        response, _ = moderator.request("POST", f"{QUEUE}{comment_id}/", {
            "csrf_token": form_token(page), "action": "publish", "reason": "", "note": ""})
        assert response.status == 302
        assert comment_row(site.database_url, code)[1] == "published"

        # Server one again: the page it kept shows the comment published on server two.
        one.start()
        two.stop()
        response, page = reader.request("GET", clause)
        assert response.status == 200 and marker.encode() in page
        assert moderator.request("GET", QUEUE)[0].status == 200

        assert one.served("GET", clause, CITIZEN) == [200]
        assert two.served("POST", clause, CITIZEN) == [302]
        assert one.served("POST", LOGIN, MODERATOR) == [302]
        assert two.served("POST", f"{QUEUE}{comment_id}/", MODERATOR) == [302]
        assert one.served("GET", clause, READER) == [200, 200]

        # Both servers, reached directly as nginx would forward one address: failed
        # sign-ins count against one allowance wherever they land.
        two.start()
        guessers = {server: Browser(server.port, GUESSER) for server in (one, two)}
        guessers[two].cookies = guessers[one].cookies  # one browser, two servers
        forwarded = {"X-Forwarded-For": "198.51.100.7"}
        _, page = guessers[one].request("GET", LOGIN, headers=forwarded)
        token = form_token(page)
        statuses = [guessers[server].request("POST", LOGIN, {
            "csrf_token": token, "email": "nobody@example.org", "password": "wrong guess"},
            headers=forwarded)[0].status for server in (one, two, one, two)]
        assert statuses == [200] * LOGIN_LIMIT + [429]
