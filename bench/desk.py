"""Drafting desk and duplicate-group suggestions with 100,000 comments.

Builds the same database as bench/results_page.py (demonstration drafts, 5 hearings,
100,000 comments, all answered), takes the answers off every tenth comment, adds a mass
campaign of 5,000 comments (retyped variants and distinct texts) on one clause, then
times, through the Flask test client signed in as a drafter: desk pages (first, last,
each filter, unanswered only), an answer page, an answer save, the same drafter given two
chapters (desk, their queue, an answer page), and the suggestions.

    .venv/bin/python bench/desk.py [--comments 100000] [--campaign 5000]

Target: every desk page and save under 0.5 s; suggestions for a 5,000-comment clause
under 3 s.
"""
from __future__ import annotations

import argparse
import random
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from results_page import built_app, page_getter, timed  # noqa: E402  (same data, same report)

PAGE_TARGET, SUGGEST_TARGET = 0.5, 3.0
WORDS = ("арча", "токой", "суу", "жер", "мал", "жайыт", "коргоо", "аймак", "чек", "улуттук",
         "парк", "илбирс", "аркар", "кайың", "бадал", "өрөөн", "тоо", "көл", "дарыя", "муз",
         "лес", "вода", "пастбище", "охрана", "заповедник", "барс", "архар", "река", "ледник")


def campaign(app, size: int) -> tuple[str, str]:
    """``size`` comments on one clause: half a retyped campaign text, half distinct texts."""
    from sqlalchemy import delete, insert, select

    from consult import db
    from consult.models import Comment, Response

    rng = random.Random(7)
    text = ("Сохраните арчовые леса Нарынской области, запретите вырубку и выпас скота в "
            "водоохранных зонах, создайте новый заказник в долине Кара-Кужур.")
    with app.app_context():
        session = db.session()
        model = session.scalar(select(Comment).order_by(Comment.id).limit(1))
        # Every tenth comment loses its answer, so "unanswered only" has work to do.
        session.execute(delete(Response).where(Response.comment_id % 10 == 0))
        rows = []
        for n in range(size):
            if n % 2:
                body = list(text)
                for _ in range(rng.randint(0, 3)):
                    body[rng.randrange(len(body))] = rng.choice("абвгдеж ")
                body = "".join(body)
            else:
                body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 40))) + f" {n}"
            rows.append(dict(
                consultation_id=model.consultation_id, document_id=model.document_id,
                version_id=model.version_id, clause_id=model.clause_id,
                clause_key=model.clause_key, channel="email", language="ru", body=body,
                receipt_code=secrets.token_hex(8), state="published", category="ngo",
                received_at=model.received_at, created_at=model.received_at,
                updated_at=model.received_at))
        session.execute(insert(Comment), rows)
        session.commit()
        from consult.models import Document
        slug = session.get(Document, model.document_id).slug
        return slug, model.clause_key


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--campaign", type=int, default=5_000)
    args = parser.parse_args()

    from sqlalchemy import select

    from consult import db
    from consult.accounts.services import save_user
    from consult.models import Comment, Document, Hearing
    from consult.synthesis import review
    from consult.synthesis import suggestions as groups

    start = time.perf_counter()
    app = built_app(args.comments)
    slug, clause_key = campaign(app, args.campaign)
    with app.app_context():
        session = db.session()
        user, _ = save_user(session, "bench-drafter@example.org", "drafter", "bench password 1")
        session.commit()
        user_id = user.get_id()  # what the session names: the id and its session version
        hearing_id = session.scalar(select(Hearing.id).limit(1))
        document = session.scalar(select(Document).where(Document.slug == slug))
        total = session.scalar(select(Comment.id).where(Comment.document_id == document.id)
                               .order_by(Comment.id.desc()).limit(1))
        comment_id = session.scalar(select(Comment.id).where(
            Comment.document_id == document.id, Comment.group_id.is_(None)).limit(1))
    print(f"built {args.comments + args.campaign} comments in "
          f"{time.perf_counter() - start:.1f} s")

    client = app.test_client()
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = user_id
        flask_session["_fresh"] = True

    get = page_getter(client)

    base = f"/ru/desk/?doc={slug}"
    timed("desk, page 1", get(base), PAGE_TARGET)
    timed("desk, page 400", get(base + "&page=400"), PAGE_TARGET)
    timed("desk, last page", get(base + "&page=100000"), PAGE_TARGET)
    timed(f"desk, clause {clause_key}", get(base + f"&clause={clause_key}"), PAGE_TARGET)
    timed("desk, channel = hearing (oral)", get(base + "&channel=hearing-oral"), PAGE_TARGET)
    timed("desk, one hearing", get(base + f"&hearing={hearing_id}"), PAGE_TARGET)
    timed("desk, category = ngo", get(base + "&category=ngo"), PAGE_TARGET)
    timed("desk, status = noted", get(base + "&status=noted"), PAGE_TARGET)
    timed("desk, unanswered only", get(base + "&unanswered=1"), PAGE_TARGET)
    timed("answer page", get(f"/ru/desk/comments/{comment_id}/"), PAGE_TARGET)
    timed("answer save", lambda: client.post(f"/ru/desk/comments/{comment_id}/", data={
        "status": "noted", "rationale": "", "change": "", "base_revision": "1"}), PAGE_TARGET)
    # A drafter given two chapters: the queue is counted and listed on every page.
    with app.app_context():
        session = db.session()
        drafter = session.get(type(user), user.id)
        document = session.merge(document)
        for chapter in review.chapters(session, document)[:2]:
            review.assign_chapter(session, document, chapter.position, drafter, None)
        session.commit()
    timed("desk, page 1, drafter with two chapters", get(base), PAGE_TARGET)
    timed("desk, my queue only", get(base + "&mine=1"), PAGE_TARGET)
    timed("desk, my queue, unanswered only", get(base + "&mine=1&unanswered=1"), PAGE_TARGET)
    timed("answer page, drafter with two chapters", get(f"/ru/desk/comments/{comment_id}/"),
          PAGE_TARGET)
    with app.app_context():
        found = timed(f"suggestions, clause {clause_key} ({args.campaign} + campaign)",
                      lambda: groups.suggest(db.session(), document.id, clause_key),
                      SUGGEST_TARGET)
    largest = max((len(s.comment_ids) for s in found), default=0)
    print(f"suggested {len(found)} groups; largest {largest} comments "
          f"(expected about {args.campaign // 2} retyped campaign texts)")
    timed("suggested groups page, one clause",
          get(f"/ru/desk/groups/?doc={slug}&clause={clause_key}"), SUGGEST_TARGET)
    timed("suggested groups page, whole document", get(f"/ru/desk/groups/?doc={slug}"),
          SUGGEST_TARGET * 3)
    del total


if __name__ == "__main__":
    main()
