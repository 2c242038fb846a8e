"""``consult backup PATH`` and ``consult restore PATH``: the whole record in one file.

Everything the consultation holds is in its database, uploaded scans and signed minutes
included (``hearing_file.data``), so one consistent snapshot of the database is a whole
backup; the instance's ``secret_key`` is configuration and is kept apart (docs).

- SQLite: the online backup API of SQLite, page by page, while the application keeps
  writing; the copy is one consistent snapshot (a transaction committed during the backup
  is either wholly in it or not at all).
- PostgreSQL: ``pg_dump`` in its custom format (one snapshot; compressed), restored with
  ``pg_restore --clean``: the tools of the database itself, never a home-made dump.

A backup file is written beside its final name and renamed when complete, so a backup
interrupted half-way never looks like a finished one. It is readable by its owner alone
(mode 0600, whatever the umask): it holds the commenters' names and e-mail addresses.
"""
from __future__ import annotations

import os
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


class BackupError(RuntimeError):
    """A backup or restore that could not be done; the message says why."""


@dataclass(frozen=True)
class Target:
    """The database a backup is taken of or restored to."""
    kind: str  # "sqlite" or "postgresql"
    location: str  # the SQLite file, or a libpq connection URL

    @classmethod
    def of(cls, database_url: str) -> Target:
        url = make_url(database_url)
        if url.get_backend_name() == "sqlite":
            if not url.database or url.database == ":memory:":
                raise BackupError("an in-memory SQLite database cannot be backed up")
            return cls("sqlite", url.database)
        if url.get_backend_name() == "postgresql":
            # libpq's own URL: without SQLAlchemy's driver suffix, password included.
            plain = url.set(drivername="postgresql")
            return cls("postgresql", plain.render_as_string(hide_password=False))
        raise BackupError(f"no backup for {url.get_backend_name()} databases")


def backup(database_url: str, path: str | Path) -> Path:
    """Write a consistent snapshot of the database to ``path``; returns it."""
    target, path = Target.of(database_url), Path(path)
    if not path.parent.is_dir():
        raise BackupError(f"the folder {path.parent} does not exist")
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        # Made empty and private first: pg_dump and SQLite then write into it, keeping
        # its mode.
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        if target.kind == "sqlite":
            _sqlite_copy(target.location, partial)
        else:
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                  f"--file={partial}", f"--dbname={target.location}"])
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def restore(database_url: str, path: str | Path) -> None:
    """Replace the database's content by the backup at ``path``.

    The backup must be of the same kind of database (a file of the other kind is refused
    before anything is touched). Stop the application servers first: a restore replaces
    what they are serving."""
    target, path = Target.of(database_url), Path(path)
    try:
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise BackupError(f"{path}: {exc.strerror}") from None
    expected = SQLITE_MAGIC if target.kind == "sqlite" else PG_DUMP_MAGIC
    if not head.startswith(expected):
        raise BackupError(f"{path} is not a {target.kind} backup made by 'consult backup'")
    if target.kind == "sqlite":
        _sqlite_copy(str(path), Path(target.location))
    else:
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
              "--single-transaction", "--exit-on-error", f"--dbname={target.location}",
              str(path)])


def _sqlite_copy(source: str, destination: Path) -> None:
    """SQLite's online backup from one file to another (page by page, consistent)."""
    if not Path(source).is_file():
        raise BackupError(f"there is no SQLite database at {source} (is DATABASE_URL set?)")
    src = dst = None
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        dst = sqlite3.connect(destination)
        with dst:
            src.backup(dst)
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite backup failed: {exc}") from None
    finally:
        for connection in (dst, src):
            if connection is not None:
                connection.close()


def _run(command: list[str]) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BackupError(f"{command[0]} is not installed (apt-get install "
                          "postgresql-client)") from None
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()}")


# ------------------------------------------------------------------ commands

@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@with_appcontext
def backup_command(path):
    """Write a consistent snapshot of the whole database (uploaded files included) to PATH,
    while the application keeps running."""
    try:
        written = backup(current_app.config["DATABASE_URL"], path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"backup written: {written} ({written.stat().st_size:,} bytes)")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
@with_appcontext
def restore_command(path, yes):
    """Replace the database's whole content by the backup at PATH (stop the application
    servers first)."""
    if not yes:
        click.confirm(f"Replace everything in the database by {path}?", abort=True)
    try:
        restore(current_app.config["DATABASE_URL"], path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"restored from {path}")
