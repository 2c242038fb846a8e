"""The production stack on loopback: nginx with the site from deploy/nginx/consult.conf in
front of gunicorn started with deploy/gunicorn.conf.py, on a PostgreSQL database of its own
and Redis for the rate limits.

nginx runs as the current user from a configuration rendered into a temporary folder by
``render_nginx_config``: the deployed site with plain HTTP on a free port instead of TLS,
the test's app servers as upstreams, temporary paths for everything nginx writes and the
static alias pointing at this checkout. Every location rule stays as deployed, so the tests
exercise the real configuration (``test_nginx_config`` checks that they do).
"""
from __future__ import annotations

import contextlib
import http.client
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from bench.serving import free_port
from consult import ROOT, create_app, db
from consult.demo import DEMO_ACCOUNTS, prepare
from consult.models import Clause, Document
from tests.conftest import _postgres_database

NGINX = os.environ.get("NGINX_PATH") or shutil.which("nginx") or "/usr/sbin/nginx"
SITE = ROOT / "deploy" / "nginx" / "consult.conf"
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
STATIC = ROOT / "consult" / "static"
SECRET_KEY = "soak-secret-shared-by-every-app-server"
PASSWORD = "correct horse battery staple"
# A Redis database of its own (tests/test_health.py and test_hardening.py use 15).
REDIS_DB = 14
# Loads come from one address (127.0.0.1): the limits are raised far above what they send.
HIGH_LIMITS = {"COMMENT_RATE_LIMIT": "1000000 per minute",
               "LOGIN_RATE_LIMIT": "1000000 per minute",
               "RECEIPT_RATE_LIMIT": "1000000 per minute"}
DEPLOYED_STATIC = "/srv/consult/consult/static/"


# ------------------------------------------------------------------ the nginx configuration

def _substitute(pattern: str, replacement: str, text: str, optional: bool = False) -> str:
    """``text`` with the one match of ``pattern`` replaced (or none, if ``optional``); a
    deployed file that no longer has it fails loudly instead of leaving the test on a
    configuration nobody deploys."""
    changed, count = re.subn(pattern, lambda _match: replacement, text, flags=re.MULTILINE)
    if count != 1 and not (optional and count == 0):
        raise ValueError(f"deploy/nginx/consult.conf: expected one match of {pattern!r}, "
                         f"found {count}")
    return changed


def block_end(text: str, start: int) -> int:
    """Where the block whose header begins at ``start`` ends (after its closing brace);
    braces in comments do not count."""
    depth = 0
    for match in re.finditer(r"#[^\n]*|\{|\}", text[start:]):
        if match.group() == "{":
            depth += 1
        elif match.group() == "}":
            depth -= 1
            if depth == 0:
                return start + match.end()
    raise ValueError("unbalanced braces in the nginx configuration")


def blocks(text: str, header: str) -> list[str]:
    """The blocks of ``text`` whose header line matches ``header`` (a regex: "server",
    "location"), each with its header."""
    return [text[m.start():block_end(text, m.start())]
            for m in re.finditer(rf"^[ \t]*{header}\b[^;{{}}\n]*\{{", text, re.MULTILINE)]


def _without_redirect_server(site: str) -> str:
    """The site without its port-80 server (the redirect to HTTPS and the ACME folder)."""
    plain = [block for block in blocks(site, "server") if re.search(r"listen 80;", block)]
    if len(plain) != 1:
        raise ValueError("deploy/nginx/consult.conf: expected one server on port 80")
    return site.replace(plain[0], "", 1)


def _upstreams(site: str, upstreams: Sequence[str]) -> str:
    """The upstream block with one ``server`` line per address, with the deployed line's
    parameters (max_fails, fail_timeout)."""
    block = re.search(r"upstream consult_app \{.*?\n\}", site, re.DOTALL)
    if block is None:
        raise ValueError("deploy/nginx/consult.conf: no upstream consult_app")
    servers = list(re.finditer(r"^(\s*)server\s+\S+?(\s[^;\n]*)?;$", block.group(),
                               re.MULTILINE))
    if len(servers) != 1:
        raise ValueError("deploy/nginx/consult.conf: expected one active upstream server")
    indent, parameters = servers[0].group(1), servers[0].group(2) or ""
    lines = "\n".join(f"{indent}server {address}{parameters};" for address in upstreams)
    first = servers[0]
    body = block.group()[:first.start()] + lines.lstrip("\n") + block.group()[first.end():]
    return site[:block.start()] + body + site[block.end():]


def render_site(site: str, port: int, upstreams: Sequence[str], folder: Path,
                static: Path = STATIC) -> str:
    """The deployed site, changed only where a test on loopback must differ: plain HTTP on
    127.0.0.1:``port`` instead of TLS, ``upstreams`` as the app servers, the cache in
    ``folder`` and the static files of ``static``."""
    site = _without_redirect_server(site)
    site = _upstreams(site, upstreams)
    site = _substitute(r"/var/cache/nginx/consult\b", str(folder / "cache"), site)
    site = _substitute(r"/var/log/nginx/consult\.access\.log", str(folder / "access.log"),
                       site)
    # HTTP/2 is said on the listen line (nginx before 1.25.1, Debian 12) or on its own.
    site = _substitute(r"^\s*listen 443 ssl( http2)?;$", f"    listen 127.0.0.1:{port};", site)
    site = _substitute(r"^\s*http2 on;\n", "", site, optional=True)
    for directive in (r"listen \[::\]:443 ssl( http2)?;", r"ssl_certificate\s.*;",
                      r"ssl_certificate_key\s.*;", r"ssl_protocols\s.*;"):
        site = _substitute(rf"^\s*{directive}\n", "", site)
    return _substitute(re.escape(f"alias {DEPLOYED_STATIC};"), f"alias {static}/;", site)


def render_nginx_config(site: str, port: int, upstreams: Sequence[str], folder: Path,
                        static: Path = STATIC) -> str:
    """A complete nginx.conf around the rendered site, as Debian's /etc/nginx/nginx.conf
    wraps the sites it includes, with every path nginx writes inside ``folder``."""
    # As root nginx would hand its workers to "nobody", who may not write in ``folder``.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
    temp = "\n".join(f"    {kind}_temp_path {folder / kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""{user}daemon off;
worker_processes 2;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 1024; }}
http {{
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {folder / "access.log"};
    gzip on;
{temp}
{render_site(site, port, upstreams, folder, static)}
}}
"""


# ------------------------------------------------------------------ processes

def wait_for(check, seconds: float, what: str, alive=None) -> None:
    """Poll ``check()`` until it is true; fail after ``seconds`` or when ``alive()`` is
    false (the process died)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            raise RuntimeError(f"{what}: the process exited")
        with contextlib.suppress(OSError, http.client.HTTPException):
            if check():
                return
        time.sleep(0.2)
    raise RuntimeError(f"{what}: not within {seconds:.0f} s")


def get_status(port: int, path: str, timeout: float = 5) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def tail(path: Path, lines: int = 30) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


class Nginx:
    """nginx with the deployed site in front of ``upstreams`` (host:port), on a free port,
    serving /static/ from ``static``."""

    def __init__(self, folder: Path, upstreams: Sequence[str], static: Path = STATIC):
        self.folder = folder
        self.port = free_port()
        folder.mkdir(parents=True, exist_ok=True)
        self.config = folder / "nginx.conf"
        self.config.write_text(render_nginx_config(SITE.read_text(), self.port, upstreams,
                                                   folder, static), encoding="utf-8")
        self.process: subprocess.Popen | None = None

    def _command(self, *extra: str) -> list[str]:
        # -e: the error log from the very start (before the configuration is read).
        return [NGINX, "-p", str(self.folder), "-c", str(self.config), "-e",
                str(self.folder / "error.log"), *extra]

    def start(self) -> Nginx:
        checked = subprocess.run(self._command("-t"), capture_output=True, text=True,
                                 timeout=30)
        if checked.returncode != 0:
            raise RuntimeError(f"nginx -t refused the rendered site:\n{checked.stderr}")
        self.process = subprocess.Popen(self._command(), stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        wait_for(lambda: get_status(self.port, "/healthz") in (200, 502), 15, "nginx",
                 alive=lambda: self.process.poll() is None)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: answers in flight go out
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


class Gunicorn:
    """gunicorn started as deployed (``-c deploy/gunicorn.conf.py``) on a free port, its
    output in ``log``."""

    def __init__(self, env: dict, log: Path, workers: int = 4, port: int | None = None):
        self.port = port or free_port()
        self.log = log
        self.env = dict(env, GUNICORN_WORKERS=str(workers),
                        GUNICORN_BIND=f"127.0.0.1:{self.port}",
                        # Stopping a server in a test must not wait half a minute.
                        GUNICORN_GRACEFUL_TIMEOUT="5")
        self.process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> Gunicorn:
        gunicorn = Path(sys.executable).with_name("gunicorn")
        with open(self.log, "a", encoding="utf-8") as log:
            self.process = subprocess.Popen(
                [str(gunicorn), "-c", str(GUNICORN_CONF), "wsgi:app"], cwd=ROOT,
                env=self.env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: get_status(self.port, "/readyz") == 200, 60, "gunicorn /readyz",
                     alive=lambda: self.process.poll() is None)
        except RuntimeError as error:
            raise RuntimeError(f"{error}\n{tail(self.log)}") from None
        return self

    def workers(self) -> list[int]:
        """The process ids of the master's workers (Linux /proc)."""
        pid = self.process.pid
        try:
            return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:
            return []

    def kill_worker(self) -> int:
        """``kill -9`` one worker in the middle of what it serves; its id."""
        worker = self.workers()[0]
        os.kill(worker, signal.SIGKILL)
        return worker

    def kill_master(self) -> None:
        """``kill -9`` the master, then its workers, as systemd does with what is left of a
        unit whose main process died (deploy/systemd/consult.service: KillMode=mixed)."""
        workers = self.workers()
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        for worker in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(w) for w in workers):
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def served(self, method: str, path: str, user_agent: str) -> list[int]:
        """The statuses this server's access log shows for ``method path`` sent by
        ``user_agent`` (deploy/gunicorn.conf.py logs the request line, status and agent)."""
        pattern = re.compile(rf'"{method} {re.escape(path)} HTTP/[\d.]+" (\d{{3}}) .*'
                             rf'"{re.escape(user_agent)}"$')
        return [int(m.group(1)) for m in map(pattern.search, self.log.read_text(
            errors="replace").splitlines()) if m]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A child of ours reaped by nobody yet is a zombie: gone for every purpose here.
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return False


def app_environment(database_url: str, redis_url: str, **settings: str) -> dict:
    """The environment of an app server: as deploy/consult.env.example sets it (one
    SECRET_KEY, Redis, behind one proxy), without TLS cookies on plain HTTP."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("GUNICORN_", "CONSULT_"))}
    env.update(DATABASE_URL=database_url, SECRET_KEY=SECRET_KEY,
               RATELIMIT_STORAGE_URI=redis_url, BEHIND_PROXY="1", PROXY_COUNT="1",
               TRUSTED_PROXIES="127.0.0.1,::1", GUNICORN_LOG_LEVEL="warning",
               **HIGH_LIMITS)
    env.update(settings)
    return env


# ------------------------------------------------------------------ the database

@dataclass(frozen=True)
class Site:
    """A prepared database and the public pages a reader of it opens."""
    database_url: str
    notice: str
    documents: tuple[str, ...]
    clauses: tuple[str, ...]
    moderator: tuple[str, str]  # e-mail, password


@contextlib.contextmanager
def prepared_site(server_url: str, lang: str = "en") -> Iterator[Site]:
    """A new database on the PostgreSQL server ``server_url``, migrated and filled as
    ``consult demo`` fills it (drafts, hearings, staff, the period open); dropped after."""
    with contextlib.contextmanager(_postgres_database)(server_url) as url:
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET_KEY})
        accounts = prepare(app, {role: PASSWORD for _email, role in DEMO_ACCOUNTS})
        with app.app_context():
            rows = db.session().execute(select(Document.slug, Clause.key).join(
                Clause, Clause.version_id == Document.current_version_id)
                .order_by(Document.slug, Clause.position)).all()
        app.extensions["consult.engine"].dispose()
        moderator = next((email, password) for email, role, password in accounts
                         if role == "moderator")
        yield Site(url, f"/{lang}/",
                   tuple(dict.fromkeys(f"/{lang}/documents/{slug}/" for slug, _ in rows)),
                   tuple(f"/{lang}/documents/{slug}/{key}/" for slug, key in rows),
                   moderator)
