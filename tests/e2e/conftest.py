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
    return [exe] if exe else [sys.executable, "-m", "bridge.entry.cli"]


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


def start_demo(
    data_dir: Path,
    port: int,
    refresh: float = 1.0,
    portal_port: int = 0,
    extra: tuple[str, ...] = (),
    directory: bool = False,
    env: dict[str, str] | None = None,
) -> RunningDemo:
    """`env`: added to the demo's environment (and so its worker processes'). `port` 0: DAV on a port the system picks when the demo binds it (info["dav_url"] says
    which), so parallel workers never race for a port probed free and released; a fixed port
    only where a restart must come back on the same one. `portal_port` 0: the web portal on any
    free port (info["portal_url"] says which)."""
    info_path = data_dir / "info.json"
    if info_path.exists():
        info_path.unlink()
    log = data_dir / "demo.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
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
                "--portal-port",
                str(portal_port),
                "--log-level",
                "INFO",
                *extra,
                *(() if directory else ("--no-directory",)),  # K5 off unless asked (views)
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


def demo_of_its_own(factory: pytest.TempPathFactory, name: str) -> Iterator[RunningDemo]:
    """A demo started for one module: for tests about the demo's own seeded data ("every
    event of the demo"), which must not see what the other modules' tests left in the shared
    one (calendars they made, client payloads with overlays, items outside the window)."""
    running = start_demo(factory.mktemp(name), 0)
    yield running
    assert stop_demo(running) == 0, running.log.read_text()


# package scope: the shared demo stops once this worker's e2e modules are done, instead of
# refreshing every second beside the rest of the suite
@pytest.fixture(scope="package")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDemo]:
    yield from demo_of_its_own(tmp_path_factory, "demo")


@pytest.fixture(scope="package")
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


class GoogleAdmin:
    """The Google side: Calendar v3 through google-api-python-client, with the refresh token
    the demo publishes in --info-json (an inspection grant on the sandbox)."""

    def __init__(self, info: dict[str, Any]) -> None:
        import google_auth_httplib2
        import httplib2
        from google.oauth2.credentials import Credentials
        from googleapiclient.discovery import build

        self.info = info
        g = info["google"]
        creds = Credentials(
            None,
            refresh_token=g["refresh_token"],
            token_uri=g["token_uri"],
            client_id=g["client_id"],
            client_secret=g["client_secret"],
        )
        http = google_auth_httplib2.AuthorizedHttp(
            creds, http=httplib2.Http(ca_certs=g["ca_file"], timeout=30)
        )
        self.api = build(
            "calendar",
            "v3",
            static_discovery=True,
            http=http,
            client_options={"api_endpoint": g["calendar_api_base"]},
        )

    def people_named(self, name: str) -> list[dict[str, Any]]:
        """Google contacts (People API v1) whose display name is `name`."""
        from googleapiclient.discovery import build

        people = build(
            "people",
            "v1",
            static_discovery=True,
            http=self.api._http,
            client_options={"api_endpoint": self.info["google"]["people_api_base"]},
        )
        found: list[dict[str, Any]] = []
        token = None
        while True:
            page = (
                people.people()
                .connections()
                .list(
                    resourceName="people/me",
                    personFields="names,phoneNumbers",
                    pageSize=1000,
                    pageToken=token,
                )
                .execute()
            )
            found += page.get("connections", [])
            token = page.get("nextPageToken")
            if not token:
                break
        return [p for p in found if any(n.get("displayName") == name for n in p.get("names", []))]

    def calendar_id(self, name: str) -> str:
        items = self.api.calendarList().list().execute()["items"]
        if name == "Calendar":
            return next(c["id"] for c in items if c.get("primary"))
        return next(c["id"] for c in items if c["summary"] == name)

    def events(self, calendar: str, summary: str | None = None) -> list[dict[str, Any]]:
        cid = self.calendar_id(calendar)
        found: list[dict[str, Any]] = []
        token = None
        while True:
            page = (
                self.api.events().list(calendarId=cid, pageToken=token, maxResults=2500).execute()
            )
            found += page.get("items", [])
            token = page.get("nextPageToken")
            if not token:
                break
        return [
            e
            for e in found
            if e.get("status") != "cancelled" and (summary is None or e.get("summary") == summary)
        ]


class EwsAdmin:
    """The Exchange side: exchangelib with the sandbox mailbox's credentials."""

    def __init__(self, info: dict[str, Any]) -> None:
        from exchangelib import (
            DELEGATE,
            NTLM,
            Account,
            Build,
            Configuration,
            Credentials,
            Version,
        )

        e = info["ews"]
        config = Configuration(
            service_endpoint=e["ews_url"],
            credentials=Credentials(e["username"], e["password"]),
            auth_type=NTLM,
            version=Version(build=Build(15, 1, 2507, 0)),
        )
        self.account = Account(e["upn"], config=config, autodiscover=False, access_type=DELEGATE)

    def folder(self, name: str) -> Any:
        if name == "Calendar":
            return self.account.calendar
        return next(f for f in self.account.calendar.children if f.name == name)

    def items(self, calendar: str, subject: str | None = None) -> list[Any]:
        items = list(self.folder(calendar).all())
        return [i for i in items if subject is None or i.subject == subject]
