"""Connecting services through the portal (A1) against the sandboxes: Google's real OAuth
redirect and the user's consent at the sandbox sign-in page, back on the profile with what
was granted; the callback refusing a state this session did not start; the Exchange form
with its connection test; the policy shown and enforced (P5)."""

from __future__ import annotations

import html
import urllib.parse

from bridge.demo import sign_in_at
from bridge.model import ProviderKind
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


def test_microsoft365_over_ews_shows_the_legacy_notice(running: Running) -> None:
    admin = running.bridge.admin
    group = admin.create_group("demo", f"ews-{new_user(running)}")
    admin.set_group_overrides("demo", group.id, {"microsoft_api": "ews"})
    name = new_user(running)
    admin.set_user_group("demo", name, group.id)
    browser = signed_in(running, name)
    assert "Microsoft 365 (EWS, legacy)" in browser.get("/connect").text
    form = browser.post("/connect", {"service": "microsoft365", "read_calendars": "1"})
    assert "/connect/exchange?service=microsoft365" in form.url
    assert "EWS is legacy; Microsoft recommends Graph" in form.text
