"""Fixtures binding the provider contract tests to the Google sandbox.

One sandbox per session (seeded demo account), reset before every test; consent is done for real:
`GoogleAuth.begin_consent` -> GET the authorization URL -> POST the sign-in form (parsed with
html.parser) -> follow the 302 to the redirect URI -> `complete_consent` with code and state.
Provider-side changes and faults go through the sandbox's control API only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from bridge.entry.demo_signin import sign_in_at
from bridge.model import SyncWindow
from bridge.providers.google.auth import SCOPES_WRITE, GoogleAppConfig, GoogleAuth
from bridge.providers.google.provider import GoogleCalendarProvider
from sandbox.google.server import GoogleSandbox, GoogleSandboxInfo

REDIRECT_URI = "http://127.0.0.1:8765/oauth2callback"


class Control:
    """The sandbox's control API (/_control)."""

    def __init__(self, info: GoogleSandboxInfo) -> None:
        self.info = info

    def call(self, method: str, path: str, body: Any = None) -> Any:
        resp = requests.request(
            method, self.info.control_url + path, json=body, verify=self.info.ca_file, timeout=10
        )
        assert resp.status_code < 300, f"{method} {path}: {resp.status_code} {resp.text}"
        return resp.json() if resp.content else None

    def fault(self, **spec: Any) -> None:
        self.call("POST", "/faults", spec)


@dataclass
class Connection:
    """A consented connection as the bridge holds it: the (encrypted-at-rest) token blob."""

    config: GoogleAppConfig
    email: str
    blobs: list[str] = field(default_factory=list)

    def auth(self) -> GoogleAuth:
        return GoogleAuth(self.config, self.blobs[-1] if self.blobs else None, self.blobs.append)


@dataclass
class Harness:
    info: GoogleSandboxInfo
    control: Control
    connection: Connection
    sleeps: list[float]
    window: SyncWindow

    def provider(
        self, page_size: int = 2500, auth: GoogleAuth | None = None
    ) -> GoogleCalendarProvider:
        return GoogleCalendarProvider(
            auth or self.connection.auth(),
            self.connection.config,
            sleep=self.sleeps.append,
            page_size=page_size,
        )


def app_config(info: GoogleSandboxInfo) -> GoogleAppConfig:
    return GoogleAppConfig(
        client_id=info.client_id,
        client_secret=info.client_secret,
        auth_uri=info.auth_uri,
        token_uri=info.token_uri,
        revoke_uri=info.revoke_uri,
        calendar_api_base=info.calendar_api_base,
        ca_bundle=info.ca_file,
        tasks_api_base=info.tasks_api_base,
    )


def sign_in(info: GoogleSandboxInfo, url: str) -> dict[str, str]:
    """What a user does in the browser: open the URL, sign in; returns the redirect's query."""
    return sign_in_at(url, info.user, info.user_password, REDIRECT_URI, info.ca_file)


def consent(info: GoogleSandboxInfo, scopes: tuple[str, ...] = SCOPES_WRITE) -> Connection:
    config = app_config(info)
    connection = Connection(config, "")
    auth = GoogleAuth(config, None, connection.blobs.append)
    url, flow = auth.begin_consent(REDIRECT_URI, scopes, login_hint=info.user)
    query = sign_in(info, url)
    connection.email = auth.complete_consent(flow, query)
    assert connection.blobs, "the token blob was never handed over for storage"
    return connection


@pytest.fixture(scope="session", name="google_sandbox")
def google_sandbox_fixture() -> Iterator[GoogleSandboxInfo]:
    sb = GoogleSandbox(None, seed=True)
    info = sb.start()
    try:
        yield info
    finally:
        sb.stop()


@pytest.fixture(name="google_control")
def google_control_fixture(google_sandbox: GoogleSandboxInfo) -> Control:
    ctl = Control(google_sandbox)
    ctl.call("POST", "/reset", {"seed": True})
    return ctl


@pytest.fixture(name="gh")
def gh_fixture(
    google_sandbox: GoogleSandboxInfo, google_control: Control, monkeypatch: pytest.MonkeyPatch
) -> Harness:
    # The configured CA bundle must win over the environment's (requests docs, Advanced Usage: SSL Cert Verification).
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/ca.pem")
    connection = consent(google_sandbox)
    now = dt.datetime.now(dt.UTC)
    return Harness(google_sandbox, google_control, connection, [], SyncWindow.around(now, 30, 120))
