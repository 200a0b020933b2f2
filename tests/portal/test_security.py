"""The portal's safety rules as a browser (or an attacker's page) meets them: CSRF tokens,
the same-origin check, security headers, one user never reaching another's connections or
app passwords, and the admin area closed to non-administrators."""

from __future__ import annotations

import pytest

from tests.portal.conftest import Browser, Running, new_user, signed_in


def labels(running: Running, name: str) -> list[str]:
    return [label for _, label, _, _ in running.bridge.list_app_passwords(name)]


@pytest.mark.parametrize(
    ("token", "says"),
    [
        (None, "The form did not carry its security token; reload the page"),
        ("", "The form did not carry its security token; reload the page"),
        ("forged-token", "The form belongs to another sign-in"),
    ],
)
def test_post_without_the_right_csrf_token_is_refused_and_changes_nothing(
    running: Running, token: str | None, says: str
) -> None:
    name = new_user(running)
    browser = signed_in(running, name)
    data = {"label": "Phone"}
    if token is not None:
        data["csrf"] = token
    r = browser.request("POST", "/app-passwords", data=data)
    assert r.status_code == 403
    assert says in r.text and "expired" not in r.text
    assert labels(running, name) == []


def test_form_expired_only_when_the_session_ended(running: Running) -> None:
    name = new_user(running)
    browser = signed_in(running, name)
    csrf = browser.csrf
    browser.post("/signout", follow=False)
    stale = Browser(running.url)
    stale.cookie = "a-session-that-ended"
    r = stale.request("POST", "/app-passwords", data={"csrf": csrf, "label": "x"})
    assert r.status_code == 403 and "The form expired; reload the page" in r.text
    cookieless = Browser(running.url)
    r = cookieless.request("POST", "/app-passwords", data={"csrf": csrf, "label": "x"})
    assert r.status_code == 403
    assert "session cookie with this form" in r.text and "expired" not in r.text
    assert labels(running, name) == []


def test_csrf_token_of_another_session_is_refused(running: Running) -> None:
    alice, mallory = new_user(running), new_user(running)
    victim = signed_in(running, alice)
    attacker = signed_in(running, mallory)
    r = victim.request("POST", "/app-passwords", data={"csrf": attacker.csrf, "label": "x"})
    assert r.status_code == 403 and labels(running, alice) == []


def test_cross_origin_post_is_refused_even_with_the_token(running: Running) -> None:
    name = new_user(running)
    browser = signed_in(running, name)
    for header in ({"Origin": "https://evil.example"}, {"Referer": "https://evil.example/x"}):
        r = browser.post("/app-passwords", {"label": "Phone"}, headers=header)
        assert r.status_code == 403, header
        assert "another site" in r.text
    assert labels(running, name) == []
    same = browser.post("/app-passwords", {"label": "Phone"}, headers={"Origin": running.url[:-1]})
    assert same.status_code == 200 and labels(running, name) == ["Phone"]


def test_security_headers_on_pages_and_errors(running: Running) -> None:
    browser = Browser(running.url)
    for r in (browser.get("/signin"), browser.get("/no/such/page")):
        h = r.headers
        csp = h["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "form-action 'self'" in csp
        assert h["X-Frame-Options"] == "DENY"
        assert h["Referrer-Policy"] == "same-origin"
        assert h["X-Content-Type-Options"] == "nosniff"
        assert h["Cache-Control"] == "no-store"
    assert browser.get("/no/such/page").status_code == 404
    css = browser.get("/static/portal.css")
    assert css.status_code == 200 and "text/css" in css.headers["Content-Type"]


def test_another_users_connection_is_not_found(running: Running) -> None:
    demo_conn = running.bridge.onboarding.statuses("demo")[0]
    intruder = signed_in(running, new_user(running))
    assert intruder.get(f"/connections/{demo_conn.id}").status_code == 404
    assert intruder.get(f"/connections/{demo_conn.id}/delete").status_code == 404
    for action, data in (
        ("toggle", {"kind": "calendars", "on": "0"}),
        ("permissions", {}),
        ("reauthorize", {}),
        ("delete", {}),
    ):
        r = intruder.post(f"/connections/{demo_conn.id}/{action}", data)
        assert r.status_code == 404, action
        assert demo_conn.account not in r.text
    after = running.bridge.onboarding.status(demo_conn.id)
    assert after.calendars_enabled and after.permissions == demo_conn.permissions


def test_another_users_app_passwords_are_neither_listed_nor_revoked(running: Running) -> None:
    owner, other = new_user(running), new_user(running)
    alice = signed_in(running, owner)
    alice.post("/app-passwords", {"label": "Alice laptop"})
    ((pw_id, _, _, _),) = running.bridge.list_app_passwords(owner)
    bob = signed_in(running, other)
    assert "Alice laptop" not in bob.get("/app-passwords").text
    assert bob.post(f"/app-passwords/{pw_id}/revoke").status_code == 404
    assert labels(running, owner) == ["Alice laptop"]


ADMIN_POSTS = [
    ("/admin/settings", {"enabled": "1"}),
    ("/admin/app-permissions", {}),
    ("/admin/groups", {"name": "sneaky"}),
    ("/admin/users/demo", {"admin": "1"}),
]


def test_admin_area_is_closed_to_other_users(running: Running) -> None:
    name = new_user(running)
    browser = signed_in(running, name)
    for path in ("/admin", "/admin/groups", "/admin/users"):
        r = browser.get(path)
        assert r.status_code == 403 and "Only administrators" in r.text, path
    before = running.bridge.admin.org_policy()
    for path, data in ADMIN_POSTS:
        assert browser.post(path, data).status_code == 403, path
    assert running.bridge.admin.org_policy() == before
    assert all(g.name != "sneaky" for g in running.bridge.admin.groups())
    assert not running.bridge.admin.user_by_name(name).is_admin  # type: ignore[union-attr]
