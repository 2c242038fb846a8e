"""Importing drafts: all or nothing per document, idempotent, versioned; the CLI around it."""
from sqlalchemy import func, select

from consult import db
from consult.models import Clause, Consultation, Document, DocumentVersion
from tests.conftest import write_sample


def count(app, model):
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(model))


def test_import_creates_document_sections_and_clauses(app, runner, tmp_path):
    path = write_sample(tmp_path)
    result = runner.invoke(args=["import-drafts", str(path)])
    assert result.exit_code == 0, result.output
    assert "sample-programme: created (version 1)" in result.output
    with app.app_context():
        s = db.session()
        document = s.scalar(select(Document))
        version = document.current_version
        assert document.kind == "programme"
        assert document.consultation.slug == "test-consultation"
        assert [c.key for c in version.clauses] == ["1", "2", "3", "annex-1.1"]
        assert version.clauses[0].text["ky"].startswith("Программа mountain")
        assert version.clauses[0].text["ru"] and version.clauses[0].text["en"]
        assert len(version.sections) == 3
        assert version.sections[2].annex == 1


def test_reimport_of_same_text_changes_nothing(app, runner, tmp_path):
    path = write_sample(tmp_path)
    runner.invoke(args=["import-drafts", str(path)])
    result = runner.invoke(args=["import-drafts", str(path)])
    assert result.exit_code == 0
    assert "unchanged (version 1)" in result.output
    assert count(app, DocumentVersion) == 1
    assert count(app, Clause) == 4


def test_changed_text_with_higher_version_creates_a_new_version(app, runner, tmp_path):
    runner.invoke(args=["import-drafts", str(write_sample(tmp_path / "a"))])
    path = write_sample(tmp_path / "b", version=2, word="forest")
    result = runner.invoke(args=["import-drafts", str(path)])
    assert result.exit_code == 0, result.output
    assert "new-version (version 2)" in result.output
    assert "not published yet" in result.output
    with app.app_context():
        document = db.session().scalar(select(Document))
        assert [v.number for v in document.versions] == [1, 2]
        # Stored beside the published version; the public keeps reading version 1.
        assert document.current_version.number == 1
        assert document.versions[1].published_at is None
    refused = runner.invoke(args=["publish-version", "sample-programme", "2"])
    assert refused.exit_code == 1 and "not confirmed" in refused.output
    result = runner.invoke(args=["publish-version", "sample-programme", "2",
                                 "--accept-proposed"])
    assert result.exit_code == 0, result.output
    assert "matching: changed" in result.output and "version 2 published" in result.output
    with app.app_context():
        document = db.session().scalar(select(Document))
        assert document.current_version.number == 2
        assert "forest" in document.current_version.clauses[0].text["en"]
        assert "mountain" in document.versions[0].clauses[0].text["en"]


def test_changed_text_without_higher_version_is_refused(app, runner, tmp_path):
    runner.invoke(args=["import-drafts", str(write_sample(tmp_path / "a"))])
    result = runner.invoke(args=["import-drafts", str(write_sample(tmp_path / "b", word="x"))])
    assert result.exit_code == 1
    assert "Version" in result.output
    assert count(app, DocumentVersion) == 1


def test_bad_file_refuses_the_whole_document(app, runner, tmp_path):
    path = write_sample(tmp_path)
    ru = path / "ru.md"
    ru.write_text(ru.read_text(encoding="utf-8").replace("Kind: programme", "Kind: law"),
                  encoding="utf-8")
    result = runner.invoke(args=["import-drafts", str(path)])
    assert result.exit_code == 1
    assert f"{ru}:3: Unknown Kind 'law'" in result.output
    assert count(app, Document) == 0
    assert count(app, Clause) == 0


def test_missing_clause_in_one_language_names_file_and_line(app, runner, tmp_path):
    path = write_sample(tmp_path)
    en = path / "en.md"
    en.write_text(en.read_text(encoding="utf-8").replace("2. Second clause in English.\n", ""),
                  encoding="utf-8")
    result = runner.invoke(args=["import-drafts", str(path)])
    assert result.exit_code == 1
    assert f"{en}:" in result.output and "Clause 2 is missing here" in result.output
    assert count(app, Document) == 0


def test_any_refused_document_stops_the_whole_run(app, runner, tmp_path):
    write_sample(tmp_path, slug="good-one")
    bad = write_sample(tmp_path, slug="bad-one")
    (bad / "en.md").write_text("Title: x\n\n1. No header\n", encoding="utf-8")
    result = runner.invoke(args=["import-drafts", str(tmp_path)])
    assert result.exit_code == 1
    with app.app_context():
        slugs = set(db.session().scalars(select(Document.slug)))
    # The CLI refuses the run as a whole when any document is bad: nothing is committed.
    assert slugs == set()


def test_default_consultation_when_header_names_none(app, runner, tmp_path):
    path = write_sample(tmp_path, consultation="x")
    for lang_file in path.iterdir():
        text = lang_file.read_text(encoding="utf-8").replace("Consultation: x\n", "")
        lang_file.write_text(text, encoding="utf-8")
    assert runner.invoke(args=["import-drafts", str(path)]).exit_code == 0
    with app.app_context():
        assert db.session().scalar(select(Consultation.slug)) == "default"


def test_only_some_languages_is_allowed(app, client, runner, tmp_path, open_period):
    path = write_sample(tmp_path, languages=("ru",))
    assert runner.invoke(args=["import-drafts", str(path)]).exit_code == 0
    open_period()  # announced
    page = client.get("/en/documents/sample-programme/2/").get_data(as_text=True)
    assert "Второй пункт по-русски." in page
    assert "no English text yet" in page


def test_set_period_command(app, runner, make_document, complete_notice):
    make_document()
    complete_notice()
    result = runner.invoke(args=["set-period", "--opens", "2025-06-01T09:00",
                                 "--closes", "2025-07-15T18:00"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        consultation = db.session().scalar(select(Consultation))
        # Asia/Bishkek is UTC+6 all year.
        assert consultation.opens_at.isoformat() == "2025-06-01T03:00:00"
        assert consultation.closes_at.isoformat() == "2025-07-15T12:00:00"
    assert "warning: this period has already ended" in result.output  # 2025 is past
    later = runner.invoke(args=["set-period", "--opens", "2025-06-01T09:00",
                                "--closes", "2999-07-15T18:00"])
    assert later.exit_code == 0 and "warning" not in later.output
    bad = runner.invoke(args=["set-period", "--opens", "2025-07-15T18:00",
                              "--closes", "2025-06-01T09:00"])
    assert bad.exit_code != 0 and "close after it opens" in bad.output


def test_load_hearings_command_updates_not_duplicates(app, runner):
    from consult import ROOT
    from consult.models import Hearing
    schedule = str(ROOT / "drafts" / "hearings.json")
    assert runner.invoke(args=["load-hearings", schedule]).exit_code == 0
    assert runner.invoke(args=["load-hearings", schedule]).exit_code == 0
    with app.app_context():
        hearings = db.session().scalars(select(Hearing).order_by(Hearing.starts_at)).all()
        assert len(hearings) == 5
        naryn = next(h for h in hearings if h.slug == "naryn-2025")
        assert naryn.venue == {} and naryn.city["en"] == "Naryn"
        assert naryn.starts_at.isoformat() == "2025-06-10T07:30:00"
