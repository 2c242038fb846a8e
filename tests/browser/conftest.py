"""Browser tests: the app served on a local port, driven by Playwright in Debian's Chromium.

Chromium is looked for at CHROMIUM_PATH or /usr/bin/chromium (``.ci/run`` installs it with
apt). Without it these tests are skipped, unless CONSULT_REQUIRE_BROWSER=1 (set in CI),
where a missing browser fails the run instead of passing silently.
"""
from __future__ import annotations

import os
import threading

import pytest
from werkzeug.serving import make_server

from bench.serving import CHROMIUM, CHROMIUM_ARGS


def pytest_collection_modifyitems(items):
    for item in items:
        if "browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium_path():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CONSULT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"Chromium not found at {CHROMIUM}")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="session")
def live_server(app):
    """Serve the test application on a free local port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh browser page (own cookies) sized like a phone held upright."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="ky-KG")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def sign_in(live_server):
    """Sign a browser page in through the real login form."""
    def do(page, email: str, password: str = "correct horse battery", lang: str = "en",
           expect_success: bool = True):
        page.goto(f"{live_server}/{lang}/login")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", password)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        if expect_success:
            # Signing in redirects away from the login page; a refusal stays on it.
            page.wait_for_url(lambda url: "/login" not in url)
    return do
