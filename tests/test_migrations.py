"""The Alembic migrations build exactly the schema the models describe, on the database
the suite runs against (SQLite, or a throw-away PostgreSQL database)."""
import os

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
