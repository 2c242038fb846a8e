"""Duplicate groups: suggestions (pure and from the database), confirm, split, merge."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from consult.models import AuditEvent, Comment, DuplicateGroup, Response
from consult.synthesis import suggestions as groups
from consult.synthesis.answers import save_answer
from consult.synthesis.groups import GroupRefused, create_group, merge_groups, split_member

CAMPAIGN = "Сохраните арчовые леса Нарынской области, запретите вырубку!"


def test_normalise_ignores_case_punctuation_spacing_and_lookalikes():
    # "Cохраните" below starts with a Latin C.
    assert groups.normalise("Cохраните,  АРЧОВЫЕ леса!!") == groups.normalise(
        "сохраните арчовые леса")


def test_cluster_finds_identical_and_near_identical_but_not_different_texts():
    items = [(1, CAMPAIGN), (2, CAMPAIGN.upper()), (3, CAMPAIGN.replace("вырубку", "вырубкy")),
             (4, CAMPAIGN.replace("арчовые", "арчовыe леса")[:-3]),
             (5, "Предлагаю увеличить финансирование заповедника Сары-Челек."),
             (6, "Предлагаю уменьшить штрафы для фермеров в Таласской области."),
             (7, "Да"), (8, "Нет")]
    assert groups.cluster(items) == [[1, 2, 3, 4]]


def test_cluster_with_a_typo_and_a_different_text():
    a = "Please protect the snow leopard habitat in the Sarychat reserve."
    items = [(1, a), (2, a.replace("leopard", "leopadr")),
             (3, "Please fund more rangers for the Issyk-Kul biosphere territory.")]
    assert groups.cluster(items) == [[1, 2]]






def test_suggestions_stay_within_one_clause_and_skip_grouped(add_comment, session, doc, drafter):
    a = add_comment(session, doc, "1", CAMPAIGN)
    b = add_comment(session, doc, "1", CAMPAIGN + " ")
    c = add_comment(session, doc, "2", CAMPAIGN)
    d = add_comment(session, doc, "1", "Совсем другой текст о туризме.")
    found = groups.suggest(session, doc.id)
    assert [(s.clause_key, s.comment_ids, s.identical) for s in found] == [
        ("1", [a.id, b.id], True)]
    assert c.id and d.id
    create_group(session, [a.id, b.id], drafter)
    session.commit()
    assert groups.suggest(session, doc.id) == []


def test_one_answer_applies_to_every_member(add_comment, session, doc, drafter):
    members = [add_comment(session, doc, "1", CAMPAIGN) for _ in range(3)]
    group, answered_from = create_group(session, [m.id for m in members], drafter)
    session.commit()
    assert answered_from is None
    save_answer(session, members[1], "not-accepted", "Уже предусмотрено пунктом 1.", "",
                drafter, None)
    session.commit()
    session.expire_all()
    for member in members:
        assert session.get(Comment, member.id).answer.rationale == "Уже предусмотрено пунктом 1."
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "group.create")) \
        .after["members"] == sorted(m.id for m in members)


def test_grouping_answered_comments_keeps_the_first_answer(add_comment, session, doc, drafter):
    a, b, c = (add_comment(session, doc, "1", CAMPAIGN) for _ in range(3))
    save_answer(session, b, "noted", "", "", drafter, None)
    save_answer(session, c, "accepted", "", "Clause 1 amended.", drafter, None)
    session.commit()
    group, answered_from = create_group(session, [a.id, b.id, c.id], drafter)
    session.commit()
    assert answered_from.id == b.id
    session.expire_all()
    assert {session.get(Comment, x.id).answer.status for x in (a, b, c)} == {"noted"}


def test_split_gives_the_member_a_copy_and_dissolves_a_pair(add_comment, session, doc, drafter):
    a, b, c = (add_comment(session, doc, "1", CAMPAIGN) for _ in range(3))
    group, _ = create_group(session, [a.id, b.id, c.id], drafter)
    save_answer(session, a, "noted", "Учтено.", "", drafter, None)
    session.commit()
    split_member(session, session.get(Comment, c.id), drafter)
    session.commit()
    session.expire_all()
    c_now = session.get(Comment, c.id)
    assert c_now.group_id is None and c_now.answer.comment_id == c.id
    assert c_now.answer.rationale == "Учтено."
    # The copy is the member's own: changing it leaves the group alone.
    save_answer(session, c_now, "accepted", "", "Clause 1 amended.", drafter,
                c_now.answer.revision)
    session.commit()
    session.expire_all()
    assert session.get(Comment, a.id).answer.status == "noted"
    split_member(session, session.get(Comment, a.id), drafter)
    session.commit()
    session.expire_all()
    assert session.get(Comment, a.id).group_id is None
    assert session.get(Comment, b.id).group_id is None  # one left: dissolved
    assert session.get(Comment, b.id).answer.rationale == "Учтено."
    assert len(session.scalars(select(AuditEvent).where(
        AuditEvent.action == "group.split")).all()) == 2


def test_merge_moves_members_and_keeps_the_targets_answer(add_comment, session, doc, drafter):
    a, b, c, d = (add_comment(session, doc, "1", CAMPAIGN) for _ in range(4))
    first, _ = create_group(session, [a.id, b.id], drafter)
    second, _ = create_group(session, [c.id, d.id], drafter)
    save_answer(session, c, "noted", "", "", drafter, None)
    session.commit()
    merge_groups(session, first.id, second.id, drafter)
    session.commit()
    session.expire_all()
    assert {session.get(Comment, x.id).group_id for x in (a, b, c, d)} == {first.id}
    # The target had no answer: it took the merged group's.
    assert session.get(Comment, a.id).answer.status == "noted"
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "group.merge"))


def test_refused_grouping(add_comment, session, doc, drafter):
    a = add_comment(session, doc, "1", CAMPAIGN)
    b = add_comment(session, doc, "2", CAMPAIGN)
    with pytest.raises(GroupRefused):
        create_group(session, [a.id], drafter)
    with pytest.raises(GroupRefused):
        create_group(session, [a.id, b.id], drafter)
    with pytest.raises(GroupRefused):
        create_group(session, [a.id, 999999], drafter)
    assert session.scalar(select(DuplicateGroup)) is None


def test_groups_page_confirm_split_merge_through_http(add_comment, client, login, session, doc):
    a, b = (add_comment(session, doc, "1", CAMPAIGN) for _ in range(2))
    c = add_comment(session, doc, "1", CAMPAIGN.replace("Нарынской", "Нарынскай"))
    login("drafter")
    html = client.get(f"/en/desk/groups/?doc={doc.slug}").get_data(as_text=True)
    assert "near-identical text" in html
    assert set(map(int, re.findall(r'name="comment" value="(\d+)"', html))) == {a.id, b.id, c.id}
    done = client.post("/en/desk/groups/confirm", data={"comment": [str(a.id), str(b.id)]})
    assert done.status_code == 302
    session.expire_all()
    group_id = session.get(Comment, a.id).group_id
    assert group_id and session.get(Comment, b.id).group_id == group_id
    client.post("/en/desk/groups/confirm", data={"comment": [str(c.id), str(c.id)]})
    assert session.get(Comment, c.id).group_id is None  # one comment is not a group
    # Answer once through the answer page of any member.
    client.post(f"/en/desk/comments/{b.id}/", data={"status": "noted"})
    session.expire_all()
    assert session.get(Comment, a.id).answer.status == "noted"
    desk = client.get(f"/en/desk/?doc={doc.slug}").get_data(as_text=True)
    assert f"Group {group_id} (2 comments)" in desk
    client.post(f"/en/desk/groups/split/{a.id}")
    session.expire_all()
    assert session.get(Comment, a.id).group_id is None
    assert session.get(Comment, a.id).answer.status == "noted"
    assert session.scalar(select(Response).where(Response.comment_id == a.id))


def test_groups_page_of_a_large_document_asks_for_a_clause(add_comment, client, login, session, doc,
                                                           monkeypatch):
    a, b = (add_comment(session, doc, "1", CAMPAIGN) for _ in range(2))
    c, d = (add_comment(session, doc, None, "Весь документ: " + CAMPAIGN) for _ in range(2))
    add_comment(session, doc, "2", "Один комментарий к пункту 2.")
    monkeypatch.setattr(groups, "WHOLE_DOCUMENT_LIMIT", 3)
    login("drafter")
    html = client.get(f"/en/desk/groups/?doc={doc.slug}").get_data(as_text=True)
    # Nothing compared: the clauses with at least two ungrouped comments, to choose from.
    assert 'name="comment"' not in html and "choose a clause" in html
    assert "clause=1" in html and "2 ungrouped comments" in html
    assert "clause=2" not in html
    one = client.get(f"/en/desk/groups/?doc={doc.slug}&clause=1").get_data(as_text=True)
    assert set(map(int, re.findall(r'name="comment" value="(\d+)"', one))) == {a.id, b.id}
    whole = client.get(f"/en/desk/groups/?doc={doc.slug}&clause=-").get_data(as_text=True)
    assert set(map(int, re.findall(r'name="comment" value="(\d+)"', whole))) == {c.id, d.id}
