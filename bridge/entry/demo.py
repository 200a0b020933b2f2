"""`davbridge demo` (R1): the provider sandboxes (a child process: bridge.entry.demo_sandboxes), the
bridge and a demo user with Microsoft 365, Google and Exchange connected, all on loopback.

The web portal runs beside the DAV server; the demo user is an administrator there with a
generated portal password (kept encrypted in the data dir, so every start prints the same one).
Microsoft 365 and Google are connected through the real OAuth 2.0 authorization code + PKCE
flows against the sandbox authorities (msal, google-auth-oauthlib) and Exchange through
exchangelib with the sandbox's EWS URL — the code paths real tenants use; only the person
typing the password at a sign-in page is played here (bridge.entry.demo_signin).
A composition root: may import everything.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import signal
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bridge import api
from bridge.api import Bridge
from bridge.entry.demo_sandboxes import DemoSandboxes, SandboxInfos
from bridge.entry.demo_signin import sign_in_at
from bridge.entry.demo_workers import Workers
from bridge.entry.serve import HttpServer, PortalServerLike, start_portal
from bridge.errors import AuthExpired, BridgeError
from bridge.model import CollectionKind, ProviderKind
from bridge.secrets import hash_password, new_app_password
from bridge.settings import Settings

log = logging.getLogger("davbridge.demo")

DEMO_USER = "demo"
ALL_PROVIDERS = (ProviderKind.GRAPH, ProviderKind.GOOGLE, ProviderKind.EWS)

__all__ = ["ALL_PROVIDERS", "DEMO_USER", "Demo", "DemoInfo", "run", "sign_in_at"]


@dataclass(frozen=True)
class DemoInfo:
    dav_url: str
    username: str
    password: str
    sandboxes: SandboxInfos
    portal_url: str = ""  # empty when the portal was not started
    portal_password: str = ""  # the demo user's portal sign-in password
    dav_urls: tuple[str, ...] = ()  # every bridge process (--workers N), dav_url first

    @property
    def sandbox(self) -> Any:
        """The Microsoft 365 sandbox (the foundation's name for it)."""
        return self.sandboxes.graph

    def as_json(self) -> dict[str, Any]:
        return {
            "dav_url": self.dav_url,
            "dav_urls": list(self.dav_urls or (self.dav_url,)),
            "username": self.username,
            "password": self.password,
            "portal_url": self.portal_url,
            "portal_password": self.portal_password,
            **self.sandboxes.as_json(),
        }


class Demo:
    """Everything `davbridge demo` runs, startable and stoppable (tests and bench use it)."""

    def __init__(
        self,
        data_dir: Path,
        host: str = "127.0.0.1",
        port: int = 5232,
        refresh_interval_s: float = 10.0,
        bulk_events: int = 0,
        background: bool = True,
        providers: tuple[ProviderKind, ...] = ALL_PROVIDERS,
        portal_port: int | None = None,
        bulk_calendar: int = 0,
        store_url: str = "",
        workers: int = 1,
        directory: bool = False,
    ) -> None:
        """`portal_port`: where the web portal listens (0: any free port); None: no portal.
        `bulk_events`: each sandbox is only one calendar of N events (benchmarks);
        `bulk_calendar`: each sandbox adds a calendar "Bulk" of N generated events beside its
        demo data (`davbridge demo --bulk-events N`; clients see "Bulk — <service>")."""
        self.data_dir = data_dir
        self.host = host
        self.port = port
        self.portal_port = portal_port
        self.portal: PortalServerLike | None = None
        self.refresh_interval_s = refresh_interval_s
        self.background = background
        self.sandboxes = DemoSandboxes(data_dir, providers, bulk_events, bulk_calendar)
        if workers > 1 and not store_url:
            raise BridgeError(
                "several bridge processes need a shared store: --store postgresql://…"
            )
        self.store_url = store_url  # PostgreSQL (issue 17); empty: SQLite in the data dir
        self.worker_count = workers
        self.workers: Workers | None = None
        self.bridge: Bridge | None = None
        self.server: HttpServer | None = None
        self.directory = directory  # K5: switched on at the first start (branch views)

    @property
    def config_path(self) -> Path:
        """The configuration the demo writes for the admin commands (`--config`)."""
        return self.data_dir / "davbridge.toml"

    def start(self) -> DemoInfo:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        infos = self.sandboxes.start()
        settings = infos.configure(
            Settings()
            .replace("store", data_dir=str(self.data_dir / "bridge"), url=self.store_url)
            .replace(
                "sync",
                refresh_interval_s=self.refresh_interval_s,
                background=self.background,
                discover_interval_s=max(3.0, 3 * self.refresh_interval_s),
                pull_lease_s=max(3.0, 3 * self.refresh_interval_s),
            )
            # the demo contacts are mostly German numbers ("030 1234567")
            .replace("contacts", default_region="DE")
        )
        self.bridge = bridge = Bridge(settings)
        write_config(self.config_path, settings, bridge.key_file)
        self.server = HttpServer(bridge, self.host, self.port).start()
        portal_password = self._portal_user(bridge, infos.primary_user)
        user = bridge.ensure_user(DEMO_USER, email=infos.primary_user)
        password = self._app_password(bridge, user)
        if self.directory:
            first_start(bridge.store)
        for kind in self.sandboxes.providers:
            self._connect(bridge, user.id, kind, infos)
        if self.portal_port is not None:
            self.portal = start_portal(bridge, self.host, self.portal_port, self.server.url)
        bridge.start_background()
        portal_url = self.portal.url if self.portal is not None else ""
        urls = [self.server.url]
        if self.worker_count > 1:
            self.workers = Workers(settings, self.config_path, self.host, self.data_dir)
            urls += self.workers.start(self.worker_count - 1)
        return DemoInfo(
            self.server.url,
            DEMO_USER,
            password,
            infos,
            portal_url,
            portal_password,
            tuple(urls),
        )

    def _portal_user(self, bridge: Bridge, email: str | None) -> str:
        """The demo user as a portal administrator with a password, generated once and kept
        encrypted beside the app password. Done on the store directly: this bootstraps the
        first administrator, whom no other administrator could appoint."""
        path = self.data_dir / "demo-portal-password.enc"
        fresh = not path.exists()
        if fresh:
            password = new_app_password()
            path.write_bytes(bridge.box.encrypt(password))
            path.chmod(0o600)
        else:
            password = bridge.box.decrypt(path.read_bytes())
        store = bridge.store
        user = store.user_by_name(DEMO_USER)
        if user is None:
            store.create_user(DEMO_USER, email, hash_password(password), is_admin=True)
            return password
        if not user.is_admin:
            store.set_user_admin(user.id, True)
        if fresh or not user.has_password:
            store.set_user_password_hash(user.id, hash_password(password))
        return password

    def _app_password(self, bridge: Bridge, user: Any) -> str:
        """The demo's app password, kept encrypted in the data dir so a restart can print it."""
        path = self.data_dir / "demo-password.enc"
        if path.exists():
            return bridge.box.decrypt(path.read_bytes())
        password = bridge.new_app_password(user, "demo")
        path.write_bytes(bridge.box.encrypt(password))
        path.chmod(0o600)
        return password

    def _connect(
        self, bridge: Bridge, user_id: int, kind: ProviderKind, infos: SandboxInfos
    ) -> None:
        existing = [c for c in bridge.store.connections(user_id) if c.provider == kind.value]
        if existing:
            try:
                bridge.sync_connection(existing[0].id)
                if bridge.store.connection(existing[0].id).status != "reauth":
                    return
            except AuthExpired:
                pass
            log.info("the demo's %s connection needs consent again", kind.value)
        if kind is ProviderKind.EWS:
            ews = infos.ews
            assert ews is not None  # started for every provider the demo connects
            conn = bridge.connections.connect_ews(
                user_id,
                url=ews.ews_url,
                username=ews.username,
                password=ews.password,
                email=ews.upn,
                version=ews.version,
                auth_type="NTLM",
                shared_mailboxes=tuple(ews.delegate_of),  # opened as a delegate (issue 15)
            )
        else:
            assert self.server is not None
            user, password, ca_file = infos.credentials(kind)
            redirect = f"http://{self.host}:{self.server.port}/oauth/callback"
            url, pending = bridge.connections.begin_consent(
                kind, user_id, redirect, write=True, login_hint=user
            )
            answer = sign_in_at(url, user, password, redirect, ca_file)
            conn = bridge.connections.complete_consent(pending, answer)
        bridge.sync_connection(conn.id)

    def stop(self) -> None:
        if self.workers is not None:
            self.workers.stop()
            self.workers = None
        if self.portal is not None:
            self.portal.stop()
            self.portal = None
        if self.server is not None:
            self.server.stop()
        if self.bridge is not None:
            self.bridge.close()
            api.install(None)
        self.sandboxes.stop()


def roll(demo: Demo) -> None:
    """SIGHUP: restart the worker processes one after the other (each stops gracefully)."""
    if demo.workers is None:
        return
    for index in range(len(demo.workers.ports)):
        demo.workers.restart(index)
        print(f"restarted bridge worker {index + 2} (pid {demo.workers.pid(index)})", flush=True)


WILDCARDS = ("0.0.0.0", "::", "")
# no provider sections: those would put the sandboxes' client secrets in plain text on disk
_CONFIG_SECTIONS = ("store", "secrets", "contacts")


def first_start(store: Any) -> None:
    """The organisation directory (K5) on in a demo that never stored the setting (an
    administrator's later choice in the portal is kept across restarts)."""
    policy = json.loads(store.org_policy() or "{}")
    if "directory" not in policy:
        store.set_org_policy(json.dumps({**policy, "directory": True}))


def write_config(path: Path, settings: Settings, key_file: Path) -> None:
    """A configuration for `davbridge user … --config PATH` against this demo: its database and
    its key (owner-only)."""
    settings = settings.replace("secrets", key_file=str(key_file.resolve()))
    lines = ["# written by `davbridge demo` at every start: the admin commands' --config", ""]
    for section in _CONFIG_SECTIONS:
        current, default = getattr(settings, section), getattr(Settings(), section)
        changed = [
            f.name
            for f in dataclasses.fields(current)
            if getattr(current, f.name) != getattr(default, f.name)
        ]
        if changed:
            lines.append(f"[{section}]")
            lines += [f"{name} = {json.dumps(getattr(current, name))}" for name in changed]
            lines.append("")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write("\n".join(lines))


def reachable(url: str) -> str:
    """`url` as a person can open it: a wildcard listening address becomes localhost."""
    for wildcard in ("//0.0.0.0:", "//[::]:"):
        url = url.replace(wildcard, "//localhost:")
    return url


def others(urls: tuple[str, ...]) -> str:
    """The other bridge processes' URLs (--workers N) for the banner."""
    return "".join(f"\n               {reachable(u)}  (same data)" for u in urls)


def banner_counts(bridge: Bridge | None) -> str:
    """ "3 connected services (Microsoft 365, Google, Exchange sandboxes), 9 calendars,
    11 address books": calendars and address books counted apart."""
    colls = bridge.store.collections() if bridge else []
    conns = bridge.store.connections() if bridge else []
    calendars = sum(1 for c in colls if c.kind is CollectionKind.CALENDAR)
    books = len(colls) - calendars

    def n(count: int, noun: str) -> str:
        return f"{count} {noun}" + ("" if count == 1 else "s")

    return (
        f"{n(len(conns), 'connected service')} (Microsoft 365, Google, Exchange sandboxes), "
        f"{n(calendars, 'calendar')}, {n(books, 'address book')}"
    )


def run(
    data_dir: Path,
    host: str,
    port: int,
    info_json: Path | None,
    refresh_interval_s: float,
    portal_port: int | None = None,
    bulk_events: int = 0,
    store_url: str = "",
    workers: int = 1,
    directory: bool = True,
) -> int:
    """`portal_port` None: the DAV port + 1 (any free port when the DAV port is 0);
    `bulk_events`: a "Bulk" calendar of that many events at each sandbox."""
    if portal_port is None:
        portal_port = port + 1 if port else 0
    demo = Demo(
        data_dir,
        host,
        port,
        refresh_interval_s,
        portal_port=portal_port,
        bulk_calendar=bulk_events,
        store_url=store_url,
        workers=workers,
        directory=directory,
    )
    stop, restart = threading.Event(), threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    signal.signal(signal.SIGHUP, lambda *_: restart.set())  # rolling restart of the workers
    try:
        info = demo.start()
    except BridgeError as exc:
        demo.stop()
        raise exc
    if info_json is not None:
        info_json.write_text(json.dumps(info.as_json(), indent=2))
        info_json.chmod(0o600)
    dav_url, portal_url = reachable(info.dav_url), reachable(info.portal_url)
    everywhere = (
        "\nListening on every interface: use this machine's name or address instead of "
        "localhost from elsewhere.\nOnly CalDAV/CardDAV is reachable from elsewhere: the "
        "sandboxes' sign-in pages stay on 127.0.0.1.\n"
        if host in WILDCARDS
        else ""
    )
    print(
        f"""
davbridge demo is running: {banner_counts(demo.bridge)}.
{everywhere}
Add a CalDAV account in Thunderbird, Apple Calendar, Evolution or DAVx5:
  Server URL : {dav_url}{others(info.dav_urls[1:])}
  User name  : {info.username}
  Password   : {info.password}

Web portal: {portal_url}  (user {info.username}, password {info.portal_password})

Admin commands: davbridge user list --config {demo.config_path}
Health: {dav_url}health   Data: {data_dir}   Stop with Ctrl+C.
""",
        flush=True,
    )
    while not stop.wait(0.2):
        if restart.is_set():
            restart.clear()
            roll(demo)
    print("stopping …", flush=True)
    demo.stop()
    return 0
