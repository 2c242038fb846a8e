"""Results page, publishing check, open-data API and CSV download with 100,000 comments.

Builds a SQLite database with the demonstration drafts, 5 hearings and 100,000 answered
comments spread over the clauses (some grouped, some hidden), then times, through the
Flask test client: the publishing check, the results page with its totals, the first,
a middle and the last page of a document's comments, an API page of 500 comments deep
in the list, and the whole CSV download.

    .venv/bin/python bench/results_page.py [--comments 100000]

Target: every page and the publishing check under 0.5 s (the results page also on
its first, uncached view); the CSV no more than 1.5 times its floor, reading the same
rows with consult.synthesis.rows.iter_rows alone.
"""
from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGE_TARGET, CSV_RATIO = 0.5, 1.5


def build(app, total: int) -> None:
    """The drafts, 5 hearings and ``total`` answered comments, inserted in bulk."""
    from sqlalchemy import insert, select

    from consult import db
    from consult.core.consultation import current_consultation
    from consult.core.time import utcnow
    from consult.core.vocab import CHANNELS
    from consult.drafts.load import import_paths
    from consult.models import (
        Clause,
        Comment,
        Document,
        DuplicateGroup,
        Hearing,
        Response,
    )

    with app.app_context():
        session = db.session()
        _outcomes, problems = import_paths(session, [str(ROOT / "drafts")])
        assert not problems, problems
        consultation = current_consultation(session)
        # A consultation whose period has closed: the results may be published.
        consultation.announced_at = utcnow() - timedelta(days=60)
        consultation.opens_at = utcnow() - timedelta(days=50)
        consultation.closes_at = utcnow() - timedelta(days=5)
        hearings = [Hearing(consultation_id=consultation.id, slug=f"h{n}",
                            city={"en": f"City {n}"}, starts_at=utcnow()) for n in range(5)]
        session.add_all(hearings)
        session.flush()
        clauses = session.execute(select(Document.id, Document.current_version_id, Clause.id,
                                         Clause.key).join(
            Clause, Clause.version_id == Document.current_version_id)).all()
        groups = [DuplicateGroup(document_id=clauses[0][0], clause_key=clauses[0][3])
                  for _ in range(50)]
        session.add_all(groups)
        session.flush()
        now = utcnow()
        rows = []
        for n in range(total):
            doc_id, version_id, clause_id, key = clauses[n % len(clauses)]
            hearing = hearings[n % 5].id if n % 3 == 0 else None
            rows.append(dict(
                consultation_id=consultation.id, document_id=doc_id, version_id=version_id,
                clause_id=clause_id, clause_key=key,
                channel="hearing-oral" if hearing else CHANNELS.codes[n % 2 * 3],
                hearing_id=hearing, language="ru", body=f"Comment number {n} " * 5,
                author_name=f"Person {n}", consent=("full", "anonymous", "none")[n % 3],
                email=f"person{n}@example.org", receipt_code=secrets.token_hex(8),
                received_at=now, state="hidden" if n % 50 == 0 else "published",
                hidden_reason="abuse" if n % 50 == 0 else "", in_period=True,
                category="individual", region="naryn", gender="female",
                group_id=groups[n % 50].id if n % 997 == 0 else None,
                created_at=now, updated_at=now, submission_key="", moderation_note=""))
        for start in range(0, total, 5000):
            session.execute(insert(Comment), rows[start:start + 5000])
        ids = session.execute(select(Comment.id, Comment.group_id)).all()
        # Approved by a lead drafter, as publication requires.
        answers = [dict(comment_id=cid, status="noted", rationale="Taken into account.",
                        change="no change", revision=1, created_at=now, updated_at=now,
                        ready_at=now, approved_at=now)
                   for cid, gid in ids if gid is None]
        answers += [dict(group_id=g.id, status="not-accepted", rationale="Campaign.",
                         change="", revision=1, created_at=now, updated_at=now,
                         ready_at=now, approved_at=now) for g in groups]
        for start in range(0, len(answers), 5000):
            session.execute(insert(Response), answers[start:start + 5000])
        session.commit()


def timed(label: str, fn, target: float) -> float:
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    print(f"{label:<48} {elapsed:7.3f} s  (target < {target} s)"
          f"{'' if elapsed < target else '  ** over target **'}")
    return result


def page_getter(client):
    """``get(url)`` gives a function that fetches ``url`` and insists on a 200 answer."""
    def get(url):
        def fetch():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return response.get_data()
        return fetch
    return get


def built_app(comments: int):
    """An app on a fresh temporary SQLite database holding ``comments`` answered comments."""
    from consult import create_app
    from consult.models import Base
    folder = tempfile.mkdtemp()
    app = create_app({"DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3",
                      "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
    Base.metadata.create_all(app.extensions["consult.engine"])
    start = time.perf_counter()
    build(app, comments)
    print(f"built {comments} comments in {time.perf_counter() - start:.1f} s")
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=100_000)
    args = parser.parse_args()

    from sqlalchemy import select

    from consult import db
    from consult.core.consultation import current_consultation
    from consult.models import Document
    from consult.publication import results as publish

    app = built_app(args.comments)

    with app.app_context():
        session = db.session()
        consultation = current_consultation(session)
        timed("publishing check and publish", lambda: publish.publish(
            session, consultation, None), PAGE_TARGET)
        session.commit()
        slug = session.scalar(select(Document.slug).join(
            Document.consultation).order_by(Document.position).limit(1))
        total = publish.comment_count(session, session.scalar(
            select(Document).where(Document.slug == slug)))
    last = -(-total // publish.RESULTS_PER_PAGE)
    get = page_getter(app.test_client())

    timed("results page with totals (first view)", get("/ky/results/"), PAGE_TARGET)
    timed("results page with totals (again)", get("/ru/results/"), PAGE_TARGET)
    timed(f"document page 1 of {last}", get(f"/ky/results/{slug}/"), PAGE_TARGET)
    timed(f"document page {last // 2} of {last}", get(f"/ky/results/{slug}/?page={last // 2}"),
          PAGE_TARGET)
    timed(f"document page {last} of {last}", get(f"/ky/results/{slug}/?page={last}"),
          PAGE_TARGET)
    deep = max(1, args.comments // 500 - 1)
    timed(f"API comments page {deep}, 500 per page",
          get(f"/api/v1/comments?per_page=500&page={deep}"), PAGE_TARGET)
    with app.test_request_context("/ru/results/"):
        from consult.synthesis.rows import iter_rows
        start = time.perf_counter()
        for _row in iter_rows(db.session(), lang="ru", public=True):
            pass
        floor = time.perf_counter() - start
    print(f"{'floor: iter_rows alone':<48} {floor:7.3f} s")
    body = timed(f"CSV download, {args.comments} rows", get("/ru/results/synthesis.csv"),
                 round(CSV_RATIO * floor, 1))
    rows = body.count(b"\n") - 1
    print(f"CSV: {len(body) / 1e6:.1f} MB, {rows} rows, "
          f"e-mail addresses: {body.count(b'@example.org')}")


if __name__ == "__main__":
    main()
