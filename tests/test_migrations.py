"""The Alembic migrations build exactly the schema the models describe, on the database
the suite runs against (SQLite, or a throw-away PostgreSQL database)."""
import os
from datetime import datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from consult.db import make_engine, upgrade_database
from consult.models import Base


@pytest.fixture
def empty_database(tmp_path):
    server = os.environ.get("TEST_DATABASE_URL", "")
    if server.startswith("postgresql"):
        from tests.conftest import _postgres_database
        yield from _postgres_database(server)
    else:
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"


def test_migrations_match_models(empty_database):
    url = empty_database
    upgrade_database(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                Base.metadata)
        tables = set(inspect(conn).get_table_names())
    engine.dispose()
    assert diff == []
    assert set(Base.metadata.tables) <= tables


def test_upgrade_twice_is_harmless(empty_database):
    url = empty_database
    upgrade_database(url)
    upgrade_database(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        assert "comment" in inspect(conn).get_table_names()
    engine.dispose()


def test_downgrade_to_nothing_and_back(empty_database):
    from alembic import command

    from consult.db import alembic_config
    upgrade_database(empty_database)
    command.downgrade(alembic_config(empty_database), "base")
    engine = make_engine(empty_database)
    with engine.connect() as conn:
        assert "comment" not in inspect(conn).get_table_names()
    engine.dispose()
    upgrade_database(empty_database)


def test_a_populated_database_is_upgraded_with_its_versions_matched_by_key(empty_database):
    """Versions imported before revised drafts existed count as published and are matched
    by key; the upgrade copies tables that others point at (SQLite) without losing a row."""
    from alembic import command
    from sqlalchemy import MetaData, Table, select

    from consult.db import alembic_config
    config = alembic_config(empty_database)
    command.upgrade(config, "325016ffe4df")
    engine = make_engine(empty_database)
    with engine.begin() as conn:
        tables = {name: Table(name, MetaData(), autoload_with=conn)
                  for name in ("consultation", "document", "document_version", "clause")}
        conn.execute(tables["consultation"].insert(), [dict(
            id=1, slug="c", title={}, authority={}, developer={}, contact={}, proposal={},
            documents_at={}, how_to_comment={}, legal_basis={}, assessment_at={},
            period_justification={}, moderation="pre", created_at=datetime(2026, 1, 1))])
        conn.execute(tables["document"].insert(), [dict(
            id=1, consultation_id=1, slug="d", kind="programme", position=0,
            public_revision=0)])
        conn.execute(tables["document_version"].insert(), [dict(
            id=v, document_id=1, number=v, title={}, preamble_html={}, languages=["en"],
            demonstration=False, source_hash=str(v), imported_at=datetime(2026, v, 1))
            for v in (1, 2)])
        keys = {1: ["1", "2", "3"], 2: ["1", "3", "4"]}
        conn.execute(tables["clause"].insert(), [dict(
            id=10 * v + i, version_id=v, key=key, position=i, html={},
            text={"en": "changed" if (v, key) == (2, "1") else f"text {key}"}, cells={})
            for v, ks in keys.items() for i, key in enumerate(ks)])
        conn.execute(tables["document"].update().values(current_version_id=2))
    engine.dispose()
    command.upgrade(config, "head")
    engine = make_engine(empty_database)
    with engine.connect() as conn:
        meta = MetaData()
        match = Table("clause_match", meta, autoload_with=conn)
        lineage = Table("clause_lineage", meta, autoload_with=conn)
        version = Table("document_version", meta, autoload_with=conn)
        kinds = set(conn.execute(select(match.c.old_clause_id, match.c.new_clause_id,
                                        match.c.kind)).all())
        fates = set(conn.execute(select(lineage.c.clause_id, lineage.c.current_clause_id,
                                        lineage.c.deleted_in)).all())
        published = conn.execute(select(version.c.number, version.c.published_at,
                                        version.c.previous_id)
                                 .order_by(version.c.number)).all()
    engine.dispose()
    assert kinds == {(10, 20, "changed"), (12, 21, "same"), (None, 22, "new"),
                     (11, None, "deleted")}
    assert fates == {(10, 20, None), (11, None, 2), (12, 21, None), (20, 20, None),
                     (21, 21, None), (22, 22, None)}
    assert published == [(1, datetime(2026, 1, 1), None), (2, datetime(2026, 2, 1), 1)]
