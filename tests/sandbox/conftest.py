"""Fixtures for the Graph sandbox tests: a running sandbox and small client helpers."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import msal
import pytest
import requests

from sandbox.server import Sandbox, SandboxInfo

REDIRECT = "http://127.0.0.1:8400/callback"
SCOPES = ["Calendars.ReadWrite"]


@pytest.fixture(autouse=True)
def _no_ca_override(monkeypatch: pytest.MonkeyPatch) -> None:
    # requests gives REQUESTS_CA_BUNDLE precedence over verify= (requests docs, Advanced Usage: SSL Cert Verification)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    sb = Sandbox(None, seed=False)
    sb.start()
    yield sb
    sb.stop()


def msal_app(info: SandboxInfo) -> msal.ConfidentialClientApplication:
    return msal.ConfidentialClientApplication(
        info.client_id,
        client_credential=info.client_secret,
        authority=info.authority,
        verify=info.ca_file,
        instance_discovery=False,
        validate_authority=False,
    )


def form_fields(page: str) -> dict[str, str]:
    return {
        m.group(1): html.unescape(m.group(2))
        for m in re.finditer(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)
    }


def sign_in(
    info: SandboxInfo,
    app: msal.ConfidentialClientApplication | None = None,
    password: str | None = None,
) -> tuple[msal.ConfidentialClientApplication, dict[str, Any]]:
    """The browser part of the auth code flow, done with requests, then msal redeems the code."""
    app = app or msal_app(info)
    flow = app.initiate_auth_code_flow(SCOPES, redirect_uri=REDIRECT)
    page = requests.get(flow["auth_uri"], verify=info.ca_file, timeout=10)
    assert page.status_code == 200 and "<form" in page.text
    action = urlparse(flow["auth_uri"])._replace(query="").geturl()
    resp = requests.post(
        action,
        data={
            **form_fields(page.text),
            "username": info.user,
            "password": password or info.user_password,
        },
        verify=info.ca_file,
        allow_redirects=False,
        timeout=10,
    )
    assert resp.status_code == 302, resp.text
    query = {k: v[0] for k, v in parse_qs(urlparse(resp.headers["Location"]).query).items()}
    result = app.acquire_token_by_auth_code_flow(flow, query)
    assert "access_token" in result, result
    return app, result


class Graph:
    """requests against the sandbox's Graph surface with a bearer token."""

    def __init__(self, info: SandboxInfo, token: str) -> None:
        self.info, self.token = info, token

    def _url(self, path: str) -> str:
        return path if path.startswith("https://") else self.info.graph_base_url + path

    def call(
        self, method: str, path: str, headers: dict[str, str] | None = None, **kw: Any
    ) -> requests.Response:
        hdrs = {"Authorization": f"Bearer {self.token}", **(headers or {})}
        return requests.request(
            method, self._url(path), headers=hdrs, verify=self.info.ca_file, timeout=10, **kw
        )

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.call("GET", path, **kw)


class Control:
    def __init__(self, info: SandboxInfo) -> None:
        self.info = info

    def call(self, method: str, path: str, body: Any = None) -> Any:
        resp = requests.request(
            method, self.info.control_url + path, json=body, verify=self.info.ca_file, timeout=10
        )
        assert resp.status_code < 300, resp.text
        return resp.json() if resp.content else None


@pytest.fixture
def control(sandbox: Sandbox) -> Control:
    return Control(sandbox.info)


@pytest.fixture
def graph(sandbox: Sandbox) -> Graph:
    _, result = sign_in(sandbox.info)
    return Graph(sandbox.info, result["access_token"])


def event_body(subject: str, start: str, end: str, tz: str = "UTC", **extra: Any) -> dict[str, Any]:
    return {
        "subject": subject,
        "start": {"dateTime": start, "timeZone": tz},
        "end": {"dateTime": end, "timeZone": tz},
        **extra,
    }
