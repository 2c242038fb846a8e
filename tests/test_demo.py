"""``consult demo`` builds a fresh, usable database from the shipped drafts."""
from sqlalchemy import create_engine, func, select

from consult.cli import demo
from consult.models import Clause, Consultation, Document, Hearing, User


def test_demo_prepares_a_fresh_database(tmp_path):
    from click.testing import CliRunner
    path = tmp_path / "demo.sqlite3"
    path.write_bytes(b"an old file that must be replaced")
    result = CliRunner().invoke(demo, ["--no-serve", "--database", str(path)])
    assert result.exit_code == 0, result.output
    assert "admin@example.org" in result.output and "password:" in result.output
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        assert set(conn.scalars(select(Document.slug))) == {
            "biodiversity-programme-2040", "biodiversity-action-plan-2025-2030"}
        assert conn.scalar(select(func.count()).select_from(Clause)) > 100
        assert conn.scalar(select(func.count()).select_from(Hearing)) == 5
        assert conn.scalar(select(func.count()).select_from(User)) == 3
        opens, closes = conn.execute(select(Consultation.opens_at, Consultation.closes_at)).one()
        assert opens is not None and closes is not None
    engine.dispose()


def test_demo_serves_the_drafts(tmp_path):
    """The README's first command ends in a running site (a flask command may not block in
    app.run(); the demo must really serve)."""
    import socket
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    script = Path(sys.executable).with_name("consult")
    server = subprocess.Popen([str(script), "demo", "--port", str(port), "--database",
                               str(tmp_path / "demo.sqlite3")],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline, page = time.monotonic() + 60, ""
        while time.monotonic() < deadline and not page:
            try:
                url = f"http://127.0.0.1:{port}/en/documents/biodiversity-programme-2040/"
                page = urllib.request.urlopen(url, timeout=5).read().decode()
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()
                time.sleep(0.3)
        assert 'id="clause-1"' in page and 'class="demo-banner"' in page
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stdout.close()
