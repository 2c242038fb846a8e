"""What the HTTP benchmarks (and the soak and browser tests) share: a free port, gunicorn
serving wsgi:app, waiting for it, a client that reads pages and sends their forms as a
browser does, and how to start Debian's Chromium."""
from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The form token field, whatever the order of its attributes (WTForms' or a template's).
TOKEN_FIELD = re.compile(r'<input[^>]*\bname="csrf_token"[^>]*>')
VALUE = re.compile(r'\bvalue="([^"]+)"')
RECEIPT = re.compile(r"/receipts/([A-Za-z0-9_-]+)/$")

# Debian's Chromium for Playwright (CHROMIUM_PATH to use another), and its switches: without
# the last ones it keeps trying to reach Google's services, which a closed network refuses.
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


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


def run_together(threads: list[threading.Thread]) -> float:
    """Start every thread, wait for all of them; the seconds they took."""
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def percentile(values: list[float], q: int) -> float:
    """The ``q``-th percentile of ``values`` (nan for none)."""
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


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


class Browser:
    """A fresh browser visit: one keep-alive connection and its own cookies.

    Like a real browser it fetches a page and posts its form over the same connection,
    saying where the form comes from (Origin and Fetch Metadata, as every current browser
    does), and does not follow redirects: the receipt address is in Location.
    """

    def __init__(self, port: int, user_agent: str, timeout: float = 30):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        self.headers = {"User-Agent": user_agent}
        self.origin = f"http://127.0.0.1:{port}"
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None,
                headers: dict | None = None) -> tuple[http.client.HTTPResponse, bytes]:
        """Send one request (``form``: posted urlencoded); the response and its body."""
        sent = dict(self.headers, **(headers or {}))
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            sent.update({"Content-Type": "application/x-www-form-urlencoded",
                         "Origin": self.origin, "Sec-Fetch-Site": "same-origin"})
        self.connection.request(method, path, body=body, headers=sent)
        response = self.connection.getresponse()
        data = response.read()
        self._keep_cookies(response)
        return response, data

    def _keep_cookies(self, response: http.client.HTTPResponse) -> None:
        for header in response.headers.get_all("Set-Cookie") or ():
            name, _, value = header.split(";", 1)[0].partition("=")
            if value:
                self.cookies[name.strip()] = value
            else:  # the server cleared it
                self.cookies.pop(name.strip(), None)

    def close(self) -> None:
        self.connection.close()


def form_token(page: bytes) -> str:
    """The CSRF token of the (first) staff form on ``page`` (sign-in, moderation)."""
    field = TOKEN_FIELD.search(page.decode())
    value = VALUE.search(field.group()) if field else None
    if value is None:
        raise ValueError("the page has no form token")
    return value.group(1)


def comment_form(body: str, author: str) -> dict:
    """The comment form as a citizen fills it in (anonymous publication, no e-mail); it
    carries no token of the visitor's."""
    return {"body": body, "author_name": author, "organisation": "",
            "category": "individual", "region": "naryn", "gender": "", "email": "",
            "consent": "anonymous", "website": ""}


def receipt_code(response: http.client.HTTPResponse) -> str | None:
    """The receipt code a comment POST redirected to, or None (no receipt given)."""
    found = RECEIPT.search(response.getheader("Location", "") or "")
    return found.group(1) if response.status == 302 and found else None
