"""The open-data API: its OpenAPI description, the responses against it, public form only."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import validate
from sqlalchemy import select

from consult.core.time import utcnow
from consult.models import Consultation, Document, Hearing
from consult.publication import results as publish


def spec_of(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def check(spec: dict, schema: dict, instance) -> None:
    """Validate ``instance`` against ``schema``, resolving $refs into the spec's components."""
    validator = Draft202012Validator({**schema, "components": spec["components"]},
                                     format_checker=FormatChecker())
    errors = sorted(validator.iter_errors(instance), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


def response_schema(spec: dict, path: str, code: str = "200") -> dict:
    response = spec["paths"][path]["get"]["responses"][code]
    if "$ref" in response:
        response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return response["content"]["application/json"]["schema"]


@pytest.fixture
def published_data(comment_on, session, make_document):
    """A document, a held hearing with attendance, comments of every kind, answered and
    published. Returns the ids of (named, anonymous, hidden, new) comments."""
    make_document()
    consultation = session.scalar(select(Consultation))
    hearing = Hearing(consultation_id=consultation.id, slug="naryn", city={"en": "Naryn"},
                      starts_at=utcnow(), status="held", attendance_total=30,
                      attendance_women=16, attendance_men=13, attendance_unstated=1,
                      attendance_by_category={"individual": 25, "ngo": 5})
    session.add(hearing)
    session.flush()
    noted = ("noted", "", "")
    named = comment_on(session, author_name="Aida Publishable", consent="full",
                        email="aida.secret@example.org", body="Named text.",
                        answer=("accepted", "Agreed.", "Clause 1 reworded."))
    anonymous = comment_on(session, author_name="Bakyt Private", consent="anonymous",
                            email="bakyt.secret@example.org", channel="hearing-oral",
                            hearing_id=hearing.id, key="2", answer=noted)
    hidden = comment_on(session, body="Hidden abuse.", state="hidden", hidden_reason="abuse",
                         email="hidden.secret@example.org", key=None, answer=noted)
    new = comment_on(session, body="Awaiting moderation.", state="new",
                      email="new.secret@example.org", answer=noted)
    consultation.closes_at = utcnow() - timedelta(minutes=1)
    consultation.opens_at = consultation.closes_at - timedelta(days=30)
    publish.publish(session, consultation, None)
    session.commit()
    return named.id, anonymous.id, hidden.id, new.id


def test_openapi_document_is_valid_and_linked_from_pages(client, make_document):
    make_document()
    spec = spec_of(client)
    validate(spec)
    assert spec["openapi"].startswith("3.1")
    assert 'href="/api/v1/openapi.json"' in client.get("/en/").get_data(as_text=True)


def test_every_path_answers_as_its_schema_says(client, session, published_data):
    spec = spec_of(client)
    named_id = published_data[0]
    values = {"{slug}": "sample-programme", "{number}": "1", "{comment_id}": str(named_id)}
    for template in spec["paths"]:
        path = template
        for name, value in values.items():
            path = path.replace(name, value)
        assert "{" not in path, path
        response = client.get("/api/v1" + path)
        assert response.status_code == 200, path
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        check(spec, response_schema(spec, template), response.get_json())
        for code in spec["paths"][template]["get"]["responses"]:
            assert code in ("200", "400", "404")


def test_errors_answer_as_their_schema_says(client, published_data):
    spec = spec_of(client)
    for url, code, template in [
            ("/api/v1/documents/no-such-document", "404", "/documents/{slug}"),
            ("/api/v1/documents/sample-programme/versions/9", "404",
             "/documents/{slug}/versions/{number}"),
            ("/api/v1/comments/999999", "404", "/comments/{comment_id}"),
            ("/api/v1/comments?per_page=501", "400", "/comments"),
            ("/api/v1/comments?page=zero", "400", "/comments"),
            ("/api/v1/comments?page=99999999999999999999", "400", "/comments"),
            ("/api/v1/hearings?per_page=-1", "400", "/hearings"),
            ("/api/v1/comments?channel=pigeon", "400", "/comments")]:
        response = client.get(url)
        assert response.status_code == int(code), url
        check(spec, response_schema(spec, template, code), response.get_json())


def test_real_drafts_versions_match_the_schema(client, demo_data):
    spec = spec_of(client)
    listing = client.get("/api/v1/documents").get_json()
    assert listing["total"] >= 2
    kinds = {d["kind"] for d in listing["data"]}
    assert kinds == {"programme", "action-plan"}
    for item in listing["data"]:
        for version in item["versions"]:
            data = client.get(version["url"]).get_json()
            check(spec, response_schema(spec, "/documents/{slug}/versions/{number}"), data)
            assert data["clauses"] and all(c["text"] for c in data["clauses"])
    hearings = client.get("/api/v1/hearings").get_json()
    check(spec, response_schema(spec, "/hearings"), hearings)
    assert hearings["total"] >= 1


def test_version_gives_clause_texts_in_every_language(client, make_document):
    make_document()
    data = client.get("/api/v1/documents/sample-programme/versions/1").get_json()
    first = data["clauses"][0]
    assert first["key"] == "1" and set(first["text"]) == {"ky", "ru", "en"}
    assert "mountain" in first["text"]["en"] and "<" in first["html"]["en"]
    assert [c["key"] for c in data["clauses"]] == ["1", "2", "3", "annex-1.1"]


def test_comments_are_paginated_with_links(comment_on, client, session, make_document):
    make_document()
    for n in range(7):
        comment_on(session, body=f"Comment {n}")
    session.commit()
    first = client.get("/api/v1/comments?per_page=3").get_json()
    assert first["total"] == 7 and len(first["data"]) == 3 and first["per_page"] == 3
    assert first["links"]["prev"] is None
    assert "page=2" in first["links"]["next"] and "page=3" in first["links"]["last"]
    last = client.get(first["links"]["last"]).get_json()
    assert [c["text"] for c in last["data"]] == ["Comment 6"] and last["links"]["next"] is None
    ids = [c["id"] for p in (1, 2, 3)
           for c in client.get(f"/api/v1/comments?per_page=3&page={p}").get_json()["data"]]
    assert len(set(ids)) == 7
    filtered = client.get("/api/v1/comments?document=sample-programme&clause=2").get_json()
    assert filtered["total"] == 0
    assert client.get("/api/v1/comments?per_page=0").status_code == 400


def test_no_email_anywhere_and_names_only_with_consent(client, published_data):
    named_id, anonymous_id, hidden_id, new_id = published_data
    texts = []
    for url in ["/api/v1/", "/api/v1/documents", "/api/v1/documents/sample-programme",
                "/api/v1/documents/sample-programme/versions/1", "/api/v1/comments",
                "/api/v1/comments?per_page=1&page=2", "/api/v1/hearings", "/api/v1/results",
                *(f"/api/v1/comments/{i}" for i in (named_id, anonymous_id, hidden_id))]:
        response = client.get(url)
        assert response.status_code == 200, url
        texts.append(response.get_data(as_text=True))
    everything = "\n".join(texts)
    assert "@example.org" not in everything and ".secret" not in everything
    assert "Aida Publishable" in everything and "Bakyt Private" not in everything
    comments = {c["id"]: c for c in client.get("/api/v1/comments").get_json()["data"]}
    assert comments[named_id]["author_name"] == "Aida Publishable"
    assert comments[anonymous_id]["author_name"] is None


def test_hidden_text_withheld_and_unmoderated_comments_not_listed(client, published_data):
    named_id, anonymous_id, hidden_id, new_id = published_data
    comments = {c["id"]: c for c in client.get("/api/v1/comments").get_json()["data"]}
    assert new_id not in comments
    assert client.get(f"/api/v1/comments/{new_id}").status_code == 404
    hidden = comments[hidden_id]
    assert hidden["text"] is None and hidden["withheld_reason"] == "abuse"
    assert hidden["answer"]["status"] == "noted"
    assert "Hidden abuse." not in json.dumps(comments, ensure_ascii=False)
    assert comments[anonymous_id]["hearing"] == "naryn"


def test_answers_only_once_results_are_published(client, session, published_data):
    named_id = published_data[0]
    assert client.get(f"/api/v1/comments/{named_id}").get_json()["answer"] == {
        "status": "accepted", "rationale": "Agreed.", "change": "Clause 1 reworded.",
        "updated_at": client.get(f"/api/v1/comments/{named_id}").get_json()["answer"][
            "updated_at"]}
    publish.unpublish(session, session.scalar(select(Consultation)), None)
    session.commit()
    assert client.get(f"/api/v1/comments/{named_id}").get_json()["answer"] is None
    assert client.get("/api/v1/results").get_json() == {"published_at": None, "totals": None}


def test_hearings_give_attendance_by_gender(client, published_data):
    data = client.get("/api/v1/hearings").get_json()["data"]
    assert data[0]["attendance"] == {"total": 30, "women": 16, "men": 13, "unstated": 1,
                                     "by_category": {"individual": 25, "ngo": 5}}
    assert data[0]["status"] == "held"


def test_results_totals(client, published_data):
    data = client.get("/api/v1/results").get_json()
    assert data["published_at"].endswith("Z")
    assert data["totals"]["received"] == 4
    assert data["totals"]["by_status"] == {"accepted": 1, "noted": 3}
    assert {"hearing": "naryn", "comments": 1} in data["totals"]["by_hearing"]


def test_document_lists_versions(client, session, make_document):
    make_document()
    make_document(version=2, word="river")
    data = client.get("/api/v1/documents/sample-programme").get_json()
    assert data["current_version"] == 2
    assert [v["number"] for v in data["versions"]] == [1, 2]
    assert session.scalar(select(Document)).slug == "sample-programme"
