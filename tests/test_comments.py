"""Citizens' comments through HTTP: the form, refusals, receipts, public display, protection."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from sqlalchemy import func, select

from consult.comments import moderation
from consult.comments.intake import Refused
from consult.core.text import clean as strip_controls
from consult.core.time import utcnow
from consult.models import AuditEvent, Clause, Comment, Consultation, Document

CLAUSE = "/{lang}/documents/sample-programme/{key}/"
DOCUMENT = "/en/documents/sample-programme/"
RECEIPT = re.compile(r"/(ky|ru|en)/receipts/([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})/$")


def form(**overrides) -> dict:
    data = {"body": "Please protect the juniper forests.", "author_name": "Aida Bekova",
            "organisation": "", "category": "individual", "region": "naryn", "gender": "",
            "email": "", "consent": "anonymous"}
    data.update(overrides)
    return data


@pytest.fixture
def ready(make_document, open_period):
    """The sample document, open for comments."""
    make_document()
    open_period()


def post(client, key="1", lang="en", **fields):
    return client.post(CLAUSE.format(lang=lang, key=key), data=form(**fields))


def count(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Comment))


def receipt_code(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    match = RECEIPT.search(response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(2)


def publish_all(session):
    for comment in session.scalars(select(Comment)):
        moderation.publish_comment(session, comment, None)
    session.commit()


# ------------------------------------------------------------------ the form

@pytest.mark.parametrize("lang", ["ky", "ru", "en"])
def test_clause_page_shows_the_form_with_contract_fields(client, ready, lang):
    page = client.get(CLAUSE.format(lang=lang, key="1")).get_data(as_text=True)
    comment_form = page[page.index('<form method="post"'):]
    comment_form = comment_form[:comment_form.index("</form>")]
    names = set(re.findall(r'name="([^"]+)"', comment_form))
    # Exactly the contract's fields, the honeypot and the version the page shows (so that
    # a comment is never filed under a text its author did not read): nothing asks for
    # citizenship or an ID.
    assert names == {"body", "language", "author_name", "organisation", "category", "region",
                     "gender", "email", "consent", "website", "version"}
    assert 'class="honeypot"' in comment_form


def test_region_choices_are_oblasts_and_the_two_cities(client, ready):
    page = client.get(CLAUSE.format(lang="en", key="1")).get_data(as_text=True)
    values = set(re.findall(r'<option (?:selected )?value="([^"]*)"', page))
    assert {"bishkek", "osh-city", "batken", "chui", "issyk-kul", "jalal-abad", "naryn",
            "osh", "talas"} <= values


def test_comment_is_stored_and_receipt_shown(client, session, ready):
    code = receipt_code(post(client, consent="full", email="aida@example.org"))
    comment = session.scalar(select(Comment).where(Comment.receipt_code == code))
    document = session.scalar(select(Document))
    assert comment.state == "new"  # pre-moderation by default
    assert comment.channel == "online" and comment.language == "en"
    assert comment.clause_key == "1" and comment.version_id == document.current_version_id
    assert comment.email == "aida@example.org" and comment.region == "naryn"
    assert comment.gender == "unstated"
    page = client.get(f"/en/receipts/{code}/")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Please protect the juniper forests." in text
    assert "Awaiting moderation" in text and code in text
    assert "aida@example.org" not in text
    assert (comment.received_at + timedelta(hours=6)).strftime("%H:%M") in text  # Bishkek
    assert 'href="/en/documents/sample-programme/1/"' in text
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "comment.submit"))
    assert event.object_id == comment.id and event.after["state"] == "new"


def test_receipt_codes_are_unguessable_and_distinct(client, ready):
    codes = {receipt_code(post(client, body=f"comment {i}")) for i in range(5)}
    assert len(codes) == 5 and all(len(c) == 14 for c in codes)


def test_comment_on_whole_document(client, session, ready):
    response = client.post(DOCUMENT, data=form(body="On the whole programme."))
    code = receipt_code(response)
    comment = session.scalar(select(Comment).where(Comment.receipt_code == code))
    assert comment.clause_id is None and comment.clause_key is None
    page = client.get(DOCUMENT).get_data(as_text=True)
    assert 'id="comment-form"' in page and 'id="clause-annex-1.1"' in page


def test_language_of_the_page_is_recorded(client, session, ready):
    code = receipt_code(post(client, lang="ky", body="Токойлорду коргоо керек."))
    assert session.scalar(select(Comment.language).where(Comment.receipt_code == code)) == "ky"


def test_unknown_receipt_is_not_found(client, ready):
    assert client.get("/en/receipts/no-such-code-at-all-000/").status_code == 404


def test_receipt_is_not_cached_publicly(client, ready):
    code = receipt_code(post(client))
    response = client.get(f"/en/receipts/{code}/")
    assert "no-store" in response.headers["Cache-Control"]
    assert 'name="robots" content="noindex"' in response.get_data(as_text=True)


def test_receipt_shows_the_answer_once_there_is_one(client, session, ready):
    from consult.models import Response
    code = receipt_code(post(client))
    comment = session.scalar(select(Comment).where(Comment.receipt_code == code))
    session.add(Response(comment_id=comment.id, status="partly-accepted",
                         rationale="Forests are covered in clause 3.", change="Clause 3 amended."))
    session.commit()
    text = client.get(f"/en/receipts/{code}/").get_data(as_text=True)
    assert "Partly accepted" in text and "Forests are covered in clause 3." in text
    assert "Clause 3 amended." in text


# ------------------------------------------------------------------ bad input

@pytest.mark.parametrize("fields, message", [
    ({"body": ""}, "Please write your comment."),
    ({"body": "   \n  "}, "Please write your comment."),
    ({"body": "x" * 10_001}, "at most 10000 characters"),
    ({"category": "martian"}, "Choose one of the listed categories."),
    ({"region": "atlantis"}, "Choose one of the listed regions."),
    ({"gender": "robot"}, "Choose one of the listed options."),
    ({"consent": "maybe"}, "Choose how your comment may be published."),
    ({"email": "not-an-address"}, "This does not look like an e-mail address."),
    ({"email": "a@b@c.org"}, "This does not look like an e-mail address."),
])
def test_bad_input_is_refused_with_a_message_and_nothing_stored(client, session, ready,
                                                                  fields, message):
    response = post(client, **fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count(session) == 0


def test_body_of_exactly_ten_thousand_characters_is_accepted(client, ready):
    receipt_code(post(client, body="x" * 10_000))


def test_refused_form_keeps_the_citizens_text(client, ready):
    response = post(client, body="My careful words", email="bad")
    assert "My careful words" in response.get_data(as_text=True)


def test_nonexistent_clause_is_not_found(client, session, ready):
    assert post(client, key="99").status_code == 404
    assert client.post("/en/documents/no-such-document/1/", data=form()).status_code == 404
    assert count(session) == 0


def test_nul_byte_is_refused(client, session, ready):
    response = post(client, body="bad\x00text")
    assert response.status_code == 400
    assert "NUL" in response.get_data(as_text=True)
    assert count(session) == 0


def test_control_characters_are_stripped_with_a_message(client, session, ready):
    response = post(client, body="line one\r\n\tline\x07 two\x1b", author_name="Ai\x08da")
    code = receipt_code(response)
    comment = session.scalar(select(Comment).where(Comment.receipt_code == code))
    assert comment.body == "line one\r\n\tline two" and comment.author_name == "Aida"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "control characters were removed" in page


def test_body_of_only_control_characters_is_refused(client, session, ready):
    response = post(client, body="\x01\x02\x03")
    assert response.status_code == 400
    assert "Please write your comment." in response.get_data(as_text=True)
    assert count(session) == 0


@pytest.mark.parametrize("shift", [timedelta(days=-40), timedelta(days=40)])
def test_closed_period_refuses_server_side(client, session, make_document, shift):
    make_document()
    consultation = session.scalar(select(Consultation))
    consultation.opens_at = utcnow() + shift - timedelta(days=1)
    consultation.closes_at = utcnow() + shift + timedelta(days=1)
    session.commit()
    page = client.get(CLAUSE.format(lang="en", key="1")).get_data(as_text=True)
    assert 'name="body"' not in page and "Bishkek time" in page
    response = post(client)
    assert response.status_code == 403
    assert "only during the consultation period" in response.get_data(as_text=True)
    assert count(session) == 0


def test_the_exact_closing_instant_is_outside_the_period(session, make_document,
                                                         submit_online):
    """Aarhus Art. 6(3): a comment sent at 18:00:00 to a period closing at 18:00 is late.
    The opening instant is inside."""
    make_document()
    consultation = session.scalar(select(Consultation))
    opens, closes = datetime(2025, 6, 1, 3, 0), datetime(2025, 7, 15, 12, 0)
    consultation.opens_at, consultation.closes_at = opens, closes
    session.commit()
    clause = session.scalar(select(Clause).where(Clause.key == "1"))
    for at, accepted in ((opens - timedelta(microseconds=1), False), (opens, True),
                         (closes - timedelta(microseconds=1), True), (closes, False)):
        if accepted:
            submit_online(session, clause, form(body=f"At {at}"), now=at)
        else:
            with pytest.raises(Refused):
                submit_online(session, clause, form(body=f"At {at}"), now=at)
        session.rollback()
    assert consultation.is_open(closes - timedelta(microseconds=1))
    assert not consultation.is_open(closes) and consultation.is_open(opens)


def test_closing_time_passed_by_a_second_refuses_the_post(client, session, make_document):
    make_document()
    consultation = session.scalar(select(Consultation))
    consultation.opens_at = utcnow() - timedelta(days=30)
    consultation.closes_at = utcnow()
    session.commit()
    response = post(client)
    assert response.status_code == 403 and count(session) == 0
    assert "only during the consultation period" in response.get_data(as_text=True)


def test_period_not_set_refuses(client, session, make_document):
    make_document()
    response = post(client)
    assert response.status_code == 403
    assert "not been set" in response.get_data(as_text=True)
    assert count(session) == 0


def post_from(client, headers: dict, **fields):
    return client.post(CLAUSE.format(lang="en", key="1"), data=form(**fields),
                       headers=headers)


def test_a_post_that_does_not_say_where_it_comes_from_is_refused_and_text_kept(
        client, session, ready, csrf):
    response = post(client, body="Keep me")
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "could not be verified" in text and "Keep me" in text
    assert count(session) == 0


@pytest.mark.parametrize("headers", [
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},  # a sibling subdomain is another site's page
    {"Sec-Fetch-Site": "cross-site", "Origin": "http://localhost"},  # metadata decides
    {"Origin": "http://evil.example"},
    {"Origin": "null"},  # a sandboxed frame or a data: page
    {"Origin": "https://localhost"},  # another scheme is another origin
    {"Origin": "http://localhost.evil.example"},
    {"Referer": "http://evil.example/en/documents/sample-programme/1/"},
], ids=lambda headers: ",".join(f"{k}={v}" for k, v in headers.items()))
def test_a_post_from_another_site_is_refused(client, session, ready, csrf, headers):
    response = post_from(client, headers)
    assert response.status_code == 400
    assert "could not be verified" in response.get_data(as_text=True)
    assert count(session) == 0


@pytest.mark.parametrize("headers", [
    {"Sec-Fetch-Site": "same-origin"},
    {"Origin": "http://localhost"},
    {"Referer": "http://localhost/en/documents/sample-programme/1/"},
], ids=lambda headers: ",".join(headers))
def test_a_post_from_this_sites_page_is_accepted(client, session, ready, csrf, headers):
    receipt_code(post_from(client, headers))
    assert count(session) == 1


def test_the_public_address_counts_as_this_site_behind_a_proxy(app, client, session, ready,
                                                                csrf):
    # nginx on a port of its own passes Host without the port; PUBLIC_URL names the site.
    app.config["PUBLIC_URL"] = "https://consult.example.org/"
    receipt_code(post_from(client, {"Origin": "https://consult.example.org"}))
    assert count(session) == 1


def test_the_comment_form_holds_nothing_of_one_visitor(client, ready, csrf):
    response = client.get(CLAUSE.format(lang="en", key="1"))
    assert 'name="body"' in response.get_data(as_text=True)
    assert "csrf_token" not in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "public, max-age=0, s-maxage=5"


def test_honeypot_stores_nothing_and_answers_neutrally(client, session, ready):
    response = post(client, website="http://spam.example")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/en/documents/sample-programme/1/")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your comment has been received" in page
    assert count(session) == 0


def test_identical_resubmission_returns_the_first_receipt(client, session, ready):
    first = receipt_code(post(client))
    second = receipt_code(post(client))
    assert first == second and count(session) == 1
    # Another text, another clause or another client is another comment.
    assert receipt_code(post(client, body="Something else.")) != first
    assert receipt_code(post(client, key="2")) != first
    other = client.post(CLAUSE.format(lang="en", key="1"), data=form(),
                        headers={"User-Agent": "another browser"})
    assert receipt_code(other) != first
    assert count(session) == 4


def test_resubmission_after_a_minute_is_a_new_comment(session, ready, submit_online):
    clause = session.scalar(select(Clause).where(Clause.key == "1"))
    now = utcnow()
    first = submit_online(session, clause, form(), "client", now=now)
    again = submit_online(session, clause, form(), "client",
                                     now=now + timedelta(seconds=30))
    later = submit_online(session, clause, form(), "client",
                                    now=now + timedelta(seconds=61))
    assert again.comment is first.comment and not again.created
    assert later.created and later.comment is not first.comment


def test_a_comment_sent_once_is_stored_without_looking_for_an_earlier_copy(
        client, session, ready, sql_statements):
    """The claim's unique key refuses a resubmission; a comment sent once (nearly all of
    them) is not preceded by a look-up of its claim, nor by reading the clause's texts or
    the notice's; it is not read back after it is stored, and, the request's only write,
    it needs no savepoint."""
    with sql_statements() as statements:
        receipt_code(post(client, body="Sent once."))
    selects = [s for s in statements if s.startswith("SELECT")]
    assert not [s for s in selects if "FROM submission_claim" in s], selects
    assert not [s for s in selects if "clause.html" in s], selects
    assert any(s.startswith("INSERT INTO submission_claim") for s in statements)
    assert not [s for s in selects if "proposal" in s or "preamble_html" in s], selects
    assert len([s for s in selects if " FROM " in s]) == 1, selects
    assert not [s for s in statements if "SAVEPOINT" in s.upper()], statements
    # Sent again at once: the same comment, found through its claim.
    again = receipt_code(post(client, body="Sent once."))
    assert count(session) == 1 and again


def test_a_recorded_comment_is_whole_without_being_read_back(app, session, ready):
    """The register stores a comment with one INSERT and hands back the comment whole:
    nothing of it is left to be read from the database."""
    from sqlalchemy import inspect

    from consult.comments.intake import NewComment, record_comment, target_for
    document = session.scalar(select(Document).where(Document.slug == "sample-programme"))
    with app.test_request_context():
        recorded = record_comment(session, target_for(session, document, "1"), NewComment(
            channel="online", body="Whole at once.", language="en"), actor=None)
    assert recorded.created and recorded.comment.id is not None
    columns = {column.key for column in inspect(Comment).column_attrs}
    assert not inspect(recorded.comment).unloaded & columns
    assert recorded.comment.moderated_at is None and recorded.comment.state == "new"
    session.commit()
    assert session.get(Comment, recorded.comment.id) is recorded.comment


def test_a_comment_rolled_back_leaves_nothing_behind_in_the_session(app, session, ready):
    """A recorded comment undone by a rollback (of the transaction, or of a savepoint it
    was recorded in) is gone from the session too, and another can take its place."""
    from consult.comments.intake import NewComment, record_comment, target_for
    document = session.scalar(select(Document).where(Document.slug == "sample-programme"))

    def record(body):
        return record_comment(session, target_for(session, document, "1"), NewComment(
            channel="online", body=body, language="en"), actor=None).comment

    with app.test_request_context():
        undone = record("Undone by a rollback.")
        session.rollback()
        assert undone not in session
        savepoint = session.begin_nested()
        in_savepoint = record("Undone with its savepoint.")
        savepoint.rollback()
        assert in_savepoint not in session
        # A savepoint released after it does not make it stored for good.
        before_release = record("Undone after a savepoint was released.")
        session.begin_nested().commit()
        session.rollback()
        assert before_release not in session
        kept = record("Kept.")
    session.commit()
    assert kept in session
    assert [c.body for c in session.scalars(select(Comment))] == ["Kept."]
    session.rollback()  # after the commit: nothing stored is forgotten
    assert kept in session


def test_over_limit_client_gets_a_readable_429(app, client, session, ready):
    app.config["COMMENT_RATE_LIMIT"] = "2 per minute"
    try:
        receipt_code(post(client, body="one"))
        receipt_code(post(client, body="two"))
        response = post(client, body="three")
        assert response.status_code == 429
        text = response.get_data(as_text=True)
        assert "Too many requests" in text and "Wait a minute" in text
        # Reading is never limited.
        assert client.get(CLAUSE.format(lang="en", key="1")).status_code == 200
    finally:
        app.config["COMMENT_RATE_LIMIT"] = "10000 per minute"
    assert count(session) == 2


# ------------------------------------------------------------------ public display

def test_published_comments_show_under_the_clause_newest_first(client, session, ready):
    receipt_code(post(client, body="Older comment"))
    receipt_code(post(client, body="Newer comment"))
    receipt_code(post(client, key="2", body="On clause two"))
    page = client.get(CLAUSE.format(lang="en", key="1")).get_data(as_text=True)
    assert "Older comment" not in page  # pre-moderation: not public yet
    publish_all(session)
    page = client.get(CLAUSE.format(lang="en", key="1")).get_data(as_text=True)
    assert page.index("Newer comment") < page.index("Older comment")
    assert "On clause two" not in page


def test_name_shown_only_with_full_consent(client, session, ready):
    receipt_code(post(client, body="Named", consent="full", author_name="Aida Bekova",
                      email="aida@example.org"))
    receipt_code(post(client, body="Anonymous", consent="anonymous", author_name="Secret Name",
                      category="ngo", region="talas"))
    receipt_code(post(client, body="Withheld text", consent="none", author_name="Hidden Name"))
    publish_all(session)
    page = client.get(CLAUSE.format(lang="en", key="1")).get_data(as_text=True)
    assert "Aida Bekova" in page
    assert "Secret Name" not in page and "Hidden Name" not in page
    assert "Non-governmental organisation" in page and "Talas oblast" in page
    assert "Withheld text" not in page and "asked for the text of this comment not to be" in page
    assert "aida@example.org" not in page


def test_html_in_a_comment_is_shown_as_text(client, session, ready):
    body = '<script>alert(1)</script>\n<b onmouseover="x">bold</b>'
    code = receipt_code(post(client, body=body))
    publish_all(session)
    for url in (CLAUSE.format(lang="en", key="1"), f"/en/receipts/{code}/"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in page
        assert str(escape(body)) in page  # line break kept inside a pre-wrap block


def test_post_moderation_publishes_at_once_and_updates_counts(client, session, ready):
    session.scalar(select(Consultation)).moderation = "post"
    session.commit()
    assert "0 comments" in client.get(DOCUMENT).get_data(as_text=True)
    code = receipt_code(post(client, body="Public at once"))
    assert session.scalar(select(Comment.state).where(Comment.receipt_code == code)) \
        == "published"
    assert "Public at once" in client.get(CLAUSE.format(lang="en", key="1")).get_data(
        as_text=True)
    page = client.get(DOCUMENT).get_data(as_text=True)
    assert 'href="/en/documents/sample-programme/1/#comments">1 comment<' in page


def test_whole_document_comments_show_on_document_page(client, session, ready):
    receipt_code(client.post(DOCUMENT, data=form(body="About everything")))
    publish_all(session)
    page = client.get(DOCUMENT).get_data(as_text=True)
    assert "About everything" in page
    assert "About everything" not in client.get(CLAUSE.format(lang="en", key="1")).get_data(
        as_text=True)


# ------------------------------------------------------------------ headers

@pytest.mark.parametrize("url", ["/en/documents/sample-programme/1/", DOCUMENT, "receipt"])
def test_security_headers_on_comment_pages(client, ready, url):
    if url == "receipt":
        url = f"/en/receipts/{receipt_code(post(client))}/"
    headers = client.get(url).headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_comment_pages_have_no_inline_script_or_style(client, ready):
    page = client.get(CLAUSE.format(lang="en", key="1")).get_data(as_text=True)
    assert "<script>" not in page and "style=" not in page


def test_oversized_request_is_refused(app, client, session, ready):
    response = post(client, body="x" * (app.config["MAX_CONTENT_LENGTH"] + 1))
    assert response.status_code == 413
    assert count(session) == 0


# ------------------------------------------------------------------ property

@settings(deadline=None, max_examples=60,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.text(min_size=0, max_size=300))
def test_any_text_comes_back_exactly_or_is_refused_with_a_message(client, ready, body):
    response = client.post(CLAUSE.format(lang="en", key="1"), data=form(body=body),
                           headers={"User-Agent": "hypothesis"})
    assert response.status_code in (302, 400), response.status_code
    if response.status_code == 400:
        text = response.get_data(as_text=True)
        assert "Please write your comment." in text or "NUL character" in text
        return
    page = client.get(response.headers["Location"])
    text = page.get_data(as_text=True)
    cleaned, stripped = strip_controls(body)
    assert str(escape(cleaned)) in text
    if stripped:
        assert "control characters were removed" in text
    else:
        assert cleaned == body
