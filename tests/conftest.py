"""Shared fixtures: one application per test session, a clean database per test.

The database is SQLite in a temporary folder, or, when ``TEST_DATABASE_URL`` names a
PostgreSQL server, a fresh database created on that server for this run and dropped after.
The schema is built from the models; tests/test_migrations.py checks that the Alembic
migrations build the very same schema.
"""
from __future__ import annotations

import os
import secrets
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from consult import ROOT, create_app, db
from consult.models import Base


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
    from consult.drafts import routes
    routes._fragments.clear()
    routes.pages.clear()
    from consult.extensions import limiter
    limiter.reset()
    yield


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def session(app):
    """A database session in an application context; commit to let requests see data."""
    with app.app_context():
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
    """Import the sample document (or another slug); return the Document."""
    def make(slug: str = "sample-programme", **kwargs):
        from consult.drafts.load import import_paths
        from consult.drafts.services import document_by_slug
        path = write_sample(tmp_path / "drafts", slug, **kwargs)
        with app.app_context():
            s = db.session()
            outcomes, problems = import_paths(s, [str(path)])
            assert not problems, problems
            s.commit()
            return document_by_slug(s, slug)
    return make


@pytest.fixture
def open_period(app):
    """Set the period of every consultation to include now."""
    def set_open(slug: str | None = None):
        from datetime import timedelta
        from consult.models import Consultation
        from consult.timeutil import utcnow
        with app.app_context():
            s = db.session()
            for c in s.query(Consultation).all():
                if slug is None or c.slug == slug:
                    c.opens_at = utcnow() - timedelta(days=1)
                    c.closes_at = utcnow() + timedelta(days=30)
            s.commit()
    return set_open


@pytest.fixture
def demo_data(app):
    """The real demonstration drafts and hearing schedule, as ``consult demo`` loads them."""
    from consult.drafts.load import import_paths
    from consult.hearings.schedule import load_schedule
    with app.app_context():
        s = db.session()
        outcomes, problems = import_paths(s, [str(ROOT / "drafts")])
        assert not problems, problems
        load_schedule(s, ROOT / "drafts" / "hearings.json")
        s.commit()


@pytest.fixture
def make_user(app):
    """Create a staff account; returns its id."""
    def make(role: str = "moderator", email: str | None = None,
             password: str = "correct horse battery") -> int:
        from consult.accounts.services import save_user
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
            flask_session["_user_id"] = str(user_id)
            flask_session["_fresh"] = True
        return user_id
    return sign_in


@pytest.fixture
def publish_comments(app):
    """Store published comments on a clause of a document, as moderation leaves them."""
    def publish(document_id: int, clause_key: str, bodies, minutes_apart: int = 0) -> None:
        from datetime import timedelta
        from consult.models import Comment, Document
        from consult.timeutil import utcnow
        with app.app_context():
            s = db.session()
            doc = s.get(Document, document_id)
            for n, body in enumerate(bodies):
                s.add(Comment(consultation_id=doc.consultation_id, document_id=doc.id,
                              version_id=doc.current_version_id, clause_key=clause_key,
                              language="en", body=body, receipt_code=secrets.token_urlsafe(16),
                              state="published",
                              received_at=utcnow() - timedelta(minutes=n * minutes_apart)))
            doc.bump()
            s.commit()
    return publish
