"""The provider sandboxes `davbridge demo` runs (Microsoft identity + Graph, Google OAuth +
Calendar, Exchange EWS), each with its state in the demo's data directory and on the port it
had last time, and the bridge settings that point at them — configuration only, as for real
providers. A composition-root helper.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bridge.model import ProviderKind
from bridge.settings import Settings


@dataclass(frozen=True)
class SandboxInfos:
    graph: Any = None  # bridge.sandbox.server.SandboxInfo
    google: Any = None  # bridge.sandbox.google.server.GoogleSandboxInfo
    ews: Any = None  # bridge.sandbox.ews.server.EwsSandboxInfo

    @property
    def primary_user(self) -> str | None:
        for info in (self.graph, self.google):
            if info is not None:
                return str(info.user)
        return str(self.ews.upn) if self.ews is not None else None

    def credentials(self, kind: ProviderKind) -> tuple[str, str, str]:
        """(user, password, CA file) of the demo account at an OAuth sandbox."""
        info = self.graph if kind is ProviderKind.GRAPH else self.google
        return info.user, info.user_password, info.ca_file

    def configure(self, settings: Settings) -> Settings:
        """Bridge settings pointing at the running sandboxes."""
        if self.graph is not None:
            g = self.graph
            settings = settings.replace(
                "graph",
                authority_host=g.base_url,
                tenant=g.tenant,
                client_id=g.client_id,
                client_secret=g.client_secret,
                graph_base_url=g.graph_base_url,
                ca_bundle=g.ca_file,
            )
        if self.google is not None:
            o = self.google
            settings = settings.replace(
                "google",
                client_id=o.client_id,
                client_secret=o.client_secret,
                auth_uri=o.auth_uri,
                token_uri=o.token_uri,
                revoke_uri=o.revoke_uri,
                calendar_api_base=o.calendar_api_base,
                people_api_base=o.people_api_base,
                ca_bundle=o.ca_file,
            )
        if self.ews is not None:
            settings = settings.replace(
                "ews", default_url=self.ews.ews_url, default_version=self.ews.version
            )
        return settings

    def as_json(self) -> dict[str, Any]:
        """What `--info-json` publishes so any client library can act on the provider side."""
        out: dict[str, Any] = {}
        if self.graph is not None:
            s = self.graph
            out["sandbox"] = {
                "graph_base_url": s.graph_base_url,
                "authority": s.authority,
                "tenant": s.tenant,
                "client_id": s.admin_client_id,
                "client_secret": s.admin_client_secret,
                "user": s.user,
                "ca_file": s.ca_file,
                "control_url": s.control_url,
            }
        if self.google is not None:
            o = self.google
            out["google"] = {
                "calendar_api_base": o.calendar_api_base,
                "people_api_base": o.people_api_base,
                "token_uri": o.token_uri,
                "auth_uri": o.auth_uri,
                "client_id": o.client_id,
                "client_secret": o.client_secret,
                "refresh_token": o.inspect_refresh_token,
                "user": o.user,
                "ca_file": o.ca_file,
                "control_url": o.control_url,
            }
        if self.ews is not None:
            e = self.ews
            out["ews"] = {
                "ews_url": e.ews_url,
                "username": e.username,
                "upn": e.upn,
                "password": e.password,
                "version": e.version,
                "auth_type": "NTLM",
                "control_url": e.control_url,
            }
        return out


class DemoSandboxes:
    def __init__(
        self,
        data_dir: Path,
        providers: tuple[ProviderKind, ...],
        bulk_events: int = 0,
        bulk_calendar: int = 0,
    ) -> None:
        """`bulk_events`: each sandbox holds only one calendar of N events (benchmarks);
        `bulk_calendar`: each adds a "Bulk" calendar of N events beside its demo data."""
        self.data_dir = data_dir
        self.providers = providers
        self.bulk_events = bulk_events
        self.bulk_calendar = bulk_calendar
        self.graph: Any = None
        self.google: Any = None
        self.ews: Any = None

    def _ports(self) -> dict[str, int]:
        path = self.data_dir / "demo.json"
        state = json.loads(path.read_text()) if path.exists() else {}
        if "sandbox_port" in state:  # the foundation's single-sandbox state file
            state.setdefault("graph_port", state["sandbox_port"])
        return {k: int(v) for k, v in state.items() if k.endswith("_port")}

    def _start(self, factory: Any, state_dir: Path, port: int) -> tuple[Any, Any]:
        sizes = {"bulk_events": self.bulk_events, "bulk_calendar": self.bulk_calendar}
        try:
            sandbox = factory(state_dir, port=port, **sizes)
            return sandbox, sandbox.start()
        except OSError:  # the old port is taken: a new one (consent is repeated if needed)
            sandbox = factory(state_dir, port=0, **sizes)
            return sandbox, sandbox.start()

    def start(self) -> SandboxInfos:
        ports = self._ports()
        infos: dict[str, Any] = {}
        if ProviderKind.GRAPH in self.providers:
            from bridge.sandbox.server import Sandbox

            self.graph, infos["graph"] = self._start(
                Sandbox, self.data_dir / "sandbox", ports.get("graph_port", 0)
            )
        if ProviderKind.GOOGLE in self.providers:
            from bridge.sandbox.google.server import GoogleSandbox

            self.google, infos["google"] = self._start(
                GoogleSandbox, self.data_dir / "sandbox-google", ports.get("google_port", 0)
            )
        if ProviderKind.EWS in self.providers:
            from bridge.sandbox.ews.server import EwsSandbox

            self.ews, infos["ews"] = self._start(
                EwsSandbox, self.data_dir / "sandbox-ews", ports.get("ews_port", 0)
            )
        result = SandboxInfos(**infos)
        self._save_ports(result)
        return result

    def _save_ports(self, infos: SandboxInfos) -> None:
        def port_of(url: str) -> int:
            return int(url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])

        state: dict[str, int] = {}
        if infos.graph is not None:
            state["graph_port"] = port_of(infos.graph.base_url)
        if infos.google is not None:
            state["google_port"] = port_of(infos.google.base_url)
        if infos.ews is not None:
            state["ews_port"] = port_of(infos.ews.ews_url)
        (self.data_dir / "demo.json").write_text(json.dumps(state))

    def stop(self) -> None:
        for sandbox in (self.graph, self.google, self.ews):
            if sandbox is not None:
                sandbox.stop()
