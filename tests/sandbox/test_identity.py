"""The emulated identity platform, driven by msal 1.39 exactly as the bridge uses it."""

from __future__ import annotations

import base64
import hashlib
import json
from urllib.parse import parse_qs, urlparse

import msal
import requests

from sandbox.server import Sandbox
from tests.sandbox.conftest import REDIRECT, SCOPES, Control, Graph, form_fields, msal_app, sign_in


def _claims(jwt: str) -> dict:
    part = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_auth_code_flow_with_msal_reaches_graph(sandbox: Sandbox) -> None:
    info = sandbox.info
    _, result = sign_in(info)
    claims = result["id_token_claims"]
    assert claims["preferred_username"] == info.user
    assert claims["tid"] == info.tenant and claims["aud"] == info.client_id
    assert claims["nonce"]  # msal sent a nonce; the id_token carries it back
    assert 3000 < result["expires_in"] <= 3600 and result["refresh_token"]
    me = Graph(info, result["access_token"]).get("/me")
    assert me.status_code == 200 and me.json()["userPrincipalName"] == info.user


def test_wrong_password_shows_form_again(sandbox: Sandbox) -> None:
    info = sandbox.info
    flow = msal_app(info).initiate_auth_code_flow(SCOPES, redirect_uri=REDIRECT)
    page = requests.get(flow["auth_uri"], verify=info.ca_file, timeout=10)
    action = urlparse(flow["auth_uri"])._replace(query="").geturl()
    resp = requests.post(
        action,
        data={**form_fields(page.text), "username": info.user, "password": "nope"},
        verify=info.ca_file,
        allow_redirects=False,
        timeout=10,
    )
    assert resp.status_code == 200 and "AADSTS50126" in resp.text


def test_unregistered_redirect_uri_is_a_page_not_a_redirect(sandbox: Sandbox) -> None:
    info = sandbox.info
    flow = msal_app(info).initiate_auth_code_flow(SCOPES, redirect_uri="https://evil.example/cb")
    resp = requests.get(flow["auth_uri"], verify=info.ca_file, allow_redirects=False, timeout=10)
    assert resp.status_code == 400 and "AADSTS50011" in resp.text
    assert "Location" not in resp.headers


def _raw_code(info, verifier: str = "v" * 50) -> str:
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode()
    params = {
        "client_id": info.client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": "openid offline_access Calendars.ReadWrite",
        "state": "s1",
        "code_challenge": challenge.rstrip("="),
        "code_challenge_method": "S256",
        "username": info.user,
        "password": info.user_password,
    }
    resp = requests.post(
        f"{info.authority}/oauth2/v2.0/authorize",
        data=params,
        verify=info.ca_file,
        allow_redirects=False,
        timeout=10,
    )
    query = parse_qs(urlparse(resp.headers["Location"]).query)
    assert query["state"] == ["s1"] and "session_state" in query
    return query["code"][0]


def _redeem(info, code: str, verifier: str) -> requests.Response:
    return requests.post(
        f"{info.authority}/oauth2/v2.0/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": info.client_id,
            "client_secret": info.client_secret,
            "code_verifier": verifier,
        },
        verify=info.ca_file,
        timeout=10,
    )


def test_code_is_one_time_and_pkce_checked(sandbox: Sandbox) -> None:
    info = sandbox.info
    bad = _redeem(info, _raw_code(info), "w" * 50)
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"
    assert bad.json()["error_codes"] == [501481]
    code = _raw_code(info)
    assert _redeem(info, code, "v" * 50).status_code == 200
    again = _redeem(info, code, "v" * 50)
    assert again.status_code == 400 and again.json()["error_codes"] == [54005]


def test_wrong_client_secret_is_401_invalid_client(sandbox: Sandbox) -> None:
    info = sandbox.info
    resp = requests.post(
        f"{info.authority}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": info.admin_client_id,
            "client_secret": "wrong",
            "scope": "https://graph.microsoft.com/.default",
        },
        verify=info.ca_file,
        timeout=10,
    )
    assert resp.status_code == 401
    assert resp.json()["error"] == "invalid_client"
    assert resp.json()["error_description"].startswith("AADSTS7000215")


def test_refresh_after_expiry_and_revocation(sandbox: Sandbox, control: Control) -> None:
    info = sandbox.info
    control.call("POST", "/tokens/lifetime", {"seconds": 60})  # msal refreshes < 5 min left
    app, first = sign_in(info)
    assert first["expires_in"] <= 60
    control.call("POST", "/tokens/expire")
    expired = Graph(info, first["access_token"]).get("/me")
    assert expired.status_code == 401
    assert expired.json()["error"]["code"] == "InvalidAuthenticationToken"
    account = app.get_accounts()[0]
    before = sandbox.request_count(f"/{info.tenant}/oauth2/v2.0/token")
    fresh = app.acquire_token_silent_with_error(SCOPES, account=account)
    assert fresh and fresh["access_token"] != first["access_token"]
    assert sandbox.request_count(f"/{info.tenant}/oauth2/v2.0/token") == before + 1
    assert Graph(info, fresh["access_token"]).get("/me").status_code == 200
    # a password change revokes refresh tokens: msal gets invalid_grant
    control.call("POST", "/tokens/revoke", {})
    failed = app.acquire_token_silent_with_error(SCOPES, account=account, force_refresh=True)
    assert failed and failed["error"] == "invalid_grant" and 50173 in failed["error_codes"]


def test_client_credentials_application_token(sandbox: Sandbox) -> None:
    info = sandbox.info
    app = msal.ConfidentialClientApplication(
        info.admin_client_id,
        client_credential=info.admin_client_secret,
        authority=info.authority,
        verify=info.ca_file,
        instance_discovery=False,
        validate_authority=False,
    )
    bad = app.acquire_token_for_client(["Calendars.Read"])
    assert bad["error"] == "invalid_scope"
    result = app.acquire_token_for_client(["https://graph.microsoft.com/.default"])
    graph = Graph(info, result["access_token"])
    cals = graph.get(f"/users/{info.user}/calendars")
    assert cals.status_code == 200 and cals.json()["value"]
    other = graph.get("/users/megan@contoso.example/calendars")
    assert other.status_code == 200
    me = graph.get("/me")
    assert me.status_code == 400 and me.json()["error"]["code"] == "BadRequest"


def test_delegated_token_cannot_open_another_mailbox(sandbox: Sandbox, graph: Graph) -> None:
    resp = graph.get("/users/megan@contoso.example/calendars")
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "ErrorAccessDenied"
    assert graph.get(f"/users/{sandbox.info.user}/calendars").status_code == 200


def test_device_code_flow_approved_through_control(sandbox: Sandbox, control: Control) -> None:
    info = sandbox.info
    app = msal.PublicClientApplication(  # the device flow is a public-client flow in msal
        info.client_id,
        authority=info.authority,
        verify=info.ca_file,
        instance_discovery=False,
        validate_authority=False,
    )
    flow = app.initiate_device_flow(SCOPES)
    assert flow["verification_uri"].startswith(info.base_url)
    control.call("POST", "/devices/approve", {"user_code": flow["user_code"]})
    result = app.acquire_token_by_device_flow(flow)
    assert result["id_token_claims"]["preferred_username"] == info.user


def test_discovery_answers_common_and_refuses_unknown_tenant(sandbox: Sandbox) -> None:
    info = sandbox.info
    common = requests.get(
        f"{info.base_url}/common/v2.0/.well-known/openid-configuration",
        verify=info.ca_file,
        timeout=10,
    ).json()
    assert common["authorization_endpoint"] == f"{info.base_url}/common/oauth2/v2.0/authorize"
    assert common["device_authorization_endpoint"].startswith("https://")
    bad = requests.get(
        f"{info.base_url}/nope/v2.0/.well-known/openid-configuration",
        verify=info.ca_file,
        timeout=10,
    )
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_tenant"
