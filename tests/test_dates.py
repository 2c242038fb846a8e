"""Dates and times read one way per language (core.formats), with no seconds and no
offset; machine-readable times are valid HTML; clause numbers are shown once."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from flask import render_template_string
from flask_babel import force_locale
from sqlalchemy import select

from consult import ROOT
from consult.core import formats
from consult.core.time import utcnow
from consult.models import Comment, Consultation, Hearing, Response

# 16:00 UTC is 22:00 in Bishkek (UTC+6 all year).
EVENING = datetime(2026, 11, 30, 16, 0, 5, 123456)

EXPECTED = {
    "ky": ("30.11.2026", "30.11.2026, 22:00", "2026-жылдын 30-ноябры",
           "2026-жылдын 30-ноябры, 22:00"),
    "ru": ("30.11.2026", "30.11.2026, 22:00", "30 ноября 2026\u00a0г.",
           "30 ноября 2026\u00a0г., 22:00"),
    "en": ("30 Nov 2026", "30 Nov 2026, 22:00", "30 November 2026",
           "30 November 2026, 22:00"),
}


@pytest.mark.parametrize("lang", EXPECTED)
def test_each_named_format_in_each_language(lang):
    assert tuple(formats.text(EVENING, name, lang) for name in formats.NAMES) == EXPECTED[lang]


@pytest.mark.parametrize(("lang", "expected"), [
    ("ky", "01.12.2026, 02:00"), ("ru", "01.12.2026, 02:00"), ("en", "1 Dec 2026, 02:00")])
def test_a_time_is_shown_in_bishkek_even_across_midnight(lang, expected):
    assert formats.text(datetime(2026, 11, 30, 20, 0), formats.DATETIME, lang) == expected


@pytest.mark.parametrize(("month", "kyrgyz"), [
    (1, "2027-жылдын 14-январы"), (4, "2027-жылдын 14-апрели"), (5, "2027-жылдын 14-майы"),
    (6, "2027-жылдын 14-июну"), (8, "2027-жылдын 14-августу"), (9, "2027-жылдын 14-сентябры")])
def test_kyrgyz_long_date_puts_the_month_in_the_possessive(month, kyrgyz):
    """As laws are dated ("2008-жылдын 25-апрели"), not CLDR's "2027-ж., 14-апрель"."""
    assert formats.text(date(2027, month, 14), formats.LONG_DATE, "ky") == kyrgyz


def test_a_calendar_date_is_not_moved_by_the_time_zone():
    assert formats.text(date(2027, 1, 14), formats.DATE, "ru") == "14.01.2027"
    assert formats.text(date(2027, 1, 14), formats.DATETIME, "ru") == "14.01.2027"


def test_a_language_without_its_own_formats_gets_four_digit_years():
    assert formats.text(EVENING, formats.DATETIME, "de") == "30.11.2026, 22:00"
    assert "2026" in formats.text(EVENING, formats.LONG_DATE, "uz")


def test_nothing_is_empty_and_an_unknown_format_is_refused():
    assert formats.text(None, formats.DATE, "en") == ""
    with pytest.raises(ValueError, match="unknown date format"):
        formats.text(EVENING, "medium", "en")


# An HTML "valid global date and time string" (UTC, to the minute) or a valid date string.
MACHINE = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}Z)?")


def test_machine_time_is_valid_html_utc_to_the_minute():
    assert formats.machine(EVENING) == "2026-11-30T16:00Z"
    assert formats.machine(date(2027, 1, 14)) == "2027-01-14"
    assert MACHINE.fullmatch(formats.machine(utcnow()))
    assert formats.machine(None) == ""


@pytest.mark.parametrize("lang", EXPECTED)
def test_template_filters_use_the_named_formats(app, lang):
    template = ("{{ t|datetime }}|{{ t|datetime('long') }}|{{ t|date }}|{{ t|date('long') }}"
                "|{{ t|isotime }}")
    with app.test_request_context(f"/{lang}/"), force_locale(lang):
        shown = render_template_string(template, t=EVENING)
    short, long_ = EXPECTED[lang][1], EXPECTED[lang][3]
    assert shown == "|".join((short, long_, EXPECTED[lang][0], EXPECTED[lang][2],
                              "2026-11-30T16:00Z"))


def test_a_template_asking_for_another_length_fails_loudly(app):
    with app.test_request_context("/en/"), pytest.raises(ValueError, match="'short' or 'long'"):
        render_template_string("{{ t|datetime('medium') }}", t=EVENING)


# What must never be shown: seconds, a numeric offset, a two-digit year, CLDR's
# abbreviated Kyrgyz year.
SECONDS = re.compile(r"\b\d{1,2}:\d{2}:\d{2}\b")
OFFSET = re.compile(r"(?:GMT|UTC)?[+\u2212]\d{2}:?\d{2}\b")
SHORT_YEAR = re.compile(r"\b\d{1,2}[./]\d{1,2}[./]\d{2}\b(?![./]?\d)")
KY_ABBREVIATED = re.compile(r"\d{4}-ж\.")
TIME_ATTRIBUTE = re.compile(r'<time datetime="([^"]*)"')


@pytest.fixture
def consultation_record(client, session, make_document, complete_notice, open_period):
    """A consultation with a notice, a period, a hearing, a comment received online (its
    receipt), an answered comment and published results; every stored time carries
    seconds and microseconds. Returns the receipt code."""
    make_document()
    complete_notice()
    open_period()
    response = client.post("/en/documents/sample-programme/1/", data={
        "body": "Protect the juniper forests.", "author_name": "", "organisation": "",
        "category": "individual", "region": "", "gender": "", "email": "",
        "consent": "anonymous"})
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    code = response.headers["Location"].rstrip("/").rsplit("/", 1)[1]
    consultation = session.scalar(select(Consultation))
    consultation.results_published_at = utcnow()
    for comment in session.scalars(select(Comment)):
        comment.state = "published"
        session.add(Response(comment_id=comment.id, status="noted"))
    session.scalar(select(Hearing)).starts_at = utcnow() + timedelta(days=3, seconds=7)
    session.commit()
    return code


PAGES = ("/{lang}/", "/{lang}/documents/sample-programme/", "/{lang}/documents/sample-programme/1/",
         "/{lang}/receipts/{code}/", "/{lang}/results/", "/{lang}/results/sample-programme/",
         "/{lang}/hearings/")


@pytest.mark.parametrize("lang", EXPECTED)
def test_pages_show_no_seconds_no_offset_no_short_year(client, consultation_record, lang):
    for pattern in PAGES:
        path = pattern.format(lang=lang, code=consultation_record)
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        for rule in (SECONDS, OFFSET, SHORT_YEAR, KY_ABBREVIATED):
            assert not rule.search(html), (path, rule.pattern, rule.search(html))
        attributes = TIME_ATTRIBUTE.findall(html)
        assert all(MACHINE.fullmatch(value) for value in attributes), (path, attributes)
    receipt = client.get(f"/{lang}/receipts/{consultation_record}/").get_data(as_text=True)
    assert TIME_ATTRIBUTE.search(receipt), "the receipt dates its comment"


def test_the_period_reads_in_the_long_form_and_says_the_zone(client, session,
                                                             consultation_record):
    consultation = session.scalar(select(Consultation))
    page = client.get("/ru/").get_data(as_text=True)
    closes = formats.text(consultation.closes_at, formats.LONG_DATETIME, "ru")
    assert closes in page and "г., " in closes
    assert "All times are Bishkek time." in client.get("/en/").get_data(as_text=True)


def test_document_contents_do_not_number_headings_again(client, make_document):
    """Each heading carries its number ("Chapter 1."): the contents' list shows no
    counter of its own (the browser test checks the computed style too)."""
    make_document()
    page = client.get("/en/documents/sample-programme/").get_data(as_text=True)
    toc = page.split('<nav class="toc"')[1].split("</nav>")[0]
    items = re.findall(r"<li[^>]*><a[^>]*>([^<]*)</a>", toc)
    assert items == ["Chapter 1. General provisions", "Chapter 2. Measures",
                     "Annex 1. Indicators"]
    css = (ROOT / "consult" / "static" / "consult.css").read_text()
    assert re.search(r"\.toc ol \{[^}]*list-style:none", css)
