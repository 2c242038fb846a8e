"""Reading speed of the whole-document page against the same bytes served as a static file.

Builds a temporary SQLite database with a generated programme of 300 clauses in Kyrgyz,
Russian and English and 50,000 published comments, serves the app with gunicorn (2
workers) on a free port, and measures requests per second with concurrent keep-alive
clients (http.client threads) for:

  - the whole-document page   /ky/documents/bench-programme/
  - a clause page              /ky/documents/bench-programme/150/
  - the document page's bytes, written for the run into consult/static/bench-<random>.html
    and served by the same app and server (deleted afterwards)

    .venv/bin/python bench/document_page.py [--seconds 10] [--clients 8] [--workers 2]

Target: the document page at no less than half the static rate.
"""
from __future__ import annotations

import argparse
import http.client
import os
import random
import secrets
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from serving import fetch, free_port, run_together, start_gunicorn, wait_until_up  # noqa: E402

CLAUSES, CHAPTERS, COMMENTS = 300, 10, 50_000
SLUG = "bench-programme"
TARGET_RATIO = 0.5

WORDS = {
    "ky": ("корголуучу аймактар", "илбирс", "жаңгак-мөмө токойлору", "жайыттар", "мөңгүлөр",
           "суу-саздак жерлер", "биологиялык ар түрдүүлүк", "мониторинг", "жергиликтүү жамааттар"),
    "ru": ("охраняемые территории", "снежный барс", "орехово-плодовые леса", "пастбища",
           "ледники", "водно-болотные угодья", "биоразнообразие", "мониторинг",
           "местные сообщества"),
    "en": ("protected areas", "snow leopard", "walnut-fruit forests", "pastures", "glaciers",
           "wetlands", "biodiversity", "monitoring", "local communities"),
}
HEADINGS = {"ky": "{n}-глава. Бөлүм {n}", "ru": "Глава {n}. Раздел {n}",
            "en": "Chapter {n}. Part {n}"}


def source(lang: str) -> str:
    """The Markdown source of the generated programme in ``lang`` (DESIGN.md section 3)."""
    rng = random.Random(lang)
    lines = [f"Title: Benchmark programme ({lang})", f"Document: {SLUG}", "Kind: programme",
             "Version: 1", f"Language: {lang}", "", ]
    per_chapter = CLAUSES // CHAPTERS
    for number in range(1, CLAUSES + 1):
        if (number - 1) % per_chapter == 0:
            lines += [f"# {HEADINGS[lang].format(n=(number - 1) // per_chapter + 1)}", ""]
        words = ", ".join(rng.choice(WORDS[lang]) for _ in range(18))
        lines += [f"{number}. {words.capitalize()}.", ""]
        if number % 7 == 0:
            lines += [f"   1) {rng.choice(WORDS[lang])}", f"   2) {rng.choice(WORDS[lang])}", ""]
    return "\n".join(lines)


def prepare(folder: Path, database_url: str, on_document: int) -> None:
    """Create the database: the generated programme and 50,000 published comments,
    ``on_document`` of them on the whole document, the others spread over the clauses."""
    from sqlalchemy import insert, select

    from consult import create_app, db
    from consult.core.time import utcnow
    from consult.drafts.load import import_paths
    from consult.models import Base, Clause, Comment, Document

    drafts = folder / "drafts" / SLUG
    drafts.mkdir(parents=True)
    for lang in WORDS:
        (drafts / f"{lang}.md").write_text(source(lang), encoding="utf-8")
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "bench"})
    Base.metadata.create_all(app.extensions["consult.engine"])
    with app.app_context():
        session = db.session()
        _outcomes, problems = import_paths(session, [str(drafts)])
        assert not problems, problems
        document = session.scalar(select(Document).where(Document.slug == SLUG))
        clauses = session.execute(select(Clause.id, Clause.key).where(
            Clause.version_id == document.current_version_id)).all()
        assert len(clauses) == CLAUSES, len(clauses)
        rng, now = random.Random(7), utcnow()
        rows = []
        for n in range(COMMENTS):
            clause_id, key = rng.choice(clauses) if n >= on_document else (None, None)
            rows.append({
                "consultation_id": document.consultation_id, "document_id": document.id,
                "version_id": document.current_version_id, "clause_id": clause_id,
                "clause_key": key, "language": rng.choice(("ky", "ru", "en")),
                "body": f"Comment {n}: " + " ".join(rng.choice(WORDS["ru"]) for _ in range(25)),
                "author_name": f"Citizen {n}", "category": "individual", "region": "naryn",
                "consent": rng.choice(("full", "anonymous")), "state": "published",
                "receipt_code": secrets.token_urlsafe(16), "received_at": now,
                "moderated_at": now})
        session.execute(insert(Comment), rows)
        # Announced: the public sees a consultation (and its pages) only from then on.
        document.consultation.announced_at = now - timedelta(days=20)
        session.commit()
    app.extensions["consult.engine"].dispose()


def load(port: int, path: str, clients: int, seconds: float) -> tuple[float, int, int]:
    """Requests per second of ``path`` from ``clients`` threads, each on its own keep-alive
    connection (re-opened when the server closes it); returns (rate, requests, errors)."""
    counts, errors = [0] * clients, [0] * clients
    stop = time.perf_counter() + seconds

    def client(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.perf_counter() < stop:
            try:
                conn.request("GET", path, headers={"Accept-Encoding": "identity"})
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    counts[i] += 1
                else:
                    errors[i] += 1
            except (OSError, http.client.HTTPException):
                errors[i] += 1
                conn.close()
        conn.close()

    elapsed = run_together([threading.Thread(target=client, args=(i,))
                            for i in range(clients)])
    return sum(counts) / elapsed, sum(counts), sum(errors)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per measured page")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--on-document", type=int, default=1000, metavar="N",
                        help="how many of the comments are on the whole document (default "
                        "1000, i.e. 2%%); the rest are on clauses")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="document-page-"))
    database_url = f"sqlite:///{folder / 'bench.sqlite3'}"
    started = time.perf_counter()
    prepare(folder, database_url, args.on_document)
    print(f"database with {CLAUSES} clauses x 3 languages and {COMMENTS:,} published "
          f"comments ({args.on_document:,} on the whole document) built in "
          f"{time.perf_counter() - started:.1f} s")

    port = free_port()
    env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY="bench-secret")
    server = start_gunicorn(port, args.workers, env)
    document, clause = f"/ky/documents/{SLUG}/", f"/ky/documents/{SLUG}/150/"
    static_file = ROOT / "consult" / "static" / f"bench-{secrets.token_hex(6)}.html"
    static = f"/static/{static_file.name}"
    results = {}
    try:
        wait_until_up(port, document, server)
        page = fetch(port, document)
        static_file.write_bytes(page)
        assert fetch(port, static) == page
        for name, path in (("document page", document), ("clause page", clause),
                           ("static file", static)):
            load(port, path, args.clients, min(2.0, args.seconds))  # warm every worker
            results[name] = load(port, path, args.clients, args.seconds)
    finally:
        static_file.unlink(missing_ok=True)
        server.terminate()
        server.wait(timeout=30)

    print(f"gunicorn {args.workers} sync workers, SQLite WAL, {args.clients} keep-alive "
          f"clients, {args.seconds:.0f} s per page; document page {len(page):,} bytes")
    for name, (rate, done, errors) in results.items():
        print(f"  {name:<14} {rate:9.1f} req/s   ({done} requests, {errors} errors)")
    ratio = results["document page"][0] / results["static file"][0]
    ok = ratio >= TARGET_RATIO and not any(errors for _r, _d, errors in results.values())
    print(f"  document / static: {ratio:.2f}   (target >= {TARGET_RATIO:.2f})")
    print(f"  clause / static:   {results['clause page'][0] / results['static file'][0]:.2f}")
    print("  RESULT:", "target met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
