"""The portal in a real browser: the sign-in page loads, and the demo user gets in."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import Portal, sign_in
from tests.e2e.conftest import wait_for


def test_signin_page_loads_and_demo_user_reaches_profile(page: Page, portal: Portal) -> None:
    page.goto(portal.url)
    expect(page).to_have_url(portal.at("signin"))  # not signed in: sent to the sign-in page
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to davbridge")
    sign_in(page, portal)
    expect(page).to_have_url(portal.url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your calendars and contacts")
    expect(page.get_by_text("alex@contoso.example").first).to_be_visible()
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["davbridge_session"]
    # plain http on loopback: not Secure (tests/portal/test_cookies.py covers https)
    assert session["httpOnly"] and not session["secure"] and session["sameSite"] == "Lax"


def test_wrong_password_stays_on_the_signin_page(page: Page, portal: Portal) -> None:
    sign_in(page, portal, password="not the password")
    expect(page.get_by_role("alert")).to_contain_text("wrong user name or password")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to davbridge")


def test_demo_printout_links_the_portal(portal: Portal) -> None:
    line = f"Web portal: {portal.url}  (user {portal.user}, password {portal.password})"
    wait_for(lambda: line in portal.demo.log.read_text())
