"""The Graph sandbox server: builds the aiohttp app and runs it on its own thread and loop.

`Sandbox(state_dir).start()` returns a SandboxInfo once the TLS socket listens; `stop()` saves
state (when a state dir is given) and shuts down. With a state dir, state is also saved about
once a second after changes, so a killed process loses little. This module must not implement
routes; identity.py, graph_routes.py and control.py do.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from bridge.sandbox import control, graph_http, graph_routes, identity, persist
from bridge.sandbox.apphost import AppHost, bind
from bridge.sandbox.state import DEMO_PASSWORD, STATE_KEY, SandboxState, fresh_state
from bridge.sandbox.tls import ensure_tls, server_context

log = logging.getLogger(__name__)

REDIRECT_URIS = ("http://127.0.0.1:*/...", "http://localhost:*/...")


@dataclass(frozen=True)
class SandboxInfo:
    base_url: str  # "https://127.0.0.1:PORT"
    authority: str  # f"{base_url}/{tenant}" (msal authority)
    tenant: str
    graph_base_url: str  # f"{base_url}/v1.0"
    control_url: str  # f"{base_url}/_control"
    ca_file: str  # PEM to pass as verify= to msal/requests
    client_id: str  # delegated web app (auth code + PKCE, refresh, device code)
    client_secret: str
    admin_client_id: str  # application permissions (client_credentials)
    admin_client_secret: str
    user: str  # demo user UPN
    user_password: str
    redirect_uris: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class Sandbox:
    def __init__(
        self,
        state_dir: Path | None,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: bool = True,
        bulk_events: int = 0,
        bulk_calendar: int = 0,
    ) -> None:
        """`bulk_events`: the mailbox is one calendar of N events (benchmarks);
        `bulk_calendar`: a "Bulk" calendar of N events is added beside the seed (demo)."""
        self.state_dir = Path(state_dir) if state_dir is not None else None
        self.host, self.port = host, port
        self.seed, self.bulk_events = seed, bulk_events
        self.bulk_calendar = bulk_calendar
        self._host = AppHost("graph-sandbox")
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.state: SandboxState | None = None
        self._info: SandboxInfo | None = None

    @property
    def info(self) -> SandboxInfo:
        if self._info is None:
            raise RuntimeError("sandbox not started")
        return self._info

    # ---- lifecycle -------------------------------------------------------------------
    def start(self) -> SandboxInfo:
        if self.state_dir is not None:
            tls_dir = self.state_dir
        else:
            self._tmp = tempfile.TemporaryDirectory(prefix="graph-sandbox-")
            tls_dir = Path(self._tmp.name)
        tls = ensure_tls(tls_dir)
        st = persist.load(self.state_dir) if self.state_dir is not None else None
        if st is None:
            st = fresh_state()
            from bridge.sandbox.control import reset_state

            reset_state(st, self.seed, self.bulk_events)
        from bridge.sandbox.seeding import ensure_bulk_calendar

        ensure_bulk_calendar(st.mailboxes, st.user_id, self.bulk_calendar, dt.datetime.now(dt.UTC))
        self.state = st
        sock = bind(self.host, self.port, st.port)
        port = sock.getsockname()[1]
        st.port = port
        st.base_url = f"https://{self.host}:{port}"
        self._info = SandboxInfo(
            base_url=st.base_url,
            authority=f"{st.base_url}/{st.tenant}",
            tenant=st.tenant,
            graph_base_url=f"{st.base_url}/v1.0",
            control_url=f"{st.base_url}/_control",
            ca_file=tls.ca_file,
            client_id=st.client_id,
            client_secret=st.app.secret,
            admin_client_id=st.admin_client_id,
            admin_client_secret=st.admin_app.secret,
            user=st.mailboxes.users[st.user_id].upn,
            user_password=st.mailboxes.users[st.user_id].password or DEMO_PASSWORD,
            redirect_uris=REDIRECT_URIS,
        )
        self._host.start(self.build_app, sock, server_context(tls), self._autosave)
        self._save()
        return self._info

    def build_app(self) -> web.Application:
        assert self.state is not None
        app = web.Application(
            middlewares=[control.guard, graph_http.middleware], client_max_size=8 * 1024 * 1024
        )
        app[STATE_KEY] = self.state
        app[control.INFO_KEY] = lambda: self.info.to_json()
        identity.add_routes(app)
        graph_routes.add_routes(app)
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

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- in-process helpers for tests ------------------------------------------------
    def request_count(self, path_prefix: str = "/v1.0") -> int:
        assert self.state is not None
        return sum(1 for r in list(self.state.log) if r.path.startswith(path_prefix))
