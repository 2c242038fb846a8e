"""A reader opens the Kyrgyz notice, goes to a clause, switches to Russian: same clause."""
import re

from playwright.sync_api import expect


def test_language_switch_keeps_the_clause(page, live_server, demo_data):
    page.goto(f"{live_server}/ky/")
    expect(page.locator("h1")).to_contain_text("талкуу")
    page.click("a[href='/ky/documents/biodiversity-programme-2040/']")
    expect(page).to_have_url(re.compile(r"/ky/documents/biodiversity-programme-2040/$"))
    page.click("#clause-5 h3 a")
    expect(page).to_have_url(re.compile(r"/ky/documents/biodiversity-programme-2040/5/$"))
    kyrgyz_text = page.locator("article.clause.single > div").first.text_content()
    page.click("nav.languages a[lang=ru]")
    expect(page).to_have_url(re.compile(r"/ru/documents/biodiversity-programme-2040/5/$"))
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    russian_text = page.locator("article.clause.single > div").first.text_content()
    assert russian_text and russian_text != kyrgyz_text
    expect(page.locator("h1")).to_contain_text("5")
