"""Accounts added through the Google sandbox's control API sign in with OpenID Connect."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import requests

from bridge.demo_signin import sign_in_at
from sandbox.google.server import GoogleSandbox, GoogleSandboxInfo
from tests.sandbox_google.conftest import REDIRECT, Control, make_flow

PASSWORD = "a long enough password"  # noqa: S105 - test credential
OIDC = ["openid", "email", "profile"]


def _claims(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))


def _sign_in(info: GoogleSandboxInfo, email: str, password: str, nonce: str) -> dict[str, Any]:
    flow = make_flow(info, OIDC)
    url, state = flow.authorization_url(nonce=nonce)
    response = sign_in_at(url, email, password, REDIRECT, info.ca_file)
    assert response["state"] == state
    try:
        token = flow.fetch_token(code=response["code"], verify=info.ca_file)
    except Warning as warning:  # oauthlib: "email" came back as .../userinfo.email
        token = warning.token  # type: ignore[attr-defined]
    return _claims(token["id_token"])


def _add(info: GoogleSandboxInfo) -> Any:
    return Control(info).call(
        "POST",
        "/users",
        {"email": "Nestor@Contoso.example", "name": "Nestor", "password": PASSWORD},
    )


def test_added_account_signs_in_with_openid_connect(sandbox: GoogleSandbox) -> None:
    info = sandbox.info
    assert _add(info) == {"email": "nestor@contoso.example", "name": "Nestor"}
    claims = _sign_in(info, "nestor@contoso.example", PASSWORD, "n-123")
    assert claims["email"] == "nestor@contoso.example" and claims["email_verified"] is True
    assert claims["name"] == "Nestor" and claims["aud"] == info.client_id
    assert claims["iss"] == "https://accounts.google.com"
    assert claims["nonce"] == "n-123"  # "OpenID Connect": the request's nonce comes back


def test_wrong_password_does_not_sign_in(sandbox: GoogleSandbox) -> None:
    info = sandbox.info
    _add(info)
    url, _ = make_flow(info, OIDC).authorization_url(nonce="n")
    try:
        sign_in_at(url, "nestor@contoso.example", "wrong", REDIRECT, info.ca_file)
    except RuntimeError as exc:
        assert "did not redirect" in str(exc)
    else:
        raise AssertionError("a wrong password signed in")


def test_taken_or_incomplete_account_is_refused(sandbox: GoogleSandbox) -> None:
    info = sandbox.info
    url = info.control_url + "/users"
    taken = requests.post(
        url, json={"email": info.user, "password": "x"}, verify=info.ca_file, timeout=10
    )
    assert taken.status_code == 400
    missing = requests.post(url, json={"email": "a@b.example"}, verify=info.ca_file, timeout=10)
    assert missing.status_code == 400
    listed = requests.get(url, verify=info.ca_file, timeout=10).json()
    assert [u["email"] for u in listed] == ["alex@contoso.example", "megan@contoso.example"]


def test_added_account_survives_a_restart(tmp_path: Path) -> None:
    first = GoogleSandbox(tmp_path)
    first.start()
    _add(first.info)
    first.stop()
    second = GoogleSandbox(tmp_path)
    info = second.start()
    try:
        claims = _sign_in(info, "nestor@contoso.example", PASSWORD, "again")
        assert claims["email"] == "nestor@contoso.example" and claims["nonce"] == "again"
    finally:
        second.stop()
