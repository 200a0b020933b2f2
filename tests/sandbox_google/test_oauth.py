"""Google OAuth 2.0 web-server flow against the sandbox with google-auth(-oauthlib)."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlparse

import httplib2
import pytest
import requests
from google.auth.exceptions import RefreshError
from google_auth_httplib2 import Request as HttpRequest
from googleapiclient.errors import HttpError

from sandbox.google.server import GoogleSandbox
from tests.sandbox_google.conftest import (
    READONLY,
    Control,
    browser_sign_in,
    calendar,
    inspect_credentials,
    make_flow,
    sign_in,
    timed,
)


def test_sign_in_gives_refresh_token_and_working_access_token(sandbox: GoogleSandbox) -> None:
    info = sandbox.info
    creds = sign_in(info)
    assert creds.token and creds.token.startswith("ya29.")
    assert creds.refresh_token and creds.refresh_token.startswith("1//")
    cals = calendar(info, creds).calendarList().list().execute()["items"]
    assert {c["id"] for c in cals} >= {info.user}


def test_wrong_password_shows_the_form_again(sandbox: GoogleSandbox) -> None:
    url, _ = make_flow(sandbox.info, [READONLY]).authorization_url(access_type="offline")
    resp = browser_sign_in(sandbox.info, url, password="nope")
    assert resp.status_code == 200 and "Wrong password" in resp.text


def test_pkce_verifier_is_checked(sandbox: GoogleSandbox) -> None:
    info = sandbox.info
    flow = make_flow(info, [READONLY])
    url, _ = flow.authorization_url(access_type="offline")
    location = browser_sign_in(info, url).headers["Location"]
    code = parse_qs(urlparse(location).query)["code"][0]
    resp = requests.post(
        info.token_uri,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": flow.redirect_uri,
            "client_id": info.client_id,
            "client_secret": info.client_secret,
            "code_verifier": "x" * 50,
        },
        verify=info.ca_file,
        timeout=10,
    )
    assert resp.status_code == 400
    assert resp.json() == {"error": "invalid_grant", "error_description": "Invalid code verifier."}


def test_bad_client_secret_is_invalid_client(sandbox: GoogleSandbox) -> None:
    info = sandbox.info
    resp = requests.post(
        info.token_uri,
        data={
            "grant_type": "refresh_token",
            "refresh_token": info.inspect_refresh_token,
            "client_id": info.client_id,
            "client_secret": "wrong",
        },
        verify=info.ca_file,
        timeout=10,
    )
    assert resp.status_code == 401 and resp.json()["error"] == "invalid_client"


def test_expired_access_token_gets_401_then_refresh_works(
    sandbox: GoogleSandbox, control: Control
) -> None:
    info = sandbox.info
    creds = sign_in(info)
    old = creds.token
    control.call("POST", "/tokens/expire")
    http = httplib2.Http(ca_certs=info.ca_file)
    resp, body = http.request(
        info.calendar_api_base + "users/me/calendarList",
        headers={"Authorization": f"Bearer {old}"},
    )
    assert resp.status == 401
    err = json.loads(body)["error"]
    assert err["status"] == "UNAUTHENTICATED" and err["errors"][0]["reason"] == "authError"
    assert "invalid_token" in resp["www-authenticate"]
    # AuthorizedHttp refreshes on 401 and retries; google.oauth2 Credentials.refresh does it
    service = calendar(info, creds)
    assert service.calendarList().list().execute()["items"]
    assert creds.token != old


def test_revoked_refresh_token_is_invalid_grant(sandbox: GoogleSandbox, control: Control) -> None:
    info = sandbox.info
    creds = sign_in(info)
    assert control.call("POST", "/tokens/revoke")["revoked"] == 1
    with pytest.raises(RefreshError, match="Token has been expired or revoked"):
        creds.refresh(HttpRequest(httplib2.Http(ca_certs=info.ca_file)))
    # the inspection grant survives a revocation of the bridge's grants
    inspect = inspect_credentials(info)
    inspect.refresh(HttpRequest(httplib2.Http(ca_certs=info.ca_file)))
    assert inspect.token


def test_revoke_endpoint_kills_the_grant(sandbox: GoogleSandbox) -> None:
    info = sandbox.info
    creds = sign_in(info)
    resp = requests.post(
        info.revoke_uri, params={"token": creds.refresh_token}, verify=info.ca_file, timeout=10
    )
    assert resp.status_code == 200
    # the access token went with the grant (401), and refreshing it fails too
    with pytest.raises(RefreshError, match="invalid_grant"):
        calendar(info, creds).calendarList().list().execute()
    assert sandbox.state is not None and sandbox.state.log[-2].status == 401


def test_readonly_scope_cannot_write(sandbox: GoogleSandbox) -> None:
    service = calendar(sandbox.info, sign_in(sandbox.info, [READONLY]))
    assert service.events().list(calendarId="primary", maxResults=5).execute()["items"]
    with pytest.raises(HttpError) as exc:
        service.events().insert(
            calendarId="primary", body=timed("x", "2030-01-01T10:00:00", "2030-01-01T11:00:00")
        ).execute()
    assert exc.value.status_code == 403
    assert exc.value.error_details[0]["reason"] == "insufficientPermissions"


def test_openid_email_scope_gives_id_token_with_email(sandbox: GoogleSandbox) -> None:
    creds = sign_in(sandbox.info, ["openid", "https://www.googleapis.com/auth/userinfo.email"])
    assert creds.id_token
    claims = json.loads(base64.urlsafe_b64decode(creds.id_token.split(".")[1] + "=="))
    assert claims["email"] == sandbox.info.user and claims["aud"] == sandbox.info.client_id
