"""The drafting desk and the answer form, through HTTP."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from consult.models import AuditEvent, Comment, Hearing, Response, User
from consult.synthesis.answers import save_answer


def ids_on(html: str) -> set[int]:
    """Ids of the comments listed on a desk page."""
    return {int(i) for i in re.findall(r'id="comment-(\d+)"', html)}


@pytest.fixture
def desk(add_comment, make_document, session):
    """A document with comments from several channels, clauses, categories and states."""
    document = session.merge(make_document())
    hearing = Hearing(consultation_id=document.consultation_id, slug="naryn",
                      city={"en": "Naryn", "ru": "Нарын", "ky": "Нарын"})
    session.add(hearing)
    session.commit()
    c = {
        "online": add_comment(session, document, "1", "Online on clause one."),
        "oral": add_comment(session, document, "2", "Said at the Naryn hearing.",
                            channel="hearing-oral", hearing_id=hearing.id, category="ngo"),
        "written": add_comment(session, document, "2", "Handed in at Naryn.",
                               channel="hearing-written", hearing_id=hearing.id),
        "email": add_comment(session, document, "3", "Sent by e-mail.", channel="email",
                             category="academic"),
        "hidden": add_comment(session, document, "1", "Rude words here.", state="hidden",
                              hidden_reason="abuse"),
        "whole": add_comment(session, document, None, "On the whole programme.",
                             channel="post"),
    }
    drafter = session.get(User, _drafter(session))
    save_answer(session, c["email"], "noted", "", "", drafter, None)
    session.commit()
    return document, hearing, c


def _drafter(session):
    from consult.accounts.services import save_user
    user, _ = save_user(session, "seed-drafter@example.org", "drafter", "correct horse battery")
    session.commit()
    return user.id


def test_desk_lists_every_comment_in_document_order_with_counts(client, login, desk):
    document, _hearing, c = desk
    login("drafter")
    page = client.get("/en/desk/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert ids_on(html) == {x.id for x in c.values()}
    order = [int(i) for i in re.findall(r'id="comment-(\d+)"', html)]
    assert order.index(c["whole"].id) < order.index(c["online"].id) < order.index(c["oral"].id) \
        < order.index(c["email"].id)
    assert "Received: 6" in html and "Answered: 1" in html and "Unanswered: 5" in html


def test_hidden_comments_are_on_the_desk_and_marked(client, login, desk):
    _document, _hearing, c = desk
    login("drafter")
    html = client.get("/en/desk/?clause=1").get_data(as_text=True)
    card = html[html.index(f'id="comment-{c["hidden"].id}"'):]
    card = card[:card.index("</article>")]
    assert "Hidden" in card and "Abuse" in card and "Rude words here." in card


@pytest.mark.parametrize("query,expected", [
    ("clause=2", {"oral", "written"}),
    ("clause=-", {"whole"}),
    ("channel=email", {"email"}),
    ("channel=hearing-oral", {"oral"}),
    ("category=ngo", {"oral"}),
    ("status=noted", {"email"}),
    ("unanswered=1", {"online", "oral", "written", "hidden", "whole"}),
    ("clause=2&channel=hearing-written", {"written"}),
])
def test_desk_filters_narrow_the_list(client, login, desk, query, expected):
    _document, _hearing, c = desk
    login("drafter")
    html = client.get(f"/en/desk/?{query}").get_data(as_text=True)
    assert ids_on(html) == {c[name].id for name in expected}


def test_desk_filter_by_hearing(client, login, desk):
    _document, hearing, c = desk
    login("drafter")
    html = client.get(f"/en/desk/?hearing={hearing.id}").get_data(as_text=True)
    assert ids_on(html) == {c["oral"].id, c["written"].id}


def test_desk_ignores_unknown_filter_values(client, login, desk):
    login("drafter")
    page = client.get("/en/desk/?channel=pigeon&status=maybe&hearing=x&page=-3")
    assert page.status_code == 200
    assert len(ids_on(page.get_data(as_text=True))) == 6


def test_desk_paginates(add_comment, client, login, desk, session):
    document, _hearing, _c = desk
    for n in range(60):
        add_comment(session, document, "3", f"Bulk comment {n}")
    login("drafter")
    first = ids_on(client.get("/en/desk/").get_data(as_text=True))
    second = ids_on(client.get("/en/desk/?page=2").get_data(as_text=True))
    assert len(first) == 50 and len(second) == 16 and not first & second


def test_desk_access(client, login, make_document):
    # No ``session`` fixture here: its application context would keep the first
    # request's (anonymous) user for the whole test.
    make_document()
    assert client.get("/en/desk/").status_code == 302
    login("moderator")
    assert client.get("/en/desk/").status_code == 403
    assert client.get("/en/desk/groups/").status_code == 403
    login("admin")
    assert client.get("/en/desk/").status_code == 200


def test_answer_form_saves_and_the_receipt_shows_it(client, login, desk, session):
    _document, _hearing, c = desk
    login("drafter")
    url = f"/en/desk/comments/{c['online'].id}/"
    page = client.get(url)
    assert page.status_code == 200 and "Online on clause one." in page.get_data(as_text=True)
    assert "Third clause" not in page.get_data(as_text=True)
    saved = client.post(url, data={"status": "accepted", "rationale": "Согласны.",
                                   "change": "Clause 1: forests added.", "base_revision": ""})
    assert saved.status_code == 302
    response = session.scalar(select(Response).where(Response.comment_id == c["online"].id))
    assert (response.status, response.change, response.revision) == (
        "accepted", "Clause 1: forests added.", 1)
    again = client.get(url).get_data(as_text=True)
    assert "Answer saved." in again and 'name="base_revision" type="hidden" value="1"' in again
    assert "Согласны." in again  # the history
    receipt = client.get(f"/en/receipts/{c['online'].receipt_code}/").get_data(as_text=True)
    assert "Accepted" in receipt and "Clause 1: forests added." in receipt


def test_answer_form_shows_validation_errors_and_stores_nothing(client, login, desk, session):
    _document, _hearing, c = desk
    login("drafter")
    url = f"/en/desk/comments/{c['online'].id}/"
    page = client.post(url, data={"status": "partly-accepted", "rationale": "",
                                  "change": "", "base_revision": ""})
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert 'id="rationale-error"' in html and 'id="change-error"' in html
    assert "needs a rationale" in html
    page = client.post(url, data={"status": "approved", "rationale": "x", "change": "y"})
    assert page.status_code == 422 and "Unknown response status." in page.get_data(as_text=True)
    assert session.scalar(select(Response).where(Response.comment_id == c["online"].id)) is None


def test_second_drafter_gets_a_conflict_with_the_others_text(client, login, desk, session):
    _document, _hearing, c = desk
    login("drafter")
    url = f"/en/desk/comments/{c['email'].id}/"
    # Both opened revision 1; someone else saved first.
    other = session.get(User, _drafter_id(session))
    save_answer(session, c["email"], "not-accepted", "Другой ответ коллеги.", "", other, 1,
                language="ru")
    session.commit()
    page = client.post(url, data={"status": "accepted", "rationale": "",
                                  "change": "Clause 3: my own change text",
                                  "base_revision": "1"})
    html = page.get_data(as_text=True)
    assert page.status_code == 409
    assert "Другой ответ коллеги." in html and "Clause 3: my own change text" in html
    # The other's answer is marked with its own language on an English page.
    assert '<dd class="comment-body" lang="ru">Другой ответ коллеги.</dd>' in html
    assert 'name="base_revision" type="hidden" value="2"' in html
    session.expire_all()
    assert session.get(Comment, c["email"].id).answer.status == "not-accepted"
    # Saving again is now a deliberate replacement.
    page = client.post(url, data={"status": "accepted", "rationale": "",
                                  "change": "Clause 3: my own change text",
                                  "base_revision": "2"})
    assert page.status_code == 302
    session.expire_all()
    assert session.get(Comment, c["email"].id).answer.status == "accepted"
    assert len(session.scalars(select(AuditEvent).where(
        AuditEvent.action == "response.save")).all()) == 3


def _drafter_id(session):
    return session.scalar(select(User.id).where(User.email == "seed-drafter@example.org"))


def test_answer_page_of_unknown_comment_is_404(client, login):
    login("drafter")
    assert client.get("/en/desk/comments/999999/").status_code == 404


def test_desk_pages_follow_document_order_across_clauses(add_comment, desk, session):
    from consult.synthesis.desk import desk_page
    document, _hearing, c = desk
    extra = [add_comment(session, document, "1", f"Second on clause one {n}") for n in range(3)]
    expected = [c["whole"].id, c["online"].id, c["hidden"].id, *(x.id for x in extra),
                c["oral"].id, c["written"].id, c["email"].id]
    seen = []
    for page in (1, 2, 3, 4):
        result = desk_page(session, document, {}, page, per_page=3)
        assert (result.total, result.page.pages, result.page.number) == (9, 3, min(page, 3))
        if page <= 3:
            seen += [comment.id for comment, *_rest in result.rows]
    assert seen == expected
    # Filtered pages keep the order too (answers joined).
    unanswered = desk_page(session, document, {"unanswered": True}, 2, per_page=4)
    assert [comment.id for comment, *_rest in unanswered.rows] == expected[4:8]


def test_next_unanswered_skips_answered_comments(desk, session):
    from consult.synthesis.desk import next_unanswered
    _document, _hearing, c = desk
    assert next_unanswered(session, c["oral"]).id == c["written"].id
    assert next_unanswered(session, c["written"]).id == c["hidden"].id  # e-mail is answered
    assert next_unanswered(session, c["whole"]) is None


def test_answer_form_asks_the_language_of_the_answer_and_states_the_rules(
        app, client, login, desk, session, monkeypatch):
    _document, _hearing, c = desk
    login("drafter")
    url = f"/ru/desk/comments/{c['online'].id}/"
    html = client.get(url).get_data(as_text=True)
    # The page's language is the default.
    assert re.search(r'<select[^>]*name="language"', html)
    assert '<option selected value="ru">' in html
    assert 'lang="ru"' in html[html.index('name="rationale"') - 300:]
    monkeypatch.setitem(app.config, "MIN_RATIONALE_CHARS", 30)
    html = client.get(f"/en/desk/comments/{c['online'].id}/").get_data(as_text=True)
    assert "at least 30 characters" in html and "clause 12: …" in html
    assert '<option selected value="en">' in html


def test_answer_form_stores_the_language_and_shows_the_answer_in_it(client, login, desk,
                                                                    session):
    _document, _hearing, c = desk
    login("drafter")
    url = f"/en/desk/comments/{c['online'].id}/"
    saved = client.post(url, data={"status": "not-accepted", "language": "ky",
                                   "rationale": "Программанын чегинен тышкары.", "change": "",
                                   "base_revision": ""})
    assert saved.status_code == 302
    response = session.scalar(select(Response).where(Response.comment_id == c["online"].id))
    assert response.language == "ky"
    html = client.get(url).get_data(as_text=True)
    assert '<option selected value="ky">' in html
    assert re.search(r'<textarea[^>]*lang="ky"[^>]*name="rationale"', html)
    assert '<td class="comment-body" lang="ky">Программанын чегинен тышкары.</td>' in html
    refused = client.post(url, data={"status": "noted", "language": "xx", "rationale": "",
                                     "change": "", "base_revision": "1"})
    assert refused.status_code == 400 and 'id="language-error"' in refused.get_data(
        as_text=True)


def test_answer_form_refuses_a_short_rationale_and_a_change_naming_no_clause(
        client, login, desk, session):
    _document, _hearing, c = desk
    login("drafter")
    url = f"/en/desk/comments/{c['online'].id}/"
    page = client.post(url, data={"status": "partly-accepted", "language": "en",
                                  "rationale": "Too short.", "change": "see above",
                                  "base_revision": ""})
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    rationale_error = re.search(r'id="rationale-error">([^<]*)<', html).group(1)
    assert "at least 20 characters" in rationale_error
    change_error = re.search(r'id="change-error">([^<]*)<', html).group(1)
    assert "clause 12: …" in change_error
    assert session.scalar(select(Response).where(Response.comment_id == c["online"].id)) is None
