"""Fixtures for the Google sandbox tests: a running sandbox and the real Google client libraries."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import httplib2
import pytest
import requests
from google.oauth2.credentials import Credentials
from google_auth_httplib2 import AuthorizedHttp
from google_auth_oauthlib.flow import Flow
from googleapiclient.discovery import build

from sandbox.google.server import GoogleSandbox, GoogleSandboxInfo

REDIRECT = "http://127.0.0.1:8765/oauth/callback"
CALENDAR = "https://www.googleapis.com/auth/calendar"
READONLY = "https://www.googleapis.com/auth/calendar.readonly"


@pytest.fixture(autouse=True)
def _no_ca_override(monkeypatch: pytest.MonkeyPatch) -> None:
    # requests gives REQUESTS_CA_BUNDLE precedence over a session's verify (requests docs, Advanced Usage: SSL Cert Verification)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)


@pytest.fixture
def sandbox() -> Iterator[GoogleSandbox]:
    sb = GoogleSandbox(None)
    sb.start()
    yield sb
    sb.stop()


def hidden_fields(page: str) -> dict[str, str]:
    return {
        m.group(1): html.unescape(m.group(2))
        for m in re.finditer(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)
    }


def make_flow(info: GoogleSandboxInfo, scopes: list[str]) -> Flow:
    config = {
        "web": {
            "client_id": info.client_id,
            "client_secret": info.client_secret,
            "auth_uri": info.auth_uri,
            "token_uri": info.token_uri,
            "redirect_uris": [REDIRECT],
        }
    }
    return Flow.from_client_config(config, scopes=scopes, redirect_uri=REDIRECT)


def browser_sign_in(info: GoogleSandboxInfo, url: str, password: str | None = None) -> Any:
    """What the user's browser does: load the sign-in page, post the form, get the redirect."""
    page = requests.get(url, verify=info.ca_file, timeout=10)
    assert page.status_code == 200 and "<form" in page.text
    return requests.post(
        info.auth_uri,
        data={
            **hidden_fields(page.text),
            "username": info.user,
            "password": password or info.user_password,
        },
        verify=info.ca_file,
        allow_redirects=False,
        timeout=10,
    )


def sign_in(info: GoogleSandboxInfo, scopes: list[str] | None = None) -> Credentials:
    """The web-server flow with PKCE through google-auth-oauthlib; returns its credentials."""
    flow = make_flow(info, scopes or [CALENDAR])
    url, state = flow.authorization_url(access_type="offline", prompt="consent")
    resp = browser_sign_in(info, url)
    assert resp.status_code == 302, resp.text
    query = {k: v[0] for k, v in parse_qs(urlparse(resp.headers["Location"]).query).items()}
    assert query["state"] == state
    flow.fetch_token(code=query["code"], verify=info.ca_file)
    creds = flow.credentials
    assert isinstance(creds, Credentials)
    return creds


def calendar(info: GoogleSandboxInfo, creds: Credentials) -> Any:
    http = AuthorizedHttp(creds, http=httplib2.Http(ca_certs=info.ca_file))
    return build(
        "calendar",
        "v3",
        http=http,
        static_discovery=True,
        client_options={"api_endpoint": info.calendar_api_base},
    )


def inspect_credentials(info: GoogleSandboxInfo) -> Credentials:
    return Credentials(
        token=None,
        refresh_token=info.inspect_refresh_token,
        token_uri=info.token_uri,
        client_id=info.client_id,
        client_secret=info.client_secret,
        scopes=[CALENDAR],
    )


class Control:
    def __init__(self, info: GoogleSandboxInfo) -> None:
        self.info = info

    def call(self, method: str, path: str, body: Any = None) -> Any:
        resp = requests.request(
            method, self.info.control_url + path, json=body, verify=self.info.ca_file, timeout=10
        )
        assert resp.status_code < 300, resp.text
        return resp.json() if resp.content else None


@pytest.fixture
def control(sandbox: GoogleSandbox) -> Control:
    return Control(sandbox.info)


@pytest.fixture
def service(sandbox: GoogleSandbox) -> Any:
    return calendar(sandbox.info, sign_in(sandbox.info))


def list_all(service: Any, cal: str, **params: Any) -> tuple[list[dict[str, Any]], str, int]:
    """Every page of events.list: (items, nextSyncToken, number of pages)."""
    items: list[dict[str, Any]] = []
    token, pages = None, 0
    while True:
        resp = service.events().list(calendarId=cal, pageToken=token, **params).execute()
        pages += 1
        items += resp["items"]
        token = resp.get("nextPageToken")
        if not token:
            return items, resp["nextSyncToken"], pages
        assert "nextSyncToken" not in resp


def timed(summary: str, start: str, end: str, tz: str = "Europe/Berlin", **extra: Any) -> dict:
    return {
        "summary": summary,
        "start": {"dateTime": start, "timeZone": tz},
        "end": {"dateTime": end, "timeZone": tz},
        **extra,
    }
