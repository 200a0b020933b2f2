"""The three emulators on one core (sandbox.core): the same lifecycle and the same shared control
routes, driven from outside the process as the demo's users and the benchmarks do
(sandbox.remote): how many emulated-API requests were served, and "save now"."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from sandbox.core.emulator import Emulator
from sandbox.ews.server import EwsSandbox
from sandbox.google.server import GoogleSandbox
from sandbox.remote import Remote
from sandbox.server import Sandbox
from tests.sandbox_ews.conftest import make_account


def _graph_call(info: Any) -> None:
    requests.get(f"{info.graph_base_url}/me/calendars", verify=info.ca_file, timeout=30)


def _google_call(info: Any) -> None:
    requests.get(f"{info.calendar_api_base}users/me/calendarList", verify=info.ca_file, timeout=30)


def _ews_call(info: Any) -> None:
    make_account(info).calendar.refresh()  # one GetFolder


def _graph_change(remote: Remote, name: str) -> None:
    requests.post(
        f"{remote.control_url}/calendars", json={"name": name}, verify=remote.ca_file, timeout=30
    ).raise_for_status()


def _google_change(remote: Remote, name: str) -> None:
    requests.post(
        f"{remote.control_url}/calendars",
        json={"summary": name},
        verify=remote.ca_file,
        timeout=30,
    ).raise_for_status()


def _ews_change(remote: Remote, name: str) -> None:
    fields = {"Subject": name, "Start": "2027-03-01T09:00:00Z", "End": "2027-03-01T10:00:00Z"}
    requests.post(
        f"{remote.control_url}/create", json={"folder": "calendar", "fields": fields}, timeout=30
    ).raise_for_status()


KINDS: dict[str, tuple[type[Emulator[Any]], Callable[[Any], None], Callable[..., None], str]] = {
    "graph": (Sandbox, _graph_call, _graph_change, "graph-sandbox.json"),
    "google": (GoogleSandbox, _google_call, _google_change, "google-sandbox.json"),
    "ews": (EwsSandbox, _ews_call, _ews_change, "ews-sandbox.json"),
}


@pytest.fixture(params=sorted(KINDS))
def running(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Any]]:
    kind = request.param
    emulator = KINDS[kind][0](tmp_path / kind, seed=False)
    emulator.start()
    yield kind, emulator
    emulator.stop()


def test_requests_are_counted_over_the_control_api(running: tuple[str, Any]) -> None:
    kind, emulator = running
    remote = Remote.of(emulator.info)
    before = remote.request_count()
    KINDS[kind][1](emulator.info)
    assert remote.request_count() > before
    assert remote.request_count("/no-such-prefix") == 0
    # control requests (these very calls) are never counted
    assert remote.request_count() == remote.request_count()


def test_save_puts_a_change_on_disk_before_it_answers(running: tuple[str, Any]) -> None:
    kind, emulator = running
    remote = Remote.of(emulator.info)
    KINDS[kind][2](remote, "Saved on request")
    remote.save()
    state = (emulator.state_dir / KINDS[kind][3]).read_text()
    assert "Saved on request" in state
    json.loads(state)  # whole, never torn


def test_info_is_the_same_over_the_control_api(running: tuple[str, Any]) -> None:
    _, emulator = running
    remote = Remote.of(emulator.info)
    answer = requests.get(f"{remote.control_url}/info", verify=remote.ca_file or True, timeout=30)
    assert answer.json() == json.loads(json.dumps(emulator.info.to_json()))


def test_a_restart_resumes_on_the_same_port(tmp_path: Path) -> None:
    for cls in (Sandbox, GoogleSandbox, EwsSandbox):
        first = cls(tmp_path / cls.label, seed=False)
        first.start()
        port = first.bound_port
        first.stop()
        again = cls(tmp_path / cls.label, seed=False)
        again.start()
        try:
            assert again.bound_port == port
        finally:
            again.stop()
