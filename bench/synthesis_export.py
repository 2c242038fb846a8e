"""Benchmark: the synthesis workbook for 100,000 comments, and answers for all of them back.

Targets (issue 12): the whole export (every sheet, print setup, validations, row heights)
no slower than the floor, bare openpyxl write-only writing the same Comments cell values
in the same process (ratio <= 1.0), its peak RSS under 150 MB; importing a file with an
answer typed on every row under the export time and under 200 MB.

    .venv/bin/python bench/synthesis_export.py [--comments 100000] [--no-import]

Each phase runs in its own subprocess so its peak RSS is its own. Timings are the best of
two runs; CPU times are printed too (less disturbed by other load on the machine).
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
from datetime import date, datetime, timedelta
from datetime import time as dtime
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
    """As drafters in Excel: an answer typed on every row of Comments (group members
    agree), saved by another program (shared strings, as Excel saves); the hidden columns
    and the other sheets kept."""
    import xlsxwriter
    from python_calamine import CalamineWorkbook

    from consult.synthesis.rows import COLUMN_CODES
    group, status = COLUMN_CODES.index("group"), COLUMN_CODES.index("status")
    # Codes as well as labels (in any language) are understood in the status column.
    answers = [("accepted", "", "пункт 12: формулировка уточнена"),
               ("not-accepted", "Вне рамок программы: это вопрос другого закона.", ""),
               ("noted", "", ""),
               ("Принято частично", "Частично: остальное уже есть в пункте 3.",
                "без изменений")]
    source = CalamineWorkbook.from_path(exported)
    target = xlsxwriter.Workbook(filled, {"strings_to_numbers": False,
                                          "strings_to_formulas": False,
                                          "strings_to_urls": False})
    for index, name in enumerate(source.sheet_names):
        out = target.add_worksheet(name)
        for number, row in enumerate(source.get_sheet_by_name(name).iter_rows()):
            if index == 1 and number > 0:
                key = row[group] if row[group] not in ("", None) else row[1]
                row[status:status + 3] = answers[int(key) % len(answers)]
            for col, value in enumerate(row):
                if value in ("", None):
                    continue
                if isinstance(value, str):
                    out.write_string(number, col, value)
                elif isinstance(value, (datetime, date, dtime)):
                    out.write_datetime(number, col, value)
                else:
                    out.write_number(number, col, value)
    source.close()
    target.close()
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
        started, cpu = time.perf_counter(), time.process_time()
        outcome = apply_answers(s, data, actor, "filled.xlsx")
        if outcome.ok:
            s.commit()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"import": seconds, "import_cpu": cpu, "applied": len(outcome.applied),
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
    parser.add_argument("--keep", metavar="DIR", help="keep the database and files in DIR")
    args = parser.parse_args()
    if args.phase:
        name, *rest = args.phase
        result = {"generate": lambda: generate(rest[0], int(rest[1])) or {},
                  "export": lambda: export(*rest), "fill": lambda: fill(*rest),
                  "import": lambda: import_answers(*rest)}[name]()
        print(json.dumps(result))
        return
    with tempfile.TemporaryDirectory() as scratch:
        tmp = args.keep or scratch
        Path(tmp).mkdir(parents=True, exist_ok=True)
        db_path, out, filled = f"{tmp}/bench.sqlite3", f"{tmp}/s.xlsx", f"{tmp}/filled.xlsx"
        Path(db_path).unlink(missing_ok=True)
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
          f"ratio {ratio:.2f}x (target <= 1.0x)  {'OK' if ratio <= 1.0 else 'MISSED'}")
    cpu_ratio = ex["export_cpu"] / ex["floor_cpu"]
    print(f"export CPU    {ex['export_cpu']:7.2f} s   floor {ex['floor_cpu']:.2f} s   "
          f"ratio {cpu_ratio:.2f}x (CPU time: less disturbed by other load on the machine)")
    print(f"export RSS    {ex['rss']:7.1f} MB  (target < 150 MB)  "
          f"{'OK' if ex['rss'] < 150 else 'MISSED'}")
    if im is None:
        return
    limit = ex["export"]
    print(f"import        {im['import']:7.2f} s   CPU {im['import_cpu']:.2f} s   applied "
          f"{im['applied']}, conflicts {im['conflicts']}, problems {im['problems']} "
          f"{im['first_problems']}  (target < {limit:.2f} s, the export)  "
          f"{'OK' if im['import'] < limit else 'MISSED'}")
    print(f"import RSS    {im['rss']:7.1f} MB  (target < 200 MB)  "
          f"{'OK' if im['rss'] < 200 else 'MISSED'}")


if __name__ == "__main__":
    main()
