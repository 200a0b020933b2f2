"""Signing in to the portal: local passwords (right, wrong, throttled), the session cookie's
flags, a new session id at sign-in, sign-out, and pages that need a signed-in user."""

from __future__ import annotations

import urllib.parse

import requests

from bridge.entry.demo import sign_in_at
from bridge.model import ProviderKind
from tests.portal.conftest import COOKIE, Browser, Running, new_user, signed_in


def cookie_header(r: requests.Response) -> str:
    found = [h for h in r.raw.headers.getlist("Set-Cookie") if h.startswith(COOKIE + "=")]
    assert found, r.headers
    return found[-1]


def test_pages_need_sign_in(running: Running) -> None:
    browser = Browser(running.url)
    for path in ("/", "/connect", "/app-passwords", "/admin"):
        r = browser.get(path, follow=False)
        assert r.status_code == 303 and r.headers["Location"] == "/signin", path
    page = browser.get("/")
    assert page.url.endswith("/signin") and 'name="password"' in page.text


def test_right_password_signs_in_and_shows_who(running: Running) -> None:
    name = new_user(running)
    browser = Browser(running.url)
    page = browser.sign_in(name)
    assert page.status_code == 200
    assert f'<strong class="username">{name}</strong>' in page.text
    assert 'action="/signout"' in page.text
    assert 'href="/admin"' not in page.text  # not an administrator


def test_wrong_password_is_refused_in_plain_words(running: Running) -> None:
    name = new_user(running)
    browser = Browser(running.url)
    r = browser.sign_in(name, "not the password")
    assert r.status_code == 401
    assert "wrong user name or password" in r.text
    assert f'value="{name}"' in r.text  # the name is kept, the password is not
    assert "not the password" not in r.text
    assert browser.get("/", follow=False).status_code == 303  # still signed out
    unknown = browser.sign_in("nobody-" + name, "not the password")
    assert unknown.status_code == 401 and "wrong user name or password" in unknown.text


def test_repeated_failures_are_throttled(running: Running) -> None:
    name = new_user(running)
    browser = Browser(running.url)
    statuses = [browser.sign_in(name, f"wrong {i}").status_code for i in range(5)]
    assert statuses == [401] * 5
    locked = browser.sign_in(name)  # even the right password waits now
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) >= 1
    assert browser.get("/", follow=False).status_code == 303


def test_cookie_flags_and_new_session_id_at_sign_in(running: Running) -> None:
    name = new_user(running)
    browser = Browser(running.url)
    form = browser.get("/signin")
    header = cookie_header(form).lower()
    for flag in ("httponly", "samesite=lax", "path=/"):
        assert flag in header, header
    assert "secure" not in header  # plain http on loopback: a Secure cookie is not sent back
    before = browser.cookie
    assert before
    r = browser.post("/signin", {"name": name, "password": "correct horse battery"}, follow=False)
    assert r.status_code == 303
    header = cookie_header(r).lower()
    assert "httponly" in header and "samesite=lax" in header
    assert browser.cookie and browser.cookie != before
    # the token from before sign-in is worth nothing now (no session fixation)
    planted = Browser(running.url)
    planted.cookie = before
    assert planted.get("/", follow=False).status_code == 303


def test_sign_out_ends_the_session(running: Running) -> None:
    name = new_user(running)
    browser = signed_in(running, name)
    token = browser.cookie
    r = browser.post("/signout", follow=False)
    assert r.status_code == 303 and r.headers["Location"] == "/signin"
    assert browser.cookie is None
    stale = Browser(running.url)
    stale.cookie = token
    assert stale.get("/", follow=False).status_code == 303


def test_sign_in_with_an_unconfigured_provider_is_not_found(running: Running) -> None:
    browser = Browser(running.url)
    assert browser.get("/signin/facebook").status_code == 404


def test_first_sign_in_prompts_to_connect_then_not_again(running: Running) -> None:
    # the organisation's default: prompt at the first sign-in (P7)
    assert running.bridge.admin.org_policy().connect_prompt == "first"
    name = new_user(running)
    first = Browser(running.url).sign_in(name)
    assert first.url == running.url + "connect"
    assert "Connect calendar and contacts service" in first.text
    second = Browser(running.url).sign_in(name)
    assert second.url == running.url


def test_sign_in_with_microsoft_through_the_sandbox(running: Running) -> None:
    user, password, ca_file = running.info.sandboxes.credentials(ProviderKind.GRAPH)
    browser = Browser(running.url)
    assert "Sign in with Microsoft" in browser.get("/signin").text
    start = browser.get("/signin/microsoft", follow=False)
    assert start.status_code == 302
    callback = running.url + "signin/microsoft/callback"
    answer = sign_in_at(start.headers["Location"], user, password, callback, ca_file)
    # an answer for a state this browser did not start is refused, and signs nobody in
    stranger = Browser(running.url)
    stranger.get("/signin")
    refused = stranger.get("/signin/microsoft/callback?" + urllib.parse.urlencode(answer))
    assert refused.status_code == 400 and "expired or was not started here" in refused.text
    assert stranger.get("/", follow=False).status_code == 303
    before = browser.cookie
    page = browser.get("/signin/microsoft/callback?" + urllib.parse.urlencode(answer))
    assert page.status_code == 200
    # the demo user's email is the sandbox account's: that user is signed in
    assert '<strong class="username">demo</strong>' in page.text
    assert browser.cookie != before


def test_cancelling_the_microsoft_sign_in_signs_nobody_in(running: Running) -> None:
    from tests.portal.test_connect import decline_at

    _, _, ca_file = running.info.sandboxes.credentials(ProviderKind.GRAPH)
    browser = Browser(running.url)
    browser.get("/signin")
    start = browser.get("/signin/microsoft", follow=False)
    answer = decline_at(start.headers["Location"], ca_file)
    assert answer["error"] == "access_denied" and "AADSTS65004" in answer["error_description"]
    page = browser.get("/signin/microsoft/callback?" + urllib.parse.urlencode(answer))
    assert page.status_code == 401 and "Signing in with Microsoft was cancelled" in page.text
    assert browser.get("/", follow=False).status_code == 303  # still signed out
