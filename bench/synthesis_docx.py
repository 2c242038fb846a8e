"""Benchmark: the comparison table ("справка", .docx) of 10,000 comments.

Builds a temporary SQLite database with the demonstration drafts (the programme and the
action plan, in Kyrgyz, Russian and English) and their hearings, publishes a revised
version 2 of the programme (one clause reworded, one deleted), then adds 10,000 comments
over both documents from every channel: some on version 1 (shown with what their clause
became, or among the deleted clauses), some on the whole document, hidden, withdrawn and
unmoderated ones, commenters with and without consent, organisations, duplicate groups
(one campaign of 300), most of them answered. Then times ``export_docx`` writing the
file in Russian, in its own process so that its peak RSS is its own, and reads the file
back with python-docx to check that every comment is in it.

    .venv/bin/python bench/synthesis_docx.py [--comments 10000] [--lang ru] [--keep DIR]

Target: under 30 s for 10,000 comments. Peak RSS is printed (no target).
"""
from __future__ import annotations

import argparse
import json
import random
import re
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_SECONDS = 30.0
PROGRAMME = "biodiversity-programme-2040"
REWORDED, DELETED = "2", "5"  # keys of version 1 changed by the revision
WORDS = {
    "ru": ("охраняемые территории", "снежный барс", "орехово-плодовые леса", "пастбища",
           "ледники", "водно-болотные угодья", "местные сообщества", "мониторинг", "архар",
           "финансирование", "лесхоз", "экологический коридор", "браконьерство", "туризм",
           "предлагаем", "дополнить", "исключить", "уточнить", "срок", "показатель"),
    "ky": ("корголуучу аймактар", "илбирс", "жаңгак-мөмө токойлору", "жайыттар",
           "мөңгүлөр", "суу-саздак жерлер", "жергиликтүү жамааттар", "мониторинг", "аркар",
           "каржылоо", "токой чарба", "экологиялык коридор", "браконьерлик", "туризм",
           "сунуштайбыз", "толуктоо", "алып салуу", "тактоо", "мөөнөт", "көрсөткүч"),
}
ORGANISATIONS = ("Экологическое движение «БИОМ»", "Союз охотников Нарына",
                 "Жайыт комитети (Ат-Башы)", "Кыргызский национальный университет",
                 "Ассоциация лесопользователей", "Fauna & Flora Kyrgyzstan",
                 "Айыл окмоту Кочкор", "Ассоциация туроператоров", "Green Alliance KG",
                 "Институт биологии НАН КР")


def app_for(db_path: str):
    from consult import create_app
    return create_app({"DATABASE_URL": f"sqlite:///{db_path}", "SECRET_KEY": "bench",
                       "TESTING": True})


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ------------------------------------------------------------------ phases

def revised_programme(folder: Path) -> Path:
    """Version 2 of the demonstration programme: clause 2 reworded, clause 5 deleted."""
    target = folder / PROGRAMME
    target.mkdir(parents=True)
    added = {"ky": " Программанын аткарылышы жыл сайын коомчулукка отчет берилет.",
             "ru": " Об исполнении Программы ежегодно отчитываются перед обществом.",
             "en": " The implementation of the Programme is reported to the public every year."}
    for lang, sentence in added.items():
        text = (ROOT / "drafts" / PROGRAMME / f"{lang}.md").read_text(encoding="utf-8")
        text = text.replace("Version: 1", "Version: 2", 1)
        start = re.search(rf"(?m)^{REWORDED}\. ", text).start()
        end = text.index("\n\n", start)
        text = text[:end] + sentence + text[end:]
        text = re.sub(rf"(?ms)^{DELETED}\. .*?(?=^{int(DELETED) + 1}\. )", "", text, count=1)
        (target / f"{lang}.md").write_text(text, encoding="utf-8")
    return target


def generate(db_path: str, comments: int) -> dict:
    from sqlalchemy import insert, select

    from consult import db
    from consult.core.consultation import current_consultation
    from consult.core.time import utcnow
    from consult.drafts import revisions
    from consult.drafts.load import import_paths
    from consult.drafts.services import document_by_slug
    from consult.hearings.schedule import load_schedule
    from consult.models import (
        Base,
        Clause,
        Comment,
        Document,
        DuplicateGroup,
        Hearing,
        Response,
        User,
    )
    app = app_for(db_path)
    Base.metadata.create_all(app.extensions["consult.engine"])
    rnd = random.Random(11)
    with app.app_context():
        s = db.session()
        _outcomes, problems = import_paths(s, [str(ROOT / "drafts")])
        assert not problems, problems
        load_schedule(s, ROOT / "drafts" / "hearings.json")
        consultation = current_consultation(s)
        consultation.announced_at = utcnow() - timedelta(days=60)
        consultation.opens_at = utcnow() - timedelta(days=50)
        consultation.closes_at = utcnow() - timedelta(days=5)
        drafter = User(email="drafter@example.org", name="Staff Person", role="drafter",
                       password_hash="x")
        s.add(drafter)
        programme = document_by_slug(s, PROGRAMME)
        v1 = programme.current_version_id
        v1_clauses = s.execute(select(Clause.id, Clause.key)
                               .where(Clause.version_id == v1)).all()
        _outcomes, problems = import_paths(s, [str(revised_programme(Path(db_path).parent))])
        assert not problems, problems
        pending = revisions.pending_version(s, programme)
        revisions.confirm_matching(s, pending, None)
        revisions.publish_version(s, pending, None)
        for hearing in s.scalars(select(Hearing)):
            hearing.status, hearing.attendance_total = "held", rnd.randint(30, 90)
            hearing.attendance_women = hearing.attendance_total // 2
            hearing.attendance_men = hearing.attendance_total - hearing.attendance_women
        s.flush()
        hearings = list(s.scalars(select(Hearing.id)))
        targets = []  # (document id, version id, clause id, key)
        for document in s.scalars(select(Document)):
            version = document.current_version_id
            targets += [(document.id, version, cid, key) for cid, key in s.execute(
                select(Clause.id, Clause.key).where(Clause.version_id == version))]
        old = [(programme.id, v1, cid, key) for cid, key in v1_clauses]
        documents = [d.id for d in s.scalars(select(Document))]
        campaign = DuplicateGroup(document_id=targets[3][0], clause_key=targets[3][3])
        s.add(campaign)
        s.flush()
        groups: list = [campaign]
        channels = ["online"] * 6 + ["hearing-oral", "hearing-written", "email", "post",
                                     "form-import"]
        states = ["published"] * 90 + ["hidden"] * 5 + ["withdrawn"] * 2 + ["new"] * 3
        now, rows = utcnow(), []
        for n in range(comments):
            pick = n % 20
            if n < 300:  # the campaign: one text, retyped
                document_id, version_id, clause_id, key = targets[3]
            elif pick == 0:
                document_id, version_id, clause_id, key = rnd.choice(documents), None, None, None
            elif pick in (1, 2, 3):
                document_id, version_id, clause_id, key = rnd.choice(old)
            else:
                document_id, version_id, clause_id, key = rnd.choice(targets)
            if version_id is None:
                version_id = s.get(Document, document_id).current_version_id
            group_id = campaign.id if n < 300 else None
            if 300 <= n < 1300 and n % 10 == 0:  # small groups of near-identical comments
                if n % 50 == 0:
                    groups.append(DuplicateGroup(document_id=document_id, clause_key=key))
                    s.add(groups[-1])
                    s.flush()
                    anchor = (document_id, version_id, clause_id, key)
                document_id, version_id, clause_id, key = anchor
                group_id = groups[-1].id
            lang = rnd.choice(("ru", "ky"))
            channel = rnd.choice(channels)
            state = rnd.choice(states)
            category = rnd.choice(("individual",) * 6 + ("ngo", "academic", "business",
                                                         "local-government"))
            body = ("Прошу запретить охоту на архара в буферных зонах." if n < 300 else
                    " ".join(rnd.choice(WORDS[lang]) for _ in range(rnd.randint(10, 80))))
            rows.append(dict(
                consultation_id=consultation.id, document_id=document_id,
                version_id=version_id, clause_id=clause_id, clause_key=key, channel=channel,
                hearing_id=rnd.choice(hearings) if channel.startswith("hearing") else None,
                language=lang, body=body.capitalize() + ".",
                author_name=f"Гражданин {n}", organisation=rnd.choice(ORGANISATIONS)
                if category != "individual" or n % 7 == 0 else "",
                category=category, region="naryn", gender=rnd.choice(("female", "male")),
                email=f"person{n}@example.org",
                consent=rnd.choice(("full", "anonymous", "anonymous", "none")),
                receipt_code=secrets.token_hex(8),
                received_at=now - timedelta(days=40, minutes=-n), in_period=n % 97 != 0,
                state=state, hidden_reason={"hidden": "abuse", "withdrawn": "withdrawn"}.get(
                    state, ""), group_id=group_id, created_at=now, updated_at=now,
                submission_key="", moderation_note="abusive" if state == "hidden" else ""))
        s.execute(insert(Comment), rows)
        statuses = [("accepted", "", "п. 12 дополнен"), ("not-accepted",
                     "Предложение выходит за рамки Программы и будет рассмотрено отдельно.",
                     ""), ("noted", "Принято к сведению.", ""),
                    ("partly-accepted", "Учтено частично: срок сохранён.", "п. 40 уточнён")]
        approval = {"approved_at": now} if hasattr(Response, "approved_at") else {}
        answers = []
        for cid, gid in s.execute(select(Comment.id, Comment.group_id)):
            if gid is None and cid % 7:
                status, rationale, change = statuses[cid % 4]
                answers.append(dict(comment_id=cid, status=status, rationale=rationale,
                                    change=change, responder_id=drafter.id, revision=1,
                                    created_at=now, updated_at=now,
                                    **(approval if cid % 11 else {})))
        answers += [dict(group_id=g.id, status="not-accepted", rationale="Кампания: ответ "
                         "дан один раз на все одинаковые комментарии.", change="",
                         responder_id=drafter.id, revision=1, created_at=now,
                         updated_at=now, **approval) for g in groups]
        s.execute(insert(Response), answers)
        s.commit()
        return {"groups": len(groups)}


def export(db_path: str, out: str, lang: str) -> dict:
    from flask import g

    from consult import db
    from consult.synthesis.docx import export_docx
    app = app_for(db_path)
    with app.app_context():
        g.lang = lang
        started, cpu = time.perf_counter(), time.process_time()
        summary = export_docx(db.session(), out, lang=lang)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"seconds": seconds, "cpu": cpu, "rss": peak_rss_mb(), "received": summary.received,
            "entries": summary.entries, "check": summary.check_holds,
            "bytes": Path(out).stat().st_size}


def read_back(out: str) -> dict:
    """Reading the file with python-docx: numbered rows, pages it names in its tables."""
    import docx
    started = time.perf_counter()
    word = docx.Document(out)
    namespace = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    numbered = 0
    for table in word.element.body.iter(f"{namespace}tbl"):
        for row in table.iterfind(f"{namespace}tr"):
            cells = row.findall(f"{namespace}tc")
            first = "".join(t.text or "" for t in cells[0].iter(f"{namespace}t"))
            if len(cells) == 5 and first.isdigit():
                numbered += 1
    return {"numbered": numbered, "seconds": time.perf_counter() - started}


# ------------------------------------------------------------------ driver

def run_phase(*args) -> dict:
    result = subprocess.run([sys.executable, __file__, "--phase", *args], check=True,
                            capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=10_000)
    parser.add_argument("--lang", default="ru", choices=("ky", "ru", "en"))
    parser.add_argument("--keep", metavar="DIR", help="copy the database and the file here")
    parser.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        name, *rest = args.phase
        result = {"generate": lambda: generate(rest[0], int(rest[1])),
                  "export": lambda: export(*rest), "read": lambda: read_back(*rest)}[name]()
        print(json.dumps(result))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        db_path, out = f"{tmp}/bench.sqlite3", f"{tmp}/spravka-{args.lang}.docx"
        started = time.perf_counter()
        built = run_phase("generate", db_path, str(args.comments))
        print(f"generated {args.comments} comments ({built['groups']} duplicate groups), "
              f"2 documents, a revised version, in {time.perf_counter() - started:.1f} s")
        ex = run_phase("export", db_path, out, args.lang)
        back = run_phase("read", out)
        if args.keep:
            Path(args.keep).mkdir(parents=True, exist_ok=True)
            shutil.copy(db_path, args.keep)
            shutil.copy(out, args.keep)
    ok = ex["seconds"] < TARGET_SECONDS and ex["check"] and back["numbered"] == ex["entries"]
    print(f"comments {ex['received']}, numbered entries {ex['entries']} (read back: "
          f"{back['numbered']}), count check {'holds' if ex['check'] else 'FAILS'}, "
          f"file {ex['bytes'] / 1e6:.1f} MB")
    print(f"export   {ex['seconds']:7.2f} s   CPU {ex['cpu']:.2f} s   "
          f"(target < {TARGET_SECONDS:.0f} s)")
    print(f"peak RSS {ex['rss']:7.1f} MB")
    print(f"reading it back with python-docx: {back['seconds']:.2f} s")
    print("RESULT:", "target met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
