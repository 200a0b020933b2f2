"""Identities added through the control API sign in for real and are read by Graph."""

from __future__ import annotations

from pathlib import Path

import requests

from bridge.demo_signin import sign_in_at
from sandbox.server import Sandbox, SandboxInfo
from tests.sandbox.conftest import REDIRECT, Control, Graph, msal_app

PASSWORD = "a long enough password"  # noqa: S105 - test credential


def _sign_in(info: SandboxInfo, upn: str, password: str) -> dict:
    """The auth code flow through msal, with the new user typing at the sign-in page."""
    app = msal_app(info)
    flow = app.initiate_auth_code_flow(["Calendars.Read", "email"], redirect_uri=REDIRECT)
    response = sign_in_at(flow["auth_uri"], upn, password, REDIRECT, info.ca_file)
    result = app.acquire_token_by_auth_code_flow(flow, response)
    assert "access_token" in result, result
    return result


def _add(control: Control, upn: str = "nestor@contoso.example") -> dict:
    return control.call(
        "POST", "/users", {"upn": upn, "display_name": "Nestor Wilke", "password": PASSWORD}
    )


def test_added_user_signs_in_and_has_a_default_calendar(sandbox: Sandbox) -> None:
    info = sandbox.info
    added = _add(Control(info))
    assert added["upn"] == "nestor@contoso.example" and added["id"]
    result = _sign_in(info, "Nestor@contoso.example", PASSWORD)
    claims = result["id_token_claims"]
    assert claims["preferred_username"] == "nestor@contoso.example"
    assert claims["email"] == "nestor@contoso.example" and claims["name"] == "Nestor Wilke"
    assert claims["oid"] == added["id"]
    graph = Graph(info, result["access_token"])
    assert graph.get("/me").json()["displayName"] == "Nestor Wilke"
    calendars = graph.get("/me/calendars").json()["value"]
    assert [(c["name"], c["isDefaultCalendar"]) for c in calendars] == [("Calendar", True)]


def test_added_user_cannot_sign_in_with_another_password(sandbox: Sandbox) -> None:
    _add(Control(sandbox.info))
    info = sandbox.info
    flow = msal_app(info).initiate_auth_code_flow(["Calendars.Read"], redirect_uri=REDIRECT)
    try:
        sign_in_at(flow["auth_uri"], "nestor@contoso.example", "wrong", REDIRECT, info.ca_file)
    except RuntimeError as exc:
        assert "did not redirect" in str(exc)
    else:
        raise AssertionError("a wrong password signed in")


def test_duplicate_or_incomplete_user_is_refused(sandbox: Sandbox) -> None:
    info = sandbox.info
    url = info.control_url + "/users"
    dup = requests.post(
        url,
        json={"upn": info.user.upper(), "display_name": "X", "password": "p"},
        verify=info.ca_file,
        timeout=10,
    )
    assert dup.status_code == 400 and "already exists" in dup.json()["error"]["message"]
    missing = requests.post(url, json={"upn": "x@contoso.example"}, verify=info.ca_file, timeout=10)
    assert missing.status_code == 400
    listed = requests.get(url, verify=info.ca_file, timeout=10).json()
    assert sorted(u["upn"] for u in listed) == ["alex@contoso.example", "megan@contoso.example"]


def test_added_user_survives_a_restart(tmp_path: Path) -> None:
    first = Sandbox(tmp_path, seed=False)
    _add(Control(first.start()))
    first.stop()
    second = Sandbox(tmp_path, seed=False)
    info = second.start()
    try:
        result = _sign_in(info, "nestor@contoso.example", PASSWORD)
        assert result["id_token_claims"]["preferred_username"] == "nestor@contoso.example"
    finally:
        second.stop()
