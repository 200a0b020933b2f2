"""A second mailbox of the contract harness's sandbox tenant, connected through the bridge's own
provider class with that mailbox's own credentials: the account is added through the sandbox's
control API (Graph `/users`, Google `/users`, EWS `/users`), then signed in as its user would
(OAuth consent through the sign-in form for Graph and Google, a password for EWS).

Used by the scheduling contract (meetings between two mailboxes of one tenant). This module
must not hold assertions about scheduling.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from bridge.entry.demo_signin import sign_in_at
from bridge.providers.base import CalendarProvider
from bridge.providers.ews.provider import EwsCalendarProvider
from bridge.providers.google.auth import SCOPES_WRITE, GoogleAuth
from bridge.providers.graph.auth import DELEGATED_SCOPES_WRITE, GraphAuth
from tests.contract import conftest as graph
from tests.contract import google_harness as google
from tests.contract.harness import ProviderHarness

DOMAIN = "contoso.example"


def colleague(contract: ProviderHarness, name: str) -> tuple[str, CalendarProvider]:
    """(address, provider) of a new mailbox `name-<random>@contoso.example` of the same tenant."""
    local = f"{name}{uuid.uuid4().hex[:6]}"
    address, password = f"{local}@{DOMAIN}", f"Pw-{uuid.uuid4().hex}"
    h: Any = getattr(contract, "h")  # noqa: B009 - each adapter wraps its sandbox harness as `h`
    if contract.name == "graph":
        body = {"upn": address, "display_name": name.title(), "password": password}
        h.control.call("POST", "/users", body)
        return address, h.provider(auth=_graph_consent(h.info, address, password))
    if contract.name == "google":
        body = {"email": address, "name": name.title(), "password": password}
        h.control.call("POST", "/users", body)
        return address, h.provider(auth=_google_consent(h.info, address, password))
    body = {"user": local, "upn": address, "display_name": name.title(), "password": password}
    made = h.control.call("POST", "/users", body)
    config = replace(h.config, username=made["username"], password=password, email=address)
    return address, EwsCalendarProvider(config, sleep=h.sleeps.append)


def _graph_consent(info: Any, user: str, password: str) -> GraphAuth:
    config = graph.app_config(info)
    blobs: list[str] = []
    auth = GraphAuth(config, None, blobs.append)
    url, flow = auth.begin_consent(graph.REDIRECT_URI, DELEGATED_SCOPES_WRITE, login_hint=user)
    query = sign_in_at(url, user, password, graph.REDIRECT_URI, info.ca_file)
    auth.complete_consent(flow, query)
    return GraphAuth(config, blobs[-1], blobs.append)


def _google_consent(info: Any, user: str, password: str) -> GoogleAuth:
    config = google.app_config(info)
    blobs: list[str] = []
    auth = GoogleAuth(config, None, blobs.append)
    url, flow = auth.begin_consent(google.REDIRECT_URI, SCOPES_WRITE, login_hint=user)
    query = sign_in_at(url, user, password, google.REDIRECT_URI, info.ca_file)
    auth.complete_consent(flow, query)
    return GoogleAuth(config, blobs[-1], blobs.append)
