"""The Google sandbox server: builds the aiohttp app and runs it on its own thread and loop.

`GoogleSandbox(state_dir).start()` returns a GoogleSandboxInfo once the TLS socket listens;
`stop()` saves state (when a state dir is given) and shuts down; the next start resumes it (same
ids, etags, tokens; the same port when free). With a state dir, state is also saved about once
a second after changes. TLS material comes from bridge.sandbox.tls (shared CA layout).
This module must not implement routes; oauth.py, calendar_routes.py, people_routes.py and
control.py do.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from bridge.sandbox.apphost import AppHost, bind
from bridge.sandbox.google import (
    calendar_admin_routes,
    calendar_routes,
    control,
    gateway,
    oauth,
    people_group_admin,
    people_routes,
    persist,
)
from bridge.sandbox.google.state import STATE_KEY, GoogleState, fresh_state
from bridge.sandbox.tls import ensure_tls, server_context

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GoogleSandboxInfo:
    base_url: str  # "https://127.0.0.1:PORT"
    auth_uri: str  # f"{base_url}/o/oauth2/v2/auth"
    token_uri: str  # f"{base_url}/token"
    revoke_uri: str  # f"{base_url}/revoke"
    calendar_api_base: str  # f"{base_url}/calendar/v3/" (googleapiclient api_endpoint)
    control_url: str  # f"{base_url}/_control"
    ca_file: str
    client_id: str  # OAuth web client of the bridge
    client_secret: str
    user: str  # "alex@contoso.example"
    user_password: str
    inspect_refresh_token: str  # scopes calendar + contacts, same client: tests use the real APIs
    people_api_base: str = ""  # f"{base_url}/" (People API api_endpoint: paths start "v1/")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class GoogleSandbox:
    def __init__(
        self,
        state_dir: Path | None,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: bool = True,
        bulk_events: int = 0,
        bulk_calendar: int = 0,
    ) -> None:
        """`bulk_events`: the account is one calendar of N events (benchmarks);
        `bulk_calendar`: a "Bulk" calendar of N events is added beside the seed (demo)."""
        self.state_dir = Path(state_dir) if state_dir is not None else None
        self.host, self.port = host, port
        self.seed, self.bulk_events = seed, bulk_events
        self.bulk_calendar = bulk_calendar
        self._host = AppHost("google-sandbox")
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.state: GoogleState | None = None
        self._info: GoogleSandboxInfo | None = None

    @property
    def info(self) -> GoogleSandboxInfo:
        if self._info is None:
            raise RuntimeError("google sandbox not started")
        return self._info

    def start(self) -> GoogleSandboxInfo:
        if self.state_dir is not None:
            tls_dir = self.state_dir
        else:
            self._tmp = tempfile.TemporaryDirectory(prefix="google-sandbox-")
            tls_dir = Path(self._tmp.name)
        tls = ensure_tls(tls_dir)
        st = persist.load(self.state_dir) if self.state_dir is not None else None
        if st is None:
            st = fresh_state()
            control.reset_state(st, self.seed, self.bulk_events)
        from bridge.sandbox.google.seed import ensure_bulk_calendar

        ensure_bulk_calendar(st.store, self.bulk_calendar)
        self.state = st
        sock = bind(self.host, self.port, st.port)
        port = sock.getsockname()[1]
        st.port = port
        host = f"[{self.host}]" if ":" in self.host else self.host
        st.base_url = base = f"https://{host}:{port}"
        client = st.tokens.clients[st.client_id]
        self._info = GoogleSandboxInfo(
            base_url=base,
            auth_uri=f"{base}/o/oauth2/v2/auth",
            token_uri=f"{base}/token",
            revoke_uri=f"{base}/revoke",
            calendar_api_base=f"{base}/calendar/v3/",
            control_url=f"{base}/_control",
            ca_file=tls.ca_file,
            client_id=client.client_id,
            client_secret=client.client_secret,
            user=st.user,
            user_password=st.passwords[st.user],
            inspect_refresh_token=st.inspect_refresh_token,
            people_api_base=f"{base}/",
        )
        self._host = AppHost("google-sandbox")
        self._host.start(self.build_app, sock, server_context(tls), self._autosave)
        self._save()
        return self._info

    def build_app(self) -> web.Application:
        assert self.state is not None
        app = web.Application(
            middlewares=[control.guard, gateway.middleware], client_max_size=8 * 1024 * 1024
        )
        app[STATE_KEY] = self.state
        app[control.INFO_KEY] = lambda: self.info.to_json()
        oauth.add_routes(app)
        calendar_routes.add_routes(app)
        people_routes.add_routes(app)
        people_group_admin.add_routes(app)
        calendar_admin_routes.add_routes(app)
        control.add_routes(app)
        return app

    def _autosave(self) -> None:
        if self.state is not None and self.state.dirty and self.state_dir is not None:
            self.state.dirty = False
            self._save()

    def _save(self) -> None:
        if self.state_dir is not None and self.state is not None:
            persist.save(self.state_dir, self.state)

    def stop(self) -> None:
        self._host.stop()
        self._save()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> GoogleSandbox:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def request_count(self, path_prefix: str = "/calendar/v3") -> int:
        assert self.state is not None
        return sum(1 for r in list(self.state.log) if r.path.startswith(path_prefix))
