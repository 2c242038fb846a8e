"""``consult backup`` during a write load, and ``consult restore``: the restored database
holds exactly what was acknowledged when the snapshot was taken, scans included."""
from __future__ import annotations

import os
import secrets
import stat
import threading
import time

import pytest
from flask import g
from sqlalchemy import select

from consult import create_app, db
from consult.backup import BackupError, backup, restore
from consult.cli import main  # noqa: F401  (the commands are registered through it)
from consult.config import ROOT
from consult.drafts.load import import_paths
from consult.hearings.schedule import load_schedule
from consult.models import Comment, Document, Hearing, HearingFile
from tests.conftest import _add_comment, _postgres_database

SCAN = secrets.token_bytes(300_000)  # a scanned page: binary, and not small


@pytest.fixture
def fresh_url(tmp_path):
    """A database of its own, of the kind the suite runs on, at the newest schema."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if url.startswith("postgresql"):
        databases = _postgres_database(url)
        created = next(databases)
        db.upgrade_database(created)
        yield created
        databases.close()
    else:
        created = f"sqlite:///{tmp_path / 'live.sqlite3'}"
        db.upgrade_database(created)
        yield created


def _app(url):
    return create_app({"TESTING": True, "SECRET_KEY": "backup", "DATABASE_URL": url})


def _prepare(app) -> None:
    with app.app_context():
        g.lang = "en"
        session = db.session()
        import_paths(session, [str(ROOT / "drafts")])
        load_schedule(session, ROOT / "drafts" / "hearings.json")
        hearing = session.scalars(select(Hearing)).first()
        session.add(HearingFile(hearing_id=hearing.id, kind="minutes", filename="minutes.pdf",
                                content_type="application/pdf", size=len(SCAN), data=SCAN))
        session.commit()


def _snapshot(app) -> dict[int, tuple]:
    with app.app_context():
        rows = db.session().execute(select(Comment.id, Comment.body, Comment.receipt_code))
        return {row.id: tuple(row) for row in rows}


def test_a_backup_taken_under_load_restores_the_acknowledged_state(fresh_url, tmp_path):
    app = _app(fresh_url)
    _prepare(app)
    acknowledged: list[tuple[float, int]] = []  # (when the commit returned, comment id)
    failures: list[BaseException] = []
    stop = threading.Event()

    def write():
        try:
            with app.app_context():
                session = db.session()
                document = session.scalars(select(Document).order_by(Document.id)).first()
                key = document.current_version.clauses[0].key
                number = 0
                while not stop.is_set():
                    number += 1
                    comment = _add_comment(session, document, key, f"Comment {number}.")
                    acknowledged.append((time.monotonic(), comment.id))
        except BaseException as exc:  # said by the test, not lost in the thread
            failures.append(exc)
            raise

    def wait_for(condition):
        deadline = time.monotonic() + 30
        while not condition():
            assert not failures, failures
            assert time.monotonic() < deadline, "the writer stalled"
            time.sleep(0.01)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        wait_for(lambda: len(acknowledged) >= 50)
        started = time.monotonic()
        path = backup(fresh_url, tmp_path / "consult.backup")
        finished = time.monotonic()
        # Some comments acknowledged after the backup too.
        wait_for(lambda: any(at > finished for at, _id in acknowledged[-5:]))
    finally:
        stop.set()
        writer.join(timeout=30)
    before_backup = {cid for at, cid in acknowledged if at < started}
    by_the_end = {cid for at, cid in acknowledged if at <= finished}
    live = _snapshot(app)
    assert set(live) == {cid for _at, cid in acknowledged}
    app.extensions["consult.engine"].dispose()

    restore(fresh_url, path)
    restored_app = _app(fresh_url)
    restored = _snapshot(restored_app)
    # Everything acknowledged before the backup began, nothing acknowledged after it
    # ended, and every restored comment exactly as it was.
    assert before_backup <= set(restored) <= by_the_end
    assert all(restored[cid] == live[cid] for cid in restored)
    assert len(restored) < len(live)
    with restored_app.app_context():
        assert db.session().scalars(select(HearingFile.data)).one() == SCAN
    restored_app.extensions["consult.engine"].dispose()


def test_the_commands_back_up_and_restore(fresh_url, tmp_path):
    app = _app(fresh_url)
    _prepare(app)
    runner = app.test_cli_runner()
    path = tmp_path / "nightly.backup"
    result = runner.invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output
    assert "backup written" in result.output and path.exists()
    assert not path.with_name(path.name + ".partial").exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # names and e-mail addresses
    result = runner.invoke(args=["restore", str(path)], input="n\n")
    assert result.exit_code != 0  # asked, refused: nothing done
    result = runner.invoke(args=["restore", "--yes", str(path)])
    assert result.exit_code == 0, result.output
    app.extensions["consult.engine"].dispose()


def test_a_file_that_is_not_such_a_backup_is_refused_before_anything_changes(
        fresh_url, tmp_path):
    app = _app(fresh_url)
    _prepare(app)
    before = _snapshot(app)
    stranger = tmp_path / "notes.txt"
    stranger.write_text("not a backup")
    with pytest.raises(BackupError, match="is not a .* backup"):
        restore(fresh_url, stranger)
    result = app.test_cli_runner().invoke(args=["restore", "--yes", str(stranger)])
    assert result.exit_code != 0 and "is not a" in result.output
    assert _snapshot(app) == before
    app.extensions["consult.engine"].dispose()


def test_an_in_memory_database_has_no_backup(tmp_path):
    with pytest.raises(BackupError, match="in-memory"):
        backup("sqlite://", tmp_path / "x")


def test_a_backup_is_private_whatever_the_umask(fresh_url, tmp_path):
    previous = os.umask(0o022)
    try:
        written = backup(fresh_url, tmp_path / "hourly.dump")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(written.stat().st_mode) == 0o600


def test_a_missing_folder_or_database_is_said_plainly(fresh_url, tmp_path):
    with pytest.raises(BackupError, match="folder .* does not exist"):
        backup(fresh_url, tmp_path / "no-such-folder" / "x.dump")
    assert not (tmp_path / "no-such-folder").exists()
    missing = f"sqlite:///{tmp_path / 'never-created.sqlite3'}"
    app = _app(missing)
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "x.dump")])
    assert result.exit_code != 0
    assert "no SQLite database at" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "x.dump").exists()
