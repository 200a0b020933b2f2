"""End-to-end fixtures: `davbridge demo` started as a user starts it (a subprocess of the
installed CLI), and a Graph client acting on the provider side with the application
credentials the demo publishes in its --info-json file."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msal
import pytest
import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def davbridge_command() -> list[str]:
    exe = shutil.which("davbridge", path=str(Path(sys.executable).parent)) or shutil.which(
        "davbridge"
    )
    return [exe] if exe else [sys.executable, "-m", "bridge.cli"]


class GraphAdmin:
    """The provider side: Graph v1.0 with application permissions (client credentials)."""

    def __init__(self, info: dict[str, Any]) -> None:
        s = info["sandbox"]
        self.base = s["graph_base_url"]
        self.user = s["user"]
        self.control = s["control_url"]
        self.verify = s["ca_file"]
        # requests lets REQUESTS_CA_BUNDLE override a session's verify=; ignore the environment
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.verify = self.verify
        self.sandbox = s
        self.token = self._acquire()

    def _acquire(self) -> str:
        s = self.sandbox
        app = msal.ConfidentialClientApplication(
            s["client_id"],
            client_credential=s["client_secret"],
            authority=s["authority"],
            http_client=self.session,
            instance_discovery=False,
            validate_authority=False,
        )
        token = app.acquire_token_for_client(["https://graph.microsoft.com/.default"])
        assert "access_token" in token, token
        return str(token["access_token"])

    def call(self, method: str, path: str, **kw: Any) -> requests.Response:
        url = path if path.startswith("http") else f"{self.base}/users/{self.user}{path}"
        extra = kw.pop("headers", {})
        for _ in range(2):
            headers = {"Authorization": "Bearer " + self.token, **extra}
            r = self.session.request(method, url, timeout=30, headers=headers, **kw)
            if r.status_code != 401:
                break
            self.token = self._acquire()  # tests may expire every token on purpose
        return r

    def json(self, method: str, path: str, **kw: Any) -> Any:
        r = self.call(method, path, **kw)
        assert r.status_code < 300, (r.status_code, r.text)
        return r.json() if r.content else None

    def calendar_id(self, name: str) -> str:
        cals = self.json("GET", "/calendars")["value"]
        return next(c["id"] for c in cals if c["name"] == name)

    def events(self, calendar: str, subject: str | None = None) -> list[dict[str, Any]]:
        url: str | None = (
            f"{self.base}/users/{self.user}/calendars/{self.calendar_id(calendar)}/events?$top=500"
        )
        found: list[dict[str, Any]] = []
        while url:
            page = self.json("GET", url)
            found.extend(page["value"])
            url = page.get("@odata.nextLink")
        return [e for e in found if subject is None or e.get("subject") == subject]

    def ctl(self, method: str, path: str, **kw: Any) -> Any:
        r = self.session.request(method, self.control + path, timeout=30, **kw)
        assert r.status_code < 300, (r.status_code, r.text)
        return r.json() if r.content else None


@dataclass
class RunningDemo:
    info: dict[str, Any]
    data_dir: Path
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return str(self.info["dav_url"])

    @property
    def auth(self) -> tuple[str, str]:
        return self.info["username"], self.info["password"]


def start_demo(data_dir: Path, port: int, refresh: float = 1.0) -> RunningDemo:
    info_path = data_dir / "info.json"
    if info_path.exists():
        info_path.unlink()
    log = data_dir / "demo.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [
                *davbridge_command(),
                "demo",
                "--data-dir",
                str(data_dir),
                "--port",
                str(port),
                "--info-json",
                str(info_path),
                "--refresh-interval",
                str(refresh),
                "--log-level",
                "INFO",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"demo exited with {proc.returncode}:\n{log.read_text()}")
        if info_path.exists() and info_path.stat().st_size:
            info = json.loads(info_path.read_text())
            return RunningDemo(info, data_dir, proc, log)
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"demo did not start in time:\n{log.read_text()}")


def stop_demo(demo: RunningDemo) -> int:
    demo.process.send_signal(signal.SIGTERM)
    try:
        return demo.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        demo.process.kill()
        raise


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDemo]:
    running = start_demo(tmp_path_factory.mktemp("demo"), free_port())
    yield running
    assert stop_demo(running) == 0, running.log.read_text()


@pytest.fixture(scope="session")
def graph(demo: RunningDemo) -> GraphAdmin:
    return GraphAdmin(demo.info)


GRAPH_LABEL = " — Microsoft 365"


def graph_calendars(client: Any) -> dict[str, Any]:
    """The Microsoft 365 calendars a DAV client sees, by the provider's own calendar name."""
    found = {c.get_display_name(): c for c in client.principal().get_calendars()}
    return {n.removesuffix(GRAPH_LABEL): c for n, c in found.items() if n.endswith(GRAPH_LABEL)}


def wait_for(predicate: Any, timeout: float = 20.0, interval: float = 0.3) -> Any:
    deadline = time.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)
