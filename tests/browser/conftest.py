"""Browser fixtures: `davbridge demo` as a subprocess (DAV on a free port, the web portal on
any free port) and Playwright pages in the distribution's headless Chromium.

Playwright drives /usr/bin/chromium (Debian package, scripts/install-system-deps); no browser
is downloaded (`playwright install` is never run). Chromium treats http://127.0.0.1 as a secure
context, so the portal's Secure session cookie works against the loopback demo.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.e2e.conftest import RunningDemo, start_demo, stop_demo

# how long Playwright waits for an element or a navigation: a connect posts to a sandbox and
# waits for its answer, which takes longer while another worker's demo shares the cores
TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class Portal:
    """The running demo's portal: where it is and the demo user's portal sign-in."""

    demo: RunningDemo
    url: str  # ends with "/"
    user: str
    password: str

    def at(self, path: str) -> str:
        return self.url + path.lstrip("/")


@pytest.fixture(scope="package")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    running = start_demo(tmp_path_factory.mktemp("browser-demo"), 0, portal_port=0)
    try:
        info = running.info
        url = str(info["portal_url"])
        yield Portal(
            running,
            url if url.endswith("/") else url + "/",
            str(info["username"]),
            str(info["portal_password"]),
        )
    finally:
        assert stop_demo(running) == 0, running.log.read_text()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    assert executable, "Debian chromium is missing: run scripts/install-system-deps"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox"], headless=True
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser profile (no cookies) per test."""
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def sign_in(
    page: Page, portal: Portal, user: str | None = None, password: str | None = None
) -> None:
    """Sign in at the portal's sign-in page with a local password, as a person would."""
    page.goto(portal.at("signin"))
    page.get_by_label("User name").fill(user or portal.user)
    page.get_by_label("Password").fill(password or portal.password)
    page.get_by_role("button", name="Sign in").click()
