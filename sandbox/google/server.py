"""The Google sandbox server: Google OAuth 2.0, Calendar v3 and People v1 as an aiohttp app on
the shared emulator lifecycle (sandbox.core.emulator).

`GoogleSandbox(state_dir).start()` returns a GoogleSandboxInfo once the TLS socket listens;
`stop()` saves state (when a state dir is given) and shuts down; the next start resumes it (same
ids, etags, tokens; the same port when free). With a state dir, state is also saved about once
a second after changes. TLS material comes from sandbox.core.tls (shared CA layout).
This module must not implement routes; oauth.py, calendar_routes.py, people_routes.py and
control.py do.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

from aiohttp import web

from sandbox.core.control import add_common_routes
from sandbox.core.emulator import Emulator
from sandbox.core.host import AppHost, Host
from sandbox.core.persistence import StateFile
from sandbox.core.tls import TlsFiles
from sandbox.google import (
    calendar_admin_routes,
    calendar_routes,
    control,
    gateway,
    oauth,
    people_group_admin,
    people_routes,
    tasks_routes,
)
from sandbox.google.seed import ensure_bulk_calendar
from sandbox.google.state import STATE_KEY, GoogleState, fresh_state

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
    tasks_api_base: str = ""  # f"{base_url}/" (Tasks API api_endpoint: paths start "tasks/v1/")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class GoogleSandbox(Emulator[GoogleSandboxInfo]):
    label = "google-sandbox"
    state_file: ClassVar[StateFile] = StateFile("google-sandbox.json")
    state: GoogleState | None = None

    def restore(self, saved: dict[str, Any] | None) -> int:
        if saved is not None:
            self.state = GoogleState.from_json(saved)
        else:
            self.state = fresh_state()
            control.reset_state(self.state, self.seed, self.bulk_events)
        ensure_bulk_calendar(self.state.store, self.bulk_calendar)
        return self.state.port

    def snapshot(self, only_if_changed: bool) -> dict[str, Any] | None:
        st = self.state
        if st is None or (only_if_changed and not st.dirty):
            return None
        st.dirty = False
        return st.to_json()

    def describe(self, base: str, tls: TlsFiles | None) -> GoogleSandboxInfo:
        st = self.state
        assert st is not None and tls is not None
        st.port, st.base_url = self.bound_port, base
        client = st.tokens.clients[st.client_id]
        return GoogleSandboxInfo(
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
            tasks_api_base=f"{base}/",
        )

    def make_host(self) -> Host:
        return AppHost(self.label, self.build_app)

    def build_app(self) -> web.Application:
        assert self.state is not None
        app = web.Application(
            middlewares=[control.guard, gateway.middleware], client_max_size=8 * 1024 * 1024
        )
        app[STATE_KEY] = self.state
        add_common_routes(app, self)
        oauth.add_routes(app)
        calendar_routes.add_routes(app)
        from sandbox import directory_control  # K5, branch views
        from sandbox.directory_people import Directory
        from sandbox.google import directory_routes

        real = sorted((name, email) for email, name in self.state.names.items())
        directory_control.install(
            app, Directory.seeded("google", "contoso.example", real_users=real)
        )
        directory_routes.add_routes(app)
        people_routes.add_routes(app)
        tasks_routes.add_routes(app)  # Google Tasks API v1
        people_group_admin.add_routes(app)
        calendar_admin_routes.add_routes(app)
        control.add_routes(app)
        return app

    def request_count(self, prefix: str = "/calendar/v3") -> int:
        assert self.state is not None
        return sum(1 for r in list(self.state.log) if r.path.startswith(prefix))
