"""Read load through the deployed stack: nginx (deploy/nginx/consult.conf) in front of
gunicorn (deploy/gunicorn.conf.py, 4 workers) on PostgreSQL, the whole-document page and a
clause page at 64 concurrent readers, beside nginx serving the same bytes as a static file
in the same run.

Views measured for each page (requests/s, p99 latency):

- first view: a new reader (no cookie, no copy of the page), as the deployed stack answers
  them: from nginx's proxy cache, which the app fills once per page every few seconds
  (SHARED_CACHE_SECONDS) while readers keep coming; this is the proxy-cached view;
- revisit: the same, with the page's ETag in If-None-Match: 304 Not Modified from nginx;
- app renders, app revisit: the same two views for a visitor with a session cookie, for
  whom nginx bypasses its cache: the app answers (from its per-worker page cache), which
  measures the app itself (no target: the figure sizes the app servers);
- static: the page's bytes as a file under /static/.

The X-Cache header seen on each view is printed. The views take turns (five rounds of
every view, a fifth of the seconds each), so that a drift of the machine's speed
falls on all of them alike.

The load generator is wrk (Debian's package) when installed, else a Python client with
one thread per connection, which saturates long before nginx does (it says which).

    .venv/bin/python bench/read_load.py [--seconds 10] [--connections 64] [--workers 4]

The database is created on TEST_DATABASE_URL's server (default the local PostgreSQL) and
dropped after. Targets (issue 14): the first view at least half of nginx's static rate
with p99 under 100 ms; revisits and proxy-cached views within 20% of static.
"""
from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from serving import percentile, run_together  # noqa: E402

from tests.soak.servers import (  # noqa: E402
    REDIS_DB,
    Gunicorn,
    Nginx,
    app_environment,
    prepared_site,
)

FIRST_VIEW_SHARE, CLOSE_SHARE, TARGET_P99_MS = 0.5, 0.8, 100.0
# A cookie nginx bypasses its cache for, that names no session the app knows.
STRANGER = "session=returning-visitor"
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass
class Figures:
    rate: float  # requests per second
    p99_ms: float
    failures: int  # answers other than 2xx/3xx, and socket errors


def get(port: int, path: str, headers: dict | None = None):
    """One GET on a new connection: the response and its body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response, response.read()
    finally:
        connection.close()


# ------------------------------------------------------------------ load generators

def wrk(port: int, path: str, headers: dict, seconds: float, connections: int) -> Figures:
    # A slow answer is a latency to count, not a failure: wrk's own timeout is 2 s.
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
               "--latency", "--timeout", "30s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run([*command, f"http://127.0.0.1:{port}{path}"], capture_output=True,
                         text=True, timeout=seconds + 60, check=True).stdout
    p99 = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.MULTILINE)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       out)
    return Figures(float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
                   float(p99.group(1)) * UNITS[p99.group(2)],
                   (int(non_2xx.group(1)) if non_2xx else 0)
                   + (sum(map(int, errors.groups())) if errors else 0))


def threads_load(port: int, path: str, headers: dict, seconds: float,
                 connections: int) -> Figures:
    """The same measure without wrk: one thread and keep-alive connection per reader."""
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    until = time.monotonic() + seconds

    def reader():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, failed = [], 0
        while time.monotonic() < until:
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                failed += response.status >= 400
            except (OSError, http.client.HTTPException):
                failed += 1
                connection.close()
                continue
            mine.append((time.perf_counter() - started) * 1000)
        connection.close()
        with lock:
            latencies.extend(mine)
            failures[0] += failed

    elapsed = run_together([threading.Thread(target=reader) for _ in range(connections)])
    return Figures(len(latencies) / elapsed, percentile(latencies, 99),
                   failures[0])


# ------------------------------------------------------------------ the run

ROUNDS = 5


def interleaved(load, port: int, page_views: list, seconds: float,
                connections: int) -> dict[str, Figures]:
    """Each view's figures over ``seconds``, measured in ``ROUNDS`` turns of every view in
    a row: a shared machine's speed drifts over a minute, and a view measured a minute
    after the static file it is compared with would carry that drift (0.6 to 0.97 of
    static for the same page, measured one after the other). The rate is the mean of the
    turns (each as long as the others), the p99 the worst turn's."""
    for view in page_views:
        load(port, view.path, view.headers, 1, connections)  # warm-up
    turns: dict[str, list[Figures]] = {view.name: [] for view in page_views}
    for _turn in range(ROUNDS):
        for view in page_views:
            turns[view.name].append(load(port, view.path, view.headers, seconds / ROUNDS,
                                         connections))
    return {name: Figures(sum(f.rate for f in found) / len(found),
                          max(f.p99_ms for f in found), sum(f.failures for f in found))
            for name, found in turns.items()}


@dataclass
class View:
    name: str
    path: str
    headers: dict
    note: str  # what the stack answered this view with (status, X-Cache)


def views(port: int, path: str, static_path: str) -> list[View]:
    """The views of one page, each with what one request of it is answered with."""
    response, _ = get(port, path)
    tag = {"If-None-Match": response.getheader("ETag") or ""}
    found = []
    for name, view_path, headers in (("first view", path, {}),
                                     ("revisit", path, tag),
                                     ("app renders", path, {"Cookie": STRANGER}),
                                     ("app revisit", path, {"Cookie": STRANGER, **tag}),
                                     ("static file", static_path, {})):
        get(port, view_path, headers)  # a page nginx may keep is kept by now
        answer, _ = get(port, view_path, headers)
        found.append(View(name, view_path, headers, f"{answer.status} X-Cache: "
                          f"{answer.getheader('X-Cache') or '-'}"))
    return found


def publish_copy(port: int, path: str, static: Path, name: str) -> tuple[str, int]:
    """The page's bytes as a static file; its address and size."""
    response, body = get(port, path)
    if response.status != 200:
        raise SystemExit(f"{path}: HTTP {response.status}")
    (static / name).write_bytes(body)
    return f"/static/{name}", len(body)


def redis_or_memory() -> str:
    """Rate-limit storage as deployed when the machine has Redis (reads count nothing)."""
    url = f"redis://127.0.0.1:6379/{REDIS_DB}"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        return "memory://"
    return url


def check(figures: dict, static: Figures) -> list[str]:
    """What misses the targets of issue 14."""
    missed = []
    first = figures["first view"]
    if first.rate < FIRST_VIEW_SHARE * static.rate:
        missed.append(f"first view {first.rate:.0f}/s < half of static {static.rate:.0f}/s")
    if first.p99_ms >= TARGET_P99_MS:
        missed.append(f"first view p99 {first.p99_ms:.0f} ms >= {TARGET_P99_MS:.0f} ms")
    for name in ("first view", "revisit"):  # the first view is the proxy-cached one
        if figures[name].rate < CLOSE_SHARE * static.rate:
            missed.append(f"{name} {figures[name].rate:.0f}/s not within 20% of static "
                          f"{static.rate:.0f}/s")
    return missed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    server = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    load = wrk if shutil.which("wrk") else threads_load
    folder = Path(tempfile.mkdtemp(prefix="read-load-"))
    static = folder / "static"
    static.mkdir()
    missed: list[str] = []
    with prepared_site(server) as site:
        app = Gunicorn(app_environment(site.database_url, redis_or_memory()),
                       folder / "gunicorn.log", workers=args.workers)
        nginx = Nginx(folder / "nginx", [app.address], static=static)
        try:
            app.start()
            nginx.start()
            sizes = {path: len(get(nginx.port, path)[1]) for path in site.documents}
            pages = (("whole document", max(sizes, key=sizes.get)),
                     ("clause", site.clauses[0]))
            print(f"read load: nginx + gunicorn ({args.workers} workers, gthread) on "
                  f"PostgreSQL, {args.connections} readers, {args.seconds:.0f} s a view, "
                  f"load generator: {'wrk' if load is wrk else 'Python threads (no wrk)'}, "
                  f"no compression asked for; {os.cpu_count()} CPUs, load average "
                  f"{os.getloadavg()[0]:.1f} at the start")
            for label, path in pages:
                static_path, size = publish_copy(nginx.port, path, static,
                                                 f"{label.replace(' ', '-')}.html")
                print(f"\n{label}: {path} ({size / 1024:.0f} KB)")
                page_views = views(nginx.port, path, static_path)
                figures = interleaved(load, nginx.port, page_views, args.seconds,
                                      args.connections)
                for view in page_views:
                    result = figures[view.name]
                    print(f"  {view.name:13s} {result.rate:9.0f} req/s   p99 "
                          f"{result.p99_ms:7.1f} ms   failures {result.failures:5d}   "
                          f"answered {view.note}")
                missed += [f"{label}: {item}" for item in
                           check(figures, figures["static file"])]
        finally:
            nginx.stop()
            app.stop()
    shutil.rmtree(folder, ignore_errors=True)
    print("\nRESULT:", "targets met" if not missed else "TARGETS MISSED")
    for item in missed:
        print("  -", item)
    return 0 if not missed else 1


if __name__ == "__main__":
    sys.exit(main())
