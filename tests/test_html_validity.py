"""Every public page type and the main staff pages are valid HTML in every language (what
the Nu checker would say: tests/html_validity.py), a refused comment form included; and the
error summary of a refused form links each field with an error."""
from __future__ import annotations

import re

import pytest
from flask_babel import force_locale, gettext

from tests.a11y_site import PASSWORD, build_site
from tests.html_validity import assert_valid, problems

LANGS = ("ky", "ru", "en")


@pytest.fixture(autouse=True)
def clean_database():
    """This module's pages read one site, built once (the ``site`` fixture), not emptied
    before each test as tests/conftest.py does elsewhere."""
    yield


@pytest.fixture(scope="module")
def site(app, tmp_path_factory):
    return build_site(app, tmp_path_factory.mktemp("drafts"))


@pytest.fixture
def staff_client(app, client, site):
    client.post("/en/login", data={"email": site.admin_email, "password": PASSWORD})
    return client


@pytest.mark.parametrize("lang", LANGS)
def test_public_pages_are_valid_html(client, site, lang):
    for name, path in site.public.items():
        response = client.get(path.format(lang=lang))
        assert response.status_code == 200, (name, response.status_code)
        assert_valid(response.get_data(as_text=True), f"{name} ({lang})")


@pytest.mark.parametrize("lang", LANGS)
def test_staff_pages_are_valid_html(staff_client, site, lang):
    for name, path in site.staff.items():
        response = staff_client.get(path.format(lang=lang))
        assert response.status_code == 200, (name, response.status_code)
        assert_valid(response.get_data(as_text=True), f"{name} ({lang})")


@pytest.mark.parametrize("lang", LANGS)
def test_refused_comment_is_valid_and_links_every_error(app, client, site, lang):
    path = site.refused_clause.format(lang=lang)
    response = client.post(path, data={"body": "", "language": "xx", "consent": "full",
                                       "email": "not an address"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert_valid(html, f"refused comment ({lang})")
    summary = html[html.index('class="error-summary"'):html.index("</ul>", html.index(
        'class="error-summary"'))]
    linked = re.findall(r'<a href="#([\w-]+)">', summary)
    assert sorted(linked) == ["body", "email", "language"]
    for field in linked:
        control = re.search(rf'<(?:textarea|input|select)[^>]*\bid="{field}"[^>]*>', html)[0]
        assert 'aria-invalid="true"' in control
        assert f"{field}-error" in re.search(r'aria-describedby="([^"]*)"', control)[1]
        assert f'id="{field}-error"' in html
    assert html.count('role="alert"') == 1  # the summary, not a second alert
    with app.test_request_context(), force_locale(lang):
        error = gettext("Error:")
    assert re.search(r"<title>(.*?)</title>", html, re.S)[1].startswith(f"{error} ")


def test_a_page_without_a_refused_form_has_no_error_title(client, site):
    html = client.get(site.refused_clause.format(lang="en")).get_data(as_text=True)
    assert re.search(r"<title>Clause 5 ", html) and 'class="error-summary"' not in html


def test_refused_post_on_a_long_page_opens_with_the_focus_on_the_summary(client, site):
    response = client.post(site.public["document"].format(lang="en"), data={"body": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert re.search(r'<div class="error-summary" tabindex="-1" autofocus>', html)
    assert html.count("autofocus") == 1  # nothing else takes the focus first


def test_the_checker_finds_what_the_nu_checker_would():
    found = problems('<!doctype html><html lang="ky"><head><title>t</title></head><body>'
                     '<p><div>block in a paragraph</div></p>'
                     '<span id="twice"></span><span id="twice"></span>'
                     '<label for="nowhere">label</label><input aria-describedby="gone">'
                     '<time datetime="2025-06-01T09:00:00.123456Z">too fine</time>'
                     '<time datetime="2025-06-01T09:00:00+00:00Z">two zones</time>'
                     '<select name="s" required><option value="a">A</option></select>'
                     '<p lang="not a tag">x</p></body></html>')
    assert len(found) == 8, found
    for words in ("unexpected-end-tag", "duplicate id 'twice'", "for='nowhere'",
                  "names 'gone'", "123456Z", "+00:00Z", "empty option", "language tag"):
        assert any(words in line for line in found), words
    assert problems('<!doctype html><html lang="en"><head><title>t</title></head><body>'
                    '<time datetime="2025-06-01T09:00:00+06:00">ok</time>'
                    '<time datetime="2025-06-01">ok</time><time datetime="PT2H30M">ok</time>'
                    '<label for="i">i</label><input id="i" aria-describedby="i">'
                    '<select required><option value="">Choose…</option></select>'
                    '</body></html>') == []
