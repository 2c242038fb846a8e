"""Benchmark: a 5,000-row filled hearing kit validated and imported.

Target: under 5 seconds and under 200 MB of memory (Python allocations, tracemalloc peak;
the process's peak resident size grows by about the same). Run:

    .venv/bin/python bench/hearing_import.py

Uses a throw-away SQLite database with the demonstration drafts.
"""
from __future__ import annotations

import io
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import openpyxl
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from consult import ROOT, create_app, db  # noqa: E402
from consult.models import Base, Comment, Hearing  # noqa: E402

ROWS = 5_000
TARGET_SECONDS = 5.0
TARGET_MB = 200


def main() -> int:
    folder = tempfile.mkdtemp()
    app = create_app({"DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3",
                      "SECRET_KEY": "bench"})
    Base.metadata.create_all(app.extensions["consult.engine"])
    from flask import g

    from consult.drafts.load import import_paths
    from consult.hearings.kit import kit_workbook
    from consult.hearings.schedule import load_schedule
    from consult.intake.kit import import_kit
    with app.test_request_context("/en/"):
        g.lang = "en"
        session = db.session()
        import_paths(session, [str(ROOT / "drafts")])
        load_schedule(session, ROOT / "drafts" / "hearings.json")
        session.commit()
        hearings = session.scalars(select(Hearing).order_by(Hearing.id)).all()
        # A kit belongs to its hearing: one filled kit for each of the two runs.
        data, second = (filled_kit(session, hearing, kit_workbook) for hearing in hearings[:2])

        # Timed run, without tracing (tracemalloc itself slows Python down severalfold).
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        outcome = import_kit(session, hearings[0], data, "bench.xlsx", actor=None)
        session.commit()
        seconds = time.perf_counter() - started
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        # Memory run: the same rows in the other hearing's kit (all new again), traced.
        tracemalloc.start()
        traced = import_kit(session, hearings[1], second, "bench.xlsx", actor=None)
        session.commit()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        stored = session.scalar(select(func.count()).select_from(Comment))

    assert traced.added == ROWS
    assert not outcome.problems, outcome.problems[:5]
    assert outcome.added == ROWS and stored == 2 * ROWS, (outcome.added, stored)
    peak_mb = peak / 1024 / 1024
    rss_mb = (rss_after - rss_before) / 1024
    print(f"hearing kit: {ROWS} rows, {len(data) / 1024:.0f} KB validated and imported")
    print(f"  time   {seconds:6.2f} s   (target < {TARGET_SECONDS:.0f} s)   "
          f"{'OK' if seconds < TARGET_SECONDS else 'TOO SLOW'}")
    print(f"  memory {peak_mb:6.1f} MB  (target < {TARGET_MB} MB, tracemalloc peak)   "
          f"{'OK' if peak_mb < TARGET_MB else 'TOO MUCH'}")
    print(f"  peak resident size grew by {rss_mb:.1f} MB during the timed run")
    return 0 if seconds < TARGET_SECONDS and peak_mb < TARGET_MB else 1


def filled_kit(session, hearing, kit_workbook) -> bytes:
    """``hearing``'s kit with ROWS contributions typed in, as bytes."""
    template = kit_workbook(session, hearing, "en")
    workbook = openpyxl.load_workbook(io.BytesIO(template))
    clauses = [row[:2] for row in workbook["Clauses"].iter_rows(min_row=2, values_only=True)]
    sheet = workbook["Comments"]
    for n in range(ROWS):
        document, key = clauses[n % len(clauses)]
        sheet.append([document, key, f"Speaker {n}", "Village council", "Individual",
                      "Female" if n % 2 else "Male", "Кыргызча", "Hearing (oral)",
                      f"Contribution number {n}: keep the pastures open to herders. " * 3])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


if __name__ == "__main__":
    sys.exit(main())
