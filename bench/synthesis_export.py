"""Benchmark: the synthesis workbook for 100,000 comments, and answers for all of them back.

Targets (issue 5): export time at most 1.5 x the floor (bare openpyxl write-only writing
the same Comments cell values in the same process), peak RSS of the export under 300 MB,
importing answers for every row under twice the export time.

    .venv/bin/python bench/synthesis_export.py [--comments 100000]

Each phase runs in its own subprocess so its peak RSS is its own.
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

CLAUSES, HEARINGS, CHAPTERS = 300, 5, 10


def app_for(db_path: str):
    from consult import create_app
    return create_app({"DATABASE_URL": f"sqlite:///{db_path}", "SECRET_KEY": "bench",
                       "TESTING": True})


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ------------------------------------------------------------------ phases

def generate(db_path: str, comments: int) -> None:
    """A consultation with 300 clauses, 5 hearings and ``comments`` comments, bulk-inserted."""
    from sqlalchemy import insert

    from consult import db
    from consult.models import (
        Base,
        Clause,
        Comment,
        Consultation,
        Document,
        DocumentVersion,
        DuplicateGroup,
        Hearing,
        Section,
        User,
    )
    app = app_for(db_path)
    Base.metadata.create_all(app.extensions["consult.engine"])
    rnd = random.Random(5)
    with app.app_context():
        s = db.session()
        s.add(User(email="drafter@example.org", name="Drafter", role="drafter",
                   password_hash="x"))
        c = Consultation(slug="bench", title={"ru": "Консультация"}, authority={"ru": "Минприроды"},
                         developer={"ru": "БИОМ"}, opens_at=datetime(2025, 6, 1),
                         closes_at=datetime(2025, 7, 15))
        s.add(c)
        s.flush()
        doc = Document(consultation_id=c.id, slug="programme", kind="programme")
        s.add(doc)
        s.flush()
        version = DocumentVersion(document_id=doc.id, number=1, title={"ru": "Программа"},
                                  languages=["ru"], source_hash="x")
        s.add(version)
        s.flush()
        doc.current_version_id = version.id
        sections = []
        for i in range(CHAPTERS):
            section = Section(version_id=version.id, position=i, level=1,
                              heading={"ru": f"Глава {i + 1}"}, chapter_position=i)
            s.add(section)
            sections.append(section)
        s.flush()
        clauses = []
        for i in range(CLAUSES):
            clause = Clause(version_id=version.id, section_id=sections[i * CHAPTERS // CLAUSES].id,
                            key=str(i + 1), position=i,
                            text={"ru": f"Пункт {i + 1}: текст пункта программы " * 3})
            s.add(clause)
            clauses.append(clause)
        hearings = []
        for i in range(HEARINGS):
            hearing = Hearing(consultation_id=c.id, slug=f"h{i}", city={"ru": f"Город {i}"},
                              starts_at=datetime(2025, 6, 10 + i, 4), status="held",
                              attendance_total=50, attendance_women=25, attendance_men=25)
            s.add(hearing)
            hearings.append(hearing)
        s.flush()
        groups = []
        for _ in range(comments // 100):
            group = DuplicateGroup(document_id=doc.id)
            s.add(group)
            groups.append(group)
        s.flush()
        channels = ["online"] * 6 + ["hearing-oral", "hearing-written", "email", "form-import"]
        states = ["published"] * 90 + ["hidden"] * 5 + ["withdrawn"] * 2 + ["new"] * 3
        words = ["биоразнообразие", "лес", "вода", "горы", "охрана", "экосистема", "закон", "район"]
        rows = []
        for n in range(comments):
            clause = clauses[rnd.randrange(CLAUSES)]
            channel = rnd.choice(channels)
            state = rnd.choice(states)
            body = " ".join(rnd.choice(words) for _ in range(rnd.randint(10, 60)))
            if n % 500 == 0:
                body = "=HYPERLINK(\"http://x\",\"y\") " + body
            rows.append(dict(
                consultation_id=c.id, document_id=doc.id, version_id=version.id,
                clause_id=clause.id, clause_key=clause.key, channel=channel,
                hearing_id=hearings[n % HEARINGS].id if channel.startswith("hearing") else None,
                language=rnd.choice(["ky", "ru"]), body=body, author_name=f"Person {n}",
                organisation="", category=rnd.choice(["individual", "ngo", "academic"]),
                region="naryn", gender=rnd.choice(["female", "male", "unstated"]),
                email=f"person{n}@example.org", consent=rnd.choice(["full", "anonymous", "none"]),
                receipt_code=f"R{n:09d}", received_at=datetime(2025, 6, 1) + timedelta(minutes=n),
                in_period=True, state=state,
                hidden_reason="abuse" if state == "hidden" else "",
                group_id=groups[n % len(groups)].id if n % 10 == 0 and groups else None))
            if len(rows) == 5000:
                s.execute(insert(Comment), rows)
                rows = []
        if rows:
            s.execute(insert(Comment), rows)
        s.commit()


def export(db_path: str, out: str) -> dict:
    """Time the export, note its peak RSS, then time the floor in the same process."""
    from flask import g
    from openpyxl import Workbook

    from consult import db
    from consult.synthesis.rows import COLUMNS, iter_rows
    from consult.synthesis.workbook import export_workbook
    app = app_for(db_path)
    with app.app_context():
        g.lang = "ru"
        s = db.session()
        # Best of two runs each, alternating, so neither side pays alone for a cold start
        # (imports, compiled queries, catalogs) or for a burst of other load.
        codes = [code for code, _label in COLUMNS]
        values = None
        export_seconds = export_cpu = floor_seconds = floor_cpu = float("inf")
        rss = 0.0
        for _attempt in range(2):
            started, cpu = time.perf_counter(), time.process_time()
            summary = export_workbook(s, out, lang="ru", public=False)
            export_seconds = min(export_seconds, time.perf_counter() - started)
            export_cpu = min(export_cpu, time.process_time() - cpu)
            if values is None:
                rss = peak_rss_mb()  # before the floor holds every value in memory
                # The floor: the same Comments values, in memory, written by bare openpyxl.
                values = [[row[code] for code in codes]
                          for row in iter_rows(s, lang="ru", public=False)]
            started, cpu = time.perf_counter(), time.process_time()
            wb = Workbook(write_only=True)
            ws = wb.create_sheet("Comments")
            ws.append([str(label) for _code, label in COLUMNS])
            for row in values:
                ws.append(row)
            wb.save(out + ".floor.xlsx")
            floor_seconds = min(floor_seconds, time.perf_counter() - started)
            floor_cpu = min(floor_cpu, time.process_time() - cpu)
    return {"export": export_seconds, "floor": floor_seconds, "rss": rss,
            "export_cpu": export_cpu, "floor_cpu": floor_cpu,
            "rows": summary.received, "check": summary.check_holds,
            "bytes": Path(out).stat().st_size}


def fill(exported: str, filled: str) -> dict:
    """As drafters in Excel: an answer on every row (group members agree), streamed."""
    from openpyxl import Workbook, load_workbook
    from openpyxl.cell import WriteOnlyCell
    # Codes as well as labels (in any language) are understood in the status column.
    statuses = [("accepted", "", "пункт изменён"), ("not-accepted", "Вне рамок программы.", ""),
                ("noted", "", ""), ("partly-accepted", "Частично.", "нет изменений")]
    source = load_workbook(exported, read_only=True)
    target = Workbook(write_only=True)
    for ws in source.worksheets:
        out = target.create_sheet(ws.title)
        for number, row in enumerate(ws.iter_rows(values_only=True)):
            row = list(row)
            if ws is source.worksheets[1] and number > 0:
                key = row[18] if row[18] is not None else row[1]  # group, else comment
                row[20:23] = statuses[key % len(statuses)]
            cells = []
            for value in row:
                if isinstance(value, str) and value.startswith("="):
                    cell = WriteOnlyCell(out)
                    cell.value = value
                    cell.data_type = "s"
                    value = cell
                cells.append(value)
            out.append(cells)
    source.close()
    target.save(filled)
    return {}


def import_answers(db_path: str, filled: str) -> dict:
    from flask import g
    from sqlalchemy import select

    from consult import db
    from consult.models import User
    from consult.synthesis.excel_answers import apply_answers
    app = app_for(db_path)
    data = Path(filled).read_bytes()
    with app.app_context():
        g.lang = "ru"
        s = db.session()
        actor = s.scalar(select(User))
        started = time.perf_counter()
        outcome = apply_answers(s, data, actor, "filled.xlsx")
        if outcome.ok:
            s.commit()
        seconds = time.perf_counter() - started
    return {"import": seconds, "applied": len(outcome.applied),
            "conflicts": len(outcome.conflicts), "problems": len(outcome.problems),
            "first_problems": [vars(p) for p in outcome.problems[:3]], "rss": peak_rss_mb()}


# ------------------------------------------------------------------ driver

def run_phase(*args) -> dict:
    result = subprocess.run([sys.executable, __file__, "--phase", *args], check=True,
                            capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--phase", nargs="+")
    parser.add_argument("--no-import", action="store_true", help="export figures only")
    args = parser.parse_args()
    if args.phase:
        name, *rest = args.phase
        result = {"generate": lambda: generate(rest[0], int(rest[1])) or {},
                  "export": lambda: export(*rest), "fill": lambda: fill(*rest),
                  "import": lambda: import_answers(*rest)}[name]()
        print(json.dumps(result))
        return
    with tempfile.TemporaryDirectory() as tmp:
        db_path, out, filled = f"{tmp}/bench.sqlite3", f"{tmp}/s.xlsx", f"{tmp}/filled.xlsx"
        started = time.perf_counter()
        run_phase("generate", db_path, str(args.comments))
        print(f"generated {args.comments} comments, {CLAUSES} clauses, {HEARINGS} hearings "
              f"in {time.perf_counter() - started:.1f} s")
        ex = run_phase("export", db_path, out)
        im = None
        if not args.no_import:
            run_phase("fill", out, filled)
            im = run_phase("import", db_path, filled)
    ratio = ex["export"] / ex["floor"]
    print(f"rows {ex['rows']}, count check {'holds' if ex['check'] else 'FAILS'}, "
          f"file {ex['bytes'] / 1e6:.1f} MB")
    print(f"export        {ex['export']:7.2f} s   floor {ex['floor']:.2f} s   "
          f"ratio {ratio:.2f}x (target <= 1.5x)  {'OK' if ratio <= 1.5 else 'MISSED'}")
    cpu_ratio = ex["export_cpu"] / ex["floor_cpu"]
    print(f"export CPU    {ex['export_cpu']:7.2f} s   floor {ex['floor_cpu']:.2f} s   "
          f"ratio {cpu_ratio:.2f}x (CPU time: less disturbed by other load on the machine)")
    print(f"export RSS    {ex['rss']:7.1f} MB  (target < 300 MB)  "
          f"{'OK' if ex['rss'] < 300 else 'MISSED'}")
    if im is None:
        return
    limit = 2 * ex["export"]
    print(f"import        {im['import']:7.2f} s   applied {im['applied']}, conflicts "
          f"{im['conflicts']}, problems {im['problems']} {im['first_problems']}  "
          f"(target < {limit:.2f} s = 2x export)  {'OK' if im['import'] < limit else 'MISSED'}")
    print(f"import RSS    {im['rss']:7.1f} MB")


if __name__ == "__main__":
    main()
