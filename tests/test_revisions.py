"""Revised drafts (issue 11): a revision is imported unpublished with its clause matching
proposed, reviewed and corrected by an administrator, published; comments stay with the
clause they were made on and are shown, labelled, next to what it became, everywhere."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import func, select

from consult import db
from consult.drafts import revisions
from consult.drafts.load import import_paths
from consult.drafts.services import document_by_slug
from consult.intake import letters
from consult.models import AuditEvent, Clause, ClauseMatch, Comment, Consultation, Hearing, User
from consult.models import DocumentVersion as Version
from consult.synthesis import review
from consult.synthesis.workbook import export_workbook
from tests.revision_sample import KINDS, NEW_CLAUSE, REWORDED, SLUG, TRUTH, V1, write_version

REVIEW = f"/en/settings/versions/{SLUG}/2"


def import_version(app, folder, version: int, **kwargs) -> list:
    with app.app_context():
        s = db.session()
        outcomes, problems = import_paths(s, [str(write_version(folder, version, **kwargs))])
        assert not problems, problems
        s.commit()
        return outcomes


@pytest.fixture
def v1(app, tmp_path):
    """Version 1 imported and public, its consultation open for comments."""
    import_version(app, tmp_path / "v1", 1)
    with app.app_context():
        s = db.session()
        consultation = s.scalar(select(Consultation))
        consultation.announced_at = revisions.utcnow() - timedelta(days=10)
        consultation.opens_at = revisions.utcnow() - timedelta(days=9)
        consultation.closes_at = revisions.utcnow() + timedelta(days=30)
        consultation.answer_approval = False  # answers public at once (see test_review)
        s.commit()
    return tmp_path


@pytest.fixture
def on_v1(v1, session, comment_on):
    """Comments made on version 1: on clause 3 (reworded and renumbered to 4), 5 (deleted),
    6 (split into 6 and 7) and 2 (renumbered to 3), with their receipt codes."""
    made = {key: comment_on(session, slug=SLUG, key=key, body=f"Comment on old clause {key}.",
                            author_name=f"Author {key}", consent="full")
            for key in ("2", "3", "5", "6")}
    session.commit()
    return made


@pytest.fixture
def v2(app, v1):
    """Version 2 imported beside version 1 (not published)."""
    import_version(app, v1 / "v2", 2)
    return v1


def document(session):
    session.expire_all()
    return document_by_slug(session, SLUG)


def publish_v2(session):
    doc = document(session)
    pending = revisions.pending_version(session, doc)
    revisions.confirm_matching(session, pending, None)
    revisions.publish_version(session, pending, None)
    session.commit()


def stored_links(session) -> dict:
    version = revisions.pending_version(session, document(session)) or \
        document(session).current_version
    return {(r.old.key if r.old else None, r.new.key if r.new else None): r.kind
            for r in revisions.matching(session, version)}


# ---------------------------------------------------------------- import and review

def test_a_revision_is_imported_unpublished_with_its_matching_proposed(
        app, v2, session, client):
    doc = document(session)
    assert doc.current_version.number == 1
    assert stored_links(session) == KINDS
    assert {k for k, kind in KINDS.items() if k[0] and k[1]} == TRUTH
    page = client.get(f"/en/documents/{SLUG}/").get_data(as_text=True)
    assert "Grants for research on glaciers" in page and NEW_CLAUSE["en"] not in page
    assert client.get(f"/en/documents/{SLUG}/?version=2").status_code == 404
    assert client.get(f"/en/documents/{SLUG}/1/?version=2").status_code == 404
    api = client.get(f"/api/v1/documents/{SLUG}").get_json()
    assert [v["number"] for v in api["versions"]] == [1] and api["current_version"] == 1
    assert client.get(f"/api/v1/documents/{SLUG}/versions/2").status_code == 404


def test_importing_again_changes_nothing_and_a_corrected_revision_replaces_the_pending_one(
        app, v2, session, runner):
    result = runner.invoke(args=["import-drafts", str(v2 / "v2" / SLUG)])
    assert "unchanged (version 2)" in result.output
    corrected = {lang: list(texts) for lang, texts in V1.items()}
    corrected["en"][0] = corrected["en"][0].replace("protects", "conserves")
    write_version(v2 / "v2b", 2, clauses=corrected)
    result = runner.invoke(args=["import-drafts", str(v2 / "v2b" / SLUG)])
    assert result.exit_code == 0 and "replaced (version 2)" in result.output
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Version)) == 2
    assert stored_links(session)[("1", "1")] == "changed"
    # A higher version while one is pending: publish or replace that one first.
    write_version(v2 / "v3", 3)
    result = runner.invoke(args=["import-drafts", str(v2 / "v3" / SLUG)])
    assert result.exit_code == 1 and "not yet published" in result.output


def test_the_review_page_shows_every_kind_with_both_texts(v2, client, login):
    login("admin")
    page = client.get(REVIEW).get_data(as_text=True)
    for label in ("Unchanged", "Renumbered", "Split", "Merged", "New", "Deleted"):
        assert f'<td data-label="Kind of change">{label}' in page, label
    assert "migration corridors" in page and "<ins>" in page and "<del>" in page
    assert 'name="old-4" value="3"' in page and 'name="old-2" value=""' in page
    assert "Proposed by the system, not yet confirmed" in page
    settings = client.get("/en/settings/").get_data(as_text=True)
    assert f"/en/settings/versions/{SLUG}/2" in settings


def test_corrections_are_saved_audited_and_unknown_keys_refused(v2, client, login, session):
    login("admin")
    fields = {f"old-{new}": ", ".join(sorted(o for o, n in TRUTH if n == new))
              for new in map(str, range(1, 9))}
    refused = client.post(REVIEW, data=fields | {"old-2": "99"})
    assert refused.status_code == 422
    assert "The previous version has no clause 99" in refused.get_data(as_text=True)
    assert revisions.pending_version(session, document(session)).matching_confirmed_at is None
    # The person knows better: the new clause 2 is the old clause 5 rewritten.
    response = client.post(REVIEW, data=fields | {"old-2": "5"})
    assert response.status_code == 302
    links = stored_links(session)
    assert links[("5", "2")] == "renumbered" and ("5", None) not in links
    assert revisions.pending_version(session, document(session)).matching_confirmed_at
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "version.matching"))
    assert event.after["corrected"] == {"2": ["5"]} and event.before == {"2": []}


def test_a_version_is_published_only_once_its_matching_is_confirmed(v2, client, login,
                                                                     session, runner):
    login("admin")
    refused = client.post(REVIEW + "/publish")
    assert refused.status_code == 422
    assert "Confirm how the clauses" in refused.get_data(as_text=True)
    assert document(session).current_version.number == 1
    client.post(REVIEW, data={})  # confirm as proposed (no field changed)
    assert client.post(REVIEW + "/publish").status_code == 302
    assert document(session).current_version.number == 2
    assert client.post(REVIEW, data={"old-1": "2"}).status_code == 422  # published: final
    again = runner.invoke(args=["publish-version", SLUG, "2"])
    assert again.exit_code != 0 and "already published" in again.output
    assert runner.invoke(args=["publish-version", SLUG, "9"]).exit_code != 0


def test_publish_version_accept_proposed_prints_the_matching(v2, runner, session):
    result = runner.invoke(args=["publish-version", SLUG, "2", "--accept-proposed"])
    assert result.exit_code == 0, result.output
    assert "split" in result.output and "merged" in result.output
    assert re.search(r"\b6 -> 7\s+split", result.output)
    assert document(session).current_version.number == 2


# ---------------------------------------------------------------- reading across versions

def test_every_version_stays_readable_and_says_where_its_clauses_went(v2, session, client):
    publish_v2(session)
    page = client.get(f"/en/documents/{SLUG}/").get_data(as_text=True)
    assert NEW_CLAUSE["en"] in page and "2 versions" in page
    assert f'href="/en/documents/{SLUG}/?version=1"' in page
    old = client.get(f"/en/documents/{SLUG}/?version=1").get_data(as_text=True)
    assert "You are reading version 1" in old and "Grants for research on glaciers" in old
    assert "Comment on this clause" not in old  # comments go to the current version
    deleted = client.get(f"/en/documents/{SLUG}/5/?version=1").get_data(as_text=True)
    assert "This clause was deleted in version 2." in deleted
    moved = client.get(f"/en/documents/{SLUG}/3/?version=1").get_data(as_text=True)
    assert f'href="/en/documents/{SLUG}/4/">Clause 4</a>' in moved
    assert client.get(f"/en/documents/{SLUG}/?version=99999999999").status_code == 404
    assert client.get(f"/en/documents/{SLUG}/?version=x").status_code == 404


def test_a_clause_page_shows_its_change_word_by_word(v2, session, client):
    publish_v2(session)
    page = client.get(f"/en/documents/{SLUG}/4/").get_data(as_text=True)
    assert "Changes from version 1" in page and "Previously clause 3" in page
    inserted = re.findall(r"<ins>(.*?)</ins>", page, re.S)
    assert any("Inserted:" in part and "migration" in part for part in inserted)
    assert "struck through" in page  # the legend says it in words
    new = client.get(f"/en/documents/{SLUG}/2/").get_data(as_text=True)
    assert "This clause is new in version 2." in new
    same = client.get(f"/en/documents/{SLUG}/1/").get_data(as_text=True)
    assert "The text did not change." in same


def test_diffs_are_escaped(app, v1, session, client):
    hostile = {lang: list(texts) for lang, texts in V1.items()}
    for lang in hostile:
        hostile[lang][0] += " <script>alert(1)</script> while x < 3 & y > 2"
    import_version(app, v1 / "v2", 2, clauses=hostile)
    publish_v2(session)
    page = client.get(f"/en/documents/{SLUG}/1/").get_data(as_text=True)
    change = page[page.index('class="change"'):page.index("</section>", page.index(
        'class="change"'))]
    assert "<script>" not in change and "alert" not in change  # removed at import
    assert "x &lt; 3 &amp; y &gt; 2" in change


# ---------------------------------------------------------------- comments follow their clause

def test_comments_on_version_1_are_shown_with_what_their_clause_became(
        on_v1, v2, session, client, login):
    publish_v2(session)
    four = client.get(f"/en/documents/{SLUG}/4/").get_data(as_text=True)
    assert "Comment on old clause 3." in four and "Made on version 1, clause 3" in four
    assert "Hunting of argali is prohibited in every protected area and in the buffer" in four
    # Clause 3 of version 2 is the old clause 2: never the old clause 3's comment.
    three = client.get(f"/en/documents/{SLUG}/3/").get_data(as_text=True)
    assert "Comment on old clause 3." not in three and "Comment on old clause 2." in three
    for key in ("6", "7"):  # split: the comment belongs to both halves
        assert "Comment on old clause 6." in client.get(
            f"/en/documents/{SLUG}/{key}/").get_data(as_text=True)
    counts = client.get(f"/en/documents/{SLUG}/").get_data(as_text=True)
    assert f'href="/en/documents/{SLUG}/4/#comments">1 comment<' in counts
    # Under version 1, the comments made on it.
    old = client.get(f"/en/documents/{SLUG}/5/?version=1").get_data(as_text=True)
    assert "Comment on old clause 5." in old

    receipt = client.get(f"/en/receipts/{on_v1['3'].receipt_code}/").get_data(as_text=True)
    assert "version 1" in receipt and f'href="/en/documents/{SLUG}/4/">clause 4</a>' in receipt
    gone = client.get(f"/en/receipts/{on_v1['5'].receipt_code}/").get_data(as_text=True)
    assert "deleted in version 2" in gone

    api = {c["id"]: c for c in client.get("/api/v1/comments").get_json()["data"]}
    assert (api[on_v1["3"].id]["clause"], api[on_v1["3"].id]["current_clauses"]) == ("3", ["4"])
    assert api[on_v1["5"].id]["deleted_in_version"] == 2
    assert api[on_v1["5"].id]["current_clauses"] == []
    assert api[on_v1["6"].id]["current_clauses"] == ["6", "7"]

    login("drafter")
    desk = client.get(f"/en/desk/?doc={SLUG}").get_data(as_text=True)
    assert "deleted in version 2" in desk and f'href="/en/documents/{SLUG}/4/">clause 4' in desk
    filtered = client.get(f"/en/desk/?doc={SLUG}&clause=4").get_data(as_text=True)
    assert "Comment on old clause 3." in filtered and "Comment on old clause 2." not in filtered


def test_a_drafters_queue_follows_each_comment_to_the_clause_it_became(
        on_v1, v2, session, make_user):
    """Comments made on version 1 are in the queue of whoever has the chapter their clause
    is in now; one on a clause deleted since is in no chapter (counted under "other")."""
    publish_v2(session)
    doc = document(session)
    drafter = session.get(User, make_user("drafter", email="queue@example.org"))
    chapter = next(c.position for c in review.chapters(session, doc) if c.position is not None)
    review.assign_chapter(session, doc, chapter, drafter, None)
    session.commit()
    listed = set(session.scalars(select(Comment.body).where(review.mine(drafter))))
    assert listed == {f"Comment on old clause {key}." for key in ("2", "3", "6")}
    counted = review.progress(session, doc)
    assert review.queue_counts(session, drafter, counted) == (3, 3)
    assert {c.position: c.received for c in review.chapters(session, doc, counted)} == \
        {chapter: 3, None: 1}


def test_the_workbook_and_the_results_place_each_comment_by_its_lineage(
        app, on_v1, v2, session, client):
    publish_v2(session)
    out = io.BytesIO()
    with app.test_request_context():
        export_workbook(session, out, lang="en", public=False)
    book = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    rows = list(book["Comments"].iter_rows(values_only=True))
    header = rows[0]
    now = {row[header.index("Comment ID")]: (row[header.index("Version")],
                                             row[header.index("Clause")],
                                             row[header.index("Clause in the current version")])
           for row in rows[1:]}
    assert now[on_v1["3"].id] == (1, "3", "4")
    assert now[on_v1["5"].id] == (1, "5", "deleted in version 2")
    assert now[on_v1["6"].id] == (1, "6", "6, 7")

    for comment in on_v1.values():
        session.add(revisions_answer(comment))
    consultation = session.scalar(select(Consultation))
    consultation.results_published_at = revisions.utcnow()
    session.commit()
    page = client.get(f"/en/results/{SLUG}/").get_data(as_text=True)
    four = page[page.index('id="results-4"'):]
    assert "Comment on old clause 3." in four[:four.index("</section>")]
    assert "Made on version 1, clause 3" in four
    assert "Clause 5 of version 1 (deleted since)" in page


def revisions_answer(comment):
    from consult.models import Response
    return Response(comment_id=comment.id, status="noted", rationale="Considered carefully.")


def test_the_changes_agree_with_the_answers(app, on_v1, v2, session, client):
    from consult.models import Response
    session.add(Response(comment_id=on_v1["3"].id, status="accepted", rationale="",
                         change="Clause 4: the migration corridors are added."))
    session.add(Response(comment_id=on_v1["5"].id, status="accepted", rationale="",
                         change="Clause 5 is deleted."))
    for key in ("2", "6"):
        session.add(Response(comment_id=on_v1[key].id, status="noted", rationale="Fine."))
    publish_v2(session)
    out = io.BytesIO()
    with app.test_request_context():
        export_workbook(session, out, lang="en", public=False)
    book = openpyxl.load_workbook(io.BytesIO(out.getvalue()), rich_text=True)
    assert book.sheetnames[:4] == ["About", "Comments", "By clause", "Changes"]
    sheet = list(book["Changes"].iter_rows(values_only=True))
    header, rows = sheet[0], sheet[1:]
    before, now, kind, diff, pointing = (header.index(name) for name in (
        "Clause before", "Clause now", "Kind of change", "The change, word by word",
        "Comments answered by it"))
    by_new = {(row[before], row[now]): (row[kind], str(row[diff]), row[pointing])
              for row in rows}
    assert set(by_new) == {("3", "4"), (None, "2"), ("5", None), ("6", "6, 7"), ("7, 8", "8")}
    assert by_new[("3", "4")][0] == "Renumbered" and "migration" in by_new[("3", "4")][1]
    assert by_new[("3", "4")][2] == f"{on_v1['3'].id} (Accepted)"
    assert by_new[("5", None)][2] == f"{on_v1['5'].id} (Accepted)"
    assert by_new[(None, "2")][2] == "none: an edit of the drafters"
    cell = book["Changes"].cell(row=2 + [r[now] for r in rows].index("4"), column=diff + 1)
    added = [b for b in cell.value if not isinstance(b, str) and b.font.u == "single"]
    assert added and "migration" in "".join(b.text for b in added)

    consultation = session.scalar(select(Consultation))
    consultation.results_published_at = revisions.utcnow()
    session.commit()
    page = client.get(f"/en/results/{SLUG}/").get_data(as_text=True)
    section = page[page.index('class="changes"'):page.index("</section>", page.index(
        'class="changes"'))]
    assert "What changed in version 2" in section
    assert f"Comment {on_v1['3'].id} (Accepted)" in section
    assert section.count("<tr>") == 1 + 5
    # The answer names clause 4 of the revised draft and links there.
    assert f'<a href="/en/documents/{SLUG}/4/">4</a>: the migration corridors' in page


# ---------------------------------------------------------------- comments on the current version

def form(body="About the argali.", version=1) -> dict:
    return {"body": body, "language": "en", "author_name": "", "organisation": "",
            "category": "individual", "region": "", "gender": "", "email": "",
            "consent": "anonymous", "version": str(version)}


def count(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Comment))


def test_a_comment_sent_on_an_old_version_is_refused_and_kept(v2, session, client):
    publish_v2(session)
    response = client.post(f"/en/documents/{SLUG}/3/", data=form())
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "the text you read was revised since" in page
    assert re.search(r">\s*About the argali.</textarea>", page)
    assert f'action="/en/documents/{SLUG}/4/"' in page  # the clause old 3 became
    assert REWORDED["en"] in page and 'name="version" value="2"' in page
    deleted = client.post(f"/en/documents/{SLUG}/5/", data=form("About grants."))
    assert deleted.status_code == 409
    text = deleted.get_data(as_text=True)
    assert "clause 5 was deleted in version 2" in text
    assert re.search(r">\s*About grants.</textarea>", text)
    assert f'action="/en/documents/{SLUG}/"' in text
    query = client.post(f"/en/documents/{SLUG}/1/?version=1", data=form(version=""))
    assert query.status_code == 409
    assert count(session) == 0
    sent = client.post(f"/en/documents/{SLUG}/4/", data=form(version=2))
    assert sent.status_code == 302
    comment = session.scalar(select(Comment))
    assert session.get(Clause, comment.clause_id).text["en"] == REWORDED["en"]
    assert session.get(Version, comment.version_id).number == 2


def test_letters_and_hearing_kits_use_the_version_of_their_day(app, v1, session, client,
                                                               login):
    doc = document(session)
    hearing = Hearing(consultation_id=doc.consultation_id, slug="naryn",
                      city={"en": "Naryn"}, venue={"en": "Hall"}, languages="en",
                      starts_at=revisions.utcnow() - timedelta(hours=2))
    session.add(hearing)
    session.commit()
    login("moderator")
    kit = openpyxl.load_workbook(io.BytesIO(client.get(
        f"/en/hearings/{hearing.id}/kit.xlsx").data))  # made for version 1
    import_version(app, v1 / "v2", 2)
    publish_v2(session)
    # The hearing is held after version 2 was published, with kits printed for version 1:
    # the kit's own record of its version decides, not the hearing's date.
    session.get(Hearing, hearing.id).starts_at = revisions.utcnow()
    session.commit()
    sheet = kit["Comments"]
    for column, value in enumerate((SLUG, "5", "", "", "", "", "", "", "On grants."), 1):
        sheet.cell(row=2, column=column, value=value or None)
    out = io.BytesIO()
    kit.save(out)
    response = client.post(f"/en/hearings/{hearing.id}/kit",
                           data={"file": (io.BytesIO(out.getvalue()), "kit.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code in (200, 302), response.get_data(as_text=True)[-500:]
    said = session.scalar(select(Comment).where(Comment.body == "On grants."))
    assert session.get(Version, said.version_id).number == 1
    assert session.get(Clause, said.clause_id).text["en"] == V1["en"][4]
    # A letter written before version 2 was published concerns version 1.
    before = session.scalar(select(Version).where(Version.number == 2)).published_at \
        - timedelta(days=1)
    [letter] = letters.add_letter(session, document(session), ["3"], dict(
        channel="email", received_at=before, author_name="", organisation="",
        category="individual", region="", gender="unstated", consent="anonymous", language="en",
        body="A letter on the argali."), None)
    assert session.get(Clause, letter.clause_id).text["en"] == V1["en"][2]
    [late] = letters.add_letter(session, document(session), ["3"], dict(
        channel="email", received_at=revisions.utcnow(), author_name="", organisation="",
        category="individual", region="", gender="unstated", consent="anonymous", language="en",
        body="A later letter."), None)
    assert session.get(Clause, late.clause_id).text["en"] == V1["en"][1]  # new 3 = old 2
    assert session.scalar(select(func.count()).select_from(ClauseMatch)) == 10
