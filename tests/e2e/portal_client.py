"""Acting as people do against a running `davbridge demo` subprocess: the operator adding a
bridge user with the CLI, that user in the web portal (sign in, app password, connecting
Exchange with the form and Microsoft 365 / Google through the real OAuth redirect, playing the
person at the sandbox sign-in page), and plain DAV requests.

Shared by tests/e2e/test_secrets_at_rest.py and tests/e2e/test_isolation.py. Builds on the
portal tests' `Browser` (session cookie over loopback http, CSRF token of the last page). Must
not reach into the bridge process: everything goes over HTTP or the installed CLI.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import urllib.parse
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

import requests

from bridge.entry.demo_signin import sign_in_at
from tests.e2e.conftest import RunningDemo, davbridge_command
from tests.portal.conftest import COOKIE, Browser

SECRET = re.compile(r'<code class="secret">([^<]+)</code>')


class PortalUser(Browser):
    """A portal browser that also remembers every session cookie value it was given."""

    def __init__(self, base: str) -> None:
        super().__init__(base)
        self.cookies_seen: list[str] = []

    def _remember(self, r: requests.Response) -> None:
        super()._remember(r)
        if self.cookie and self.cookie not in self.cookies_seen:
            self.cookies_seen.append(self.cookie)


def add_bridge_user(demo: RunningDemo, name: str, email: str, password: str) -> None:
    """`davbridge user add NAME --email … --password-stdin`, as the operator runs it."""
    config = str(demo.data_dir / "davbridge.toml")  # written by the demo for these commands
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAVBRIDGE_")}
    done = subprocess.run(
        [*davbridge_command(), "user", "add", name, "--email", email, "--password-stdin"]
        + ["--config", config],
        input=password + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert password not in done.stdout + done.stderr


def sign_in(demo: RunningDemo, name: str, password: str) -> PortalUser:
    browser = PortalUser(str(demo.info["portal_url"]))
    r = browser.sign_in(name, password)
    assert r.status_code == 200 and name in r.text, r.text[:2000]
    assert browser.cookie, "no session cookie after sign-in"
    return browser


def new_app_password(browser: PortalUser, label: str) -> str:
    browser.get("/app-passwords")
    r = browser.post("/app-passwords", {"label": label})
    assert r.status_code == 200, r.text[:2000]
    found = SECRET.search(r.text)
    assert found, "the new app password is not shown"
    return html.unescape(found.group(1))


def connect_exchange(browser: PortalUser, ews: dict[str, Any]) -> requests.Response:
    """The Exchange form with the sandbox mailbox's credentials; the profile page answers."""
    form = browser.post(
        "/connect", {"service": "exchange", "read_calendars": "1", "write_calendars": "1"}
    )
    assert form.status_code == 200 and "/connect/exchange" in form.url, form.text[:2000]
    r = browser.post(
        "/connect/exchange",
        {
            "service": "exchange",
            "login": ews["username"],
            "email": ews["upn"],
            "password": ews["password"],
            "url": ews["ews_url"],
            "version": ews["version"],
            "read_calendars": "1",
            "write_calendars": "1",
            "sync_contacts": "1",
        },
    )
    assert r.status_code == 200 and "Connected Exchange" in r.text, r.text[:2000]
    return r


def ctl(control_url: str, ca_file: str, method: str, path: str, **kw: Any) -> Any:
    """The sandbox control API (loopback, TLS with the sandbox's own CA)."""
    with requests.Session() as s:
        s.trust_env = False
        r = s.request(method, control_url + path, verify=ca_file, timeout=30, **kw)
    assert r.status_code < 300, (r.status_code, r.text)
    return r.json() if r.content else None


def add_provider_account(demo: RunningDemo, service: str, email: str, password: str) -> None:
    """A new account at the Microsoft 365 (Graph) or Google sandbox that can sign in."""
    if service == "google":
        g = demo.info["google"]
        body = {"email": email, "name": email.split("@")[0], "password": password}
        ctl(g["control_url"], g["ca_file"], "POST", "/users", json=body)
    else:
        s = demo.info["sandbox"]
        body = {"upn": email, "display_name": email.split("@")[0], "password": password}
        ctl(s["control_url"], s["ca_file"], "POST", "/users", json=body)


def connect_oauth(
    browser: PortalUser, demo: RunningDemo, service: str, account: str, password: str
) -> requests.Response:
    """`service` "microsoft365" or "google": the portal's redirect to the sandbox's sign-in
    page, the person signing in there, and the redirect back to the portal's callback."""
    r = browser.post(
        "/connect",
        {"service": service, "read_calendars": "1", "write_calendars": "1", "sync_contacts": "1"},
        follow=False,
    )
    assert r.status_code == 303, r.text[:2000]
    auth_url = r.headers["Location"]
    ca_file = demo.info["google" if service == "google" else "sandbox"]["ca_file"]
    callback = str(demo.info["portal_url"]) + "connect/callback"
    answer = sign_in_at(auth_url, account, password, callback, ca_file)
    assert "code" in answer, answer
    profile = browser.get("/connect/callback?" + urllib.parse.urlencode(answer))
    assert profile.status_code == 200 and "Connected" in profile.text, profile.text[:2000]
    return profile


def dav(
    demo: RunningDemo,
    method: str,
    path: str,
    auth: tuple[str, str],
    body: str | bytes | None = None,
    headers: dict[str, str] | None = None,
) -> requests.Response:
    """One DAV request to the bridge (path relative to the DAV root, e.g. "/demo/")."""
    with requests.Session() as s:
        s.trust_env = False
        return s.request(
            method,
            demo.url.rstrip("/") + path,
            auth=auth,
            data=body,
            headers=headers or {},
            timeout=60,
        )


DAV_NS = "{DAV:}"
PROPS = (
    '<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:"><d:prop>'
    "<d:displayname/><d:resourcetype/><d:current-user-privilege-set/></d:prop></d:propfind>"
)


@dataclass(frozen=True)
class Collection:
    path: str  # "/user/name/"
    display_name: str
    writable: bool
    kind: str  # "calendar" | "addressbook"


def collections(demo: RunningDemo, user: str, auth: tuple[str, str]) -> list[Collection]:
    """The collections under /user/ as a DAV client discovers them (PROPFIND Depth 1)."""
    r = dav(demo, "PROPFIND", f"/{user}/", auth, PROPS, {"Depth": "1"})
    assert r.status_code == 207, (r.status_code, r.text[:2000])
    found = []
    for resp in ElementTree.fromstring(r.content).iter(DAV_NS + "response"):
        path = urllib.parse.unquote(resp.findtext(DAV_NS + "href") or "")
        types = resp.find(f".//{DAV_NS}resourcetype")
        tags = {child.tag.rsplit("}", 1)[-1] for child in (types if types is not None else [])}
        kind = "calendar" if "calendar" in tags else "addressbook" if "addressbook" in tags else ""
        if not kind:
            continue
        privileges = {e.tag for e in resp.iter() if e.tag in (DAV_NS + "write", DAV_NS + "all")}
        name = resp.findtext(f".//{DAV_NS}displayname") or ""
        found.append(Collection(path, name, bool(privileges), kind))
    return found


__all__ = [
    "Collection",
    "COOKIE",
    "PortalUser",
    "add_bridge_user",
    "add_provider_account",
    "connect_exchange",
    "connect_oauth",
    "collections",
    "ctl",
    "dav",
    "new_app_password",
    "sign_in",
]
