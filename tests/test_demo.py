"""``consult demo`` builds a fresh, usable database from the shipped drafts."""
from sqlalchemy import create_engine, func, select

from consult.cli import demo
from consult.models import Clause, Consultation, Document, Hearing, User


def test_demo_prepares_a_fresh_database(tmp_path):
    from click.testing import CliRunner
    path = tmp_path / "demo.sqlite3"
    path.write_bytes(b"an old file that must be replaced")
    result = CliRunner().invoke(demo, ["--no-serve", "--database", str(path)])
    assert result.exit_code == 0, result.output
    assert "admin@example.org" in result.output and "password:" in result.output
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        assert set(conn.scalars(select(Document.slug))) == {
            "biodiversity-programme-2040", "biodiversity-action-plan-2025-2030"}
        assert conn.scalar(select(func.count()).select_from(Clause)) > 100
        assert conn.scalar(select(func.count()).select_from(Hearing)) == 5
        assert conn.scalar(select(func.count()).select_from(User)) == 3
        opens, closes = conn.execute(select(Consultation.opens_at, Consultation.closes_at)).one()
        assert opens is not None and closes is not None
    engine.dispose()
