"""On paper, as Chromium prints it: the handout in three A4 pages with the form alone on
the last, the action plan on landscape pages with every column, the charts' labels whole,
the contents without a second number."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from consult import db
from consult.core.time import utcnow
from consult.models import Consultation, Hearing

PAGE = re.compile(rb"/Type\s*/Page\b")  # a page object ("/Type /Pages" is their tree)
MEDIA_BOX = re.compile(rb"/MediaBox\s*\[0 0 ([\d.]+) ([\d.]+)\]")


def px(mm: float) -> int:
    """CSS pixels in ``mm`` millimetres (96 per inch)."""
    return round(mm * 96 / 25.4)


def pages(pdf: bytes) -> list[tuple[float, float]]:
    """Each page's width and height in points."""
    assert len(MEDIA_BOX.findall(pdf)) == len(PAGE.findall(pdf))
    return [(float(w), float(h)) for w, h in MEDIA_BOX.findall(pdf)]


@pytest.fixture
def printed_hearing(app, demo_data, make_user):
    """The real drafts and hearings; the first hearing (Kyrgyz and Russian) with an agenda
    in both, and a period set. Returns the hearing's id."""
    make_user("moderator", email="clerk@example.org")
    with app.app_context():
        session = db.session()
        hearing = session.scalar(select(Hearing).order_by(Hearing.id))
        hearing.agenda = {"ky": "13:30 Ачылыш\n14:00 Долбоорлор\n15:00 Талкуу",
                          "ru": "13:30 Открытие\n14:00 Проекты\n15:00 Обсуждение"}
        consultation = session.scalar(select(Consultation))
        consultation.opens_at = utcnow() - timedelta(days=1)
        consultation.closes_at = utcnow() + timedelta(days=40)
        session.commit()
        assert hearing.languages == "ky,ru"
        return hearing.id


def test_handout_prints_on_a4_with_the_form_alone_on_the_last_page(page, live_server, sign_in,
                                                                  printed_hearing):
    sign_in(page, "clerk@example.org")
    page.goto(f"{live_server}/ru/hearings/{printed_hearing}/handout")
    sheets = pages(page.pdf(format="A4", prefer_css_page_size=True))
    assert 2 <= len(sheets) <= 4, len(sheets)  # two or three pages, then the form
    assert all(abs(w - 595) < 2 and abs(h - 842) < 2 for w, h in sheets), sheets  # A4 upright
    # The form starts a page and fits on it: laid out at the sheet's printable width
    # (margins 12 mm and 11 mm), it is no taller than the printable height.
    page.emulate_media(media="print")
    page.set_viewport_size({"width": px(210 - 24), "height": px(297 - 22)})
    form = page.locator(".paper-form")
    assert form.evaluate("e => getComputedStyle(e).breakBefore") == "page"
    assert form.evaluate("e => e.getBoundingClientRect().height") <= px(297 - 22)


def test_action_plan_prints_landscape_with_every_column(page, live_server, demo_data):
    page.goto(f"{live_server}/ru/documents/biodiversity-action-plan-2025-2030/")
    rows = page.locator("table.plan tbody tr").count()
    sheets = pages(page.pdf(format="A4", prefer_css_page_size=True))
    assert all(w > h for w, h in sheets)  # A4 landscape
    assert len(sheets) * 3 < rows  # several measures a page, not one
    page.emulate_media(media="print")
    width = px(297 - 20)
    page.set_viewport_size({"width": width, "height": 800})
    right = page.evaluate("""() => Math.max(...[...document.querySelectorAll(
        'table.plan th, table.plan td')].map(cell => cell.getBoundingClientRect().right))""")
    assert 0 < right <= width
    columns = page.locator("table.plan").first.locator("thead th")
    assert columns.count() == 7 and "финансирования" in columns.nth(5).inner_text()


def test_chart_labels_stay_inside_their_charts(page, live_server, sign_in, printed_hearing):
    sign_in(page, "clerk@example.org", lang="ky")
    page.goto(f"{live_server}/ky/hearings/statistics")
    overflow = page.evaluate("""() => [...document.querySelectorAll('figure.chart svg')]
        .flatMap(svg => [...svg.querySelectorAll('text')].map(text => {
            const box = text.getBBox();
            return box.x + box.width - svg.viewBox.baseVal.width;
        }))""")
    assert overflow and max(overflow) <= 0, max(overflow)


def test_contents_show_each_heading_number_once(page, live_server, demo_data):
    page.goto(f"{live_server}/ru/documents/biodiversity-programme-2040/")
    items = page.locator("nav.toc li")
    assert items.count() > 5
    markers = items.evaluate_all("items => items.map(li => getComputedStyle(li).listStyleType)")
    assert set(markers) == {"none"}
    assert items.first.inner_text().startswith("Глава 1.")
