"""Connecting services through the portal (A1) against the sandboxes: Google's real OAuth
redirect and the user's consent at the sandbox sign-in page, back on the profile with what
was granted; the callback refusing a state this session did not start; the Exchange form
with its connection test; the policy shown and enforced (P5)."""

from __future__ import annotations

import html
import re
import urllib.parse
import xml.etree.ElementTree as ET

import requests

from bridge.demo import sign_in_at
from bridge.model import ProviderKind
from sandbox.remote import Remote
from tests.portal.conftest import Browser, Running, new_user, signed_in

EXPIRED = "This sign-in link has expired or was not started here"


def start_google(browser: Browser, write: bool = True) -> str:
    form = {"service": "google", "read_calendars": "1"}
    if write:
        form["write_calendars"] = "1"
    r = browser.post("/connect", form, follow=False)
    assert r.status_code == 303, r.text
    return r.headers["Location"]


def consent(running: Running, auth_url: str) -> dict[str, str]:
    """Play the user at the sandbox's sign-in page; the redirect's query comes back."""
    user, password, ca_file = running.info.sandboxes.credentials(ProviderKind.GOOGLE)
    return sign_in_at(auth_url, user, password, running.url + "connect/callback", ca_file)


def test_google_connect_lands_on_the_profile_with_the_granted_permissions(
    running: Running,
) -> None:
    name = new_user(running)
    browser = signed_in(running, name)
    auth_url = start_google(browser, write=False)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(auth_url).query)
    assert query["redirect_uri"] == [running.url + "connect/callback"]
    assert query["code_challenge_method"] == ["S256"]  # PKCE
    answer = consent(running, auth_url)
    profile = browser.get("/connect/callback?" + urllib.parse.urlencode(answer))
    assert profile.status_code == 200 and profile.url == running.url
    user, _, _ = running.info.sandboxes.credentials(ProviderKind.GOOGLE)
    assert f"Connected Google ({user}): read calendars." in profile.text
    assert '<ul class="ticks">' in profile.text and "<li>read calendars</li>" in profile.text
    assert "<li>write calendars</li>" not in profile.text
    (status,) = running.bridge.onboarding.statuses(name)
    assert status.permissions["write_calendars"] is False
    assert "Last successful sync" in profile.text
    # the same answer cannot be used twice
    again = browser.get("/connect/callback?" + urllib.parse.urlencode(answer))
    assert again.status_code == 400 and EXPIRED in again.text


def test_callback_with_a_state_this_session_did_not_start_is_refused(running: Running) -> None:
    name = new_user(running)
    browser = signed_in(running, name)
    answer = consent(running, start_google(browser))
    forged = {**answer, "state": answer["state"] + "x"}
    r = browser.get("/connect/callback?" + urllib.parse.urlencode(forged))
    assert r.status_code == 400 and EXPIRED in r.text
    assert browser.get("/connect/callback?code=abc").status_code == 400
    # the right state, but in another user's browser: refused too
    other = signed_in(running, new_user(running))
    r = other.get("/connect/callback?" + urllib.parse.urlencode(answer))
    assert r.status_code == 400 and EXPIRED in r.text
    assert running.bridge.onboarding.statuses(name) == []


def restricted_user(running: Running) -> str:
    """A user in a group where calendars are read only and contacts are not synced (P5)."""
    admin = running.bridge.admin
    group = admin.create_group("demo", f"readonly-{new_user(running)}")
    admin.set_group_overrides(
        "demo", group.id, {"allow_write_calendars": False, "allow_contacts": False}
    )
    name = new_user(running)
    admin.set_user_group("demo", name, group.id)
    return name


def test_forbidden_permissions_are_disabled_and_a_crafted_post_is_refused(
    running: Running,
) -> None:
    name = restricted_user(running)
    browser = signed_in(running, name)
    page = browser.get("/connect")
    assert page.status_code == 200
    assert 'name="write_calendars" id="f-write_calendars" value="1" disabled' in page.text
    assert 'name="sync_contacts" id="f-sync_contacts" value="1" disabled' in page.text
    assert "allows calendars to be read only" in page.text
    crafted = browser.post("/connect", {"service": "google", "write_calendars": "1"})
    assert crafted.status_code == 403
    assert "allows calendars to be read only" in crafted.text
    crafted = browser.post("/connect", {"service": "exchange", "sync_contacts": "1"})
    assert crafted.status_code == 403 and "contacts" in crafted.text
    assert running.bridge.onboarding.statuses(name) == []


def test_connect_page_offers_the_services_of_the_policy(running: Running) -> None:
    browser = signed_in(running, new_user(running))
    page = browser.get("/connect").text
    for service in ("microsoft365", "google", "exchange"):
        assert f'value="{service}"' in page
    assert page.index('value="microsoft365"') < page.index('value="google"')  # default first


def test_exchange_form_tests_the_connection_and_keeps_the_values(running: Running) -> None:
    ews = running.info.sandboxes.ews
    assert ews is not None
    name = new_user(running)
    browser = signed_in(running, name)
    form = browser.post("/connect", {"service": "exchange", "read_calendars": "1"})
    assert form.status_code == 200 and "/connect/exchange" in form.url
    assert f'value="{ews.ews_url}"' in form.text  # pre-filled from the settings
    fields = {
        "service": "exchange",
        "login": ews.username,
        "email": ews.upn,
        "url": ews.ews_url,
        "version": "Exchange2016",
        "read_calendars": "1",
    }
    wrong = browser.post("/connect/exchange", {**fields, "password": "Wrong-Pa55word!"})
    assert wrong.status_code == 400
    assert "wrong user name or password" in wrong.text
    assert f'name="login" id="login" value="{html.escape(ews.username)}"' in wrong.text
    assert "Wrong-Pa55word!" not in wrong.text
    assert running.bridge.onboarding.statuses(name) == []
    unreachable = {**fields, "url": "https://127.0.0.1:9/EWS/Exchange.asmx"}
    r = browser.post("/connect/exchange", {**unreachable, "password": ews.password})
    assert r.status_code == 502 and "127.0.0.1:9" in r.text
    ok = browser.post("/connect/exchange", {**fields, "password": ews.password})
    assert ok.status_code == 200 and ok.url == running.url
    assert f"Connected Exchange ({ews.upn}): read calendars." in ok.text


def test_microsoft365_is_not_offered_over_ews(running: Running) -> None:
    """Exchange Online no longer serves EWS to davbridge: the Exchange form is for Exchange
    Server only, and an Exchange Online URL is refused with the reason, nothing sent."""
    name = new_user(running)
    browser = signed_in(running, name)
    assert "legacy" not in browser.get("/connect").text
    assert browser.get("/connect/exchange?service=microsoft365").status_code == 400
    requests_before = ews_requests(running)
    online = {
        **exchange_fields(running, read_calendars="1"),
        "url": "https://outlook.office365.com/EWS/Exchange.asmx",
    }
    r = browser.post("/connect/exchange", online)
    assert r.status_code == 400
    alert = r.text.split('role="alert">')[-1].split("<")[0]
    assert "1 April 2027" in alert and "connect microsoft 365 instead" in alert.lower(), alert
    assert ews_requests(running) == requests_before
    assert running.bridge.onboarding.statuses(name) == []


def ews_requests(running: Running) -> int:
    """EWS requests the Exchange sandbox (its own process) has served so far."""
    return Remote.of(running.info.sandboxes.ews).request_count()


def exchange_fields(running: Running, **ticks: str) -> dict[str, str]:
    ews = running.info.sandboxes.ews
    assert ews is not None
    return {
        "service": "exchange",
        "login": ews.username,
        "email": ews.upn,
        "url": ews.ews_url,
        "version": "Exchange2016",
        "password": ews.password,
        **ticks,
    }


def test_read_calendars_is_a_real_choice_and_write_needs_it(running: Running) -> None:
    name = new_user(running)
    browser = signed_in(running, name)
    page = browser.get("/connect").text
    assert 'name="read_calendars" id="f-read_calendars" value="1" checked>' in page
    form = browser.post("/connect", {"service": "exchange", "sync_contacts": "1"})
    assert form.status_code == 200 and "read_calendars=0" in form.url
    assert 'name="read_calendars" id="f-read_calendars" value="1">' in form.text  # unticked
    requests_before = ews_requests(running)
    for crafted in (
        browser.post("/connect", {"service": "google", "write_calendars": "1"}),
        browser.post("/connect", {"service": "exchange", "write_calendars": "1"}),
        browser.post("/connect/exchange", exchange_fields(running, write_calendars="1")),
    ):
        assert crafted.status_code == 400, crafted.text
        assert "needs \u201cread calendars\u201d" in html.unescape(crafted.text)
    nothing = browser.post("/connect", {"service": "google"})
    assert nothing.status_code == 400 and "Tick at least one of" in nothing.text
    assert ews_requests(running) == requests_before
    assert running.bridge.onboarding.statuses(name) == []


def test_contacts_only_exchange_serves_address_books_and_no_calendars(running: Running) -> None:
    name = new_user(running)
    browser = signed_in(running, name)
    ok = browser.post("/connect/exchange", exchange_fields(running, sync_contacts="1"))
    assert ok.status_code == 200 and ok.url == running.url, ok.text
    ews = running.info.sandboxes.ews
    assert ews is not None
    assert f"Connected Exchange ({ews.upn}): sync contacts." in ok.text
    assert "<dt>Calendars</dt><dd>not synchronised (not permitted)</dd>" in ok.text
    (status,) = running.bridge.onboarding.statuses(name)
    connection = browser.get(f"/connections/{status.id}").text
    assert "Calendars are not synchronised: this connection has no permission" in connection
    assert "Switch calendars" not in connection and "Switch contacts off" in connection
    assert 'name="read_calendars" id="f-read_calendars" value="1">' in connection

    created = browser.post("/app-passwords", {"label": "Contacts app"})
    secret = re.search(r'<code class="secret">([^<]+)</code>', created.text)
    assert secret is not None
    home = requests.request(
        "PROPFIND",
        f"{running.info.dav_url}{name}/",
        auth=(name, html.unescape(secret.group(1))),
        headers={"Depth": "1"},
        data=PROPS,
        timeout=30,
    )
    assert home.status_code == 207, home.text
    kinds = collection_kinds(home.content)
    assert "addressbook" in kinds and "calendar" not in kinds, kinds

    # calendars turned on later: Exchange applies it at once (no consent page)
    on = browser.post(
        f"/connections/{status.id}/permissions", {"read_calendars": "1", "sync_contacts": "1"}
    )
    assert on.status_code == 200 and "Permissions changed: read calendars, sync contacts." in (
        on.text
    )
    assert "Switch calendars off" in on.text
    again = requests.request(
        "PROPFIND",
        f"{running.info.dav_url}{name}/",
        auth=(name, html.unescape(secret.group(1))),
        headers={"Depth": "1"},
        data=PROPS,
        timeout=30,
    )
    assert "calendar" in collection_kinds(again.content)


PROPS = (
    '<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:resourcetype/></d:prop>'
    "</d:propfind>"
)


def collection_kinds(body: bytes) -> list[str]:
    """The resource types (calendar, addressbook) of the collections in a PROPFIND answer."""
    tree = ET.fromstring(body)
    return [
        el.tag.rsplit("}", 1)[-1]
        for rtype in tree.iter("{DAV:}resourcetype")
        for el in rtype
        if el.tag.rsplit("}", 1)[-1] in ("calendar", "addressbook")
    ]


def decline_at(auth_url: str, ca_file: str) -> dict[str, str]:
    """Press Cancel at the sandbox's sign-in page; the redirect's query comes back."""
    parts = urllib.parse.urlsplit(auth_url)
    form = dict(urllib.parse.parse_qsl(parts.query))
    r = requests.post(
        f"{parts.scheme}://{parts.netloc}{parts.path}",
        data={**form, "cancel": "1"},
        allow_redirects=False,
        verify=ca_file,
        timeout=30,
    )
    assert r.status_code in (302, 303), r.text
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(r.headers["Location"]).query))


def test_declining_at_the_provider_connects_nothing_and_says_so(running: Running) -> None:
    name = new_user(running)
    browser = signed_in(running, name)
    auth_url = start_google(browser, write=False)
    _, _, ca_file = running.info.sandboxes.credentials(ProviderKind.GOOGLE)
    answer = decline_at(auth_url, ca_file)
    assert answer["error"] == "access_denied" and "code" not in answer
    page = browser.get("/connect/callback?" + urllib.parse.urlencode(answer))
    assert page.status_code == 200 and page.url == running.url + "connect"
    assert "Google was not connected: access was not granted" in page.text
    assert running.bridge.onboarding.statuses(name) == []
