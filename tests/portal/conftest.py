"""Portal fixtures: one in-process demo (sandboxes, bridge, portal) for the package, users
made per test, and `Browser` — a requests session that behaves like a browser towards the
portal (keeps the session cookie, sends the CSRF token of the last page, follows only the
portal's own redirects) without JavaScript or a real browser."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from bridge.api import Bridge
from bridge.entry.demo import Demo, DemoInfo
from bridge.organisation.throttle import LoginThrottle

COOKIE = "davbridge_session"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Running:
    demo: Demo
    info: DemoInfo
    bridge: Bridge
    url: str  # the portal, ends with "/"


@pytest.fixture(scope="package")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    demo = Demo(
        tmp_path_factory.mktemp("portal"),
        port=0,
        refresh_interval_s=60.0,
        background=False,
        portal_port=0,
    )
    info = demo.start()
    assert demo.bridge is not None and info.portal_url
    yield Running(demo, info, demo.bridge, info.portal_url)
    demo.stop()


@pytest.fixture(autouse=True)
def fresh_throttle(request: pytest.FixtureRequest) -> Iterator[None]:
    """Sign-in failures of one test must not lock the loopback address for the next."""
    yield
    if "running" in request.fixturenames:
        running: Running = request.getfixturevalue("running")
        running.bridge.admin.throttle = LoginThrottle()


PASSWORD = "correct horse battery"


def new_user(running: Running, admin: bool = False, email: str | None = None) -> str:
    name = f"u{uuid.uuid4().hex[:8]}"
    running.bridge.admin.create_user(
        name, email or f"{name}@contoso.example", PASSWORD, admin=admin
    )
    return name


class Browser:
    """A cookie-keeping client of the portal; `csrf` is the token of the last page read."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.http = requests.Session()
        self.http.trust_env = False
        self.cookie: str | None = None
        self.csrf = ""

    def request(self, method: str, path: str, follow: bool = True, **kw: Any) -> requests.Response:
        url = path if path.startswith("http") else self.base + path
        for _ in range(10):
            headers = dict(kw.pop("headers", {}) or {})
            if self.cookie:
                # requests keeps Secure cookies to https; browsers send them to loopback http
                headers["Cookie"] = f"{COOKIE}={self.cookie}"
            r = self.http.request(
                method, url, headers=headers, allow_redirects=False, timeout=60, **kw
            )
            self._remember(r)
            location = r.headers.get("Location", "")
            if not follow or r.status_code not in (301, 302, 303) or not location:
                return r
            if location.startswith("http") and not location.startswith(self.base):
                return r  # leaving the portal (a provider's sign-in page)
            url = location if location.startswith("http") else self.base + location
            method, kw = "GET", {}
        raise AssertionError("redirect loop")

    def _remember(self, r: requests.Response) -> None:
        for header in r.raw.headers.getlist("Set-Cookie"):
            name, _, rest = header.partition("=")
            if name == COOKIE:
                value = rest.split(";", 1)[0]
                expired = "max-age=0" in header.lower() or not value or value == '""'
                self.cookie = None if expired else value
        found = CSRF.search(r.text) if "text/html" in r.headers.get("Content-Type", "") else None
        if found:
            self.csrf = found.group(1)

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, data: dict[str, str] | None = None, **kw: Any) -> requests.Response:
        form = {"csrf": self.csrf, **(data or {})}
        return self.request("POST", path, data=form, **kw)

    def sign_in(self, name: str, password: str = PASSWORD) -> requests.Response:
        self.get("/signin")
        return self.post("/signin", {"name": name, "password": password})


def signed_in(running: Running, name: str, password: str = PASSWORD) -> Browser:
    browser = Browser(running.url)
    r = browser.sign_in(name, password)
    assert r.status_code == 200 and name in r.text, r.text
    return browser
