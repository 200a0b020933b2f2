"""The Graph sandbox server: the Microsoft identity platform + Graph v1.0 aiohttp app on the
shared emulator lifecycle (sandbox.core.emulator: resume or seed, same port, TLS, autosave
about once a second after changes, save on stop).

`Sandbox(state_dir).start()` returns a SandboxInfo once the TLS socket listens; `stop()` saves
state (when a state dir is given) and shuts down. This module must not implement routes;
identity.py, graph_routes.py and control.py do.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

from aiohttp import web

from sandbox import control, graph_http, graph_routes, identity
from sandbox.core.control import add_common_routes
from sandbox.core.emulator import Emulator
from sandbox.core.host import AppHost, Host
from sandbox.core.persistence import StateFile
from sandbox.core.tls import TlsFiles
from sandbox.seeding import ensure_bulk_calendar
from sandbox.state import DEMO_PASSWORD, STATE_KEY, SandboxState, fresh_state

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


class Sandbox(Emulator[SandboxInfo]):
    label = "graph-sandbox"
    state_file: ClassVar[StateFile] = StateFile("graph-sandbox.json")
    state: SandboxState | None = None

    def restore(self, saved: dict[str, Any] | None) -> int:
        if saved is not None:
            self.state = SandboxState.from_json(saved)
        else:
            self.state = fresh_state()
            control.reset_state(self.state, self.seed, self.bulk_events)
        st = self.state
        ensure_bulk_calendar(st.mailboxes, st.user_id, self.bulk_calendar, dt.datetime.now(dt.UTC))
        return st.port

    def snapshot(self, only_if_changed: bool) -> dict[str, Any] | None:
        st = self.state
        if st is None or (only_if_changed and not st.dirty):
            return None
        st.dirty = False
        return st.to_json()

    def describe(self, base_url: str, tls: TlsFiles | None) -> SandboxInfo:
        st = self.state
        assert st is not None and tls is not None
        st.port, st.base_url = self.bound_port, base_url
        return SandboxInfo(
            base_url=base_url,
            authority=f"{base_url}/{st.tenant}",
            tenant=st.tenant,
            graph_base_url=f"{base_url}/v1.0",
            control_url=f"{base_url}/_control",
            ca_file=tls.ca_file,
            client_id=st.client_id,
            client_secret=st.app.secret,
            admin_client_id=st.admin_client_id,
            admin_client_secret=st.admin_app.secret,
            user=st.mailboxes.users[st.user_id].upn,
            user_password=st.mailboxes.users[st.user_id].password or DEMO_PASSWORD,
            redirect_uris=REDIRECT_URIS,
        )

    def make_host(self) -> Host:
        return AppHost(self.label, self.build_app)

    def build_app(self) -> web.Application:
        assert self.state is not None
        app = web.Application(
            middlewares=[control.guard, graph_http.middleware], client_max_size=8 * 1024 * 1024
        )
        app[STATE_KEY] = self.state
        add_common_routes(app, self)
        identity.add_routes(app)
        from sandbox import directory_control, graph_directory  # K5, branch views
        from sandbox.directory_people import Directory

        real = [(u.display_name, u.upn) for u in self.state.mailboxes.users.values()]
        directory_control.install(
            app, Directory.seeded("graph", "contoso.example", real_users=real)
        )
        graph_directory.add_routes(app)
        graph_routes.add_routes(app)
        control.add_routes(app)
        return app

    def request_count(self, prefix: str = "/v1.0") -> int:
        assert self.state is not None
        return sum(1 for r in list(self.state.log) if r.path.startswith(prefix))
