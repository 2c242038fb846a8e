"""The draft parser: every rule of DESIGN.md section 3, and every refusal with file and line."""
import textwrap

import pytest

from consult.drafts.parse import DraftError, merge, parse

HEADER = """\
Title: Test
Document: test-doc
Kind: {kind}
Version: 1
Language: {lang}
"""


def src(body: str, kind: str = "programme", lang: str = "en", header: str | None = None) -> str:
    head = header if header is not None else HEADER.format(kind=kind, lang=lang)
    return head + "\n" + textwrap.dedent(body)


def problems(text: str, path: str = "drafts/test-doc/en.md") -> list[str]:
    with pytest.raises(DraftError) as caught:
        parse(text, path)
    return [str(p) for p in caught.value.problems]


def test_header_is_read():
    doc = parse(src("# One\n\n1. Text.\n"), "en.md")
    assert doc.meta["title"] == "Test"
    assert doc.slug == "test-doc" and doc.language == "en"


def test_clause_may_run_over_several_lines():
    doc = parse(src("""\
        # Chapter

        1. Clause text, which may run over
        several lines.
        """), "en.md")
    assert [c.key for c in doc.clauses] == ["1"]
    assert doc.clauses[0].text == "Clause text, which may run over several lines."


def test_sub_items_stay_inside_their_clause():
    doc = parse(src("""\
        # Chapter

        1. Clause with items:

           1) a sub-item stays inside clause 1
           2) another sub-item

        2. The next clause.
        """), "en.md")
    assert [c.key for c in doc.clauses] == ["1", "2"]
    first = doc.clauses[0]
    assert '<ol class="subitems">' in first.html
    assert first.html.count("<li>") == 2
    assert "another sub-item" in first.text


def test_unnumbered_paragraph_belongs_to_the_clause_before():
    doc = parse(src("""\
        # Chapter

        1. First.

        An unnumbered paragraph belongs to the clause before it.

        2. Second.
        """), "en.md")
    assert "belongs to the clause before it" in doc.clauses[0].text
    assert "belongs" not in doc.clauses[1].text


def test_headings_open_sections_at_three_levels():
    doc = parse(src("""\
        # Chapter 1

        1. One.

        ## Section 1.1

        2. Two.

        ### Paragraph 1.1.1

        3. Three.

        # Chapter 2

        4. Four.
        """), "en.md")
    assert [(s.level, s.heading) for s in doc.sections] == [
        (1, "Chapter 1"), (2, "Section 1.1"), (3, "Paragraph 1.1.1"), (1, "Chapter 2")]
    assert [c.section for c in doc.clauses] == [0, 1, 2, 3]
    assert [s.chapter for s in doc.sections] == [0, 0, 0, 3]


def test_a_number_inside_a_paragraph_does_not_open_a_clause():
    doc = parse(src("""\
        # Chapter

        1. The programme runs to
        2040. It has goals.
        """), "en.md")
    assert [c.key for c in doc.clauses] == ["1"]


@pytest.mark.parametrize("heading,expected", [
    ("Annex 1. Indicators", "annex-1.1"),
    ("Приложение 2. Индикаторы", "annex-2.1"),
    ("3-тиркеме. Көрсөткүчтөр", "annex-3.1"),
])
def test_annex_starts_its_own_numbering(heading, expected):
    doc = parse(src(f"""\
        # Chapter

        1. Main clause.

        # {heading}

        1. Annex clause.
        """), "en.md")
    assert [c.key for c in doc.clauses] == ["1", expected]


def test_annex_without_number_counts_annexes():
    doc = parse(src("""\
        # Chapter

        1. Main.

        # Annex. Species

        1. First annex clause.
        """), "en.md")
    assert doc.clauses[1].key == "annex-1.1"


def test_action_plan_table_rows_are_clauses():
    doc = parse(src("""\
        # Task 1. Protected areas

        | No. | Measure | Responsible bodies | Deadline | Indicator | Funding |
        |---|---|---|---|---|---|
        | 1.1 | Create a park | Ministry | 2026 | 1 park | State budget |
        | 1.2 | Zone the biosphere | Ministry; local bodies | 2027 | plan adopted | GEF |
        | 1.2.1 | Map the zones | Academy | 2026 | map | UNDP |

        # Abbreviations

        | Short | Meaning |
        |---|---|
        | GEF | Global Environment Facility |
        """, kind="action-plan"), "en.md")
    assert [c.key for c in doc.clauses] == ["1.1", "1.2", "1.2.1"]
    row = doc.clauses[1]
    assert len(row.cells) == 6
    assert row.cells[2] == "Ministry; local bodies"
    assert doc.sections[0].columns == ["No.", "Measure", "Responsible bodies", "Deadline",
                                       "Indicator", "Funding"]
    assert "Global Environment Facility" in doc.sections[1].body[0]
    assert doc.sections[1].columns == []


def test_html_is_sanitised():
    doc = parse(src("""\
        # Chapter

        1. Text <script>alert(1)</script> and <a href="javascript:alert(1)">link</a> **bold**.
        """), "en.md")
    html = doc.clauses[0].html
    assert "<script" not in html and "javascript:" not in html
    assert "<strong>bold</strong>" in html


def test_preamble_before_first_heading():
    doc = parse(src("""\
        Demonstration text.

        # Chapter

        1. One.
        """), "en.md")
    assert "Demonstration text." in doc.preamble[0]


def test_repeated_key_names_both_lines():
    found = problems(src("""\
        # Chapter

        1. One.

        1. One again.
        """))
    assert any("drafts/test-doc/en.md:11:" in p and "line 9" in p and "line 11" in p
               for p in found), found


def test_repeated_table_key_is_refused():
    found = problems(src("""\
        # Task

        | No. | Measure |
        |---|---|
        | 1.1 | A |
        | 1.1 | B |
        """, kind="action-plan"))
    assert any(":12:" in p and "line 11" in p and "1.1" in p for p in found), found


def test_unknown_kind_names_the_kind_line():
    found = problems(src("# C\n\n1. One.\n", kind="law"))
    assert found == ["drafts/test-doc/en.md:3: Unknown Kind 'law': use programme or action-plan."]


@pytest.mark.parametrize("missing", ["Title", "Document", "Kind", "Version", "Language"])
def test_missing_header_field_is_refused(missing):
    header = "\n".join(line for line in HEADER.format(kind="programme", lang="en").splitlines()
                       if not line.startswith(missing)) + "\n"
    found = problems(src("# C\n\n1. One.\n", header=header))
    assert any(f"no '{missing}' field" in p for p in found), found


def test_bad_version_is_refused():
    header = HEADER.format(kind="programme", lang="en").replace("Version: 1", "Version: two")
    found = problems(src("# C\n\n1. One.\n", header=header))
    assert any(":4:" in p and "Version" in p for p in found)


def test_unknown_header_field_is_refused():
    header = HEADER.format(kind="programme", lang="en") + "Verison: 2\n"
    assert any(":6:" in p and "Verison" in p for p in problems(src("1. x\n", header=header)))


def test_language_must_match_file_name():
    found = problems(src("# C\n\n1. One.\n", lang="ru"), path="drafts/test-doc/en.md")
    assert any(":5:" in p for p in found)


def test_document_without_clauses_is_refused():
    assert any("No numbered clause" in p for p in problems(src("# Only a heading\n")))


def test_table_without_separator_is_refused():
    found = problems(src("""\
        # Task

        | No. | Measure |
        | 1.1 | A |
        """, kind="action-plan"))
    assert any(":9:" in p and "separator" in p for p in found)


def test_row_with_wrong_cell_count_is_refused():
    found = problems(src("""\
        # Task

        | No. | Measure | Deadline |
        |---|---|---|
        | 1.1 | A |
        """, kind="action-plan"))
    assert any(":11:" in p and "2 cells" in p for p in found)


def _pair(en_body: str, ru_body: str, version_ru: str = "1"):
    en = parse(src(en_body, lang="en"), "d/test-doc/en.md")
    ru_header = HEADER.format(kind="programme", lang="ru").replace("Version: 1",
                                                                   f"Version: {version_ru}")
    ru = parse(src(ru_body, header=ru_header), "d/test-doc/ru.md")
    return en, ru


def test_merge_joins_languages():
    en, ru = _pair("# C\n\n1. One.\n\n2. Two.\n", "# Г\n\n1. Один.\n\n2. Два.\n")
    merged = merge([en, ru])
    assert merged.languages == ["ru", "en"]  # Kyrgyz, then Russian, then English first
    assert merged.clauses[0]["text"] == {"ru": "Один.", "en": "One."}
    assert merged.sections[0]["heading"] == {"ru": "Г", "en": "C"}


def test_merge_refuses_a_key_missing_in_one_language():
    en, ru = _pair("# C\n\n1. One.\n\n2. Two.\n\n3. Three.\n", "# Г\n\n1. Один.\n\n3. Три.\n")
    with pytest.raises(DraftError) as caught:
        merge([en, ru])
    messages = [str(p) for p in caught.value.problems]
    assert any(m.startswith("d/test-doc/") and "Clause 2" in m for m in messages), messages


def test_merge_refuses_different_versions():
    en, ru = _pair("# C\n\n1. One.\n", "# Г\n\n1. Один.\n", version_ru="2")
    with pytest.raises(DraftError) as caught:
        merge([en, ru])
    assert any("Version" in str(p) for p in caught.value.problems)


def test_merge_refuses_clause_under_other_heading():
    en, ru = _pair("# A\n\n1. One.\n\n# B\n\n2. Two.\n", "# А\n\n1. Один.\n\n2. Два.\n\n# Б\n\n")
    with pytest.raises(DraftError):
        merge([en, ru])


def test_source_hash_ignores_file_order_but_not_text():
    en, ru = _pair("# C\n\n1. One.\n", "# Г\n\n1. Один.\n")
    en2, ru2 = _pair("# C\n\n1. One!\n", "# Г\n\n1. Один.\n")
    assert merge([en, ru]).source_hash == merge([ru, en]).source_hash
    assert merge([en, ru]).source_hash != merge([en2, ru2]).source_hash


def test_demonstration_drafts_parse(tmp_path):
    """The shipped drafts obey the contract: same keys in every language, enough content."""
    from consult import ROOT
    from consult.drafts.load import find_sources, read_sources
    by_document, found = read_sources(find_sources([str(ROOT / "drafts")]))
    assert found == []
    programme = merge(by_document["biodiversity-programme-2040"])
    plan = merge(by_document["biodiversity-action-plan-2025-2030"])
    assert set(programme.languages) == set(plan.languages) == {"ky", "ru", "en"}
    assert programme.demonstration and plan.demonstration
    main = [c for c in programme.clauses if not c["key"].startswith("annex-")]
    assert len(main) >= 60
    assert any(c["key"].startswith("annex-") for c in programme.clauses)
    assert len({s["chapter"] for s in programme.sections if s["annex"] is None}) >= 6
    assert sum('class="subitems"' in c["html"]["ky"] for c in programme.clauses) >= 3
    assert len(plan.clauses) >= 30
    assert all(len(c["cells"]["ky"]) == 6 for c in plan.clauses)
