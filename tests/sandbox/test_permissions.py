"""Delegated permissions are enforced like Graph does (permissions-reference.md): a token
consented with Calendars.Read reads but cannot write, and a refresh cannot add scopes."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import requests

from sandbox.server import Sandbox
from tests.sandbox.conftest import REDIRECT, Graph, event_body, form_fields, msal_app

READ_ONLY = ["User.Read", "Calendars.Read"]


def consent(sandbox: Sandbox, scopes: list[str]) -> tuple[object, dict]:
    info = sandbox.info
    app = msal_app(info)
    flow = app.initiate_auth_code_flow(scopes, redirect_uri=REDIRECT)
    page = requests.get(flow["auth_uri"], verify=info.ca_file, timeout=10)
    action = urlparse(flow["auth_uri"])._replace(query="").geturl()
    resp = requests.post(
        action,
        data={**form_fields(page.text), "username": info.user, "password": info.user_password},
        verify=info.ca_file,
        allow_redirects=False,
        timeout=10,
    )
    query = {k: v[0] for k, v in parse_qs(urlparse(resp.headers["Location"]).query).items()}
    result = app.acquire_token_by_auth_code_flow(flow, query)
    assert "access_token" in result, result
    return app, result


def test_read_only_consent_reads_but_cannot_write(sandbox: Sandbox) -> None:
    _, result = consent(sandbox, READ_ONLY)
    graph = Graph(sandbox.info, result["access_token"])
    cals = graph.get("/me/calendars")
    assert cals.status_code == 200
    cal_id = cals.json()["value"][0]["id"]
    created = graph.call(
        "POST",
        f"/me/calendars/{cal_id}/events",
        json=event_body("nope", "2026-12-01T10:00:00", "2026-12-01T11:00:00"),
    )
    assert created.status_code == 403
    assert created.json()["error"]["code"] == "ErrorAccessDenied"


def test_refresh_cannot_add_scopes_never_consented(sandbox: Sandbox) -> None:
    app, result = consent(sandbox, READ_ONLY)
    wider = app.acquire_token_by_refresh_token(
        result["refresh_token"], ["User.Read", "Calendars.ReadWrite"]
    )
    assert wider.get("error") == "invalid_grant"
    assert "65001" in wider.get("error_description", "")
    same = app.acquire_token_by_refresh_token(result["refresh_token"], READ_ONLY)
    assert "access_token" in same
