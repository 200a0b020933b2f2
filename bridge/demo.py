"""`davbridge demo` (R1): the sandbox, the bridge and a connected demo account on loopback.

The demo user's Microsoft 365 account is connected through the real OAuth 2.0 authorization
code + PKCE flow against the sandbox authority, with msal — the same code path a real
tenant uses; only the person typing the password at the sign-in page is played here.
A composition root: may import everything.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
import urllib.parse
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import requests

from bridge import api
from bridge.api import Bridge
from bridge.errors import AuthExpired
from bridge.sandbox.server import Sandbox, SandboxInfo
from bridge.serve import HttpServer
from bridge.settings import Settings

log = logging.getLogger("davbridge.demo")

DEMO_USER = "demo"


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.inputs: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and self.action is None:
            self.action = a.get("action", "")
        elif tag == "input":
            self.inputs.append(a)


def sign_in_at(
    auth_url: str, username: str, password: str, redirect_uri: str, verify: str | bool
) -> dict[str, str]:
    """Play the user at an OAuth sign-in page: fill the form, return the redirect's query."""
    session = requests.Session()
    page = session.get(auth_url, verify=verify, timeout=30)
    page.raise_for_status()
    form = _FormParser()
    form.feed(page.text)
    data: dict[str, str] = {}
    filled_user = False
    for field in form.inputs:
        name, kind = field.get("name"), field.get("type", "text").lower()
        if not name:
            continue
        if kind == "password":
            data[name] = password
        elif kind in ("text", "email") and not filled_user:
            data[name] = username
            filled_user = True
        elif kind in ("hidden", "text", "email"):
            data[name] = field.get("value", "")
    target = urllib.parse.urljoin(page.url, form.action or page.url)
    response = session.post(target, data=data, verify=verify, allow_redirects=False, timeout=30)
    for _ in range(5):
        location = response.headers.get("Location", "")
        if location.startswith(redirect_uri):
            query = urllib.parse.urlparse(location).query
            return dict(urllib.parse.parse_qsl(query))
        if response.status_code not in (301, 302, 303, 307) or not location:
            raise RuntimeError(f"sign-in did not redirect back (HTTP {response.status_code})")
        response = session.get(
            urllib.parse.urljoin(target, location), verify=verify, allow_redirects=False, timeout=30
        )
    raise RuntimeError("too many redirects during sign-in")


@dataclass(frozen=True)
class DemoInfo:
    dav_url: str
    username: str
    password: str
    sandbox: SandboxInfo

    def as_json(self) -> dict[str, Any]:
        s = self.sandbox
        return {
            "dav_url": self.dav_url,
            "username": self.username,
            "password": self.password,
            "sandbox": {
                "graph_base_url": s.graph_base_url,
                "authority": s.authority,
                "tenant": s.tenant,
                "client_id": s.admin_client_id,
                "client_secret": s.admin_client_secret,
                "user": s.user,
                "ca_file": s.ca_file,
                "control_url": s.control_url,
            },
        }


class Demo:
    """Everything `davbridge demo` runs, startable and stoppable (tests use it too)."""

    def __init__(
        self,
        data_dir: Path,
        host: str = "127.0.0.1",
        port: int = 5232,
        refresh_interval_s: float = 10.0,
        bulk_events: int = 0,
        background: bool = True,
    ) -> None:
        self.data_dir = data_dir
        self.host = host
        self.port = port
        self.refresh_interval_s = refresh_interval_s
        self.bulk_events = bulk_events
        self.background = background
        self.sandbox: Sandbox | None = None
        self.bridge: Bridge | None = None
        self.server: HttpServer | None = None

    def _state(self) -> dict[str, Any]:
        path = self.data_dir / "demo.json"
        return json.loads(path.read_text()) if path.exists() else {}

    def start(self) -> DemoInfo:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        state = self._state()
        sandbox_port = int(state.get("sandbox_port", 0))
        try:
            self.sandbox = Sandbox(
                self.data_dir / "sandbox", port=sandbox_port, bulk_events=self.bulk_events
            )
            info = self.sandbox.start()
        except OSError:  # the old port is taken: a new one (tokens re-consented below)
            self.sandbox = Sandbox(self.data_dir / "sandbox", port=0, bulk_events=self.bulk_events)
            info = self.sandbox.start()
        base = Settings()
        settings = (
            base.replace("store", data_dir=str(self.data_dir / "bridge"))
            .replace("sync", refresh_interval_s=self.refresh_interval_s, background=self.background)
            .replace(
                "graph",
                authority_host=info.base_url,
                tenant=info.tenant,
                client_id=info.client_id,
                client_secret=info.client_secret,
                graph_base_url=info.graph_base_url,
                ca_bundle=info.ca_file,
            )
        )
        self.bridge = bridge = Bridge(settings)
        api.install(bridge)
        self.server = HttpServer(bridge, self.host, self.port).start()
        user = bridge.ensure_user(DEMO_USER, email=info.user)
        password = self._app_password(bridge, user)
        self._connect(bridge, user.id, info)
        (self.data_dir / "demo.json").write_text(
            json.dumps({"sandbox_port": int(info.base_url.rsplit(":", 1)[1])})
        )
        bridge.start_background()
        return DemoInfo(self.server.url, DEMO_USER, password, info)

    def _app_password(self, bridge: Bridge, user: Any) -> str:
        """The demo's app password, kept encrypted in the data dir so a restart can print it."""
        path = self.data_dir / "demo-password.enc"
        if path.exists():
            return bridge.box.decrypt(path.read_bytes())
        password = bridge.new_app_password(user, "demo")
        path.write_bytes(bridge.box.encrypt(password))
        path.chmod(0o600)
        return password

    def _connect(self, bridge: Bridge, user_id: int, info: SandboxInfo) -> None:
        existing = [c for c in bridge.store.connections(user_id) if c.provider == "graph"]
        if existing:
            try:
                bridge.sync_connection(existing[0].id)
                if bridge.store.connection(existing[0].id).status != "reauth":
                    return
            except AuthExpired:
                pass
            log.info("the demo connection needs consent again")
        assert self.server is not None
        redirect = f"http://{self.host}:{self.server.port}/oauth/callback"
        url, pending = bridge.connections.begin_graph_consent(
            user_id, redirect, write=True, login_hint=info.user
        )
        answer = sign_in_at(url, info.user, info.user_password, redirect, info.ca_file)
        conn = bridge.connections.complete_graph_consent(pending, answer)
        bridge.sync_connection(conn.id)

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
        if self.bridge is not None:
            self.bridge.close()
            api.install(None)
        if self.sandbox is not None:
            self.sandbox.stop()


def run(
    data_dir: Path, host: str, port: int, info_json: Path | None, refresh_interval_s: float
) -> int:
    demo = Demo(data_dir, host, port, refresh_interval_s)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    info = demo.start()
    if info_json is not None:
        info_json.write_text(json.dumps(info.as_json(), indent=2))
        info_json.chmod(0o600)
    colls = demo.bridge.store.collections() if demo.bridge else []
    print(
        f"""
davbridge demo is running (sandbox: {len(colls)} calendars of {info.sandbox.user}).

Add a CalDAV account in Thunderbird, Apple Calendar, Evolution or DAVx5:
  Server URL : {info.dav_url}
  User name  : {info.username}
  Password   : {info.password}

Health: {info.dav_url}health   Data: {data_dir}   Stop with Ctrl+C.
""",
        flush=True,
    )
    stop.wait()
    print("stopping …", flush=True)
    demo.stop()
    return 0
