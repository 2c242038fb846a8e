"""The hearing handout: its working languages, each with its own agenda, the deadline and
the contact, the drafts' contents by clause number, and a paper form that asks what the
offline kit holds, in its order and with its words; the participation charts' labels."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select

from consult.core import formats
from consult.core.time import utcnow
from consult.core.vocab import CATEGORIES, CHANNELS, CONSENTS, GENDERS
from consult.hearings import handout, kit
from consult.hearings.statistics import LABEL_CHARS, bar_chart
from consult.models import Consultation, Hearing
from tests.html_validity import problems

AGENDA = {"ky": "14:00 Ачылыш\n14:30 Талкуу", "ru": "14:00 Открытие\n14:30 Обсуждение"}


@pytest.fixture
def ready(session, naryn, complete_notice):
    """The Naryn hearing (working languages ky, ru) with an agenda in both, and a
    consultation whose notice is complete and whose period closes in three weeks."""
    complete_notice(hearing=False)
    hearing = session.get(Hearing, naryn)
    hearing.agenda = dict(AGENDA)
    consultation = session.scalar(select(Consultation))
    consultation.opens_at = utcnow() - timedelta(days=1)
    consultation.closes_at = utcnow() + timedelta(days=21)
    session.commit()
    return hearing


def get(client, login, hearing_id: int, lang: str = "ru") -> str:
    login("moderator")
    response = client.get(f"/{lang}/hearings/{hearing_id}/handout")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def part(page: str, lang: str) -> str:
    """Everything the handout says in ``lang`` (its sections marked lang=...)."""
    return "".join(re.findall(rf'<section lang="{lang}">(.*?)</section>', page, re.S))


def test_handout_is_in_both_working_languages_not_the_page_language(client, login, ready):
    page = get(client, login, ready.id, lang="en")
    assert part(page, "ky") and part(page, "ru") and not part(page, "en")
    title = page.split("<h1>")[1].split("</h1>")[0]
    assert '<span lang="ky">' in title and '<span lang="ru">' in title


def test_page_language_comes_first_when_it_is_a_working_language(client, login, ready):
    page = get(client, login, ready.id, lang="ru")
    assert page.index('<section lang="ru">') < page.index('<section lang="ky">')


def test_each_language_has_its_own_agenda(client, login, ready):
    page = get(client, login, ready.id, lang="ru")
    assert "14:30 Обсуждение" in part(page, "ru") and "14:30 Талкуу" not in part(page, "ru")
    assert "14:30 Талкуу" in part(page, "ky") and "14:30 Обсуждение" not in part(page, "ky")


def test_a_missing_agenda_is_not_replaced_by_another_language(client, login, session, ready):
    ready.agenda = {"ky": AGENDA["ky"]}
    session.commit()
    russian = part(get(client, login, ready.id, lang="ru"), "ru")
    assert "14:30 Талкуу" not in russian
    with force_locale("ru"):
        assert gettext("The agenda will be announced at the hearing.") in russian


def test_deadline_and_contact_in_each_language(client, login, session, ready):
    page = get(client, login, ready.id)
    closes = session.scalar(select(Consultation)).closes_at
    for lang in ("ky", "ru"):
        said = part(page, lang)
        assert formats.text(closes, formats.LONG_DATETIME, lang) in said
        assert f"+996 000 000 000 [{lang}]" in said  # the notice's contact, in that language
    assert 'class="screen-only warning"' not in page


def test_missing_deadline_and_contact_are_said_to_staff_not_printed(client, login, session,
                                                                  ready):
    consultation = session.scalar(select(Consultation))
    consultation.closes_at, consultation.contact = None, {}
    session.commit()
    page = get(client, login, ready.id, lang="en")
    assert "No deadline is printed" in page and "No contact is printed" in page
    assert page.count('class="screen-only warning"') == 2


def test_qr_code_points_at_the_site(client, login, ready):
    page = get(client, login, ready.id)
    assert page.count("<svg") == 1
    assert "<figcaption>https://consult.example.org/</figcaption>" in page


def test_contents_show_each_clause_number_once(client, login, ready):
    """Sections with the numbers of their clauses, no list counters: "1–3", an annex "1"."""
    page = get(client, login, ready.id)
    russian = part(page, "ru")
    assert "<ol" not in page.split('<article class="handout')[1]
    rows = re.findall(r'<tr class="level-\d"><td>([^<]*)</td><td class="num">([^<]*)</td>',
                      russian)
    assert ("Глава 1. Общие положения", "1–2") in rows
    assert ("Глава 2. Меры", "3") in rows and ("Приложение 1. Индикаторы", "1") in rows
    assert "annex-" not in russian


def test_key_span_reads_an_annex_by_its_own_numbers():
    assert handout.key_span(["annex-2.1", "annex-2.12"]) == "1–12"
    assert handout.key_span(["5.1"]) == "5.1" and handout.key_span([]) == ""


def test_paper_form_asks_the_kit_columns_in_their_order_then_consent(client, login, ready):
    page = get(client, login, ready.id)
    form = page.split('class="paper-form"')[1]
    assert re.findall(r'data-column="([^"]+)"', form) == list(kit.COLUMNS)
    assert kit.COLUMNS[-1] == "consent"


def field_html(page: str, column: str) -> str:
    return page.split(f'data-column="{column}"')[1].split('data-column="')[0]


@pytest.mark.parametrize("lang", ["ky", "ru"])
def test_paper_form_uses_the_kit_words_in_each_language(client, login, ready, lang):
    page = get(client, login, ready.id)
    with force_locale(lang):
        headers = kit.column_labels()
        for column in kit.COLUMNS:
            assert headers[column] in field_html(page, column), column
        for code in CATEGORIES:
            assert str(CATEGORIES[code]) in field_html(page, "category")
        for code in GENDERS:
            assert str(GENDERS[code]) in field_html(page, "gender")
        for code in CONSENTS:
            assert str(CONSENTS[code]) in field_html(page, "consent")
        # A paper form is a written hearing comment: printed, not asked.
        channel = field_html(page, "channel")
        assert CHANNELS.label("hearing-written") in channel and 'class="box"' not in channel
    assert "Пример программы" in field_html(page, "document")


def test_paper_form_choices_follow_the_kit_vocabulary():
    """Every restricted kit column offers, on paper, exactly the kit's list."""
    fields = {f.column: f for f in handout.paper_form(["en"], [{"en": "Plan"}])}
    vocabulary = kit.kit_vocabulary("en")
    for column in ("category", "gender", "language"):
        assert [choice[0] for choice in fields[column].choices] == [
            label for _, label in vocabulary.labels[column]]
    assert fields["document"].choices == [["Plan"]]
    assert {c for c, f in fields.items() if f.optional} == set(handout.OPTIONAL)
    assert not fields["clause"].optional and not fields["comment"].optional


@pytest.mark.parametrize(("working", "page_lang", "expected"), [
    ("ky,ru", "ru", ["ru", "ky"]), ("ky,ru", "ky", ["ky", "ru"]),
    ("ky,ru", "en", ["ky", "ru"]), ("", "en", ["en"]), ("ky,xx", "ru", ["ky"])])
def test_handout_languages(app, working, page_lang, expected):
    with app.app_context():
        assert handout.handout_languages(Hearing(languages=working), page_lang) == expected


def test_chart_labels_wrap_instead_of_running_off_the_chart():
    labels = {"long": "Жергиликтүү өз алдынча башкаруу органы", "short": "Бизнес"}
    chart = bar_chart({"long": 3, "short": 6}, labels)
    long_row, short_row = chart["rows"]
    assert len(long_row["lines"]) == 2 and " ".join(long_row["lines"]) == labels["long"]
    assert all(len(line) <= LABEL_CHARS for line in long_row["lines"])
    assert short_row["lines"] == ["Бизнес"] and short_row["y"] > long_row["bar_y"]
    assert short_row["width"] > long_row["width"] and chart["height"] > short_row["bar_y"]


def test_statistics_page_draws_wrapped_labels(client, login, naryn):
    login("moderator")
    page = client.get("/ky/hearings/statistics").get_data(as_text=True)
    lines = re.findall(r"<tspan[^>]*>([^<]*)</tspan>", page)
    assert lines and all(len(line) <= LABEL_CHARS for line in lines)


def test_handout_and_statistics_pages_are_valid_html(client, login, ready):
    page = get(client, login, ready.id)
    assert problems(page) == []
    assert problems(client.get("/ky/hearings/statistics").get_data(as_text=True)) == []
