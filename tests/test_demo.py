"""``consult demo`` builds a consultation in mid-course from the shipped drafts, through the
application's own services, and never wipes the database of a demo that is running."""
from __future__ import annotations

import random
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask_babel import force_locale
from sqlalchemy import create_engine, func, select

from consult import create_app, db
from consult import demo as demonstration
from consult.cli import demo
from consult.core.consultation import current_consultation, phase
from consult.core.vocab import CHANNELS, CONSENTS, HIDE_REASONS, STATES
from consult.demo import scenario
from consult.hearings.records import attendance_mismatch
from consult.hearings.statistics import statistics
from consult.models import (
    Clause,
    Comment,
    Consultation,
    Document,
    DuplicateGroup,
    Hearing,
    HearingFile,
    Response,
    User,
)
from consult.publication.results import totals
from consult.synthesis.answers import document_clause_keys, validate_answer
from consult.synthesis.review import last_note, review_state
from consult.synthesis.suggestions import suggest
from consult.synthesis.workbook import export_workbook

OLD_FILE = b"an old file that must be replaced"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """``consult demo --no-serve`` once for the module, over an old file: (path, output,
    processor seconds it took)."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    path.write_bytes(OLD_FILE)
    started = time.process_time()
    result = CliRunner().invoke(demo, ["--no-serve", "--database", str(path)])
    assert result.exit_code == 0, result.output
    return path, result.output, time.process_time() - started


@pytest.fixture(scope="module")
def demo_app(built):
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{built[0]}",
                      "SECRET_KEY": "demo-test", "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_STORAGE_URI": "memory://", "SERVER_NAME": None})
    yield app
    app.extensions["consult.engine"].dispose()


@pytest.fixture
def demo_session(demo_app):
    with demo_app.app_context(), force_locale("en"):
        session = db.session()
        yield session
        session.rollback()


def signed_in(app, session, email):
    client = app.test_client()
    user = session.scalar(select(User).where(User.email == email))
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = user.get_id()
        flask_session["_fresh"] = True
    return client


def test_demo_prepares_a_fresh_database(built):
    path, output, _seconds = built
    assert "lead@example.org" in output and output.count("password:") == 4
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        assert set(conn.scalars(select(Document.slug))) == {
            "biodiversity-programme-2040", "biodiversity-action-plan-2025-2030"}
        assert conn.scalar(select(func.count()).select_from(Clause)) > 100
        assert conn.scalar(select(func.count()).select_from(Hearing)) == 6
        assert set(conn.scalars(select(User.role))) == {"admin", "moderator", "drafter", "lead"}
        opens, closes = conn.execute(select(Consultation.opens_at, Consultation.closes_at)).one()
        assert opens is not None and closes is not None
    engine.dispose()


def test_demo_is_prepared_quickly(built):
    # The whole command, drafts and password hashing included; processor time, so that a
    # machine busy with other work does not count.
    assert built[2] < 15


def test_demo_consultation_is_open_in_mid_course(demo_session):
    consultation = current_consultation(demo_session)
    now = demo_session.scalar(select(func.max(Comment.received_at))) + timedelta(minutes=20)
    assert phase(demo_session, consultation) == "open"
    assert consultation.announced_at < consultation.opens_at < now < consultation.closes_at
    assert consultation.closes_at - consultation.opens_at >= timedelta(days=30)


def test_demo_has_comments_from_every_channel_in_every_state(demo_session):
    comments = list(demo_session.scalars(select(Comment)))
    assert 250 <= len(comments) <= 500
    assert {c.channel for c in comments} == set(CHANNELS)
    assert {c.state for c in comments} == set(STATES)
    assert {c.hidden_reason for c in comments if c.state == "hidden"} >= \
        set(HIDE_REASONS) - {"withdrawn"}
    assert Counter(c.language for c in comments).keys() == {"ky", "ru", "en"}
    assert {c.consent for c in comments} == set(CONSENTS)
    assert len({c.category for c in comments}) >= 6
    assert any(c.consent == "full" and c.author_name for c in comments)
    assert any(c.organisation for c in comments)
    assert any(c.clause_id is None for c in comments)  # on a whole document
    assert len({c.document_id for c in comments}) == 2
    assert len({(c.document_id, c.clause_key) for c in comments}) > 60
    assert any(c.erased_at is not None for c in comments)
    assert all(c.in_period for c in comments)
    hearing_comments = [c for c in comments if c.hearing_id is not None]
    assert all(c.received_at == c.hearing.starts_at for c in hearing_comments)


def test_demo_comments_read_differently(demo_session):
    bodies = list(demo_session.scalars(select(Comment.body).where(Comment.group_id.is_(None))))
    assert len(set(bodies)) > 0.8 * len(bodies)


def test_demo_plan_is_the_same_every_time():
    timeline = scenario.Timeline(scenario.utcnow())
    first = scenario.plan(random.Random(scenario.SEED), timeline)
    assert first == scenario.plan(random.Random(scenario.SEED), timeline)


def test_demo_answers_are_valid_in_every_review_state(demo_session):
    responses = list(demo_session.scalars(select(Response)))
    states = Counter(review_state(r) for r in responses)
    assert states.keys() == {"approved", "ready", "draft"} and min(states.values()) >= 5
    assert len({r.status for r in responses}) >= 4
    assert any(last_note(demo_session, r) for r in responses)  # sent back with a note
    keys = document_clause_keys(demo_session, [d.id for d in demo_session.scalars(
        select(Document))])
    for response in responses:
        comment = response.comment or response.group.members[0]
        validate_answer(response.status, response.rationale, response.change,
                        clause_keys=keys[comment.document_id], language=response.language)
    answered_by = {r.responder.role for r in responses}
    assert answered_by == {"drafter", "lead"}
    assert all(r.approved_by.role == "lead" for r in responses if r.approved_at)


def test_demo_has_a_duplicate_group_answered_once_and_another_suggested(demo_session):
    group = demo_session.scalar(select(DuplicateGroup))
    assert len(group.members) >= 5
    assert group.response is not None and review_state(group.response) == "approved"
    assert all(member.answer is group.response for member in group.members)
    document = demo_session.get(Document, group.document_id)
    assert not [s for s in suggest(demo_session, document.id, group.clause_key)
                if set(s.comment_ids) & {m.id for m in group.members}]
    other = demo_session.scalar(select(Document).where(Document.id != group.document_id))
    assert [s for s in suggest(demo_session, other.id) if len(s.comment_ids) >= 3]


def test_demo_chapters_are_given_to_the_drafters(demo_session):
    drafter = demo_session.scalar(select(User).where(User.role == "drafter"))
    assert demo_session.scalar(select(func.count()).select_from(Comment).where(
        scenario.review.mine(drafter))) > 50
    assert demo_session.scalar(select(func.count()).select_from(Comment).where(
        Comment.assignee_id == drafter.id)) == 1


def test_demo_hearings_are_held_or_planned_by_the_notice_rule(demo_app, demo_session):
    consultation = current_consultation(demo_session)
    now = scenario.utcnow()
    hearings = list(demo_session.scalars(select(Hearing)))
    held = [h for h in hearings if h.status == "held"]
    planned = [h for h in hearings if h.status == "planned"]
    assert len(held) == 2 and len(planned) == 4
    for hearing in held:
        assert consultation.opens_at < hearing.starts_at < now
        values = {name: getattr(hearing, name) for name in (
            "attendance_total", "attendance_women", "attendance_men", "attendance_unstated")}
        assert values["attendance_total"] and not attendance_mismatch(values)
        assert sum(hearing.attendance_by_category.values()) == hearing.attendance_total
        assert hearing.minutes and hearing.organisations
    assert [h.entry_closed for h in held] == [True, False]
    assert demo_session.scalar(select(HearingFile.kind)) == "minutes"
    notice = timedelta(days=demo_app.config.get("HEARING_NOTICE_DAYS", 10))
    for hearing in planned:
        assert now < hearing.starts_at < consultation.closes_at
        assert any(hearing.venue.values()) and hearing.ends_at > hearing.starts_at
        assert hearing.starts_at - now >= notice or len(hearing.short_notice_reason) >= 10
    assert sum(1 for h in planned if h.short_notice_reason) == 1


def test_demo_statistics_are_filled_and_the_count_check_holds(demo_session, tmp_path):
    consultation = current_consultation(demo_session)
    stats = statistics(demo_session, consultation)
    assert stats["comments_total"] > 40
    assert all(n > 0 for n in stats["attendance_by_gender"].values())
    assert sum(stats["comments_by_category"].values()) == stats["comments_total"]
    result = totals(demo_session, consultation)
    assert result.received == sum(result.by_state.values()) == demo_session.scalar(
        select(func.count()).select_from(Comment))
    assert len(result.by_status) >= 5  # every status given, and "not answered yet"
    summary = export_workbook(demo_session, tmp_path / "synthesis.xlsx", lang="ru",
                              public=False, consultation=consultation)
    assert summary.check_holds and summary.received == result.received


@pytest.mark.parametrize("email, path, expected", [
    ("drafter@example.org", "/en/desk/", ("My queue", "Progress by chapter", "Drafter")),
    ("lead@example.org", "/en/desk/", ("Give out chapters", "Answers to review",
                                       "Lead drafter")),
    ("lead@example.org", "/ru/desk/review", ('name="response"',)),
    ("drafter@example.org", "/ky/desk/groups/?doc=biodiversity-programme-2040", ("57",)),
    ("moderator@example.org", "/ru/hearings/statistics", ('class="bar"', "Нарын")),
    ("moderator@example.org", "/en/moderation/", ("Online",)),
])
def test_demo_staff_pages_show_the_work(demo_app, demo_session, email, path, expected):
    client = signed_in(demo_app, demo_session, email)
    page = client.get(path)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for fragment in expected:
        assert fragment in text, fragment


def test_demo_desk_counts_answers(demo_app, demo_session):
    page = signed_in(demo_app, demo_session, "drafter@example.org").get("/en/desk/")
    text = page.get_data(as_text=True)
    received = int(text.split("Received: ")[1].split("<")[0])
    answered = int(text.split("Answered: ")[1].split("<")[0])
    assert 0 < answered < received


@pytest.mark.parametrize("path", ["/ky/", "/ru/", "/ru/hearings/", "/ky/results/",
                                  "/ru/documents/biodiversity-programme-2040/48/"])
def test_demo_public_pages_render(demo_app, path):
    assert demo_app.test_client().get(path).status_code == 200


def test_second_demo_is_refused_while_the_first_holds_the_lock(tmp_path):
    path = tmp_path / "demo.sqlite3"
    path.write_bytes(OLD_FILE)
    with demonstration.demo_lock(path):
        result = CliRunner().invoke(demo, ["--no-serve", "--database", str(path)])
    assert result.exit_code == 1
    assert "already running" in result.output and str(path) in result.output
    assert path.read_bytes() == OLD_FILE


def test_the_lock_is_released_with_its_holder(tmp_path):
    path = tmp_path / "demo.sqlite3"
    with demonstration.demo_lock(path):
        pass
    with demonstration.demo_lock(path):  # not refused: the first holder is gone
        pass


def test_demo_refuses_a_port_in_use(tmp_path):
    path = tmp_path / "demo.sqlite3"
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(demo, ["--port", str(port), "--database", str(path)])
    assert result.exit_code == 1 and "in use" in result.output
    assert not path.exists()


def test_demo_serves_the_drafts_and_a_second_demo_leaves_it_alone(tmp_path):
    """The README's first command ends in a running site (a flask command may not block in
    app.run(); the demo must really serve); a second demo on its database is refused and
    the first keeps serving."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    script = Path(sys.executable).with_name("consult")
    database = tmp_path / "demo.sqlite3"
    server = subprocess.Popen([str(script), "demo", "--port", str(port), "--database",
                               str(database)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/en/documents/biodiversity-programme-2040/"
    try:
        deadline, page = time.monotonic() + 90, ""
        while time.monotonic() < deadline and not page:
            try:
                page = urllib.request.urlopen(url, timeout=5).read().decode()
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()
                time.sleep(0.3)
        assert 'id="clause-1"' in page and 'class="demo-banner"' in page
        second = subprocess.run([str(script), "demo", "--no-serve", "--database",
                                 str(database)], capture_output=True, text=True, timeout=60)
        assert second.returncode == 1
        assert "already running" in second.stderr
        assert 'id="clause-1"' in urllib.request.urlopen(url, timeout=5).read().decode()
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stdout.close()
