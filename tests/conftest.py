"""Shared fixtures: one application per test session, a clean database per test.

The database is SQLite in a temporary folder, or, when ``TEST_DATABASE_URL`` names a
PostgreSQL server, a fresh database created on that server for this run and dropped after.
The schema is built from the models; tests/test_migrations.py checks that the Alembic
migrations build the very same schema.
"""
from __future__ import annotations

import contextlib
import io
import os
import secrets
import textwrap
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.orm import selectinload

from consult import ROOT, cache, create_app, db, ratelimit
from consult.accounts.services import save_user
from consult.comments.intake import Target
from consult.core.time import utcnow
from consult.drafts import revisions
from consult.drafts.load import import_paths
from consult.drafts.services import document_by_slug
from consult.hearings.schedule import load_schedule
from consult.intake import online
from consult.models import (
    Base,
    Clause,
    Comment,
    Consultation,
    Document,
    DuplicateGroup,
    Hearing,
    Response,
    User,
)
from consult.synthesis.answers import save_answer


def _postgres_database(url: str):
    """Create a throw-away database on the server ``url`` points at; yield its URL."""
    base = url.replace("postgresql://", "postgresql+psycopg://", 1)
    name = f"consult_test_{secrets.token_hex(4)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("TEST_DATABASE_URL", "")
    if url.startswith("postgresql"):
        yield from _postgres_database(url)
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = create_app({
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key",
        "WTF_CSRF_ENABLED": False,
        # Limits are real but high; a test of the limit lowers them (they are read per request).
        "RATELIMIT_STORAGE_URI": "memory://",
        "COMMENT_RATE_LIMIT": "10000 per minute",
        "LOGIN_RATE_LIMIT": "10000 per minute",
        "SERVER_NAME": None,
        "PUBLIC_URL": "https://consult.example.org",
    })
    Base.metadata.create_all(app.extensions["consult.engine"])
    yield app
    app.extensions["consult.engine"].dispose()


def _clean(engine) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            return
        conn.execute(text("UPDATE document SET current_version_id = NULL"))
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture(autouse=True)
def clean_database(app):
    """Every test starts from empty tables and empty caches."""
    _clean(app.extensions["consult.engine"])
    cache.clear_all()
    with app.app_context():
        ratelimit.reset()
    yield


class RequestClient(FlaskClient):
    """A test client whose every request has its own application context, as in
    production: its own ``g`` (locale, signed-in user, database session), torn down after
    the response. Without it, a request made while the ``session`` fixture holds a context
    would share that context's ``g`` with the test and with every other request."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if has_app_context() and "db_session" in g:
            # The test's own session reloads what the request may have changed.
            g.db_session.expire_all()
        return response


@pytest.fixture
def sql_statements(app):
    """``with sql_statements() as statements:`` records the SQL the app runs inside the
    block, each statement on one line, to assert what a request asks of the database."""
    @contextlib.contextmanager
    def recording():
        statements: list[str] = []

        def seen(_conn, _cursor, statement, *_args):
            statements.append(" ".join(statement.split()))

        engine = app.extensions["consult.engine"]
        event.listen(engine, "before_cursor_execute", seen)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", seen)
    return recording


@pytest.fixture
def client(app):
    app.test_client_class = RequestClient
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def session(app):
    """A database session in an application context; commit to let requests see data.
    Services called directly speak English here (requests choose their own language)."""
    with app.app_context(), force_locale("en"):
        s = db.session()
        yield s
        s.rollback()


@pytest.fixture
def csrf(app):
    """Turn CSRF protection on for one test."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


SAMPLE = {
    "en": """\
        Title: Sample programme
        Document: {slug}
        Kind: programme
        Version: {version}
        Language: en
        Consultation: {consultation}

        # Chapter 1. General provisions

        1. The programme protects {word} ecosystems.

           1) mountains
           2) forests

        2. Second clause in English.

        # Chapter 2. Measures

        3. Third clause in English.

        # Annex 1. Indicators

        1. Share of protected land.
        """,
    "ru": """\
        Title: Пример программы
        Document: {slug}
        Kind: programme
        Version: {version}
        Language: ru
        Consultation: {consultation}

        # Глава 1. Общие положения

        1. Программа охраняет {word} экосистемы.

           1) горы
           2) леса

        2. Второй пункт по-русски.

        # Глава 2. Меры

        3. Третий пункт по-русски.

        # Приложение 1. Индикаторы

        1. Доля охраняемых земель.
        """,
    "ky": """\
        Title: Программанын үлгүсү
        Document: {slug}
        Kind: programme
        Version: {version}
        Language: ky
        Consultation: {consultation}

        # 1-глава. Жалпы жоболор

        1. Программа {word} экосистемаларды коргойт.

           1) тоолор
           2) токойлор

        2. Кыргызча экинчи пункт.

        # 2-глава. Чаралар

        3. Кыргызча үчүнчү пункт.

        # 1-тиркеме. Көрсөткүчтөр

        1. Корголгон жерлердин үлүшү.
        """,
}


def write_sample(folder: Path, slug: str = "sample-programme", version: int = 1,
                 word: str = "mountain", languages=("ky", "ru", "en"),
                 consultation: str = "test-consultation") -> Path:
    """Write the sample document's language files under ``folder/slug``."""
    target = folder / slug
    target.mkdir(parents=True, exist_ok=True)
    for lang in languages:
        (target / f"{lang}.md").write_text(textwrap.dedent(SAMPLE[lang]).format(
            slug=slug, version=version, word=word, consultation=consultation), encoding="utf-8")
    return target


@pytest.fixture
def make_document(app, tmp_path):
    """Import the sample document (or another slug); return the Document. Its consultation
    is announced (its notice public) unless ``announced=False``; a revised version is
    published with its proposed clause matching unless ``publish=False``. Answers reach the
    public without a lead drafter's approval unless ``approval=True`` (the setting's own
    default is on; the tests of approval turn it on, the others test everything else)."""
    def make(slug: str = "sample-programme", announced: bool = True, publish: bool = True,
             approval: bool = False, **kwargs):
        path = write_sample(tmp_path / "drafts", slug, **kwargs)
        with app.app_context():
            s = db.session()
            outcomes, problems = import_paths(s, [str(path)])
            assert not problems, problems
            document = document_by_slug(s, slug)
            pending = revisions.pending_version(s, document)
            if publish and pending is not None:
                revisions.confirm_matching(s, pending, None)
                revisions.publish_version(s, pending, None)
            if announced and document.consultation.announced_at is None:
                document.consultation.announced_at = utcnow() - timedelta(days=2)
            document.consultation.answer_approval = approval
            s.commit()
            return document_by_slug(s, slug)
    return make


@pytest.fixture
def open_period(app):
    """Set the period of every consultation to include now."""
    def set_open(slug: str | None = None):
        with app.app_context():
            s = db.session()
            for c in s.query(Consultation).all():
                if slug is None or c.slug == slug:
                    c.announced_at = c.announced_at or utcnow() - timedelta(days=2)
                    c.opens_at = utcnow() - timedelta(days=1)
                    c.closes_at = utcnow() + timedelta(days=30)
            s.commit()
    return set_open


NOTICE = {
    "title": "Consultation on the sample programme", "proposal": "The sample programme.",
    "authority": "Ministry of Samples", "developer": "Sample drafters",
    "contact": "+996 000 000 000", "documents_at": "On this site and at every hearing.",
    "how_to_comment": "Online under any clause, at a hearing or by letter.",
    "legal_basis": "Aarhus Convention, Article 7."}


@pytest.fixture
def complete_notice(app):
    """Fill every item of every consultation's notice (in every language) and schedule a
    hearing a month ahead, so that it may be announced and its period set."""
    def complete(hearing: bool = True):
        with app.app_context():
            s = db.session()
            for c in s.query(Consultation).all():
                for item, text in NOTICE.items():
                    setattr(c, item, {code: f"{text} [{code}]" for code in ("ky", "ru", "en")})
                c.assessment_applies = False
                if hearing and not s.query(Hearing).filter_by(consultation_id=c.id).count():
                    s.add(Hearing(consultation_id=c.id, slug=f"hall-{c.id}",
                                  city={"ky": "Нарын", "ru": "Нарын", "en": "Naryn"},
                                  venue={"en": "Town hall"},
                                  starts_at=utcnow() + timedelta(days=30)))
            s.commit()
    return complete


@pytest.fixture
def close_period(app):
    """Let every consultation's period have ended yesterday (after a month open)."""
    def close():
        with app.app_context():
            s = db.session()
            for c in s.query(Consultation).all():
                c.announced_at = c.announced_at or utcnow() - timedelta(days=40)
                c.opens_at = utcnow() - timedelta(days=31)
                c.closes_at = utcnow() - timedelta(days=1)
            s.commit()
    return close


@pytest.fixture
def demo_data(app):
    """The real demonstration drafts and hearing schedule, as ``consult demo`` loads them,
    with the consultation announced."""
    with app.app_context():
        s = db.session()
        outcomes, problems = import_paths(s, [str(ROOT / "drafts")])
        assert not problems, problems
        load_schedule(s, ROOT / "drafts" / "hearings.json")
        s.scalar(select(Consultation)).announced_at = utcnow() - timedelta(days=20)
        s.commit()


@pytest.fixture
def make_user(app):
    """Create a staff account; returns its id."""
    def make(role: str = "moderator", email: str | None = None,
             password: str = "correct horse battery") -> int:
        with app.app_context():
            s = db.session()
            user, _ = save_user(s, email or f"{role}-{secrets.token_hex(3)}@example.org", role,
                                password)
            s.commit()
            return user.id
    return make


@pytest.fixture
def login(client, make_user):
    """Sign the test client in with a new account of ``role``; returns the user id."""
    def sign_in(role: str = "moderator") -> int:
        user_id = make_user(role)
        with client.session_transaction() as flask_session:
            flask_session["_user_id"] = f"{user_id}.1"  # User.get_id(): id and session version
            flask_session["_fresh"] = True
        return user_id
    return sign_in


@pytest.fixture
def publish_comments(app):
    """Store published comments on a clause of a document, as moderation leaves them."""
    def publish(document_id: int, clause_key: str, bodies, minutes_apart: int = 0) -> None:
        with app.app_context():
            s = db.session()
            doc = s.get(Document, document_id)
            clause_id = s.scalar(select(Clause.id).where(
                Clause.version_id == doc.current_version_id, Clause.key == clause_key))
            for n, body in enumerate(bodies):
                s.add(Comment(consultation_id=doc.consultation_id, document_id=doc.id,
                              version_id=doc.current_version_id, clause_key=clause_key,
                              clause_id=clause_id,
                              language="en", body=body, receipt_code=secrets.token_urlsafe(16),
                              state="published",
                              received_at=utcnow() - timedelta(minutes=n * minutes_apart)))
            s.commit()
    return publish


@pytest.fixture
def submit_online(app):
    """Send a comment through the online channel as the form would (a clause or document)."""
    def submit(session, target, data: dict, client: str = "client", now=None,
               language: str = "en"):
        if isinstance(target, Clause):
            target = Target(session.get(Document, target.version.document_id), target)
        else:
            target = Target(target)
        return online.submit(session, target, data, client, language, now=now)
    return submit


# ------------------------------------------------------------------ records for many tests

SECRET_EMAIL = "hidden.person@example.org"  # must never appear in any export or page


def _add_comment(session, document, clause_key="1", body="Protect the juniper forests.", *,
                 commit=True, **fields):
    """Store a published comment on ``clause_key`` (None: the whole document)."""
    version = document.current_version
    clause = None
    if clause_key is not None:
        clause = session.query(Clause).filter_by(version_id=version.id, key=clause_key).one()
    values = dict(consultation_id=document.consultation_id, document_id=document.id,
                  version_id=version.id, clause_id=clause.id if clause else None,
                  clause_key=clause_key, language="ru", body=body, state="published",
                  receipt_code=secrets.token_hex(8), email=SECRET_EMAIL)
    values.update(fields)
    comment = Comment(**values)
    session.add(comment)
    session.commit() if commit else session.flush()
    return comment


@pytest.fixture
def add_comment():
    """Store a comment as a channel would have (committed unless ``commit=False``)."""
    return _add_comment


def _build_record(session, document) -> dict:
    """A small consultation record: every channel, moderation state, a group, answers."""
    hearing = Hearing(consultation_id=document.consultation_id, slug="naryn",
                      city={"ky": "Нарын", "ru": "Нарын", "en": "Naryn"},
                      venue={"en": "Town hall"}, starts_at=utcnow() - timedelta(days=3),
                      status="held", attendance_total=40, attendance_women=22,
                      attendance_men=15, attendance_unstated=3)
    session.add(hearing)
    drafter = session.query(User).filter_by(role="drafter").first()
    session.flush()
    c = {}
    c["online"] = _add_comment(session, document, "1", "Protect the juniper forests.",
                               channel="online", author_name="Aigul Namedperson",
                               consent="full", gender="female")
    c["anon"] = _add_comment(session, document, "1", "Anonymous online text.",
                             channel="online", author_name="Secret Anonname",
                             consent="anonymous", gender="male", category="ngo",
                             organisation="Green Alliance")
    c["oral"] = _add_comment(session, document, "2", "Said at the hearing in Naryn.",
                             channel="hearing-oral", hearing_id=hearing.id, language="ky")
    c["email"] = _add_comment(session, document, "3", "Sent by e-mail.", channel="email",
                              in_period=False)
    c["form"] = _add_comment(session, document, "annex-1.1", "Imported from the form.",
                             channel="form-import", consent="none",
                             author_name="Nocon Sentperson")
    c["whole"] = _add_comment(session, document, None, "About the whole programme.",
                              channel="post", state="new")
    c["hidden"] = _add_comment(session, document, "2", "Abusive hidden words here.",
                               channel="online", state="hidden", hidden_reason="abuse",
                               moderation_note="insults a named official")
    c["withdrawn"] = _add_comment(session, document, "3", "Withdrawn words here.",
                                  channel="online", state="withdrawn",
                                  hidden_reason="withdrawn")
    group = DuplicateGroup(document_id=document.id, clause_key="3")
    session.add(group)
    session.flush()
    c["dup1"] = _add_comment(session, document, "3", "Campaign text.", channel="email",
                             group_id=group.id)
    c["dup2"] = _add_comment(session, document, "3", "Campaign text!", channel="online",
                             group_id=group.id)
    session.flush()
    session.expire_all()
    save_answer(session, c["online"], "accepted", "", "clause 1 reworded", drafter, None)
    save_answer(session, c["oral"], "not-accepted", "Outside the programme.", "", drafter,
                None)
    save_answer(session, c["dup1"], "noted", "", "", drafter, None)
    session.commit()
    return {"comments": c, "hearing": hearing, "group": group, "drafter": drafter}


@pytest.fixture
def record(app, session, make_document, make_user):
    """The small record above, in the sample document; returns the built objects."""
    make_user("drafter")
    return _build_record(session, session.merge(make_document()))


@pytest.fixture
def rezip():
    """Copy a workbook's zip, replacing or adding members (``compression`` of the copy)."""
    def copy(data: bytes, replace: dict | None = None, add: dict | None = None,
             compression=zipfile.ZIP_DEFLATED) -> bytes:
        replace, add = replace or {}, add or {}
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(data)) as src, \
                zipfile.ZipFile(out, "w", compression) as dst:
            for item in src.infolist():
                dst.writestr(item.filename, replace.get(item.filename, src.read(item.filename)))
            for name, content in add.items():
                dst.writestr(name, content)
        return out.getvalue()
    return copy


@pytest.fixture
def doc(make_document, session):
    """The sample document, in the test's session."""
    return session.merge(make_document())


@pytest.fixture
def drafter(make_user, session):
    """A drafter's account, in the test's session."""
    return session.get(User, make_user("drafter"))


@pytest.fixture
def naryn(app, make_document):
    """Two documents in one consultation and a hearing in Naryn; returns the hearing id."""
    make_document("sample-programme")
    make_document("sample-plan", word="river")
    with app.app_context():
        s = db.session()
        consultation = s.scalar(select(Consultation).where(
            Consultation.slug == "test-consultation"))
        hearing = Hearing(consultation_id=consultation.id, slug="naryn-2025",
                          city={"ky": "Нарын", "ru": "Нарын", "en": "Naryn"},
                          venue={"en": "Town hall"}, languages="ky,ru",
                          agenda={"en": "14:00 Opening\n14:30 Discussion"},
                          starts_at=utcnow() - timedelta(hours=3))
        s.add(hearing)
        s.commit()
        return hearing.id


@pytest.fixture
def stored_comments(app):
    """The comments in the database (filtered by column values), documents loaded."""
    def find(**where):
        with app.app_context():
            query = select(Comment).order_by(Comment.id).options(
                selectinload(Comment.document))
            for name, value in where.items():
                query = query.where(getattr(Comment, name) == value)
            return list(db.session().scalars(query))
    return find


@pytest.fixture
def comment_on():
    """A comment on clause ``key`` (None: the whole document) of the document ``slug``;
    ``answer=(status, rationale, change)`` gives it its own response. Flushed."""
    def add(session, slug="sample-programme", key="1", *, answer=None, **fields):
        document = session.scalar(select(Document).where(Document.slug == slug))
        clause = session.scalar(select(Clause).where(
            Clause.version_id == document.current_version_id, Clause.key == key)) \
            if key else None
        values = dict(consultation_id=document.consultation_id, document_id=document.id,
                      version_id=document.current_version_id,
                      clause_id=clause.id if clause else None, clause_key=key, language="en",
                      body="A comment.", state="published", consent="anonymous",
                      receipt_code=secrets.token_hex(8))
        values.update(fields)
        comment = Comment(**values)
        session.add(comment)
        session.flush()
        if answer:
            status, rationale, change = answer
            session.add(Response(comment_id=comment.id, status=status, rationale=rationale,
                                 change=change))
            session.flush()
        return comment
    return add
