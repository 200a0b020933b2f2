"""One connection's life in a real browser: its status (A2), re-authorization after the
provider revoked the grant or the Exchange password changed, the calendars switch (A4),
changing permissions with a new consent (A3) and deletion (A5) — each checked both on the pages
and with a calendar app (DAV with an app password), as the user would notice it."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, Request, expect

from tests.browser.conftest import Portal, sign_in
from tests.browser.flows import (
    PASSWORD,
    SERVICE_LABELS,
    DavClient,
    Sandboxes,
    at_provider_sign_in,
    card,
    connect_exchange,
    connected,
    create_app_password,
    local_user,
    open_connection,
    open_page,
    sandboxes,
    shot,
    wait_until,
)

__all__ = ["open_page", "sandboxes"]  # fixtures


@pytest.mark.parametrize("service", ["microsoft365", "google"])
def test_revoked_grant_needs_reauthorization_and_reauthorize_restores_writes(
    portal: Portal, sandboxes: Sandboxes, open_page: Callable[[], Page], service: str
) -> None:
    label = SERVICE_LABELS[service]
    page = open_page()
    who, dav = connected(page, portal, sandboxes, service)
    section = card(page, label, who.email)
    page.goto(portal.url)
    expect(section.locator("dd.status")).to_have_text("working")
    expect(section.locator("dd.last-sync")).to_have_text(re.compile("ago|just now"))
    expect(section.locator("dd.last-sync time")).to_have_attribute("datetime", re.compile(r"^20"))
    # a time is shown (its words, "in a few seconds", are an earlier time once it is overdue)
    expect(section.locator("dd.next-sync time")).to_have_attribute("datetime", re.compile(r"^20"))
    calendar = dav.calendar(f"— {label}")
    before = dav.put_event(calendar, "Written before the revocation")
    assert before.status_code == 201, before.text
    kept = dav.hrefs(calendar)

    sandboxes.revoke(service, who)

    def flagged() -> bool:  # the demo syncs every second; the profile is reloaded until then
        page.goto(portal.url)
        return "needs re-authorization" in section.locator("dd.status").inner_text()

    wait_until(flagged, "the profile shows the connection needs re-authorization")
    expect(section.get_by_role("alert")).to_contain_text(f"{label} no longer accepts")
    expect(section.locator("dd.next-sync")).to_have_text("not scheduled")
    refused = dav.put_event(calendar, "Written after the revocation")
    assert refused.status_code == 403, refused.text
    assert "re-authoriz" in refused.text.lower()
    assert dav.hrefs(calendar) == kept  # the last synced data is still served
    assert dav.request("GET", kept[0]).status_code == 200

    section.get_by_role("button", name="Re-authorize").click()
    at_provider_sign_in(page, portal, who)
    expect(page.get_by_role("status")).to_contain_text(f"Connected {label} ({who.email})")
    expect(section.locator("dd.status")).to_have_text("working")
    expect(section.get_by_role("button", name="Re-authorize")).to_have_count(0)
    after = dav.put_event(calendar, "Written after re-authorizing")
    assert after.status_code == 201, after.text


def test_calendars_switch_off_hides_them_and_on_brings_them_back_without_consent(
    portal: Portal, sandboxes: Sandboxes, open_page: Callable[[], Page]
) -> None:
    page = open_page()
    who, dav = connected(page, portal, sandboxes)
    open_connection(page, portal, "Microsoft 365", who.email)
    shot(page, "connection")
    outside: list[str] = []

    def leaving(request: Request) -> None:
        if not request.url.startswith(portal.url):
            outside.append(request.url)

    page.on("request", leaving)
    page.get_by_role("button", name="Switch calendars off").click()
    expect(page.get_by_role("status")).to_have_text(f"Calendars of {who.email}: off.")
    expect(page.get_by_text("Calendars are off.")).to_be_visible()
    assert dav.calendars() == {}
    page.goto(portal.url)
    expect(card(page, "Microsoft 365", who.email).locator("dd").nth(2)).to_have_text("off")

    open_connection(page, portal, "Microsoft 365", who.email)
    page.get_by_role("button", name="Switch calendars on").click()
    expect(page.get_by_text("Calendars are on.")).to_be_visible()
    assert outside == []  # no visit to the provider's sign-in page: no new consent
    cals = wait_until(dav.calendars, "the calendars are back")
    assert "Calendar — Microsoft 365" in cals


def test_unticking_write_reconsents_and_makes_calendars_read_only(
    portal: Portal, sandboxes: Sandboxes, open_page: Callable[[], Page]
) -> None:
    page = open_page()
    who, dav = connected(page, portal, sandboxes)
    calendar = dav.calendar("— Microsoft 365")
    open_connection(page, portal, "Microsoft 365", who.email)
    page.get_by_label("Write calendars").uncheck()
    page.get_by_role("button", name="Change permissions").click()
    expect(page).to_have_url(re.compile("^" + re.escape(sandboxes.graph["authority"])))
    scopes = parse_qs(urlparse(page.url).query)["scope"][0].split()
    assert "Calendars.Read" in scopes and "Calendars.ReadWrite" not in scopes, scopes
    at_provider_sign_in(page, portal, who)
    section = card(page, "Microsoft 365", who.email)
    expect(section.locator("ul.ticks li")).to_have_text(["read calendars"])
    refused = dav.put_event(calendar, "Not allowed any more")
    assert refused.status_code == 403, refused.text
    assert "Writing calendars is not permitted" in refused.text, refused.text
    assert "change its permissions" in refused.text

    open_connection(page, portal, "Microsoft 365", who.email)
    page.get_by_label("Write calendars").check()
    page.get_by_role("button", name="Change permissions").click()
    at_provider_sign_in(page, portal, who)
    expect(section.locator("ul.ticks li")).to_have_text(["read calendars", "write calendars"])
    assert dav.put_event(calendar, "Allowed again").status_code == 201


def test_delete_asks_first_then_the_connection_and_its_calendars_are_gone(
    portal: Portal, sandboxes: Sandboxes, open_page: Callable[[], Page]
) -> None:
    page = open_page()
    who, dav = connected(page, portal, sandboxes, "google")
    open_connection(page, portal, "Google", who.email)
    page.get_by_role("link", name="Delete this connection…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Delete Google ({who.email})?")
    page.get_by_role("link", name="Cancel").click()  # changing one's mind keeps it
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Google {who.email}")
    assert dav.calendars()

    page.get_by_role("link", name="Delete this connection…").click()
    page.get_by_role("button", name="Delete connection").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Google ({who.email}) is deleted")
    expect(page.get_by_role("status")).to_contain_text("revoked")
    page.get_by_role("link", name="Back to your profile").click()
    expect(card(page, "Google", who.email)).to_have_count(0)
    expect(page.get_by_text("No calendar or contacts service is connected yet.")).to_be_visible()
    assert dav.calendars() == {}


def test_exchange_password_change_needs_reauthorization_with_the_new_password(
    portal: Portal, sandboxes: Sandboxes, open_page: Callable[[], Page]
) -> None:
    who = sandboxes.add_exchange()  # its own account: the demo's Exchange connection is untouched
    page = open_page()
    sign_in(page, portal, local_user(portal), PASSWORD)
    connect_exchange(page, portal, who)
    dav = DavClient(portal, *create_app_password(page, portal, "Calendar app"))
    wait_until(dav.calendars, "the Exchange calendars are served")
    calendar = dav.calendar("— Exchange")
    assert dav.put_event(calendar, "Written before the password change").status_code == 201
    (kept,) = dav.hrefs(calendar)

    who = sandboxes.change_exchange_password(who, "Changed-Passw0rd!")
    section = card(page, "Exchange", who.email)

    def flagged() -> bool:  # the demo syncs every second
        page.goto(portal.url)
        return "needs re-authorization" in section.locator("dd.status").inner_text()

    wait_until(flagged, "the profile shows the Exchange connection needs re-authorization")
    expect(section.get_by_role("alert")).to_contain_text(
        "Exchange no longer accepts the bridge's access (the password was changed or is wrong)"
    )
    expect(section.get_by_role("button", name="Re-authorize")).to_be_visible()
    shot(page, "exchange-reauth", section)
    last = dav.request("GET", kept)  # clients keep reading the last synced data
    assert last.status_code == 200 and "Written before the password change" in last.text
    refused = dav.put_event(calendar, "Written after the password change")
    assert refused.status_code == 403, refused.text
    assert "needs re-authorization; changes cannot be saved" in refused.text, refused.text

    password = section.get_by_label(f"Exchange password for {who.email}")
    password.fill("Not-the-new-0ne!")
    section.get_by_role("button", name="Re-authorize").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Exchange {who.email}")
    expect(page.locator("#reauth-error")).to_have_text("wrong user name or password")
    expect(page.locator("dd.status")).to_have_text("needs re-authorization")  # nothing changed
    assert dav.put_event(calendar, "Still refused").status_code == 403

    page.get_by_label(f"Exchange password for {who.email}").fill(who.password)
    page.get_by_role("button", name="Re-authorize").click()
    expect(page.get_by_role("status")).to_contain_text(f"Re-authorized {who.email}.")
    expect(section.locator("dd.status")).to_have_text("working")
    expect(section.get_by_role("button", name="Re-authorize")).to_have_count(0)
    after = dav.put_event(calendar, "Written after re-authorizing")
    assert after.status_code == 201, after.text
    assert len(dav.hrefs(calendar)) == 2
