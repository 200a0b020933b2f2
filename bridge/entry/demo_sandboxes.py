"""The provider sandboxes `davbridge demo` runs (Microsoft identity + Graph, Google OAuth +
Calendar, Exchange EWS) — in a child process of their own, so the bridge's process holds only
the bridge (its memory and CPU figures are its own) — and the bridge settings that point at
them: configuration only, as for real providers. A composition-root helper.

The child is `python -m sandbox.demo_host` (the top-level `sandbox` package, which this module
never imports: an image built without it has no demo, and says so). It keeps its state in the
demo's data directory, on the ports it had last time, prints its endpoints as one JSON line,
and stops — saving — when its standard input closes: when `stop()` closes it, and also when
this process dies in any way (kill -9 included), so a sandbox never outlives its demo.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import logging
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from bridge.errors import BridgeError
from bridge.model import ProviderKind
from bridge.settings import Settings

log = logging.getLogger("davbridge.demo")

STOP_WAIT_S = 60.0  # saving a large mailbox takes a while


@dataclass(frozen=True)
class GraphEndpoints:
    """The Microsoft identity + Graph sandbox (sandbox.server.SandboxInfo, as JSON)."""

    base_url: str
    authority: str
    tenant: str
    graph_base_url: str
    control_url: str
    ca_file: str
    client_id: str  # the bridge's delegated web app
    client_secret: str
    admin_client_id: str  # application permissions (client credentials): inspection
    admin_client_secret: str
    user: str
    user_password: str
    redirect_uris: tuple[str, ...] = ()


@dataclass(frozen=True)
class GoogleEndpoints:
    """The Google OAuth + Calendar + People sandbox (sandbox.google.server.GoogleSandboxInfo)."""

    base_url: str
    auth_uri: str
    token_uri: str
    revoke_uri: str
    calendar_api_base: str
    control_url: str
    ca_file: str
    client_id: str
    client_secret: str
    user: str
    user_password: str
    inspect_refresh_token: str
    people_api_base: str = ""
    tasks_api_base: str = ""


@dataclass(frozen=True)
class EwsEndpoints:
    """The Exchange EWS sandbox (sandbox.ews.server.EwsSandboxInfo)."""

    ews_url: str
    username: str
    upn: str
    password: str
    version: str
    control_url: str
    delegate_of: tuple[str, ...] = ()  # mailboxes the user opens as a delegate (issue 15)


E = TypeVar("E")


def _endpoints(cls: type[E], data: dict[str, Any] | None) -> E | None:
    if data is None:
        return None
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in names}
    return cls(**values)


def _pointed(settings: Settings, section: str, endpoints: Any, **renamed: str) -> Settings:
    """`settings` with `section`'s options set from the sandbox's endpoints of the same name
    (client_id, token_uri, …) and from `renamed` (the sandbox says ca_file, the bridge
    ca_bundle)."""
    options = {f.name for f in dataclasses.fields(getattr(settings, section))}
    same = {
        f.name: getattr(endpoints, f.name)
        for f in dataclasses.fields(endpoints)
        if f.name in options
    }
    return settings.replace(section, **same, **renamed)


def _named(endpoints: Any, *names: str) -> dict[str, Any]:
    """The sandbox's endpoints `names`, published under their own names, in that order."""
    return {name: getattr(endpoints, name) for name in names}


@dataclass(frozen=True)
class SandboxInfos:
    graph: GraphEndpoints | None = None
    google: GoogleEndpoints | None = None
    ews: EwsEndpoints | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SandboxInfos:
        """What the sandbox host printed: {"graph": {...}, "google": {...}, "ews": {...}}."""
        return cls(
            _endpoints(GraphEndpoints, data.get("graph")),
            _endpoints(GoogleEndpoints, data.get("google")),
            _endpoints(EwsEndpoints, data.get("ews")),
        )

    @property
    def primary_user(self) -> str | None:
        for info in (self.graph, self.google):
            if info is not None:
                return str(info.user)
        return str(self.ews.upn) if self.ews is not None else None

    def credentials(self, kind: ProviderKind) -> tuple[str, str, str]:
        """(user, password, CA file) of the demo account at an OAuth sandbox."""
        info = self.graph if kind is ProviderKind.GRAPH else self.google
        assert info is not None, f"no {kind.value} sandbox in this demo"
        return info.user, info.user_password, info.ca_file

    def configure(self, settings: Settings) -> Settings:
        """Bridge settings pointing at the running sandboxes."""
        if self.graph is not None:
            g = self.graph
            settings = _pointed(
                settings, "graph", g, authority_host=g.base_url, ca_bundle=g.ca_file
            )
        if self.google is not None:
            settings = _pointed(settings, "google", self.google, ca_bundle=self.google.ca_file)
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
                **_named(s, "graph_base_url", "authority", "tenant"),
                "client_id": s.admin_client_id,
                "client_secret": s.admin_client_secret,
                **_named(s, "user", "ca_file", "control_url"),
            }
        if self.google is not None:
            o = self.google
            out["google"] = {
                **_named(o, "calendar_api_base", "people_api_base", "token_uri", "auth_uri"),
                **_named(o, "tasks_api_base"),
                **_named(o, "client_id", "client_secret"),
                "refresh_token": o.inspect_refresh_token,
                **_named(o, "user", "ca_file", "control_url"),
            }
        if self.ews is not None:
            e = self.ews
            out["ews"] = {
                **_named(e, "ews_url", "username", "upn", "password", "version"),
                "auth_type": "NTLM",
                "control_url": e.control_url,
            }
        return out


class DemoSandboxes:
    """The sandbox host child process: start() it, stop() it."""

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
        self.process: subprocess.Popen[str] | None = None
        self.infos = SandboxInfos()

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "sandbox.demo_host",
            "--data-dir",
            str(self.data_dir),
            "--providers",
            ",".join(p.value for p in self.providers),
            "--bulk-events",
            str(self.bulk_events),
            "--bulk-calendar",
            str(self.bulk_calendar),
            "--log-level",
            logging.getLevelName(logging.getLogger().getEffectiveLevel()),
        ]

    def start(self) -> SandboxInfos:
        if importlib.util.find_spec("sandbox") is None:  # looked up, never imported here
            raise BridgeError(
                "davbridge demo needs the provider sandboxes (the `sandbox` package), which "
                "this installation leaves out (an image built with --build-arg DEMO=0); "
                "install davbridge from its source tree (pip install .) to try the demo"
            )
        self.process = proc = subprocess.Popen(
            self.command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert proc.stdout is not None
        line = proc.stdout.readline()  # "" when the host exits before it is ready
        proc.stdout.close()
        if not line.strip():
            code = proc.wait()
            self.process = None
            raise BridgeError(
                f"the provider sandboxes did not start (exit code {code}); see the messages above"
            )
        self.infos = SandboxInfos.from_json(json.loads(line))
        log.info("provider sandboxes running in process %d", proc.pid)
        return self.infos

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def stop(self) -> None:
        """Close the host's stdin (its signal to save and stop) and wait for it."""
        proc, self.process = self.process, None
        if proc is None:
            return
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            log.warning("the provider sandboxes did not stop in %.0f s: killed", STOP_WAIT_S)
            proc.kill()
            proc.wait()
