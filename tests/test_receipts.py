"""A commenter controls their comment with the receipt code, with no account: withdraw it,
change their consent, have their personal data erased. Staff do the same on a written
request, giving the reason. Every change is timestamped, audited and honoured at once by
every public surface: clause and document pages, results page and CSV, API, workbook."""
from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from consult.comments import receipts
from consult.core.time import utcnow
from consult.models import AuditEvent, Comment, Consultation, Response
from consult.synthesis.workbook import export_workbook

NAME = "Zarina Receiptholder"
ORGANISATION = "Walnut Grove Friends"
EMAIL = "zarina.receipt@example.org"
CLAUSE_TEXT = "Restore the walnut groves of Arslanbob."
WHOLE_TEXT = "The programme as a whole forgets the pastures."
TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


@pytest.fixture
def mine(session, make_document, comment_on):
    """Two published comments by one named, consenting author of an organisation (on clause
    1 and on the whole document), answered; the results published. Returns their codes."""
    make_document()
    fields = dict(author_name=NAME, organisation=ORGANISATION, email=EMAIL, consent="full",
                  category="ngo", language="ru")
    on_clause = comment_on(session, key="1", body=CLAUSE_TEXT,
                           answer=("accepted", "", "Clause 1 names the groves."), **fields)
    on_document = comment_on(session, key=None, body=WHOLE_TEXT, **fields)
    session.scalar(select(Consultation)).results_published_at = utcnow()
    session.commit()
    return {"clause": on_clause.receipt_code, "document": on_document.receipt_code}


def workbook_text(app, session) -> str:
    out = io.BytesIO()
    with app.test_request_context():
        export_workbook(session, out, lang="en", public=True)
    book = load_workbook(io.BytesIO(out.getvalue()), read_only=True)
    return "\n".join(str(value) for sheet in book.worksheets
                     for row in sheet.iter_rows(values_only=True) for value in row
                     if value is not None)


def surfaces(app, client, session) -> dict[str, str]:
    """Every public surface, as text."""
    session.expire_all()
    get = lambda path: client.get(path).get_data(as_text=True)  # noqa: E731
    return {
        "clause": get("/en/documents/sample-programme/1/"),
        "document": get("/en/documents/sample-programme/"),
        "results": get("/en/results/sample-programme/"),
        "csv": get("/en/results/synthesis.csv"),
        "api": json.dumps(client.get("/api/v1/comments?per_page=500").get_json(),
                          ensure_ascii=False),
        "workbook": workbook_text(app, session),
    }


def where(texts: dict[str, str], word: str) -> set[str]:
    """The surfaces showing ``word``."""
    return {name for name, text in texts.items() if word in text}


ALL = {"clause", "document", "results", "csv", "api", "workbook"}
# The clause page lists only the clause's comments, the document page the whole
# document's; the other surfaces list both.
CLAUSE_SURFACES = ALL - {"document"}
DOCUMENT_SURFACES = ALL - {"clause"}


def comment_by(session, code: str) -> Comment:
    session.expire_all()
    return session.scalar(select(Comment).where(Comment.receipt_code == code))


def events(session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                .order_by(AuditEvent.id)))


def recent(moment) -> bool:
    return moment is not None and utcnow() - timedelta(minutes=1) < moment <= utcnow()


def test_everything_is_public_before_any_change(app, client, session, mine):
    """The baseline the other tests start from: otherwise "gone" would prove nothing."""
    texts = surfaces(app, client, session)
    assert where(texts, CLAUSE_TEXT) == CLAUSE_SURFACES
    assert where(texts, WHOLE_TEXT) == DOCUMENT_SURFACES
    assert where(texts, NAME) == ALL and where(texts, ORGANISATION) == ALL
    assert where(texts, EMAIL) == set()


def test_the_receipt_page_reads_the_comment_with_all_it_shows_at_once(client, mine,
                                                                      sql_statements):
    """Every commenter is sent to the receipt: the comment, its document, version, notice
    and answer come in one query, and its clause, of the current version, is named by one
    look-up without following it through the revisions."""
    with sql_statements() as statements:
        page = client.get(f"/en/receipts/{mine['clause']}/").get_data(as_text=True)
    assert "Clause 1 names the groves." in page  # the answer, read in that one query
    selects = [s for s in statements if s.startswith("SELECT")]
    assert len(selects) == 2, selects
    assert not [s for s in selects if "clause_lineage" in s], selects


# ---------------------------------------------------------------- withdrawing

@pytest.mark.parametrize("which", ["clause", "document"])
def test_withdrawal_takes_the_text_off_every_public_surface_at_once(app, client, session,
                                                                    mine, which):
    surfaces(app, client, session)  # every page cached before the change
    response = client.post(f"/en/receipts/{mine[which]}/withdraw",
                           data={"confirm_withdrawal": "y"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/en/receipts/{mine[which]}/")
    assert "Your comment is withdrawn" in client.get(
        response.headers["Location"]).get_data(as_text=True)

    comment = comment_by(session, mine[which])
    assert (comment.state, comment.hidden_reason) == ("withdrawn", "withdrawn")
    assert recent(comment.withdrawn_at)
    [event] = events(session, "comment.withdraw")
    assert event.actor_id is None and event.object_id == comment.id and recent(event.at)
    assert event.before == {"state": "published", "reason": ""}
    assert event.after["state"] == "withdrawn" and event.after["by"] == "receipt"

    texts = surfaces(app, client, session)
    gone, kept = (CLAUSE_TEXT, WHOLE_TEXT) if which == "clause" else (WHOLE_TEXT, CLAUSE_TEXT)
    assert where(texts, gone) == set()
    assert where(texts, kept) == (DOCUMENT_SURFACES if which == "clause" else CLAUSE_SURFACES)
    # It stays in the register: listed (text withheld) in the results and open data.
    assert f'"id": {comment.id}, ' in texts["api"] and '"withheld_reason": "withdrawn"' in \
        texts["api"]


def test_withdrawn_comment_keeps_its_answer(client, session, mine):
    client.post(f"/en/receipts/{mine['clause']}/withdraw", data={"confirm_withdrawal": "y"})
    comment = comment_by(session, mine["clause"])
    assert comment.state == "withdrawn"
    assert session.scalar(select(Response).where(Response.comment_id == comment.id)) \
        .change == "Clause 1 names the groves."
    page = client.get(f"/en/receipts/{mine['clause']}/").get_data(as_text=True)
    assert "Clause 1 names the groves." in page
    # The holder of the code still reads what they wrote, and when they withdrew it.
    assert CLAUSE_TEXT in page and 'class="withdrawn-at"' in page


def test_withdrawing_needs_the_confirmation(client, session, mine):
    response = client.post(f"/en/receipts/{mine['clause']}/withdraw", data={})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Tick the box to confirm that you withdraw" in page
    assert 'aria-invalid="true"' in page
    # One summary at the top of the refused form, linking to the box.
    assert page.count('class="error-summary"') == 1
    assert '<a href="#confirm_withdrawal">' in page
    assert response.headers["Cache-Control"] == "private, no-store"
    assert comment_by(session, mine["clause"]).state == "published"
    assert events(session, "comment.withdraw") == []


def test_withdrawing_twice_changes_nothing_the_second_time(client, session, mine):
    for _ in range(2):
        client.post(f"/en/receipts/{mine['clause']}/withdraw",
                    data={"confirm_withdrawal": "y"})
    assert len(events(session, "comment.withdraw")) == 1
    assert "Nothing needed changing" in client.get(
        f"/en/receipts/{mine['clause']}/").get_data(as_text=True)


def test_moderators_cannot_publish_a_withdrawn_comment_again(client, session, login, mine):
    login("moderator")
    client.post(f"/en/receipts/{mine['clause']}/withdraw", data={"confirm_withdrawal": "y"})
    comment_id = comment_by(session, mine["clause"]).id
    response = client.post(f"/en/moderation/{comment_id}/", data={"action": "publish"})
    assert response.headers["Location"].endswith("/en/moderation/?state=new")
    assert comment_by(session, mine["clause"]).state == "withdrawn"
    queue = client.get("/en/moderation/?state=withdrawn").get_data(as_text=True)
    assert "cannot be moderated again" in queue


# ---------------------------------------------------------------- consent

def test_consent_without_name_removes_the_name_everywhere_and_keeps_the_text(
        app, client, session, mine):
    surfaces(app, client, session)
    for which in ("clause", "document"):
        response = client.post(f"/en/receipts/{mine[which]}/consent",
                               data={"consent": "anonymous"})
        assert response.status_code == 302
    texts = surfaces(app, client, session)
    assert where(texts, NAME) == set()
    assert where(texts, CLAUSE_TEXT) == CLAUSE_SURFACES
    # An organisation writing as such stays named: only a person's name needs consent.
    assert where(texts, ORGANISATION) == ALL

    comment = comment_by(session, mine["clause"])
    assert comment.consent == "anonymous" and comment.author_name == NAME  # kept, not shown
    event = events(session, "comment.consent")[0]
    assert event.before == {"consent": "full"} and event.after["consent"] == "anonymous"
    assert event.actor_id is None and recent(event.at) and event.after["changed_at"]


def test_consent_none_withholds_the_text_everywhere(app, client, session, mine):
    surfaces(app, client, session)
    response = client.post(f"/en/receipts/{mine['clause']}/consent", data={"consent": "none"})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your choice is saved: Do not publish the text of my comment." in page
    texts = surfaces(app, client, session)
    assert where(texts, CLAUSE_TEXT) == set()
    assert where(texts, WHOLE_TEXT) == DOCUMENT_SURFACES


def test_consent_must_be_a_listed_code(client, session, mine):
    response = client.post(f"/en/receipts/{mine['clause']}/consent",
                           data={"consent": "everyone"})
    assert response.status_code == 400
    assert "Choose how your comment may be published." in response.get_data(as_text=True)
    assert comment_by(session, mine["clause"]).consent == "full"


def test_service_refuses_nonsense_transitions(session, mine):
    comment = comment_by(session, mine["clause"])
    with pytest.raises(receipts.ReceiptRefused):
        receipts.change_consent(session, comment, "everyone")
    receipts.erase_personal_data(session, comment)
    with pytest.raises(receipts.ReceiptRefused, match="erased"):
        receipts.change_consent(session, comment, "full")
    receipts.withdraw(session, comment)
    with pytest.raises(receipts.ReceiptRefused, match="withdrawn"):
        receipts.change_consent(session, comment, "anonymous")


# ---------------------------------------------------------------- erasure

def test_erasure_blanks_name_organisation_and_e_mail_and_keeps_the_comment(
        app, client, session, mine):
    surfaces(app, client, session)
    before = client.get(f"/en/receipts/{mine['clause']}/").get_data(as_text=True)
    assert NAME in before
    response = client.post(f"/en/receipts/{mine['clause']}/erase",
                           data={"confirm_erasure": "y"})
    assert response.status_code == 302

    comment = comment_by(session, mine["clause"])
    assert (comment.author_name, comment.organisation, comment.email) == ("", "", "")
    assert comment.body == CLAUSE_TEXT and comment.state == "published"
    assert recent(comment.erased_at)
    page = client.get(f"/en/receipts/{mine['clause']}/").get_data(as_text=True)
    assert NAME not in page and ORGANISATION not in page and EMAIL not in page
    assert 'class="erased-at"' in page and CLAUSE_TEXT in page

    [event] = events(session, "comment.erase")
    assert event.actor_id is None and recent(event.at)
    assert event.after["erased"] == ["author_name", "organisation", "email"]
    # The event says which fields were erased, never what they held.
    stored = json.dumps([event.before, event.after], ensure_ascii=False)
    assert NAME not in stored and ORGANISATION not in stored and EMAIL not in stored

    texts = surfaces(app, client, session)
    assert where(texts, CLAUSE_TEXT) == CLAUSE_SURFACES
    # The whole-document comment was not erased: its name is still where it was.
    assert where(texts, NAME) == DOCUMENT_SURFACES


def test_erasure_needs_the_confirmation(client, session, mine):
    response = client.post(f"/en/receipts/{mine['clause']}/erase", data={})
    assert response.status_code == 400
    assert "Tick the box to confirm the erasure." in response.get_data(as_text=True)
    assert comment_by(session, mine["clause"]).author_name == NAME


# ---------------------------------------------------------------- the receipt page

@pytest.mark.parametrize("action", ["withdraw", "consent", "erase"])
def test_unknown_code_is_not_found(client, mine, action):
    assert client.get("/en/receipts/no-such-code-000000/").status_code == 404
    assert client.post(f"/en/receipts/no-such-code-000000/{action}",
                       data={"confirm_withdrawal": "y", "confirm_erasure": "y",
                             "consent": "none"}).status_code == 404


def test_receipt_page_offers_the_three_actions_and_stays_private(client, session, mine):
    response = client.get(f"/en/receipts/{mine['clause']}/")
    assert response.headers["Cache-Control"] == "private, no-store"
    page = response.get_data(as_text=True)
    for action in ("withdraw", "consent", "erase"):
        assert f'action="/en/receipts/{mine["clause"]}/{action}"' in page
    assert page.count("This cannot be undone.") == 2
    assert re.search(r'<input checked [^>]*value="full"', page)  # the current choice
    # The commenter's text and the drafters' answer each in their own language.
    assert f'lang="ru">{CLAUSE_TEXT}' in page
    assert 'lang="ru">Clause 1 names the groves.' in page
    session.scalar(select(Response)).language = "ky"
    session.commit()
    page = client.get(f"/en/receipts/{mine['clause']}/").get_data(as_text=True)
    assert 'lang="ky">Clause 1 names the groves.' in page


def test_receipt_actions_need_a_csrf_token_when_enabled(client, session, mine, csrf):
    url = f"/en/receipts/{mine['clause']}/"
    for action, data in (("withdraw", {"confirm_withdrawal": "y"}),
                         ("consent", {"consent": "none"}),
                         ("erase", {"confirm_erasure": "y"})):
        assert client.post(url + action, data=data).status_code == 400
        assert client.post(url + action, data={**data, "csrf_token": "forged"}) \
            .status_code == 400
    comment = comment_by(session, mine["clause"])
    assert (comment.state, comment.consent, comment.author_name) == ("published", "full", NAME)

    token = TOKEN.search(client.get(url).get_data(as_text=True)).group(1)
    response = client.post(url + "withdraw", data={"confirm_withdrawal": "y",
                                                   "csrf_token": token})
    assert response.status_code == 302
    assert comment_by(session, mine["clause"]).state == "withdrawn"


# ---------------------------------------------------------------- staff, on a written request

REASON = "Letter of 3 May 2025, ref. 17/45, signed by the author"


def staff_request(client, comment_id: int, **data):
    prefix = f"request-{comment_id}-"
    return client.post(f"/en/moderation/{comment_id}/request?state=published",
                       data={prefix + name: value for name, value in data.items()})


# Requests in one test share the ``session`` fixture's application context, where
# Flask-Login keeps the user of the first request: one signed-in state per test.

def test_staff_request_sends_the_public_to_sign_in(client, session, mine):
    comment_id = comment_by(session, mine["clause"]).id
    response = staff_request(client, comment_id, action="withdraw", reason=REASON)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert comment_by(session, mine["clause"]).state == "published"


def test_staff_request_refuses_drafters(client, session, login, mine):
    login("drafter")
    comment_id = comment_by(session, mine["clause"]).id
    assert staff_request(client, comment_id, action="withdraw", reason=REASON) \
        .status_code == 403
    assert comment_by(session, mine["clause"]).state == "published"


@pytest.mark.parametrize("reason", ["", "ok", "   per letter  "])
def test_staff_request_needs_a_reason(client, session, login, mine, reason):
    login("moderator")
    comment_id = comment_by(session, mine["clause"]).id
    response = staff_request(client, comment_id, action="withdraw", reason=reason)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "reason" in page and f'id="request-{comment_id}-reason-error"' in page
    assert comment_by(session, mine["clause"]).state == "published"
    assert events(session, "comment.withdraw") == []


def test_staff_withdraw_on_a_written_request_is_audited_with_the_reason(
        app, client, session, login, mine):
    user_id = login("moderator")
    page = client.get("/en/moderation/?state=published").get_data(as_text=True)
    assert "On a written request" in page
    comment_id = comment_by(session, mine["clause"]).id
    response = staff_request(client, comment_id, action="withdraw", reason=REASON)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/en/moderation/?state=published#comment-{comment_id}")
    comment = comment_by(session, mine["clause"])
    assert comment.state == "withdrawn" and recent(comment.withdrawn_at)
    [event] = events(session, "comment.withdraw")
    assert event.actor_id == user_id and event.after["reason"] == REASON
    assert event.after["by"] == "staff"
    assert where(surfaces(app, client, session), CLAUSE_TEXT) == set()


def test_staff_consent_and_erasure_on_a_written_request(app, client, session, login, mine):
    user_id = login("moderator")
    comment_id = comment_by(session, mine["document"]).id
    assert staff_request(client, comment_id, action="consent", reason=REASON) \
        .status_code == 400  # which consent?
    assert staff_request(client, comment_id, action="consent", consent="none",
                         reason=REASON).status_code == 302
    assert staff_request(client, comment_id, action="erase", reason=REASON) \
        .status_code == 302
    comment = comment_by(session, mine["document"])
    assert (comment.consent, comment.author_name, comment.email) == ("none", "", "")
    for action in ("comment.consent", "comment.erase"):
        [event] = events(session, action)
        assert event.actor_id == user_id and event.after["reason"] == REASON
    texts = surfaces(app, client, session)
    assert where(texts, WHOLE_TEXT) == set()
    assert where(texts, NAME) == CLAUSE_SURFACES  # the other comment, untouched


def test_service_requires_a_reason_from_staff_only(session, mine, drafter):
    comment = comment_by(session, mine["clause"])
    with pytest.raises(receipts.ReceiptRefused):
        receipts.withdraw(session, comment, drafter, "")
    assert comment.state == "published"
    assert receipts.withdraw(session, comment)  # the commenter owes no reason


def test_erasure_reaches_the_audit_log_of_a_comment_sent_through_the_form(
        client, session, login, make_document, open_period):
    """The snapshot audited when the comment arrived held the name; erasure blanks it there
    too, and the audit log page no longer shows it."""
    make_document()
    open_period()
    response = client.post("/en/documents/sample-programme/1/", data={
        "body": "Please protect the juniper forests.", "author_name": NAME,
        "organisation": ORGANISATION, "category": "ngo", "region": "naryn", "gender": "",
        "email": EMAIL, "consent": "full", "language": "en"})
    code = response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    comment = comment_by(session, code)
    [submitted] = events(session, "comment.submit")
    assert NAME in json.dumps(submitted.after, ensure_ascii=False)

    client.post(f"/en/receipts/{code}/erase", data={"confirm_erasure": "y"})
    session.expire_all()
    history = session.scalars(select(AuditEvent).where(
        AuditEvent.object_type == "comment", AuditEvent.object_id == comment.id)).all()
    assert [e.action for e in history] == ["comment.submit", "comment.erase"]
    assert history[1].after["redacted_events"] == 1
    for event in history:
        stored = json.dumps([event.before, event.after], ensure_ascii=False)
        assert NAME not in stored and ORGANISATION not in stored and EMAIL not in stored
    assert history[0].after["body"] == "Please protect the juniper forests."
    login("admin")
    log = client.get("/en/audit/").get_data(as_text=True)
    assert "comment.erase" in log or "erase" in log
    assert NAME not in log and ORGANISATION not in log


# ---------------------------------------------------------------- the code and "Find my comment"

CODE_FORM = re.compile(rf"[{receipts.ALPHABET}]{{4}}-[{receipts.ALPHABET}]{{4}}-"
                       rf"[{receipts.ALPHABET}]{{4}}")
OLD_CODE = "Zq3-xY_9aBcDeFgHiJkLmN"  # as secrets.token_urlsafe(16) gave them: 22 characters


@pytest.fixture
def sent(client, make_document, open_period):
    """A comment sent through the form on clause 1; returns its receipt code."""
    make_document()
    open_period()
    response = client.post("/en/documents/sample-programme/1/", data={
        "body": CLAUSE_TEXT, "category": "individual", "gender": "", "consent": "anonymous",
        "language": "en"})
    assert response.status_code == 302
    return response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]


def test_new_codes_are_twelve_characters_in_groups_without_look_alikes():
    codes = [receipts.new_code() for _ in range(2000)]
    assert all(CODE_FORM.fullmatch(code) for code in codes)
    assert len(set(codes)) == len(codes)
    # Every character of the alphabet is drawn (secrets.choice over all of it).
    assert set("".join(codes)) - {"-"} == set(receipts.ALPHABET)
    # No character of the code is itself a look-alike of another: none is ever rewritten.
    assert not set(receipts.ALPHABET) & {chr(c) for c in receipts.LOOKALIKES}
    assert set(receipts.LOOKALIKES.values()) <= set(receipts.ALPHABET)
    assert not set(receipts.ALPHABET) & set("OIL SZBGQUDNRVW")
    assert receipts.normalise(receipts.EXAMPLE) == receipts.EXAMPLE


def test_the_form_gives_a_new_code_and_the_receipt_shows_it_grouped(client, session, sent):
    assert CODE_FORM.fullmatch(sent)
    assert comment_by(session, sent).body == CLAUSE_TEXT
    page = client.get(f"/en/receipts/{sent}/").get_data(as_text=True)
    assert f'<p class="receipt-code">Receipt code: <code>{sent}</code></p>' in page


@pytest.mark.parametrize("typed", [
    "K7HM-X4PT-9CEA", "K7HMX4PT9CEA", "k7hm-x4pt-9cea", "k7hm x4pt 9cea",
    "  K7HM  X4PT\t9CEA\n", "K7HM–X4PT—9CEA", "K7HM\u00a0X4PT\u200b9CEA", "К7НМ-Х4РТ-9СЕА",
    "к7нм х4рт 9сеа", "Ｋ７ＨＭ－Ｘ４ＰＴ－９ＣＥＡ"])
def test_normalise_ignores_case_spaces_dashes_and_keyboard_layout(typed):
    assert receipts.normalise(typed) == "K7HM-X4PT-9CEA"


def test_normalise_reads_look_alikes_as_the_characters_of_the_code():
    assert receipts.normalise("ILSZ BGOQ oilz") == "1152-8600-0112"
    assert receipts.normalise("ОЗБВ-0000-0000") == "0368-0000-0000"  # Cyrillic О З Б В


@pytest.mark.parametrize("typed", [
    "", "K7HM-X4PT-9CE", "K7HM-X4PT-9CEAA", "K7HM-X4PT-9CEN", "K7HM\x00X4PT9CEA",
    "ключ-ключ-ключ", "日本語のレシート番号です", "K" * 10_000, "<b>K7HM-X4PT</b>"])
def test_normalise_refuses_what_cannot_be_a_code(typed):
    assert receipts.normalise(typed) is None


def test_candidates_keep_old_codes_exact_and_refuse_the_rest():
    assert receipts.candidates(f" {OLD_CODE} ") == [OLD_CODE]
    assert receipts.candidates("k7hm x4pt 9cea") == ["K7HM-X4PT-9CEA"]
    assert receipts.candidates("not a code") == []
    assert receipts.candidates(OLD_CODE * 3) == []


def test_the_box_finds_a_comment_by_its_code_typed_loosely(client, sent):
    typed = sent.lower().replace("-", " ")
    response = client.get("/en/receipts/", query_string={"code": typed})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/en/receipts/{sent}/")
    assert CLAUSE_TEXT in client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_receipt_address_typed_loosely_leads_to_the_address_as_issued(client, sent):
    response = client.get(f"/en/receipts/{sent.lower().replace('-', '')}/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/en/receipts/{sent}/")


def test_the_box_finds_a_comment_by_an_old_code_typed_exactly(client, session,
                                                               make_document, comment_on):
    make_document()
    comment_on(session, body=CLAUSE_TEXT, receipt_code=OLD_CODE)
    session.commit()
    response = client.get("/en/receipts/", query_string={"code": f" {OLD_CODE} "})
    assert response.headers["Location"].endswith(f"/en/receipts/{OLD_CODE}/")
    assert client.get(f"/en/receipts/{OLD_CODE}/").status_code == 200
    # Capital and small letters mattered in the old codes: another case is another code.
    assert client.get("/en/receipts/", query_string={"code": OLD_CODE.lower()}) \
        .status_code == 404


def test_an_unknown_code_says_so_and_keeps_what_was_typed(client, sent):
    wrong = "K7HM-X4PT-9CEA" if sent != "K7HM-X4PT-9CEA" else "AAAA-AAAA-AAAA"
    response = client.get("/en/receipts/", query_string={"code": wrong.lower()})
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "No comment has this receipt code." in page
    assert f'value="{wrong.lower()}"' in page and 'aria-invalid="true"' in page
    assert response.headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("typed", ["K" * 5000, "日本語のレシート番号です", "K7HM-X4PT-9CE",
                                   "ключ-ключ-ключ", '"><script>alert(1)</script>'])
def test_a_malformed_code_is_refused_with_a_message(client, ready_document, typed):
    response = client.get("/en/receipts/", query_string={"code": typed})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "This is not a receipt code." in page
    assert "digits and the letters A C E H K M P T X Y, for example K7HM-X4PT-9CEA" in page
    assert "<script>alert" not in page
    assert len(page) < 20_000  # an absurd code is not echoed back whole


@pytest.mark.parametrize("path", ["/en/receipts/?code=K7HM%00X4PT9CEA",
                                  "/en/receipts/K7HM%00X4PT9CEA/",
                                  "/en/receipts/%D0%BA%D0%BB%D1%8E%D1%87/",
                                  "/en/receipts/" + "K" * 3000 + "/"])
def test_a_malformed_code_in_the_address_is_a_bad_request(client, ready_document, path):
    assert client.get(path).status_code == 400


def test_an_empty_box_shows_the_box(client, ready_document):
    for query in ("", "?code=", "?code=%20%20"):
        response = client.get("/en/receipts/" + query)
        assert response.status_code == 200
        assert 'name="code"' in response.get_data(as_text=True)


@pytest.fixture
def ready_document(make_document):
    make_document()


@pytest.fixture
def receipt_limit(app):
    saved = app.config["RECEIPT_RATE_LIMIT"]
    app.config["RECEIPT_RATE_LIMIT"] = "3 per minute"
    yield
    app.config["RECEIPT_RATE_LIMIT"] = saved


def test_wrong_codes_are_rate_limited_on_every_receipt_address(client, sent, receipt_limit):
    # Right codes and malformed ones cost nothing: only a guess that could have hit does.
    for _ in range(5):
        assert client.get("/en/receipts/", query_string={"code": sent}).status_code == 302
        assert client.get(f"/en/receipts/{sent}/").status_code == 200
        assert client.get("/en/receipts/", query_string={"code": "nope"}).status_code == 400
    wrong = "AAAA-AAAA-AAAA" if sent != "AAAA-AAAA-AAAA" else "CCCC-CCCC-CCCC"
    assert client.get("/en/receipts/", query_string={"code": wrong}).status_code == 404
    assert client.get(f"/en/receipts/{wrong}/").status_code == 404
    assert client.post(f"/en/receipts/{wrong}/withdraw",
                       data={"confirm_withdrawal": "y"}).status_code == 404
    # The allowance is spent, across the box, the page and its forms: even a right code
    # now waits, so that a guess cannot be confirmed.
    for response in (client.get("/en/receipts/", query_string={"code": sent}),
                     client.get(f"/en/receipts/{sent}/"),
                     client.post(f"/en/receipts/{sent}/withdraw",
                                 data={"confirm_withdrawal": "y"})):
        assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1


def test_a_code_given_twice_is_drawn_again(monkeypatch, session, sent, submit_online):
    """The unique column refuses a code already given; intake tries again with a new one."""
    drawn = iter([sent, "CCCC-CCCC-CCCC"])
    monkeypatch.setattr(receipts, "new_code", lambda: next(drawn))
    clause = comment_by(session, sent).clause
    recorded = submit_online(session, clause, {"body": "Another comment on the groves."},
                             client="someone else")
    session.commit()
    assert recorded.created and recorded.comment.receipt_code == "CCCC-CCCC-CCCC"
    assert session.scalar(select(func.count()).select_from(Comment)) == 2


@pytest.mark.parametrize("lang", ["ky", "ru", "en"])
def test_the_box_is_on_the_notice_and_results_pages(client, session, mine, lang):
    box = f'<form method="get" action="/{lang}/receipts/"'
    for path in (f"/{lang}/", f"/{lang}/results/"):
        page = client.get(path).get_data(as_text=True)
        assert box in page and 'name="code"' in page, path
    session.scalar(select(Consultation)).results_published_at = None
    session.commit()
    page = client.get(f"/{lang}/results/").get_data(as_text=True)  # before publication
    assert box in page


def test_the_receipt_prints_its_code_and_full_address(app, client, sent):
    response = client.get(f"/en/receipts/{sent}/", headers={"Host": "evil.example"})
    page = response.get_data(as_text=True)
    assert (f'<span class="url">https://consult.example.org/en/receipts/{sent}/</span>'
            in page)
    assert "evil.example" not in page
    assert 'id="print-receipt"' in page and "/static/receipt.js" in page
    saved = app.config["PUBLIC_URL"]
    app.config["PUBLIC_URL"] = ""
    try:
        page = client.get(f"/en/receipts/{sent}/").get_data(as_text=True)
    finally:
        app.config["PUBLIC_URL"] = saved
    assert 'class="receipt-url"' not in page  # never an address from the request's Host


def test_the_open_data_api_never_shows_a_receipt_code(client, session, sent, mine):
    for comment in session.scalars(select(Comment)):
        comment.state = "published"
    session.commit()
    codes = [c.receipt_code for c in session.scalars(select(Comment))]
    assert len(codes) == 3
    listing = client.get("/api/v1/comments?per_page=500").get_json()
    shown = json.dumps([listing, client.get("/api/v1/openapi.json").get_json(),
                        client.get("/api/v1/results").get_json()]
                       + [client.get(f"/api/v1/comments/{item['id']}").get_json()
                          for item in listing["data"]], ensure_ascii=False)
    assert CLAUSE_TEXT in shown  # the comments are there, published
    assert '"receipt' not in shown.lower()  # no field of that name
    for code in codes:
        assert code not in shown and code.replace("-", "") not in shown
