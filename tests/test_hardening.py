"""Every hole found by attacking consult as an outsider, closed, and kept closed by a test
(one section per finding)."""
from __future__ import annotations

import csv
import io
import re
import struct
import threading
import zipfile

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from consult import create_app, db
from consult.core import uploads
from consult.models import AuditEvent, Comment, DuplicateGroup, User

CLAUSE = "/en/documents/sample-programme/1/"
DOCUMENT = "/en/documents/sample-programme/"


@pytest.fixture
def ready(make_document, open_period):
    make_document()
    open_period()


def comment_form(**overrides) -> dict:
    data = {"body": "Protect the juniper forests.", "category": "individual",
            "consent": "anonymous"}
    data.update(overrides)
    return data


def count(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Comment))


def language_links(html: str) -> list[str]:
    nav = html[html.index('class="languages"'):]
    nav = nav[:nav.index("</nav>")]
    return re.findall(r'href="([^"]+)"', nav)


# ---------------------------------------------------------------- 1. page cache poisoning

@pytest.mark.parametrize("query", ["_external=1", "_scheme=https&_external=1",
                                   "slug=other-doc", "key=2", "_method=DELETE",
                                   "lang=ru", "_anchor=x"])
def test_query_parameters_never_reach_url_building_or_the_shared_cache(client, ready, query):
    for _ in range(6):
        poisoned = client.get(f"{CLAUSE}?{query}", headers={"Host": "evil.example"})
        assert poisoned.status_code == 200
        assert "evil.example" not in poisoned.get_data(as_text=True)
    page = client.get(CLAUSE).get_data(as_text=True)
    assert language_links(page) == ["/ky/documents/sample-programme/1/",
                                    "/ru/documents/sample-programme/1/"]
    assert "evil.example" not in page


def test_pages_with_unexpected_parameters_are_not_kept(client, ready):
    from consult.drafts import routes
    client.get(f"{CLAUSE}?anything=1")
    client.get(f"{DOCUMENT}?compare=ru&whatever=2")
    assert len(routes.pages._pages) == 0
    client.get(CLAUSE)
    assert len(routes.pages._pages) == 1


def test_forwarded_host_is_never_believed(database_url, ready):
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "x",
                      "BEHIND_PROXY": True})
    client = app.test_client()
    page = client.get(CLAUSE + "?_external=1", headers={"X-Forwarded-Host": "evil.example"},
                      environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_data(as_text=True)
    assert "evil.example" not in page
    app.extensions["consult.engine"].dispose()


# ---------------------------------------------------------------- 2. simultaneous duplicates

def test_two_identical_comments_at_the_same_instant_are_stored_once(app, session, ready):
    """A double click: both requests get the first comment's receipt, whatever the timing."""
    pairs = 12
    for n in range(pairs):
        barrier = threading.Barrier(2)
        locations = []

        def send(n=n, barrier=barrier, locations=locations):
            client = app.test_client()
            barrier.wait()
            response = client.post(CLAUSE, data=comment_form(body=f"Double click {n}"),
                                   headers={"User-Agent": "double-clicker"})
            locations.append((response.status_code, response.headers.get("Location")))

        threads = [threading.Thread(target=send) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [status for status, _l in locations] == [302, 302]
        assert locations[0][1] == locations[1][1]
    assert count(session) == pairs


# ---------------------------------------------------------------- 3. CSV and the ; separator

def test_csv_cannot_start_a_formula_after_any_separator(client, session, comment_on,
                                                        make_document):
    make_document()
    payload = "x;=cmd|' /C calc'!A0;"
    comment_on(session, body=payload)
    comment_on(session, body="a, -1 and b,+2\t@x")
    from consult.core.time import utcnow
    from consult.models import Consultation
    session.scalar(select(Consultation)).results_published_at = utcnow()
    session.commit()
    response = client.get("/ru/results/synthesis.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    text = response.get_data(as_text=True).lstrip("\ufeff")
    for separator in (";", ",", "\t"):
        # A reader that splits on the separator and ignores quotes, as Excel with the
        # list separator of its locale may: no piece starts a formula.
        for line in text.splitlines():
            for piece in line.split(separator):
                piece = piece.strip().strip('"')
                assert piece[:1] not in ("=", "+", "-", "@"), (separator, piece)
    rows = list(csv.reader(io.StringIO(text)))
    assert any("x;'=cmd|' /C calc'!A0;" in cell for row in rows for cell in row)
    assert all(line.startswith('"') for line in text.splitlines() if line)


# ---------------------------------------------------------------- 4. uploads that hold a worker

def wide_workbook(rows: int, columns: int, sheet: str = "Comments") -> bytes:
    """A workbook small on disk whose sheet has rows x columns cells of varied numbers."""
    parts = []
    for r in range(1, rows + 1):
        parts.append(f'<row r="{r}">' + "".join(
            f"<c><v>{(r * 7919 + c * 104729) % 999983}</v></c>" for c in range(columns))
            + "</row>")
    xml = ('<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
           'spreadsheetml/2006/main"><sheetData>' + "".join(parts) + "</sheetData></worksheet>")
    workbook = openpyxl.Workbook()
    workbook.active.title = sheet
    plain = io.BytesIO()
    workbook.save(plain)
    source = zipfile.ZipFile(io.BytesIO(plain.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, xml if item.filename == "xl/worksheets/sheet1.xml"
                            else source.read(item.filename))
    return out.getvalue()


def test_a_wide_kit_is_refused_before_it_is_parsed(client, login, naryn, monkeypatch):
    parsed = []
    monkeypatch.setattr(openpyxl, "load_workbook",
                        lambda *a, **k: parsed.append(1) or pytest.fail("parsed"))
    login("moderator")
    response = client.post(f"/en/hearings/{naryn}/kit", data={
        "file": (io.BytesIO(wide_workbook(40, 16000)), "kit.xlsx")},
        content_type="multipart/form-data")
    assert response.status_code == 200 and parsed == []
    assert "too many cells" in response.get_data(as_text=True)


def test_a_wide_answers_workbook_is_refused_before_it_is_parsed(client, login, record,
                                                                monkeypatch):
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: pytest.fail("parsed"))
    login("drafter")
    response = client.post("/en/synthesis/answers", data={
        "file": (io.BytesIO(wide_workbook(20, 16384)), "answers.xlsx")},
        content_type="multipart/form-data")
    assert response.status_code == 200
    assert "too many cells" in response.get_data(as_text=True)


@pytest.mark.parametrize("who", ["anonymous", "moderator"])
def test_the_large_answers_body_limit_is_only_for_drafters(app, client, login, who):
    if who != "anonymous":
        login(who)
    body = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1024)
    response = client.post("/en/synthesis/answers", data={"file": (io.BytesIO(body), "a.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 413


def test_form_export_mapping_reads_a_file_once(client, login, naryn, monkeypatch):
    from consult.intake import form_export
    reads = []
    real = form_export.read_csv
    monkeypatch.setattr(form_export, "read_csv", lambda *a, **k: reads.append(1) or real(*a, **k))
    login("moderator")
    export = "date;clause;comment;name;organisation\n2025-06-10 14:00;1;Text;A;B\n"
    response = client.post("/en/hearings/form-import", data={
        "file": (io.BytesIO(export.encode()), "export.csv")}, content_type="multipart/form-data")
    for _ in range(3):
        assert client.get(response.location).status_code == 200
    assert len(reads) == 1


# ---------------------------------------------------------------- 5. errors, never 500

def broken(kind: str) -> bytes:
    """A genuine workbook with one part damaged as an attacker would."""
    workbook = openpyxl.Workbook()
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = bytearray(buffer.getvalue())
    name = b"xl/worksheets/sheet1.xml"
    header = data.index(b"PK\x03\x04" + data[data.index(name) - 26:data.index(name) - 26][:0])
    offset = data.index(name) - 30  # the local file header of the sheet
    assert data[offset:offset + 4] == b"PK\x03\x04", header
    flags_at, method_at, crc_at = offset + 6, offset + 8, offset + 14
    size = struct.unpack("<I", data[offset + 18:offset + 22])[0]
    start = offset + 30 + len(name) + struct.unpack("<H", data[offset + 28:offset + 30])[0]
    central = data.index(b"PK\x01\x02" + bytes(data[data.index(b"PK\x01\x02") + 4:][:0]))
    central = data.index(name, data.index(b"PK\x01\x02")) - 46
    if kind == "crc":
        data[crc_at:crc_at + 4] = b"\x00\x00\x00\x00"
        data[central + 16:central + 20] = b"\x00\x00\x00\x00"
    elif kind == "encrypted":
        data[flags_at] |= 1
        data[central + 8] |= 1
    elif kind == "compression":
        data[method_at:method_at + 2] = struct.pack("<H", 99)
        data[central + 10:central + 12] = struct.pack("<H", 99)
    elif kind == "corrupt":
        for i in range(start + 2, start + min(size, 40)):
            data[i] ^= 0x5A
    return bytes(data)


@pytest.mark.parametrize("kind", ["crc", "encrypted", "compression", "corrupt"])
def test_damaged_zip_parts_get_a_message(kind):
    with pytest.raises(uploads.UploadError) as refused:
        uploads.read_xlsx(broken(kind))
    assert "damaged" in str(refused.value) or "not an Excel" in str(refused.value)


@pytest.mark.parametrize("kind", ["crc", "encrypted", "compression", "corrupt"])
def test_damaged_uploads_are_answered_not_crashed(client, login, naryn, record, kind):
    login("admin")
    for url in (f"/en/hearings/{naryn}/kit", "/en/synthesis/answers", "/en/hearings/form-import"):
        response = client.post(url, data={"file": (io.BytesIO(broken(kind)), "f.xlsx")},
                               content_type="multipart/form-data")
        assert response.status_code == 200, url


ABSURD = ["9223372036854775808", "0", "-3", "abc", "²", "1e9"]


@pytest.mark.parametrize("page", ABSURD)
def test_absurd_page_numbers_are_not_found(client, login, ready, page):
    from consult.core.time import utcnow
    from consult.models import Consultation
    with client.application.app_context():
        s = db.session()
        s.scalar(select(Consultation)).results_published_at = utcnow()
        s.commit()
    for url in (CLAUSE, DOCUMENT, "/en/results/sample-programme/"):
        assert client.get(f"{url}?page={page}").status_code == 404, url
    login("moderator")
    assert client.get(f"/en/audit/?page={page}").status_code == 404


def test_odd_filters_and_ids_on_the_desk_are_ignored_or_refused(client, login, doc,
                                                                add_comment, session):
    a = add_comment(session, doc, "1", "Same text")
    b = add_comment(session, doc, "1", "Same text")
    login("drafter")
    for hearing in ("²", "9" * 30, "-1"):
        assert client.get(f"/en/desk/?hearing={hearing}").status_code == 200
    for ids in (["²", "³"], ["9" * 30, str(2**40)], [str(a.id), "９"]):
        response = client.post("/en/desk/groups/confirm", data={"comment": ids})
        assert response.status_code == 302
    for target, source in (("²", "1"), (str(2**63), str(2**63 + 1)), ("", "")):
        response = client.post("/en/desk/groups/merge", data={"target": target,
                                                               "source": source})
        assert response.status_code == 302
    for comment_id in (2**31, 2**63, 10**30):
        assert client.post(f"/en/desk/groups/split/{comment_id}").status_code == 404
        assert client.get(f"/en/desk/comments/{comment_id}/").status_code == 404
    assert session.scalar(select(func.count()).select_from(DuplicateGroup)) == 0
    assert {a.id, b.id} <= {c.id for c in session.scalars(select(Comment))}


@pytest.mark.parametrize("comment_id", [2**31, 2**31 - 1, 2**63, 10**30])
def test_api_ids_beyond_the_database_are_not_found(client, comment_id):
    response = client.get(f"/api/v1/comments/{comment_id}")
    assert response.status_code == 404 and response.is_json


def test_a_nul_byte_in_the_path_is_refused(client, ready):
    for path in ("/en/documents/sample%00programme/", "/en/receipts/abc%00def/",
                 "/api/v1/documents/x%00y"):
        response = client.get(path)
        assert response.status_code == 400, path


def test_two_simultaneous_uploads_of_one_kit_import_it_once(app, login, client, naryn):
    from tests.test_hearings_import import KIT_ROWS, download_kit, fill
    login("moderator")
    data = fill(download_kit(client, naryn), KIT_ROWS)
    cookie = client.get_cookie("session").value
    barrier, statuses = threading.Barrier(2), []

    def send():
        other = app.test_client()
        other.set_cookie("session", cookie)
        barrier.wait()
        statuses.append(other.post(f"/en/hearings/{naryn}/kit", data={
            "file": (io.BytesIO(data), "kit.xlsx")}, content_type="multipart/form-data")
            .status_code)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [302, 302]
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Comment).where(
            Comment.hearing_id == naryn)) == len(KIT_ROWS)


# ---------------------------------------------------------------- 6. rate limits

def test_clause_and_document_pages_share_one_allowance(app, client, ready):
    app.config["COMMENT_RATE_LIMIT"] = "2 per minute"
    try:
        assert client.post(CLAUSE, data=comment_form(body="one")).status_code == 302
        assert client.post(DOCUMENT, data=comment_form(body="two")).status_code == 302
        refused = client.post(CLAUSE, data=comment_form(body="three"))
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
        assert "Wait a minute" in refused.get_data(as_text=True)
    finally:
        app.config["COMMENT_RATE_LIMIT"] = "10000 per minute"


def test_a_forged_forwarded_address_from_outside_the_proxies_is_ignored(database_url, ready):
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "x",
                      "WTF_CSRF_ENABLED": False, "BEHIND_PROXY": True,
                      "COMMENT_RATE_LIMIT": "2 per minute"})
    client = app.test_client()
    direct = {"REMOTE_ADDR": "203.0.113.9"}  # gunicorn reached directly, not via the proxy
    statuses = [client.post(CLAUSE, data=comment_form(body=f"forged {n}"),
                            headers={"X-Forwarded-For": f"198.51.100.{n}"},
                            environ_base=direct).status_code for n in range(3)]
    assert statuses == [302, 302, 429]
    # Through the proxy the forwarded address is the client's own.
    via_proxy = {"REMOTE_ADDR": "127.0.0.1"}
    assert client.post(CLAUSE, data=comment_form(body="proxied"),
                       headers={"X-Forwarded-For": "198.51.100.77"},
                       environ_base=via_proxy).status_code == 302
    app.extensions["consult.engine"].dispose()


def test_redis_counts_are_shared_by_every_worker(database_url, ready):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379", socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    config = {"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "x",
              "WTF_CSRF_ENABLED": False, "COMMENT_RATE_LIMIT": "2 per minute",
              "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15"}
    first, second = create_app(config), create_app(config)
    with first.app_context():
        from consult import ratelimit
        ratelimit.reset()
    address = {"REMOTE_ADDR": "192.0.2.44"}
    statuses = [app.test_client().post(CLAUSE, data=comment_form(body=f"w{n}"),
                                       environ_base=address).status_code
                for n, app in enumerate((first, second, first))]
    assert statuses == [302, 302, 429]
    for app in (first, second):
        app.extensions["consult.engine"].dispose()


# ---------------------------------------------------------------- 7. sessions

def test_signing_out_ends_a_copied_session(app, client, make_user):
    make_user("moderator", email="clerk@example.org")
    assert client.post("/en/login", data={"email": "clerk@example.org",
                                          "password": "correct horse battery"}).status_code == 302
    copied = app.test_client()
    copied.set_cookie("session", client.get_cookie("session").value)
    assert copied.get("/en/moderation/").status_code == 200
    client.post("/en/logout")
    response = copied.get("/en/moderation/")
    assert response.status_code == 302 and "/en/login" in response.headers["Location"]


def test_a_new_password_ends_every_session(app, client, make_user, runner):
    make_user("moderator", email="clerk@example.org")
    client.post("/en/login", data={"email": "clerk@example.org",
                                   "password": "correct horse battery"})
    assert client.get("/en/moderation/").status_code == 200
    result = runner.invoke(args=["create-user", "clerk@example.org", "--role", "moderator"],
                           input="a brand new password\na brand new password\n")
    assert result.exit_code == 0, result.output
    assert client.get("/en/moderation/").status_code == 302


# ---------------------------------------------------------------- 8. the database away

def test_database_away_is_a_readable_503_and_cached_pages_still_serve(client, ready,
                                                                      monkeypatch):
    assert client.get(CLAUSE).status_code == 200  # kept in the page cache
    from consult.drafts import services

    def away(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))
    monkeypatch.setattr(services, "page_state", away)
    monkeypatch.setattr(services, "document_by_slug", away)
    assert client.get(CLAUSE).status_code == 200
    response = client.get(DOCUMENT)
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert "busy for a moment" in response.get_data(as_text=True)
    from consult.publication.api import services as api_services
    monkeypatch.setattr(api_services, "document_by_slug", away)
    api = client.get("/api/v1/documents/sample-programme")
    assert api.status_code == 503 and api.is_json and api.headers["Retry-After"] == "30"


# ---------------------------------------------------------------- 9. smaller ones

def test_bidi_and_zero_width_characters_are_removed(client, session, ready):
    response = client.post(CLAUSE, data=comment_form(
        body="See the file \u202egnp.exe here\u200b", author_name="Ai\u202eda\u2066 B",
        organisation="\ufeffOrg\u200d"))
    assert response.status_code == 302
    comment = session.scalar(select(Comment))
    assert comment.body == "See the file gnp.exe here"
    assert comment.author_name == "Aida B" and comment.organisation == "Org"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "control characters were removed" in page


def test_405_keeps_its_allow_header(client):
    response = client.delete("/en/")
    assert response.status_code == 405 and "GET" in response.headers["Allow"]
    api = client.post("/api/v1/documents")
    assert api.status_code == 405 and "GET" in api.headers["Allow"]


def test_the_groups_form_never_sends_anyone_off_site(client, login, doc):
    login("drafter")
    for target in ("/\t/evil.example", "//evil.example", "https://evil.example/",
                   "/\\evil.example", "/\n/evil.example"):
        response = client.post("/en/desk/groups/confirm", data={"next": target})
        location = response.headers["Location"]
        assert location.startswith("/en/desk/groups/"), (target, location)


def test_qr_codes_need_the_public_address(app, client, naryn, login):
    app.config["PUBLIC_URL"] = ""
    try:
        schedule = client.get("/en/hearings/", headers={"Host": "evil.example"})
        assert "<svg" not in schedule.get_data(as_text=True)
        assert "evil.example" not in schedule.get_data(as_text=True)
        login("moderator")
        handout = client.get(f"/en/hearings/{naryn}/handout").get_data(as_text=True)
        assert "PUBLIC_URL" in handout and "<svg" not in handout
    finally:
        app.config["PUBLIC_URL"] = "https://consult.example.org"
    assert "https://consult.example.org/en/" in client.get("/en/hearings/").get_data(
        as_text=True)


def test_an_entity_declared_past_the_first_kilobytes_is_refused():
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "x" * 10_000  # pushes the declaration deep into the part
    plain = io.BytesIO()
    workbook.save(plain)
    source = zipfile.ZipFile(io.BytesIO(plain.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content + b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            target.writestr(item.filename, content)
    with pytest.raises(uploads.UploadError) as refused:
        uploads.check_xlsx(out.getvalue())
    assert "entity" in str(refused.value)


def test_refusals_change_nothing(app, client, ready):
    """Every refusal above leaves the register and the audit log as they were."""
    with app.app_context():
        before = db.session().scalar(select(func.count()).select_from(AuditEvent))
    client.get(f"{CLAUSE}?_method=DELETE")
    client.get("/en/documents/x%00/")
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(AuditEvent)) == before
        assert db.session().scalar(select(func.count()).select_from(User)) == 0
