"""Load test of the comment form: gunicorn (2 gthread workers) on SQLite, 16 concurrent citizens.

Each simulated citizen is a fresh browser visit: on one keep-alive connection with its own
cookies it opens a clause page and posts a comment through its form, as a browser does
(saying where the form comes from: Origin and Sec-Fetch-Site). Prints accepted comments per
second, p50/p99 latency of the comment POST, and checks that the database holds exactly
as many comments as receipts were returned.

Before the clock starts, every clause page is opened once, as readers have opened them on a
site in service: the rate is that of a running site, not of the first seconds after a start,
when each worker compiles its templates and each page is rendered for the first time (about
160 pages, a tenth of the run's CPU). ``--cold`` starts the clock at once, to measure those.

The target counts the comment form alone: the page (nginx's cache) and the post. A browser
then follows the redirect to the receipt, the commenter's own page, which the app renders
for each of them (not kept by nginx); ``--receipt`` opens it too, to measure the whole
visit.

    .venv/bin/python bench/comment_load.py [--comments 2000] [--clients 16] [--workers 2]
                                           [--cold] [--receipt]

Target: at least 150 comments/s, p99 under 250 ms, nothing lost.
"""
from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from serving import (  # noqa: E402
    Browser,
    comment_form,
    fetch,
    free_port,
    percentile,
    receipt_code,
    run_together,
    start_gunicorn,
    wait_until_up,
)

TARGET_RATE, TARGET_P99_MS = 150.0, 250.0


def prepare(database_url: str) -> list[str]:
    """Build the database with the demonstration drafts, open for comments; return the
    clause page paths to comment on."""
    from sqlalchemy import select

    from consult import create_app, db
    from consult.core.consultation import current_consultation, set_period
    from consult.core.time import utcnow
    from consult.drafts.load import import_paths
    from consult.hearings.schedule import load_schedule
    from consult.models import Base, Clause, Document

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "bench"})
    Base.metadata.create_all(app.extensions["consult.engine"])
    with app.app_context():
        session = db.session()
        _outcomes, problems = import_paths(session, [str(ROOT / "drafts")])
        assert not problems, problems
        # The notice's authority, developer and contact: a period opens on a whole notice.
        load_schedule(session, ROOT / "drafts" / "hearings.json")
        consultation = current_consultation(session)
        set_period(session, consultation, utcnow() - timedelta(days=1),
                   utcnow() + timedelta(days=30), actor=None)
        # Announced: the public sees a consultation (and its pages) only from then on.
        consultation.announced_at = utcnow() - timedelta(days=20)
        session.commit()
        rows = session.execute(select(Document.slug, Clause.key).join(
            Clause, Clause.version_id == Document.current_version_id)).all()
    app.extensions["consult.engine"].dispose()
    return [f"/ky/documents/{slug}/{key}/" for slug, key in rows]


def count_comments(database_url: str) -> int:
    from sqlalchemy import create_engine, func, select

    from consult.models import Comment
    engine = create_engine(database_url)
    with engine.connect() as conn:
        n = conn.scalar(select(func.count()).select_from(Comment))
    engine.dispose()
    return n


def start_redis() -> tuple[subprocess.Popen | None, str]:
    """A private Redis for the rate limiter, as in production with several workers (memory
    storage counts per worker); falls back to memory storage when Redis is not installed."""
    binary = shutil.which("redis-server")
    if binary is None:
        return None, "memory://"
    port = free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1",
                                "--save", "", "--appendonly", "no"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process, f"redis://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    process.terminate()
    return None, "memory://"


def citizen(port: int, paths: list[str], jobs: list[int], lock: threading.Lock,
            latencies: list[float], receipts: list[str], failures: list[str], ident: int,
            visit_every: int, follow: bool = False):
    """One client: open a clause page in a fresh browser and post a comment; a new visit
    (fresh cookies, page fetched again) every ``visit_every`` comments, the comments in
    between posted from the clause pages the visitor moves to. ``follow``: then open the
    receipt the answer redirects to, as a browser does."""
    done, browser = 0, None
    while True:
        with lock:
            if not jobs:
                break
            n = jobs.pop()
        path = paths[n % len(paths)]
        try:
            if done % visit_every == 0:
                if browser is not None:
                    browser.close()
                browser = Browser(port, f"comment-load/{ident * 100_000 + done}")
                browser.request("GET", path)
            done += 1
            form = comment_form(f"Load test comment {n} from client {ident}.\n"
                                "Токойлорду коргоо керек.", f"Citizen {n}")
            started = time.perf_counter()
            answer, _ = browser.request("POST", path, form)
            elapsed = time.perf_counter() - started
            code = receipt_code(answer)
            if code is None:
                failures.append(f"{n}: HTTP {answer.status}")
                continue
            if follow:
                shown, _ = browser.request("GET", answer.getheader("Location"))
                if shown.status != 200:
                    failures.append(f"{n}: receipt HTTP {shown.status}")
            with lock:
                latencies.append(elapsed)
                receipts.append(code)
        except Exception as error:  # a lost comment is reported, not hidden
            failures.append(f"{n}: {error!r}")
            browser = None
            done = 0
    if browser is not None:
        browser.close()


def worker_cpu_seconds(master_pid: int) -> float:
    """CPU time (user + system) used so far by the gunicorn workers (Linux /proc)."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    try:
        children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
        for pid in children:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    except OSError:
        return float("nan")
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--comments", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--visit-every", type=int, default=1, metavar="N",
                        help="fetch the page (new browser, new cookies) before every N-th "
                        "comment; 1 = before every comment")
    parser.add_argument("--stack", choices=("gunicorn-sqlite", "nginx-postgres"),
                        default="gunicorn-sqlite",
                        help="gunicorn alone on SQLite, or the deployed stack: nginx "
                        "(deploy/nginx/consult.conf) in front of gunicorn "
                        "(deploy/gunicorn.conf.py) on PostgreSQL (TEST_DATABASE_URL's "
                        "server) with Redis")
    parser.add_argument("--receipt", action="store_true",
                        help="open the receipt after each comment, as a browser follows the "
                        "form's redirect (it is each commenter's own page: the app renders it)")
    parser.add_argument("--cold", action="store_true",
                        help="start the clock at once: no page opened before (a site just "
                        "started: workers and pages cold)")
    args = parser.parse_args()
    if args.stack == "nginx-postgres":
        return run_on_the_deployed_stack(args)

    folder = Path(tempfile.mkdtemp(prefix="comment-load-"))
    database_url = f"sqlite:///{folder / 'bench.sqlite3'}"
    paths = prepare(database_url)
    redis, storage = start_redis()
    port = free_port()
    env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY="bench-secret",
               COMMENT_RATE_LIMIT="1000000 per minute", RATELIMIT_STORAGE_URI=storage)
    # gthread workers keep a browser's connection open between its page and its post,
    # as the deployment in the README does.
    server = start_gunicorn(port, args.workers, env, "--worker-class", "gthread",
                            "--threads", "4")
    try:
        wait_until_up(port, paths[0], server)
        receipts, latencies, failures, elapsed, cpu, client_cpu, load = load_comments(
            port, paths, args, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
        if redis is not None:
            redis.terminate()
            redis.wait(timeout=10)

    stored = count_comments(database_url)
    return report(args, storage, "SQLite WAL", receipts, latencies, failures, elapsed, cpu,
                  client_cpu, load, stored)


def load_comments(port: int, paths: list[str], args, server_pid: int) -> tuple:
    """Run the citizens against ``port``; (receipts, latencies, failures, elapsed, server
    CPU, client CPU, load average)."""
    if not args.cold:
        for path in paths:
            fetch(port, path)  # a new reader's first view; anything but 200 stops the run
    jobs = list(range(args.comments))[::-1]
    lock = threading.Lock()
    latencies: list[float] = []
    receipts: list[str] = []
    failures: list[str] = []
    threads = [threading.Thread(target=citizen, args=(
        port, paths, jobs, lock, latencies, receipts, failures, i, args.visit_every,
        args.receipt))
        for i in range(args.clients)]
    cpu_before = worker_cpu_seconds(server_pid)
    client_cpu_before = time.process_time()
    elapsed = run_together(threads)
    return (receipts, latencies, failures, elapsed, worker_cpu_seconds(server_pid) - cpu_before,
            time.process_time() - client_cpu_before, os.getloadavg()[0])


def run_on_the_deployed_stack(args) -> int:
    """The comment load through nginx in front of gunicorn on PostgreSQL and Redis, the
    servers started as the soak tests start them (tests/soak/servers.py)."""
    from tests.soak.servers import (  # bench-only: the soak tests' stack, reused
        Gunicorn,
        Nginx,
        app_environment,
        prepared_site,
    )
    server_url = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    folder = Path(tempfile.mkdtemp(prefix="comment-load-"))
    storage = "redis://127.0.0.1:6379/13"
    with prepared_site(server_url) as site:
        before = count_comments(site.database_url)
        app = Gunicorn(app_environment(site.database_url, storage), folder / "gunicorn.log",
                       workers=args.workers)
        nginx = Nginx(folder / "nginx", [app.address])
        try:
            app.start()
            nginx.start()
            paths = list(site.clauses)
            receipts, latencies, failures, elapsed, cpu, client_cpu, load = load_comments(
                nginx.port, paths, args, app.process.pid)
        finally:
            nginx.stop()
            app.stop()
        stored = count_comments(site.database_url) - before
    if os.environ.get("BENCH_KEEP_LOGS"):
        print(f"logs kept in {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    return report(args, storage, "PostgreSQL behind nginx", receipts, latencies, failures,
                  elapsed, cpu, client_cpu, load, stored)


def report(args, storage, database, receipts, latencies, failures, elapsed, cpu, client_cpu,
           load, stored) -> int:
    rate = len(receipts) / elapsed
    p50 = percentile(latencies, 50) * 1000
    p99 = percentile(latencies, 99) * 1000
    lost = args.comments - len(receipts)
    ok = rate >= TARGET_RATE and p99 < TARGET_P99_MS and stored == len(receipts) == \
        len(set(receipts)) and lost == 0
    print(f"comment load: {args.comments} comments, {args.clients} clients, "
          f"gunicorn {args.workers} workers, {database}, rate limit storage "
          f"{storage.split(':')[0]}, a page fetched before every {args.visit_every} comment(s), "
          + ("started cold" if args.cold else "every page opened once before the clock")
          + (", each receipt opened after its comment" if args.receipt else ""))
    print(f"  accepted comments/s: {rate:8.1f}   (target >= {TARGET_RATE:.0f})")
    print(f"  POST latency p50:    {p50:8.1f} ms")
    print(f"  POST latency p99:    {p99:8.1f} ms (target < {TARGET_P99_MS:.0f} ms)")
    print(f"  server CPU/comment:  {cpu / max(len(receipts), 1) * 1000:8.1f} ms "
          f"(page fetch included; {args.workers} workers at full CPU could take "
          f"{args.workers * len(receipts) / cpu if cpu else float('nan'):.0f}/s)")
    print(f"  client CPU/comment:  {client_cpu / max(len(receipts), 1) * 1000:8.1f} ms "
          f"(the simulated browsers share the same machine)")
    print(f"  machine load average during the run: {load:.1f} on {os.cpu_count()} CPUs")
    print(f"  receipts returned:   {len(receipts):8d}   distinct: {len(set(receipts))}")
    print(f"  comments in database:{stored:8d}   (must equal receipts)")
    print(f"  failed requests:     {len(failures):8d}" + (f"  e.g. {failures[:3]}"
                                                         if failures else ""))
    print("  RESULT:", "target met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
