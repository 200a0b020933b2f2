"""Fixtures binding the provider contract tests to the Graph sandbox.

One sandbox per session (seeded demo mailbox), reset before every test; consent is performed for
real: the authorization URL is opened, the sign-in form parsed and posted, the redirect's
code/state handed back to msal through `GraphAuth.complete_consent`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from bridge.demo_signin import sign_in_at
from bridge.model import SyncWindow
from bridge.providers.graph.auth import DELEGATED_SCOPES_WRITE, GraphAppConfig, GraphAuth
from bridge.providers.graph.http import GraphHttp
from bridge.providers.graph.provider import GraphCalendarProvider
from sandbox.server import Sandbox, SandboxInfo

REDIRECT_URI = "http://127.0.0.1:8765/callback"


class Control:
    """The sandbox's control API (provider-side edits, faults, token tricks)."""

    def __init__(self, info: SandboxInfo) -> None:
        self.info = info

    def call(self, method: str, path: str, body: Any = None) -> Any:
        resp = requests.request(
            method, self.info.control_url + path, json=body, verify=self.info.ca_file, timeout=10
        )
        assert resp.status_code < 300, f"{method} {path}: {resp.status_code} {resp.text}"
        return resp.json() if resp.content else None

    def calendars(self) -> dict[str, dict[str, Any]]:
        return {c["name"]: c for c in self.call("GET", "/calendars")}

    def events(self, calendar_id: str) -> list[dict[str, Any]]:
        return list(self.call("GET", f"/calendars/{calendar_id}/events"))

    def fault(self, **spec: Any) -> None:
        self.call("POST", "/faults", spec)


@dataclass
class Connection:
    """A consented connection as the bridge holds it: the encrypted-at-rest cache blob."""

    config: GraphAppConfig
    username: str
    blobs: list[str] = field(default_factory=list)

    def auth(self) -> GraphAuth:
        return GraphAuth(self.config, self.blobs[-1] if self.blobs else None, self.blobs.append)


@dataclass
class Harness:
    info: SandboxInfo
    control: Control
    connection: Connection
    sleeps: list[float]
    window: SyncWindow

    def provider(
        self, page_size: int = 200, auth: Any = None, mailbox: str = "me"
    ) -> GraphCalendarProvider:
        http = GraphHttp(
            self.connection.config,
            auth or self.connection.auth(),
            mailbox=mailbox,
            sleep=self.sleeps.append,
        )
        return GraphCalendarProvider(http, page_size=page_size)


def app_config(info: SandboxInfo) -> GraphAppConfig:
    return GraphAppConfig(
        authority=info.authority,
        client_id=info.client_id,
        client_secret=info.client_secret,
        graph_base_url=info.graph_base_url,
        ca_bundle=info.ca_file,
    )


def consent(info: SandboxInfo, scopes: tuple[str, ...] = DELEGATED_SCOPES_WRITE) -> Connection:
    """The whole delegated consent as a user does it in a browser."""
    config = app_config(info)
    connection = Connection(config, "")
    auth = GraphAuth(config, None, connection.blobs.append)
    url, flow = auth.begin_consent(REDIRECT_URI, scopes, login_hint=info.user)
    query = sign_in_at(url, info.user, info.user_password, REDIRECT_URI, info.ca_file)
    connection.username = auth.complete_consent(flow, query)
    assert connection.blobs, "the token cache was never handed over for storage"
    return connection


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxInfo]:
    sb = Sandbox(None, seed=True)
    info = sb.start()
    try:
        yield info
    finally:
        sb.stop()


@pytest.fixture()
def control(sandbox: SandboxInfo) -> Control:
    ctl = Control(sandbox)
    ctl.call("POST", "/reset", {"seed": True})
    ctl.call("DELETE", "/faults")
    ctl.call("POST", "/tokens/lifetime", {"seconds": 3600})
    return ctl


@pytest.fixture()
def harness(sandbox: SandboxInfo, control: Control, monkeypatch: pytest.MonkeyPatch) -> Harness:
    # The configured CA bundle must win over the environment's (requests docs, Advanced Usage: SSL Cert Verification).
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/ca.pem")
    connection = consent(sandbox)
    now = dt.datetime.now(dt.UTC)
    return Harness(sandbox, control, connection, [], SyncWindow.around(now, 30, 120))
