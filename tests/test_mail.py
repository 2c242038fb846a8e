"""E-mail to commenters who left an address: queued with the change that owes it, sent by
``consult send-mail`` to a real SMTP server (aiosmtpd on 127.0.0.1), read back from it."""
from __future__ import annotations

import re
import socket
import threading
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from consult import db
from consult.comments.receipts import erase_personal_data
from consult.core.time import utcnow
from consult.core.vocab import STATUSES
from consult.mail import delivery, outbox
from consult.models import (
    Comment,
    Consultation,
    Document,
    DuplicateGroup,
    OutboxMessage,
    User,
)
from consult.publication import results
from consult.synthesis import groups, review
from consult.synthesis.answers import save_answer
from tests.test_answers import download, fill, upload

ADDRESS = "aida.bekova@example.org"
SITE = "https://consult.example.org"
CLAUSE = "/{lang}/documents/sample-programme/{key}/"
RECEIPT = re.compile(r"/(ky|ru|en)/receipts/([^/]+)/$")  # whatever the code looks like
STOP = re.compile(re.escape(SITE) + r"/(ky|ru|en)/mail/stop/([^/\s]+)/")


class Inbox:
    """What the SMTP server received; ``rcpt_replies`` and ``data_replies`` are refusals it
    gives first (one per recipient, one per message), before accepting again."""

    def __init__(self):
        self.received = []
        self.rcpt_replies: list[str] = []
        self.data_replies: list[str] = []
        self.port = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if self.rcpt_replies:
            return self.rcpt_replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.data_replies:
            return self.data_replies.pop(0)
        self.received.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for m in self.received if m["To"] == address]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def inbox(app, monkeypatch):
    """A real SMTP server on 127.0.0.1, and the site's mail settings pointing at it."""
    handler = Inbox()
    handler.port = free_port()
    server = Controller(handler, hostname="127.0.0.1", port=handler.port)
    server.start()
    for key, value in {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": handler.port,
                       "MAIL_FROM": "Consultation <consult@example.org>",
                       "MAIL_USE_TLS": False, "MAIL_USE_SSL": False, "MAIL_TIMEOUT": 5,
                       "MAIL_MAX_ATTEMPTS": 3, "MAIL_RETRY_SECONDS": 60}.items():
        monkeypatch.setitem(app.config, key, value)
    yield handler
    server.stop()


def send_mail(app, *args) -> str:
    """Run ``consult send-mail`` in its own application context (as a separate process
    would: its own database session)."""
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["send-mail", *args])
    assert result.exit_code == 0, result.output
    return result.output


def deliver_at(app, now):
    """One delivery pass as if the clock said ``now``."""
    with app.app_context():
        return delivery.deliver_pending(db.session(), delivery.Settings.from_config(app.config),
                                        now=now)


def messages_of(session, comment_id=None) -> list[OutboxMessage]:
    session.expire_all()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if comment_id is not None:
        query = query.where(OutboxMessage.comment_id == comment_id)
    return list(session.scalars(query))


def text_of(message) -> str:
    return message.get_content()


def in_language(lang: str, text: str) -> str:
    with force_locale(lang):
        return _(text)


@pytest.fixture
def ready(make_document, open_period):
    make_document()
    open_period()


def post_comment(client, lang="en", key="1", **fields):
    data = {"body": "Please protect the juniper forests.", "author_name": "Aida Bekova",
            "organisation": "", "category": "individual", "region": "naryn", "gender": "",
            "email": ADDRESS, "consent": "anonymous", "language": lang, **fields}
    response = client.post(CLAUSE.format(lang=lang, key=key), data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    return RECEIPT.search(response.headers["Location"]).group(2)


# ------------------------------------------------------------------ the confirmation

def test_a_comment_sent_with_an_address_gets_its_receipt_by_mail(app, client, session, ready,
                                                                 inbox):
    code = post_comment(client, lang="ru")
    post_comment(client, lang="ru", body="Without an address.", email="")
    # The request only queued the message, in its own transaction: nothing was sent.
    assert inbox.received == []
    queued = messages_of(session)
    assert [(m.kind, m.state) for m in queued] == [("confirmation", "pending")]

    assert "1 sent" in send_mail(app)
    [message] = inbox.received
    assert message["To"] == ADDRESS
    assert message["Content-Language"] == "ru"
    assert message["Subject"] == in_language("ru", "Receipt for your comment")
    body = text_of(message)
    assert f"{SITE}/ru/receipts/{code}/" in body
    assert "Пример программы" in body and in_language("ru", "Clause %(key)s") % {
        "key": "1"} in body
    stop_url = STOP.search(body).group(0)
    assert message["List-Unsubscribe"].strip() == f"<{stop_url}>"  # folded when long
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert messages_of(session)[0].state == "sent"

    send_mail(app)  # nothing is due any more: nothing goes twice
    assert len(inbox.received) == 1


def test_without_mail_configured_nothing_is_queued(app, client, session, ready, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    post_comment(client)
    assert messages_of(session) == []
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["send-mail"])
    assert result.exit_code != 0 and "MAIL_SERVER" in result.output


# ------------------------------------------------------------------ answers

@pytest.fixture
def approval_needed(session, make_document, comment_on, make_user, inbox):
    """The sample document, answers needing a lead's approval, a Kyrgyz comment with an
    address, a drafter and a lead."""
    make_document(approval=True)
    comment = comment_on(session, key="1", language="ky", email=ADDRESS)
    session.commit()
    return {"comment": comment, "drafter": session.get(User, make_user("drafter")),
            "lead": session.get(User, make_user("lead"))}


def test_an_answer_needing_approval_is_told_only_once_approved(app, client, login, session,
                                                              approval_needed, inbox):
    comment = approval_needed["comment"]
    login("drafter")
    form = {"status": "accepted", "language": "ru", "rationale": "Учтено полностью.",
            "change": "clause 1 reworded", "base_revision": "", "ready": "y"}
    assert client.post(f"/en/desk/comments/{comment.id}/", data=form).status_code == 302
    assert messages_of(session) == []  # saved and ready, not approved: not public yet

    login("lead")
    assert client.post(f"/en/desk/comments/{comment.id}/approve").status_code == 302
    [queued] = messages_of(session)
    assert (queued.kind, queued.status) == ("answered", "accepted")
    send_mail(app)
    [message] = inbox.received
    assert message["To"] == ADDRESS
    assert message["Content-Language"] == "ky"
    assert message["Subject"] == in_language("ky", "Answer of the drafters")
    body = text_of(message)
    assert STATUSES.labels_in("ky")["accepted"] in body
    assert f"{SITE}/ky/receipts/{comment.receipt_code}/" in body
    assert "Программанын үлгүсү" in body


def test_an_answer_is_told_once_per_status(app, session, approval_needed, inbox):
    comment, drafter, lead = (approval_needed[k] for k in ("comment", "drafter", "lead"))

    def answer(status, rationale):
        current = session.get(Comment, comment.id).answer
        response = save_answer(session, comment, status, rationale, "clause 1: reworded",
                               drafter, current.revision if current else None)
        review.approve(session, [response], lead)
        session.commit()

    answer("accepted", "")
    send_mail(app)
    # The words edited and approved again, the status the same: nothing new to tell.
    answer("accepted", "Reworded as proposed.")
    send_mail(app)
    assert len(inbox.received) == 1
    # Another status is news.
    answer("partly-accepted", "Only the first half fits the programme's scope.")
    send_mail(app)
    assert [m.status for m in messages_of(session)] == ["accepted", "partly-accepted"]
    assert len(inbox.received) == 2
    assert STATUSES.labels_in("ky")["partly-accepted"] in text_of(inbox.received[1])


def test_a_status_changed_back_before_its_message_left_tells_nothing_new(
        app, session, make_document, comment_on, drafter, inbox):
    make_document()  # answers public at once
    comment = comment_on(session, email=ADDRESS)
    session.commit()
    first = save_answer(session, comment, "noted", "", "", drafter, None)
    session.commit()
    send_mail(app)
    second = save_answer(session, comment, "accepted", "", "clause 1: reworded", drafter,
                         first.revision)
    save_answer(session, comment, "noted", "", "", drafter, second.revision)
    session.commit()
    assert [(m.status, m.state) for m in messages_of(session)] == [
        ("noted", "sent"), ("accepted", "cancelled")]
    send_mail(app)
    assert len(inbox.received) == 1


def test_news_gone_before_its_message_left_is_not_sent(app, session, approval_needed,
                                                       inbox):
    """An approved answer edited (so awaiting approval again) or sent back before its
    message left: the message is cancelled; approved again, it is owed again, once."""
    comment, drafter, lead = (approval_needed[k] for k in ("comment", "drafter", "lead"))
    response = save_answer(session, comment, "noted", "", "", drafter, None)
    review.approve(session, [response], lead)
    session.commit()
    response = save_answer(session, comment, "noted", "Now with a reason given.", "",
                           drafter, response.revision)
    session.commit()
    assert [m.state for m in messages_of(session)] == ["cancelled"]
    review.approve(session, [response], lead)
    review.send_back(session, response, lead, "Say which clause it concerns.")
    session.commit()
    assert [m.state for m in messages_of(session)] == ["cancelled", "cancelled"]
    review.approve(session, [session.get(Comment, comment.id).answer], lead)
    session.commit()
    send_mail(app)
    assert [m.state for m in messages_of(session)] == ["cancelled", "cancelled", "sent"]
    assert len(inbox.received) == 1


def test_every_member_of_a_duplicate_group_with_an_address_is_told(
        app, session, make_document, comment_on, drafter, inbox):
    make_document()
    group = DuplicateGroup(document_id=session.scalar(select(Document.id)), clause_key="1")
    session.add(group)
    session.flush()
    members = [comment_on(session, group_id=group.id, email=email, language=lang)
               for email, lang in (("one@example.org", "ru"), ("two@example.org", "en"),
                                   ("", "ky"))]
    session.commit()
    save_answer(session, members[2], "noted", "", "", drafter, None)
    session.commit()
    assert sorted(m.comment_id for m in messages_of(session)) == [members[0].id, members[1].id]
    send_mail(app)
    assert [m["Content-Language"] for m in inbox.to("one@example.org")] == ["ru"]
    assert [m["Content-Language"] for m in inbox.to("two@example.org")] == ["en"]
    assert len(inbox.received) == 2


def test_a_comment_joining_an_answered_group_is_told(app, session, make_document,
                                                     comment_on, drafter, inbox):
    make_document()  # answers public at once
    answered = comment_on(session, email="")
    joining = comment_on(session, email=ADDRESS)
    session.commit()
    save_answer(session, answered, "noted", "", "", drafter, None)
    session.commit()
    assert messages_of(session) == []
    groups.create_group(session, [answered.id, joining.id], drafter)
    session.commit()
    assert [(m.comment_id, m.status) for m in messages_of(session)] == [(joining.id, "noted")]


def test_turning_approval_off_tells_the_answers_it_makes_public(
        app, client, login, session, approval_needed, inbox):
    comment, drafter = approval_needed["comment"], approval_needed["drafter"]
    save_answer(session, comment, "noted", "", "", drafter, None)
    session.commit()
    assert messages_of(session) == []
    login("admin")
    consultation = session.get(Consultation, comment.consultation_id)
    response = client.post(f"/en/settings/moderation?consultation={consultation.slug}",
                           data={"moderation-moderation": consultation.moderation})
    assert response.status_code in (200, 302), response.status_code
    assert [(m.kind, m.status) for m in messages_of(session)] == [("answered", "noted")]


def test_answers_uploaded_in_the_workbook_are_told(app, client, login, session, record, inbox):
    comments = record["comments"]
    login("drafter")
    data = fill(download(client), {
        comments["anon"].id: ("Noted", None, None),
        # A row of one member of a duplicate group changes the whole group's answer.
        comments["dup1"].id: ("Not accepted", "Outside what this programme decides.", None)})
    assert "2 answer(s) applied" in upload(client, data).get_data(as_text=True)
    assert [m.status for m in messages_of(session, comments["anon"].id)] == ["noted"]
    for member in ("dup1", "dup2"):
        assert [m.status for m in messages_of(session, comments[member].id)] == [
            "not-accepted"]


def test_a_message_in_a_language_the_site_no_longer_speaks_falls_back(
        app, session, make_document, comment_on, drafter, inbox):
    make_document()
    comment = comment_on(session, email=ADDRESS, language="de")
    session.commit()
    save_answer(session, comment, "noted", "", "", drafter, None)
    session.commit()
    send_mail(app)
    assert inbox.received[0]["Content-Language"] == "ky"  # the site's first language


# ------------------------------------------------------------------ results

def test_publishing_the_results_tells_every_commenter_with_an_address(
        app, session, make_document, comment_on, drafter, close_period, inbox):
    make_document()
    close_period()
    told = comment_on(session, email=ADDRESS, language="ru",
                      answer=("noted", "", ""))
    comment_on(session, answer=("noted", "", ""))  # no address
    session.commit()
    results.publish(session, session.scalar(select(Consultation)), None)
    session.commit()
    assert [(m.comment_id, m.kind) for m in messages_of(session)] == [(told.id, "results")]
    send_mail(app)
    [message] = inbox.received
    assert message["Subject"] == in_language("ru", "Results published")
    body = text_of(message)
    assert f"{SITE}/ru/consultations/test-consultation/results/" in body
    assert f"{SITE}/ru/receipts/{told.receipt_code}/" in body


def test_results_taken_down_and_published_again_tell_each_commenter_once(
        app, session, make_document, comment_on, close_period, inbox):
    make_document()
    close_period()
    first = comment_on(session, email="first@example.org", answer=("noted", "", ""))
    session.commit()
    consultation = session.scalar(select(Consultation))

    def republish(publish_too=True):
        results.unpublish(session, consultation, None)
        if publish_too:
            results.publish(session, consultation, None)
        session.commit()

    results.publish(session, consultation, None)
    session.commit()
    send_mail(app)
    second = comment_on(session, email="second@example.org", answer=("noted", "", ""))
    session.commit()
    republish()  # the first was told already; the second is owed its message
    republish(publish_too=False)  # taken down before it left: cancelled
    assert [(m.comment_id, m.state) for m in messages_of(session)] == [
        (first.id, "sent"), (second.id, "cancelled")]
    results.publish(session, consultation, None)
    session.commit()
    send_mail(app)
    assert sorted(m["To"] for m in inbox.received) == ["first@example.org",
                                                       "second@example.org"]


# ------------------------------------------------------------------ stopping

def test_the_stop_link_asks_then_stops_every_message_to_the_address(
        app, client, session, ready, inbox, drafter, monkeypatch):
    code = post_comment(client)
    other = post_comment(client, key="2", body="Another one.", email=ADDRESS.upper())
    send_mail(app)
    stop_url = STOP.search(text_of(inbox.received[0])).group(0)
    path = stop_url[len(SITE):]

    page = client.get(path)  # a mail scanner opening the link stops nothing
    assert page.status_code == 200 and "Stop the messages" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "private, no-store"
    session.expire_all()
    assert session.scalar(select(Comment).where(Comment.receipt_code == code)).email == ADDRESS

    # The button, or a mail program's one-click POST: no form token needed.
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    done = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "No more messages" in done.get_data(as_text=True)
    session.expire_all()
    stopped = session.scalars(select(Comment).where(Comment.receipt_code.in_((code, other))))
    assert [c.email for c in stopped] == ["", ""]

    # An answer afterwards tells nobody; nothing more reaches the inbox.
    comment = session.scalar(select(Comment).where(Comment.receipt_code == code))
    save_answer(session, comment, "noted", "", "", drafter, None)
    session.commit()
    sent_before = len(inbox.received)
    send_mail(app)
    assert len(inbox.received) == sent_before
    assert "No more messages" in client.get(path).get_data(as_text=True)


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_forged_stop_link_is_refused_clearly(app, client, session, ready, inbox, method):
    code = post_comment(client)
    send_mail(app)
    token = STOP.search(text_of(inbox.received[0])).group(2)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = getattr(client, method)(f"/en/mail/stop/{forged}/")
    assert response.status_code == 400
    assert "This link does not work" in response.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(Comment).where(Comment.receipt_code == code)).email == ADDRESS


def test_erasing_personal_data_cancels_the_messages_not_sent(app, client, session, ready,
                                                             inbox):
    code = post_comment(client)
    erase = client.post(f"/en/receipts/{code}/erase", data={"confirm_erasure": "y"})
    assert erase.status_code == 302
    [message] = messages_of(session)
    assert message.state == "cancelled"
    # The outbox never held the address: nothing of it is left there.
    assert ADDRESS not in repr({c.name: getattr(message, c.name)
                                for c in OutboxMessage.__table__.columns})
    send_mail(app)
    assert inbox.received == []


def test_an_erasure_while_a_message_is_being_sent_wins(app, session, make_document,
                                                       comment_on, inbox):
    make_document()
    comment = comment_on(session, email=ADDRESS)
    outbox.comments_received(session, [comment])
    session.commit()
    [(message_id, revision)] = delivery.claim(session, utcnow())
    erase_personal_data(session, comment)
    session.commit()
    assert deliver_at(app, utcnow()).sent == 0
    assert messages_of(session)[0].state == "cancelled"
    assert inbox.received == []


def test_a_message_whose_comment_has_no_address_any_more_is_cancelled(
        app, session, make_document, comment_on, inbox):
    make_document()
    comment = comment_on(session, email=ADDRESS)
    outbox.comments_received(session, [comment])
    comment.email = ""  # however it went: nothing to send to
    session.commit()
    assert deliver_at(app, utcnow()).cancelled == 1
    assert messages_of(session)[0].state == "cancelled" and inbox.received == []


# ------------------------------------------------------------------ delivery

def test_a_temporary_refusal_is_tried_again_later(app, session, client, ready, inbox):
    inbox.data_replies.append("451 4.3.0 Try again later")
    post_comment(client)
    start = utcnow()
    assert deliver_at(app, start).retrying == 1
    [message] = messages_of(session)
    assert (message.state, message.attempts) == ("pending", 1)
    assert message.last_error.startswith("451")
    assert message.next_attempt_at >= start + timedelta(seconds=60)
    assert deliver_at(app, start + timedelta(seconds=30)).sent == 0  # not due yet
    assert deliver_at(app, start + timedelta(seconds=61)).sent == 1
    [message] = messages_of(session)
    assert (message.state, message.attempts, message.last_error) == ("sent", 2, "")
    assert len(inbox.received) == 1


def test_the_wait_doubles_and_the_message_is_given_up_after_the_last_attempt(
        app, session, client, ready, inbox):
    inbox.data_replies.extend(["451 4.3.0 Busy"] * 3)
    post_comment(client)
    now = utcnow()
    waits = []
    for _attempt in range(3):
        deliver_at(app, now)
        message = messages_of(session)[0]
        waits.append(message.next_attempt_at - now)
        now = message.next_attempt_at
    assert waits[:2] == [timedelta(seconds=60), timedelta(seconds=120)]
    assert (message.state, message.attempts) == ("failed", 3)
    assert deliver_at(app, now + timedelta(days=1)).sent == 0


def test_a_permanent_refusal_is_given_up_at_once_and_the_address_masked(
        app, session, client, ready, inbox):
    inbox.rcpt_replies.append(f"550 5.1.1 <{ADDRESS}>: Recipient address rejected")
    post_comment(client)
    assert deliver_at(app, utcnow()).failed == 1
    [message] = messages_of(session)
    assert (message.state, message.attempts) == ("failed", 1)
    assert "550" in message.last_error and "a***@example.org" in message.last_error
    assert ADDRESS not in message.last_error


def test_a_server_out_of_reach_is_tried_again(app, session, client, ready, inbox, monkeypatch):
    post_comment(client)
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # nobody listens there
    assert deliver_at(app, utcnow()).retrying == 1
    assert "ConnectionRefusedError" in messages_of(session)[0].last_error


def test_two_senders_at_once_send_each_message_once(app, session, make_document, comment_on,
                                                    inbox):
    make_document()
    comments = [comment_on(session, email=f"person{n}@example.org") for n in range(30)]
    outbox.comments_received(session, comments)
    session.commit()
    threads = [threading.Thread(target=deliver_at, args=(app, utcnow())) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    received = sorted(m["To"] for m in inbox.received)
    assert received == sorted(f"person{n}@example.org" for n in range(30))
    assert {m.state for m in messages_of(session)} == {"sent"}


def test_a_claimed_message_is_not_claimed_again_until_its_sender_is_presumed_dead(
        app, session, make_document, comment_on, inbox):
    make_document()
    outbox.comments_received(session, [comment_on(session, email=ADDRESS)])
    session.commit()
    now = utcnow()
    assert len(delivery.claim(session, now)) == 1
    assert delivery.claim(session, now) == []
    assert len(delivery.claim(session, now + delivery.CLAIM_TIMEOUT
                              + timedelta(seconds=1))) == 1


def test_send_mail_watch_keeps_delivering_until_stopped(app, client, ready, inbox,
                                                        monkeypatch):
    post_comment(client)
    passes = []

    def pause(seconds):
        passes.append(seconds)
        if len(passes) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr("consult.mail.commands.time.sleep", pause)
    output = send_mail(app, "--watch", "--interval", "5")
    assert passes == [5, 5] and "stopped" in output
    assert len(inbox.received) == 1


# ------------------------------------------------------------------ the outbox page

def test_the_outbox_page_lists_messages_with_masked_addresses(app, client, login, session,
                                                              make_document, comment_on,
                                                              inbox):
    make_document()
    comments = [comment_on(session, email=f"person{n}@example.org") for n in range(55)]
    outbox.comments_received(session, comments)
    session.commit()
    login("admin")
    page = client.get("/en/outbox/").get_data(as_text=True)
    assert "p***@example.org" in page and "person1@example.org" not in page
    assert not re.search(r"person\d+@", page)
    assert "page 1 of 2" in page and 'href="/en/outbox/?page=2"' in page
    second = client.get("/en/outbox/?page=2").get_data(as_text=True)
    assert second.count('class="recipient"') == 5
    assert client.get("/en/outbox/?page=3").status_code == 404
    assert client.get("/en/outbox/?state=sent").status_code == 200
    login("moderator")
    assert client.get("/en/outbox/").status_code == 403
