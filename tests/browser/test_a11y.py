"""WCAG 2.1 AA in a real browser: axe-core on every public page type and the main staff
pages, in Kyrgyz, Russian and English, on a 320 px phone and a 1280 px desktop; no page
scrolls sideways, with or without the text spacing of WCAG 1.4.12; the HTML as served is
valid (tests/html_validity.py); and a refused comment form takes the reader to its error
summary, whose links take them to the fields.

One browser, one live server and one site (tests/a11y_site.py) for the whole module.
"""
from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.a11y_site import PASSWORD, build_site
from tests.html_validity import problems

LANGS = ("ky", "ru", "en")
WIDTHS = (320, 1280)
PUBLIC = ("notice", "document", "plan", "clause", "receipt", "hearings", "results",
          "results-document", "archive", "login")
STAFF = ("moderation", "desk", "answer", "hearing-entry", "statistics", "settings", "audit")
# The text spacing a reader may set (WCAG 1.4.12): nothing may be cut off or overlap.
TEXT_SPACING = ("* { line-height:1.5 !important; letter-spacing:0.12em !important; "
                "word-spacing:0.16em !important; } p { margin-bottom:2em !important; }")
axe = Axe()


@pytest.fixture(autouse=True)
def clean_database():
    """The pages of this module read one site, built once (``site``), not emptied before
    each test as tests/conftest.py does elsewhere."""
    yield


@pytest.fixture(scope="module")
def site(app, tmp_path_factory):
    return build_site(app, tmp_path_factory.mktemp("drafts"))


@pytest.fixture(scope="module")
def visitor(browser, live_server, site):
    """A citizen's browser tab (no account)."""
    context = browser.new_context(viewport={"width": 320, "height": 800})
    tab = context.new_page()
    tab.set_default_timeout(20_000)
    yield tab
    context.close()


@pytest.fixture(scope="module")
def staff(browser, live_server, site):
    """An administrator's tab, signed in through the login form once."""
    context = browser.new_context(viewport={"width": 320, "height": 800})
    tab = context.new_page()
    tab.set_default_timeout(20_000)
    tab.goto(f"{live_server}/en/login")
    tab.fill("input[name=email]", site.admin_email)
    tab.fill("input[name=password]", PASSWORD)
    with tab.expect_navigation():
        tab.keyboard.press("Enter")
    assert "/login" not in tab.url
    yield tab
    context.close()


def violations(tab) -> list[str]:
    """axe-core's violations on the page as shown: rule, impact, and the nodes it found."""
    found = axe.run(tab, options={"resultTypes": ["violations"]}).response["violations"]
    return [f"{v['id']} ({v['impact']}): {v['help']}\n      " + "\n      ".join(
        f"{', '.join(map(str, node['target']))}: {node['html'][:160]}"
        for node in v["nodes"][:6]) for v in found]


def sideways(tab) -> list[str]:
    """Elements that stick out of the viewport to the right, outside the regions meant to
    scroll (tables); empty when the page does not scroll sideways (WCAG 1.4.10)."""
    return tab.evaluate("""() => {
        const width = document.documentElement.clientWidth;
        if (document.documentElement.scrollWidth <= width) return [];
        return [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > width + 1
                         && !e.closest('.table-wrap, .visually-hidden, .honeypot, .skip'))
            .slice(0, 5).map(e => e.outerHTML.slice(0, 120));
    }""")


def clipped(tab) -> list[str]:
    """Text cut off by a box too small for it: an element hiding its overflow whose
    content is taller or wider than the box."""
    return tab.evaluate("""() => [...document.querySelectorAll('main *, header *')]
        .filter(e => { const s = getComputedStyle(e);
            return (s.overflow === 'hidden' || s.overflowY === 'hidden')
                && !e.closest('.visually-hidden, .honeypot')
                && e.scrollHeight > e.clientHeight + 2; })
        .slice(0, 5).map(e => e.outerHTML.slice(0, 120))""")


def check(tab, name: str, lang: str, width: int, problems_found: list[str]) -> None:
    """Run every check on the page shown in ``tab``; add what fails to ``problems_found``."""
    where = f"{name} ({lang}, {width} px)"
    problems_found += [f"{where}: axe {v}" for v in violations(tab)]
    problems_found += [f"{where}: sticks out sideways: {e}" for e in sideways(tab)]
    if width == WIDTHS[0]:
        # A constructed style sheet: the site's content policy refuses inline <style>.
        tab.evaluate("""css => { const sheet = new CSSStyleSheet(); sheet.replaceSync(css);
                                 document.adoptedStyleSheets = [sheet]; }""", TEXT_SPACING)
        problems_found += [f"{where} with WCAG text spacing: sticks out sideways: {e}"
                           for e in sideways(tab)]
        problems_found += [f"{where} with WCAG text spacing: text cut off: {e}"
                           for e in clipped(tab)]


def visit(tab, url: str, width: int):
    tab.set_viewport_size({"width": width, "height": 800})
    return tab.goto(url)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", PUBLIC)
def test_public_page_meets_wcag(visitor, live_server, site, name, lang):
    found: list[str] = []
    for width in WIDTHS:
        response = visit(visitor, live_server + site.public[name].format(lang=lang), width)
        assert response.status == 200, response.status
        if width == WIDTHS[0]:
            found += [f"{name} ({lang}): HTML {p}" for p in problems(response.text())]
        check(visitor, name, lang, width, found)
    assert not found, "\n".join(found)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", STAFF)
def test_staff_page_meets_wcag(staff, live_server, site, name, lang):
    found: list[str] = []
    for width in WIDTHS:
        response = visit(staff, live_server + site.staff[name].format(lang=lang), width)
        assert response.status == 200, response.status
        if width == WIDTHS[0]:
            found += [f"{name} ({lang}): HTML {p}" for p in problems(response.text())]
        check(staff, name, lang, width, found)
    assert not found, "\n".join(found)


def send_empty_comment(tab, url: str):
    """Open a clause page and send its comment form empty, as a hurried reader would."""
    tab.goto(url)
    with tab.expect_navigation() as navigation:
        tab.locator("#comment-form button[type=submit]").click()
    return navigation.value


@pytest.mark.parametrize("lang", LANGS)
def test_refused_comment_form_meets_wcag(visitor, live_server, site, lang):
    found: list[str] = []
    for width in WIDTHS:
        visitor.set_viewport_size({"width": width, "height": 800})
        response = send_empty_comment(visitor, live_server + site.refused_clause.format(
            lang=lang))
        assert response.status == 400
        if width == WIDTHS[0]:
            found += [f"refused comment ({lang}): HTML {p}" for p in problems(response.text())]
        check(visitor, "refused comment", lang, width, found)
    assert not found, "\n".join(found)


def test_refused_comment_takes_the_reader_to_the_summary_and_on_to_the_field(
        visitor, live_server, site):
    visitor.set_viewport_size({"width": 390, "height": 844})
    send_empty_comment(visitor, live_server + site.refused_clause.format(lang="en"))
    summary = visitor.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    assert visitor.title().startswith("Error: ")
    summary.get_by_role("link", name="Your comment").click()
    expect(visitor.locator("#body")).to_be_focused()
    expect(visitor.locator("#body")).to_have_attribute("aria-invalid", "true")
    expect(visitor.locator("#body")).to_have_accessible_description(
        "Up to 10,000 characters. Text is shown as you typed it. Please write your comment.")


def test_whole_document_refusal_lands_at_the_form(visitor, live_server, site):
    """The document page is tens of thousands of pixels tall: a refused comment brings the
    reader back to the form, not to the top."""
    visitor.set_viewport_size({"width": 390, "height": 844})
    visitor.goto(live_server + site.public["document"].format(lang="ky"))
    with visitor.expect_navigation():
        visitor.locator("#comment-form button[type=submit]").click()
    expect(visitor.locator(".error-summary")).to_be_focused()
    expect(visitor.locator(".error-summary")).to_be_in_viewport()
    assert visitor.evaluate("window.scrollY") > 5000


CONTRAST = """el => {
    const rgb = c => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
    const lum = c => { const [r, g, b] = rgb(c).map(v => { v /= 255;
        return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
    const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
        return (x + 0.05) / (y + 0.05); };
    let around = el.parentElement, background = 'rgb(255, 255, 255)';
    for (; around; around = around.parentElement) {
        const c = getComputedStyle(around).backgroundColor;
        if (!/rgba\\(.*, 0\\)$/.test(c) && c !== 'transparent') { background = c; break; } }
    const style = getComputedStyle(el);
    return {ring: ratio(style.outlineColor, background), ringWidth: parseFloat(style.outlineWidth),
            border: ratio(style.borderTopColor, background)};
}"""


def test_focus_ring_and_field_borders_stand_out_3_to_1(visitor, live_server, site):
    """WCAG 1.4.11 and 2.4.7: the focus ring and the edges of fields against what is
    around them; axe-core does not measure either."""
    visitor.set_viewport_size({"width": 390, "height": 844})
    visitor.goto(live_server + site.refused_clause.format(lang="ru"))
    for selector in ("#body", "#language", "#author_name", "#comment-form button",
                     "nav.languages a", "a.brand", ".skip"):
        control = visitor.locator(selector).first
        control.focus()
        measured = control.evaluate(CONTRAST)
        assert measured["ring"] >= 3 and measured["ringWidth"] >= 2, (selector, measured)
        if selector.startswith("#") and selector != "#comment-form button":
            assert measured["border"] >= 3, (selector, measured)
