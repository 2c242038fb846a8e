"""Database engine, sessions and the declarative base.

Plain SQLAlchemy 2.0: one engine per application, one scoped session per request
(or per CLI command). Services receive the session and ``flush``; the request or
command boundary commits.
"""
from __future__ import annotations

import contextlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from flask import Flask, current_app, g
from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

# Stable constraint names, so Alembic migrations name things the same on every database.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "savepoint", _sqlite_savepoint_in_a_transaction)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def _sqlite_savepoint_in_a_transaction(connection, _name) -> None:
    # Python's sqlite3 opens its transaction before a data change, not before a SAVEPOINT:
    # a savepoint opened first is a transaction of its own, which its RELEASE commits, and
    # a later rollback would not undo what it held. Open the transaction before it.
    dbapi_connection = connection.connection.dbapi_connection
    if not dbapi_connection.in_transaction:
        dbapi_connection.execute("BEGIN")


def _sqlite_pragmas(dbapi_connection, _record):
    # WAL lets readers go on while one writer commits; foreign keys are off by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def init_app(app: Flask) -> None:
    """Bind an engine and a session factory to the application."""
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["consult.engine"] = engine
    app.extensions["consult.sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def session() -> Session:
    """The session of the current request or command, opened on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["consult.sessionmaker"]()
    return g.db_session


def engine() -> Engine:
    return current_app.extensions["consult.engine"]


def discard_session() -> None:
    """Drop the current session after the database failed mid-request (its connection is
    invalidated; the next request gets a fresh one from the pool)."""
    s = g.pop("db_session", None)
    if s is not None:
        # The connection is already gone: nothing of it is worth an error of its own.
        with contextlib.suppress(Exception):
            s.invalidate()


def _close_session(_exc):
    s = g.pop("db_session", None)
    if s is not None:
        try:
            s.close()
        except DBAPIError:
            # The connection was cut after the request's work was done (the database
            # restarted, or ended it): the answer already made stands, and the dead
            # connection is dropped instead of going back to the pool.
            with contextlib.suppress(Exception):
                s.invalidate()


# ---------------------------------------------------------------- migrations

def alembic_config(url: str):
    """Alembic's configuration for the database at ``url`` (migrations/ at the root)."""
    root = Path(__file__).resolve().parent.parent
    config = Config()
    config.set_main_option("script_location", str(root / "migrations"))
    config.set_main_option("file_template",
                           "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_database(url: str) -> None:
    """Bring the database at ``url`` to the newest schema."""
    command.upgrade(alembic_config(url), "head")
