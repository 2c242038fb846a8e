"""Publishing the synthesis, the public results page and the CSV download."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from consult.core import spreadsheets
from consult.core.spreadsheets import csv_chunks, csv_field
from consult.core.time import utcnow
from consult.models import (
    AuditEvent,
    Consultation,
    Document,
    DuplicateGroup,
    Hearing,
    Response,
)
from consult.publication import results as publish


def consultation(session) -> Consultation:
    return session.scalar(select(Consultation))


ANSWERED = ("accepted", "Good point.", "Clause 1 reworded.")


def test_publish_refused_while_a_comment_is_unanswered_and_lists_it(comment_on,
        client, session, make_document, login, close_period):
    make_document()
    close_period()
    comment_on(session, answer=ANSWERED)
    hidden = comment_on(session, key="2", state="hidden", hidden_reason="abuse")
    session.commit()
    login("admin")
    page = client.post("/en/results/publish", follow_redirects=True).get_data(as_text=True)
    assert "1 comments have no answer" in page or "1 comment has no answer" in page
    # Each unanswered comment links to its answer form on the drafting desk.
    assert f'/en/desk/comments/{hidden.id}/">{hidden.id}</a>' in page
    session.expire_all()
    assert consultation(session).results_published_at is None
    assert client.get("/en/results/").get_data(as_text=True).count("will appear here") == 1


def test_publish_allowed_once_every_comment_is_answered_then_unpublish(comment_on,
        client, session, make_document, login, close_period):
    make_document()
    close_period()
    comment_on(session, answer=ANSWERED)
    grouped_a = comment_on(session, key="2", body="Same text.")
    grouped_b = comment_on(session, key="2", body="Same text.")
    group = DuplicateGroup(document_id=grouped_a.document_id, clause_key="2")
    session.add(group)
    session.flush()
    grouped_a.group_id = grouped_b.group_id = group.id
    session.add(Response(group_id=group.id, status="noted"))
    session.commit()
    login("admin")
    page = client.post("/en/results/publish", follow_redirects=True).get_data(as_text=True)
    assert "The results are published." in page
    session.expire_all()
    published = consultation(session).results_published_at
    assert published is not None
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "results.publish"))
    assert session.scalar(select(Document)).public_revision >= 1
    page = client.get("/en/results/sample-programme/").get_data(as_text=True)
    assert page.count("One of 2 identical or near-identical comments") == 2
    assert page.count("Same text.") == 2 and page.count(">Noted</dd>") == 2
    client.post("/en/results/unpublish")
    session.expire_all()
    assert consultation(session).results_published_at is None
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "results.unpublish"))


@pytest.mark.parametrize("role", ["moderator", "drafter"])
def test_only_admins_may_publish(client, make_document, login, role):
    make_document()
    login(role)
    assert client.get("/en/results/publish").status_code == 403
    assert client.post("/en/results/publish").status_code == 403


def test_anonymous_visitor_is_sent_to_sign_in_for_publishing(client, make_document):
    make_document()
    response = client.post("/en/results/publish")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_publish_needs_csrf_token(comment_on, client, session, make_document, login, csrf):
    make_document()
    comment_on(session, answer=ANSWERED)
    session.commit()
    login("admin")
    client.post("/en/results/publish")
    session.expire_all()
    assert consultation(session).results_published_at is None


def test_results_page_before_publication_gives_the_closing_date(comment_on,
        client, session, make_document):
    make_document()
    c = consultation(session)
    c.opens_at, c.closes_at = utcnow() - timedelta(days=1), utcnow() + timedelta(days=10)
    comment_on(session, body="Not yet visible here.", answer=ANSWERED)
    session.commit()
    page = client.get("/en/results/").get_data(as_text=True)
    assert "will appear here" in page and "closes on" in page
    assert client.get("/en/results/sample-programme/").get_data(as_text=True).count(
        "Not yet visible here.") == 0
    assert client.get("/en/results/synthesis.csv").status_code == 404


def _publish_now(session):
    c = consultation(session)
    c.opens_at, c.closes_at = utcnow() - timedelta(days=31), utcnow() - timedelta(days=1)
    publish.publish(session, c, None)
    session.commit()


def test_results_totals_by_status_channel_and_hearing(comment_on, client, session, make_document):
    make_document()
    hearing = Hearing(consultation_id=consultation(session).id, slug="naryn",
                      city={"en": "Naryn"}, starts_at=utcnow())
    session.add(hearing)
    session.flush()
    comment_on(session, answer=ANSWERED)
    comment_on(session, answer=("noted", "", ""), channel="hearing-oral", hearing_id=hearing.id)
    comment_on(session, answer=("noted", "", ""), channel="hearing-oral", hearing_id=hearing.id)
    comment_on(session, answer=("out-of-scope", "Forwarded.", ""), channel="email",
                state="hidden", hidden_reason="off-topic")
    _publish_now(session)
    totals = publish.totals(session, consultation(session))
    assert totals.received == 4
    assert totals.by_status == {"accepted": 1, "noted": 2, "out-of-scope": 1}
    assert totals.by_channel == {"online": 1, "hearing-oral": 2, "email": 1}
    assert [(h.slug if h else None, n) for h, n in totals.by_hearing] == [("naryn", 2), (None, 2)]
    page = client.get("/en/results/").get_data(as_text=True)
    assert "Published on" in page
    status_table = page[page.index('id="totals-status"'):page.index('id="totals-channel"')]
    assert "<th scope=\"row\">Noted</th><td class=\"num\">2</td>" in status_table
    hearing_table = page[page.index('id="totals-hearing"'):page.index('id="totals-state"')]
    assert "Naryn" in hearing_table and '<td class="num">2</td>' in hearing_table


def test_results_show_names_only_with_consent_and_withhold_hidden_text(comment_on,
        client, session, make_document):
    make_document()
    comment_on(session, author_name="Aida Publishable", consent="full", body="Named text.",
                email="aida@example.org", answer=ANSWERED)
    comment_on(session, author_name="Bakyt Private", consent="anonymous", region="naryn",
                body="Anonymous text.", email="bakyt@example.org", answer=("noted", "", ""))
    comment_on(session, author_name="Chynara Silent", consent="none", body="Unpublishable.",
                answer=("noted", "", ""))
    comment_on(session, key="2", body="Abusive words.", state="hidden", hidden_reason="abuse",
                answer=("not-accepted", "Rejected because abusive.", ""))
    _publish_now(session)
    page = client.get("/en/results/sample-programme/").get_data(as_text=True)
    assert "Aida Publishable" in page and "Named text." in page
    assert "Bakyt Private" not in page and "Anonymous text." in page and "Naryn oblast" in page
    assert "Chynara Silent" not in page and "Unpublishable." not in page
    assert "at the author&#39;s request" in page or "at the author's request" in page
    assert "Abusive words." not in page
    assert "Text withheld: Abuse" in page and "Rejected because abusive." in page
    # The change names clause 1: the page links it to that clause.
    assert 'Clause <a href="/en/documents/sample-programme/1/">1</a> reworded.' in page
    assert "Partly" not in page
    assert "@example.org" not in page


def test_results_paginate_and_keep_clauses_together(comment_on, client, session, make_document):
    make_document()
    for key in ("3", "1", None):
        for _n in range(150):
            comment_on(session, key=key, body=f"On {key}.", answer=("noted", "", ""))
    _publish_now(session)
    first = client.get("/en/results/sample-programme/").get_data(as_text=True)
    assert "page 1 of 3" in first
    # The whole document first, then clause 1, then clause 3.
    assert first.count("On None.") == 150 and first.count("On 1.") == 50
    assert first.count("On 3.") == 0
    third = client.get("/en/results/sample-programme/?page=3").get_data(as_text=True)
    assert third.count("On 3.") == 50
    assert client.get("/en/results/sample-programme/?page=4").status_code == 404
    assert client.get("/en/results/sample-programme/?page=0").status_code == 404
    assert client.get("/en/results/sample-programme/?page=99999999999999999999").status_code \
        == 404
    index = publish.clause_index(session, session.scalar(select(Document)))
    assert [(place.key, count, page) for place, count, page in index] == [
        (None, 150, 1), ("1", 150, 1), ("3", 150, 2)]


def test_csv_download_has_bom_neutralises_formulas_and_no_email(comment_on,
        client, session, make_document):
    make_document()
    comment_on(session, body='=HYPERLINK("http://x","y")', email="secret@example.org",
                author_name="Aida Publishable", consent="full", answer=ANSWERED)
    comment_on(session, body="+1", answer=("noted", "", ""))
    comment_on(session, body="\tled by a tab", answer=("noted", "", ""),
                author_name="Hidden Name", consent="anonymous")
    comment_on(session, key="2", body="Secret hidden text", state="hidden",
                hidden_reason="abuse", answer=("noted", "", ""))
    comment_on(session, body="Кыргызча сын-пикир", answer=("noted", "", ""))
    _publish_now(session)
    response = client.get("/ru/results/synthesis.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 6
    bodies = {row[rows[0].index("Комментарий")] for row in rows[1:]}
    assert "'=HYPERLINK(\"http://x\",\"y\")" in bodies and "'+1" in bodies
    assert "'\tled by a tab" in bodies and "Кыргызча сын-пикир" in bodies
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r"))
                   for row in rows for cell in row)
    assert "@example.org" not in text and "Secret hidden text" not in text
    assert "Aida Publishable" in text and "Hidden Name" not in text


def test_csv_field_neutralises_every_formula_start():
    for value in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "#N/A"):
        assert csv_field(value) == "'" + value
    assert csv_field("#5 is fine") == "#5 is fine"
    assert csv_field(5) == "5" and csv_field(None) == ""


def test_a_text_remembered_safe_is_written_as_checked_every_time(monkeypatch):
    """``csv_chunks`` remembers the texts it made safe (a file repeats titles and labels):
    a repeated risky text is neutralised on every row, also after the memory is cleared."""
    monkeypatch.setattr(spreadsheets, "_REMEMBERED", 3)
    risky = ["=HYPERLINK(\"http://x\")", "a;=cmd|' /C calc'!A0", "\x01@SUM(A1)", "plain"]
    rows = [[risky[n % 4], f"row {n}", None, n] for n in range(12)]
    text = "".join(csv_chunks(["h"], rows, chunk_rows=5))
    read = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))[1:]
    assert [row[0] for row in read] == [csv_field(risky[n % 4]) for n in range(12)]
    assert {row[0] for row in read} == {"'=HYPERLINK(\"http://x\")", "a;'=cmd|' /C calc'!A0",
                                        "'@SUM(A1)", "plain"}
    assert [row[2:] for row in read] == [["", str(n)] for n in range(12)]


def test_a_csv_of_long_comments_does_not_keep_them_in_memory():
    """Only short texts are remembered: a file of long, distinct comments is written
    chunk by chunk, holding about one chunk, never thousands of comments at once."""
    import tracemalloc

    rows = ([f"{n:06d}" + "x" * 5_000] for n in range(8_000))  # 40 MB in all
    tracemalloc.start()
    try:
        for _chunk in csv_chunks(["comment"], rows):
            pass
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 30_000_000, peak  # a chunk of 500 rows: under 20 MB


def test_answers_are_marked_with_their_own_language(comment_on, client, session,
                                                    make_document):
    make_document()
    answered_in_ky = comment_on(session, language="ru", body="Текст по-русски.",
                                answer=("not-accepted", "Программанын чегинен тышкары.",
                                        ""))
    session.scalar(select(Response).where(Response.comment_id == answered_in_ky.id)) \
        .language = "ky"
    comment_on(session, key="2", language="ru", body="Ещё текст.",
               answer=("accepted", "", "Пункт 2 дополнен."))  # answered before languages
    # Published as the results page knows it (publishing itself is tested above).
    consultation(session).results_published_at = utcnow() - timedelta(minutes=1)
    session.commit()
    page = client.get("/en/results/sample-programme/").get_data(as_text=True)
    # The labels stay in the page's language; the drafters' texts carry their own.
    assert ('<dt>Rationale</dt><dd class="rationale" lang="ky">Программанын чегинен '
            'тышкары.</dd>') in page
    assert ('<dd class="change" lang="ru">Пункт <a href="/en/documents/sample-programme/2/">'
            '2</a> дополнен.</dd>') in page
