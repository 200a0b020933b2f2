"""Fixtures: a running EWS sandbox and exchangelib accounts pointed at it (no autodiscover)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from exchangelib import (
    BASIC,
    DELEGATE,
    NTLM,
    Account,
    Build,
    Configuration,
    Credentials,
    FailFast,
    FaultTolerance,
    Version,
)

from sandbox.ews.server import EwsSandbox, EwsSandboxInfo

AccountFactory = Callable[..., Account]


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[EwsSandbox]:
    sb = EwsSandbox(tmp_path / "ews-state")
    sb.start()
    yield sb
    sb.stop()


def make_account(
    info: EwsSandboxInfo,
    auth: str = NTLM,
    password: str | None = None,
    max_wait: float | None = 5,
) -> Account:
    """max_wait=None: FailFast (a 401 is UnauthorizedError; FaultTolerance retries 401s)."""
    config = Configuration(
        service_endpoint=info.ews_url,
        credentials=Credentials(info.username, password or info.password),
        auth_type={"ntlm": NTLM, "basic": BASIC}.get(auth, auth),
        version=Version(build=Build(15, 1, 2507, 0)),
        retry_policy=FailFast() if max_wait is None else FaultTolerance(max_wait=max_wait),
    )
    return Account(
        primary_smtp_address=info.upn, config=config, autodiscover=False, access_type=DELEGATE
    )


@pytest.fixture
def account(sandbox: EwsSandbox) -> Account:
    return make_account(sandbox.info)


def control(sb: EwsSandbox, action: str, body: dict[str, Any] | None = None) -> Any:
    """POST (or GET when body is None and action is a listing) to the control API."""
    url = f"{sb.info.control_url}/{action}"
    if body is None and action.split("?")[0] in ("items", "folders", "log"):
        resp = requests.get(url, timeout=10)
    else:
        resp = requests.post(url, json=body or {}, timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()
