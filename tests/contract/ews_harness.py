"""Fixtures binding the EWS provider contract tests to the EWS sandbox (sandbox.ews).

One sandbox per session (seeded mailbox), reset through its control API before every test; each
test runs once with Basic and once with NTLM authentication. Imported by test_ews_provider.py
(tests/contract/conftest.py belongs to the Graph tests).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

import pytest
import requests

from bridge.model import SyncWindow
from bridge.providers.ews.account import EwsConfig
from bridge.providers.ews.provider import EwsCalendarProvider
from sandbox.ews.server import EwsSandbox, EwsSandboxInfo


class EwsControl:
    """The sandbox's control API (provider-side edits, faults, password changes)."""

    def __init__(self, info: EwsSandboxInfo) -> None:
        self.info = info

    def call(self, method: str, path: str, body: Any = None) -> Any:
        resp = requests.request(method, self.info.control_url + path, json=body, timeout=10)
        assert resp.status_code < 300, f"{method} {path}: {resp.status_code} {resp.text}"
        return resp.json() if resp.content else None

    def items(self, folder: str = "calendar") -> list[dict[str, Any]]:
        return list(self.call("GET", f"/items?folder={quote(folder, safe='')}"))

    def item(self, item_id: str) -> dict[str, Any]:
        return next(i for i in self.items() if i["id"] == item_id)

    def fault(self, **spec: Any) -> None:
        self.call("POST", "/fault", spec)

    def counts(self) -> dict[str, int]:
        return dict(self.call("GET", "/log")["counts"])


@dataclass
class EwsHarness:
    info: EwsSandboxInfo
    control: EwsControl
    auth_type: str
    window: SyncWindow
    sleeps: list[float] = field(default_factory=list)

    @property
    def config(self) -> EwsConfig:
        return EwsConfig(
            ews_url=self.info.ews_url,
            username=self.info.username,
            password=self.info.password,
            email=self.info.upn,
            version=self.info.version,
            auth_type=self.auth_type,
        )

    def provider(self, password: str | None = None, **kwargs: Any) -> EwsCalendarProvider:
        config = self.config if password is None else replace(self.config, password=password)
        return EwsCalendarProvider(config, sleep=self.sleeps.append, **kwargs)

    def calendar_id(self, provider: EwsCalendarProvider) -> str:
        return next(c.remote_id for c in provider.list_calendars() if c.is_default)


@pytest.fixture(scope="session")
def ews_sandbox() -> Iterator[tuple[EwsSandbox, EwsSandboxInfo]]:
    sandbox = EwsSandbox(None, seed=True)
    info = sandbox.start()
    try:
        yield sandbox, info
    finally:
        sandbox.stop()


@contextmanager
def fresh_harness(info: EwsSandboxInfo, auth_type: str) -> Iterator[EwsHarness]:
    """A harness on a freshly reseeded mailbox; faults and the password restored afterwards."""
    control = EwsControl(info)
    control.call("POST", "/clear-faults")
    control.call("POST", "/reset", {"seed": True, "bulk_events": 0})
    control.call("POST", "/reset-log")
    now = dt.datetime.now(dt.UTC)
    try:
        yield EwsHarness(info, control, auth_type, SyncWindow.around(now, 180, 540))
    finally:
        control.call("POST", "/clear-faults")
        control.call("POST", "/password", {"password": info.password})


@pytest.fixture(params=["basic", "NTLM"])
def ews(request: Any, ews_sandbox: tuple[EwsSandbox, EwsSandboxInfo]) -> Iterator[EwsHarness]:
    with fresh_harness(ews_sandbox[1], request.param) as harness:
        yield harness
