"""What the HTTP benchmarks share: a free port, gunicorn serving wsgi:app, waiting for it."""
from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(port: int, workers: int, env: dict, *options: str) -> subprocess.Popen:
    """gunicorn serving the app on 127.0.0.1:``port`` with ``env`` (database, secrets)."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    return subprocess.Popen(
        [str(gunicorn), "--workers", str(workers), *options, "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env)


def fetch(port: int, path: str) -> bytes:
    """GET ``path`` on a new connection; the body of a 200 answer."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise SystemExit(f"{path}: HTTP {response.status}")
        return body
    finally:
        conn.close()


def wait_until_up(port: int, path: str, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn exited; see its output above")
        try:
            fetch(port, path)
            return
        except OSError:  # not listening yet, or still starting
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer within {seconds:.0f} s")
