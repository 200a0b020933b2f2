"""What a person does in the portal, as Playwright steps, plus the provider side and a DAV
client: identities added to the sandboxes, sign-in at a sandbox's sign-in page, connecting a
service, app passwords, and PROPFIND/PUT as a calendar app would send them.

Fixtures here (`sandboxes`, `open_page`, `org_settings`) are imported by the test modules.
Helpers click and fill as a user would (labels and roles, never CSS ids) and wait with
Playwright's auto-waiting `expect`; a background sync is awaited with a bounded poll.
Must not reach into the demo's process or database except through `davbridge user add`
(the operator's command).
"""

from __future__ import annotations

import os
import re
import subprocess
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlparse

import pytest
import requests
from playwright.sync_api import Browser, Locator, Page, ViewportSize, expect

from tests.browser.conftest import TIMEOUT_MS, Portal
from tests.e2e.conftest import davbridge_command
from tests.e2e.test_caldav_client import event_ics, soon

PASSWORD = "a long enough password"  # noqa: S105 - test credential typed at sandbox pages
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
SCREENSHOTS = os.environ.get("DAVBRIDGE_SCREENSHOTS", "")
DAV = "{DAV:}"
PROPFIND = (
    '<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:displayname/>'
    "<d:resourcetype/></d:prop></d:propfind>"
)
SERVICE_LABELS = {"microsoft365": "Microsoft 365", "google": "Google", "exchange": "Exchange"}


@dataclass(frozen=True)
class Identity:
    """An account at a provider sandbox: what the person types at its sign-in page."""

    email: str
    password: str = PASSWORD


class Sandboxes:
    """The provider side of the running demo: add identities (Microsoft 365, Google, Exchange),
    revoke grants, change an Exchange password."""

    def __init__(self, info: dict[str, Any]) -> None:
        self.graph = info["sandbox"]
        self.google = info["google"]
        self.ews: dict[str, str] = info["ews"]
        self.http = requests.Session()
        self.http.trust_env = False  # REQUESTS_CA_BUNDLE would override verify=

    def _control(self, side: dict[str, Any], path: str, body: dict[str, Any]) -> Any:
        r = self.http.post(
            side["control_url"] + path, json=body, verify=side["ca_file"], timeout=30
        )
        assert r.status_code < 300, (r.status_code, r.text)
        return r.json() if r.content else None

    def add_microsoft(self, domain: str = "contoso.example") -> Identity:
        who = Identity(f"m{uuid.uuid4().hex[:8]}@{domain}")
        body = {"upn": who.email, "display_name": "Test " + who.email, "password": who.password}
        self._control(self.graph, "/users", body)
        return who

    def add_google(self) -> Identity:
        who = Identity(f"g{uuid.uuid4().hex[:8]}@contoso.example")
        body = {"email": who.email, "name": "Test " + who.email, "password": who.password}
        self._control(self.google, "/users", body)
        return who

    def _ews_control(self, path: str, body: dict[str, Any]) -> Any:
        r = self.http.post(self.ews["control_url"] + path, json=body, timeout=30)  # plain http
        assert r.status_code < 300, (r.status_code, r.text)
        return r.json() if r.content else None

    def add_exchange(self) -> Identity:
        """An account of the Exchange sandbox's domain with an empty mailbox of its own (so
        changing its password leaves the demo's own Exchange connection alone)."""
        who = Identity(f"x{uuid.uuid4().hex[:8]}@contoso.example")
        body = {"upn": who.email, "display_name": "Test " + who.email, "password": who.password}
        self._ews_control("/users", body)
        return who

    def change_exchange_password(self, who: Identity, password: str) -> Identity:
        """The person changed their Exchange password (the old one is refused from now on)."""
        self._ews_control("/users/password", {"upn": who.email, "password": password})
        return Identity(who.email, password)

    def revoke(self, service: str, who: Identity) -> None:
        """The user's grant is revoked at the provider (as a password change does) and every
        access token expires, so the bridge's next sync must refresh and is refused."""
        side = self.graph if service == "microsoft365" else self.google
        self._control(side, "/tokens/revoke", {"user": who.email})
        self._control(side, "/tokens/expire", {})


@pytest.fixture(scope="package")
def sandboxes(portal: Portal) -> Sandboxes:
    return Sandboxes(portal.demo.info)


@pytest.fixture
def open_page(browser: Browser) -> Iterator[Callable[[], Page]]:
    """Fresh browser profiles (no cookies) at 1280×800 that accept the sandboxes' own CA."""
    contexts = []

    def make() -> Page:
        context = browser.new_context(ignore_https_errors=True, viewport=VIEWPORT)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def shot(page: Page, name: str, top: Locator | None = None) -> None:
    """With DAVBRIDGE_SCREENSHOTS=<dir>: save the page as <dir>/<name>.png (1280×800),
    scrolled so that `top` (when given) is at the top of the window."""
    if SCREENSHOTS:
        os.makedirs(SCREENSHOTS, exist_ok=True)
        if top is not None:
            top.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.screenshot(path=os.path.join(SCREENSHOTS, name + ".png"))


# -- at a provider's sign-in page -----------------------------------------------------------

# the sandbox sign-in pages' submit button (they also have Cancel)
SUBMIT = re.compile(r"^(Sign in|Next)$")


def at_provider_sign_in(page: Page, portal: Portal, who: Identity) -> None:
    """Type the account's email and password at the sandbox sign-in page (not the portal)."""
    expect(page.get_by_label("Password")).to_be_visible()
    assert not page.url.startswith(portal.url), page.url
    page.get_by_label("Email").fill(who.email)
    page.get_by_label("Password").fill(who.password)
    page.get_by_role("button", name=SUBMIT).click()
    expect(page).to_have_url(re.compile("^" + re.escape(portal.url)))


def sign_in_with(page: Page, portal: Portal, provider: str, who: Identity) -> None:
    """ "Sign in with Microsoft/Google" on the portal's sign-in page, through the sandbox."""
    page.goto(portal.at("signin"))
    page.get_by_role("link", name=f"Sign in with {provider}").click()
    at_provider_sign_in(page, portal, who)
    expect(page.locator("header .username")).to_have_text(who.email)


def local_user(portal: Portal, email: str = "", *, admin: bool = False) -> str:
    """A bridge user with a portal password, made as the operator does: `davbridge user add`
    against the demo's data directory. Returns the user name."""
    name = f"l{uuid.uuid4().hex[:8]}"
    email = email or f"{name}@contoso.example"
    config = portal.demo.data_dir / f"{name}.toml"
    config.write_text(f'[store]\ndata_dir = "{portal.demo.data_dir / "bridge"}"\n')
    argv = [*davbridge_command(), "user", "add", name, "--email", email, "--password-stdin"]
    argv += ["--admin"] if admin else []
    proc = subprocess.run(
        [*argv, "--config", str(config)],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return name


# -- portal pages ---------------------------------------------------------------------------


def choose_service(page: Page, portal: Portal, service: str, *, write: bool = True) -> None:
    """On the Connect page: pick the service, tick what the bridge may do, Continue."""
    page.goto(portal.at("connect"))
    label = SERVICE_LABELS[service]
    page.get_by_role("radio", name=re.compile("^" + re.escape(label))).check()
    page.get_by_label("Read calendars").check()
    page.get_by_label(re.compile("^Write calendars")).set_checked(write)
    page.get_by_label("Sync contacts").uncheck()
    page.get_by_role("button", name="Continue").click()


def connect_oauth(
    page: Page, portal: Portal, service: str, who: Identity, *, write: bool = True
) -> None:
    """Connect Microsoft 365 or Google: Connect page, the sandbox's consent, back on the
    profile with the "Connected …" notice."""
    choose_service(page, portal, service, write=write)
    at_provider_sign_in(page, portal, who)
    expect(page).to_have_url(portal.url)
    expect(page.get_by_role("status")).to_contain_text(
        f"Connected {SERVICE_LABELS[service]} ({who.email})"
    )


def connect_exchange(page: Page, portal: Portal, who: Identity) -> None:
    """Connect Exchange: Connect page (read and write calendars), then the Exchange form with
    the UPN and password (the EWS URL is pre-filled), back on the profile with the notice."""
    choose_service(page, portal, "exchange")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Exchange Web Services")
    page.get_by_label("User name or UPN").fill(who.email)
    page.get_by_label("Password").fill(who.password)
    page.get_by_role("button", name="Test and connect").click()
    expect(page).to_have_url(portal.url)
    expect(page.get_by_role("status")).to_contain_text(f"Connected Exchange ({who.email})")


def card(page: Page, label: str, account: str) -> Any:
    """A connection on the profile page (a region named "<label> <account>")."""
    return page.get_by_role("region", name=f"{label} {account}", exact=True)


def open_connection(page: Page, portal: Portal, label: str, account: str) -> None:
    page.goto(portal.url)
    card(page, label, account).get_by_role("link", name="Permissions, switches and removal").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{label} {account}")


def create_app_password(page: Page, portal: Portal, label: str) -> tuple[str, str]:
    """Create an app password; returns (user name, password) as the answer page shows them."""
    page.goto(portal.at("app-passwords"))
    page.get_by_label("Device or app").fill(label)
    page.get_by_role("button", name="Create app password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"App password for “{label}”")
    facts = page.locator("dl.credentials code")
    return facts.nth(1).inner_text(), facts.nth(2).inner_text()


def wait_until(check: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    """Poll `check` (a background sync must happen first) until truthy, at most `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not in {timeout:.0f} s: {what}")
        time.sleep(0.5)


def profile_shows(page: Page, portal: Portal, label: str, account: str, text: str) -> bool:
    page.goto(portal.url)
    return text in card(page, label, account).inner_text()


# -- a DAV client ---------------------------------------------------------------------------


class DavClient:
    """A calendar app signed in with an app password."""

    def __init__(self, portal: Portal, username: str, password: str) -> None:
        self.base = str(portal.demo.info["dav_url"]).rstrip("/")
        self.username = username
        self.http = requests.Session()
        self.http.trust_env = False
        self.http.auth = (username, password)

    def request(self, method: str, path: str, **kw: Any) -> requests.Response:
        url = path if path.startswith("http") else self.base + path
        return self.http.request(method, url, timeout=60, **kw)

    def home(self) -> requests.Response:
        return self.request("PROPFIND", f"/{self.username}/", data=PROPFIND, headers={"Depth": "1"})

    def calendars(self) -> dict[str, str]:
        """Display name -> path of every calendar collection in the user's home."""
        r = self.home()
        assert r.status_code == 207, (r.status_code, r.text)
        found = {}
        for resp in ET.fromstring(r.content).iter(DAV + "response"):
            href = unquote(resp.findtext(DAV + "href") or "")
            kinds = [c.tag for c in resp.iter() if c.tag.endswith("}calendar")]
            if kinds:
                found[resp.findtext(f".//{DAV}displayname") or href] = urlparse(href).path
        return found

    def calendar(self, suffix: str) -> str:
        """The path of the calendar whose display name ends with `suffix`."""
        cals = self.calendars()
        return next(p for n, p in cals.items() if n.endswith(suffix))

    def put_event(self, calendar: str, summary: str) -> requests.Response:
        uid = f"browser-{uuid.uuid4().hex}"
        body = event_ics(uid, summary, soon(5)).encode()
        return self.request(
            "PUT",
            calendar + uid + ".ics",
            data=body,
            headers={"Content-Type": "text/calendar; charset=utf-8"},
        )

    def hrefs(self, calendar: str) -> list[str]:
        r = self.request("PROPFIND", calendar, data=PROPFIND, headers={"Depth": "1"})
        assert r.status_code == 207, (r.status_code, r.text)
        return [h.text or "" for h in ET.fromstring(r.content).iter(DAV + "href")][1:]


# -- organisation settings ------------------------------------------------------------------


@pytest.fixture
def org_settings(portal: Portal, open_page: Callable[[], Page]) -> Iterator[Page]:
    """The demo admin signed in at the organisation settings; afterwards every setting is put
    back as it was and added groups are deleted (other tests share the demo)."""
    from tests.browser.conftest import sign_in

    page = open_page()
    sign_in(page, portal)
    page.goto(portal.at("admin"))
    form = page.locator("form[action='/admin/settings']")
    saved = form.evaluate(
        "f => Array.from(new FormData(f).entries()).filter(([k]) => k !== 'csrf')"
    )
    yield page
    page.goto(portal.at("admin"))
    for checkbox in form.get_by_role("checkbox").all():
        checkbox.uncheck()
    for name, value in saved:
        field = form.locator(f"[name='{name}']")
        tag = field.evaluate("e => e.tagName + ':' + (e.type || '')")
        if tag == "INPUT:checkbox":
            field.check()
        elif tag.startswith("SELECT"):
            field.select_option(value)
        else:
            field.fill(value)
    form.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_have_text("Organisation settings saved.")
    restored = form.evaluate(
        "f => Array.from(new FormData(f).entries()).filter(([k]) => k !== 'csrf')"
    )
    assert restored == saved, (restored, saved)


def connected(
    page: Page, portal: Portal, sandboxes: Sandboxes, service: str = "microsoft365"
) -> tuple[Identity, DavClient]:
    """A new person who signed in with the provider, connected it with read and write, and
    set up a calendar app with an app password that already sees the calendars."""
    who = sandboxes.add_microsoft() if service == "microsoft365" else sandboxes.add_google()
    sign_in_with(page, portal, "Microsoft" if service == "microsoft365" else "Google", who)
    connect_oauth(page, portal, service, who)
    dav = DavClient(portal, *create_app_password(page, portal, "Calendar app"))
    wait_until(dav.calendars, f"the {SERVICE_LABELS[service]} calendars are served")
    return who, dav
