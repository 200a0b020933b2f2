"""The EWS sandbox server: a threaded HTTP/1.1 server (keep-alive, so NTLM's per-connection
handshake works) on loopback serving `/EWS/Exchange.asmx` (SOAP, authenticated), the WSDL
location clients probe, and `/_control` (JSON, unauthenticated). Each account (the sandbox's
own, plus those added through `/_control/users`) has its own mailbox; a request is served from
the mailbox of the account it authenticated as.

`EwsSandbox(state_dir).start()` seeds (or resumes) a mailbox and returns `EwsSandboxInfo`, on
the shared emulator lifecycle (sandbox.core.emulator, served by its ThreadedHost, plain http);
with a state dir, state is saved at start, after every EWS or control request that changed it,
at most AUTOSAVE_SECONDS after any other change, and by `stop()` — atomically (temp file, fsync,
rename), so kill -9 never loses or renames a folder (same ids, ChangeKeys, SyncStates; same port
preferred on resume). The state is read at construction (tests inspect a resumed mailbox without
serving it). This module wires the parts together and must not implement EWS semantics.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

from sandbox.core import control as core
from sandbox.core.emulator import Emulator
from sandbox.core.host import Host, ThreadedHost
from sandbox.core.persistence import StateFile
from sandbox.core.tls import TlsFiles
from sandbox.ews import control, persist
from sandbox.ews.auth import Authenticator, ConnAuth
from sandbox.ews.seed import ensure_bulk_calendar, seeded_store
from sandbox.ews.service import EwsService
from sandbox.ews.soap import ServerVersion
from sandbox.ews.store import Store
from sandbox.messages import MessageLog

EWS_PATH = "/ews/exchange.asmx"
AUTOSAVE_SECONDS = 0.5  # bound on what kill -9 can lose; writes through /EWS also save at once
DOMAIN, USER, UPN, PASSWORD = "CONTOSO", "alex", "alex@contoso.example", "Sandbox-Passw0rd!"
OWNER_NAME = "Alex Wilber"
_WSDL = (
    b'<?xml version="1.0" encoding="utf-8"?>\n<wsdl:definitions '
    b'xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" '
    b'targetNamespace="http://schemas.microsoft.com/exchange/services/2006/messages"/>\n'
)


@dataclass(frozen=True)
class EwsSandboxInfo:
    ews_url: str
    username: str
    upn: str
    password: str
    version: str
    control_url: str
    # other mailboxes whose Calendar folder the user may open as a delegate (sandbox.ews.delegates)
    delegate_of: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Microsoft-IIS/10.0"
    sandbox: EwsSandbox  # set on the per-sandbox subclass

    def setup(self) -> None:
        super().setup()
        self.conn_auth = ConnAuth()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(
        self,
        status: int,
        body: bytes,
        ctype: str = "text/xml; charset=utf-8",
        headers: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-FEServer", "SANDBOX-EX01")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _authenticated(self) -> str | None:
        result = self.sandbox.auth.check(self.headers.get("Authorization"), self.conn_auth)
        if result.ok:
            return result.user or "user"
        self._send(401, b"401 - Unauthorized", "text/html", result.headers)
        return None

    def _control(self, method: str) -> None:
        parts = urlsplit(self.path)
        raw = self._body()
        query = dict(parse_qsl(parts.query))
        if not core.allowed(self.client_address[0]):
            status, out = core.FORBIDDEN
            self._send(status, json.dumps(out).encode(), "application/json")
            return
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            self._send(400, b'{"error":"BadJson"}', "application/json")
            return
        answer = core.common(self.sandbox, method, parts.path, query)
        if answer is None:
            answer = control.handle(self.sandbox, method, parts.path, query, body)
        status, out = answer
        self.sandbox.save(only_if_changed=True)
        self._send(status, json.dumps(out, default=str).encode(), "application/json")

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        path = urlsplit(self.path).path
        if path.startswith("/_control"):
            self._control("POST")
            return
        if path.lower() != EWS_PATH:
            self._body()
            self._send(404, b"404 - Not Found", "text/html")
            return
        user = self._authenticated()
        data = self._body()
        if user is None:
            return
        status, payload, delay = self.sandbox.service_for(user).handle_timed(data, user)
        self.sandbox.save(only_if_changed=True)  # what EWS accepted is durable before it answers
        if delay:
            time.sleep(delay)  # an injected slow answer (the write is already committed)
        self._send(status, payload)

    def do_GET(self) -> None:  # noqa: N802
        path = urlsplit(self.path).path
        if path.startswith("/_control"):
            self._control("GET")
            return
        if path.lower() in (EWS_PATH, "/ews/services.wsdl", "/ews/exchange.asmx/wsdl"):
            if self._authenticated() is None:
                return
            self._send(200, _WSDL)
            return
        self._send(404, b"404 - Not Found", "text/html")

    def do_HEAD(self) -> None:  # noqa: N802
        self.do_GET()


class EwsSandbox(Emulator[EwsSandboxInfo]):
    """A stateful emulator of on-premises Exchange 2016 EWS for one mailbox (Alex Wilber)."""

    label = "ews-sandbox"
    state_file: ClassVar[StateFile] = StateFile(persist.STATE_FILE)
    tls = False
    tick_seconds = AUTOSAVE_SECONDS

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
        super().__init__(state_dir, host, port, seed, bulk_events, bulk_calendar)
        self.auth = Authenticator(DOMAIN, USER, UPN, PASSWORD, realm=host)
        loaded = self.state_file.load(self.state_dir) if self.state_dir is not None else None
        self._saved_port = 0
        if loaded is not None:
            store = persist.store_from_json(loaded["store"])
            self.auth.set_password(loaded.get("password", PASSWORD))
            self._saved_port = int(loaded.get("port", 0))
        else:
            store, _ = seeded_store(dt.datetime.now(dt.UTC), seed, bulk_events)
        ensure_bulk_calendar(store, bulk_calendar, dt.datetime.now(dt.UTC))
        self.service = EwsService(store, OWNER_NAME, UPN, version=ServerVersion())
        self.service.directory = self.mailbox_of  # type: ignore[attr-defined]  # delivery.py
        self.messages = MessageLog()  # the organisation's meeting messages, every mailbox's
        self.service.messages = self.messages  # type: ignore[attr-defined]
        self.mailboxes: dict[str, EwsService] = {}  # added accounts: lower-case UPN -> mailbox
        for account in (loaded or {}).get("accounts", ()):
            self.add_account(
                account["user"],
                account["upn"],
                account["display_name"],
                account["password"],
                store=persist.store_from_json(account["store"]),
            )
        self._saved: tuple[Any, ...] | None = None
        self._generation = 0  # bumped by reseed (a new store may repeat the old counters)

    def add_account(
        self,
        user: str,
        upn: str,
        display_name: str,
        password: str,
        seed: bool = False,
        store: Store | None = None,
    ) -> EwsService:
        """Another account of the domain with its own mailbox (empty folders, or the demo
        data with `seed`); ValueError when the user name or UPN is taken."""
        self.auth.add_account(user, upn, password)
        if store is None:
            store, _ = seeded_store(dt.datetime.now(dt.UTC), seed, 0)
        service = EwsService(store, display_name, upn, version=ServerVersion())
        service.directory = self.mailbox_of  # type: ignore[attr-defined]  # delivery.py
        service.messages = self.messages  # type: ignore[attr-defined]
        self.mailboxes[upn.lower()] = service
        return service

    def mailbox_of(self, address: str) -> EwsService | None:
        """The mailbox of `address` in this organisation (meeting delivery), or None."""
        if address.lower() == UPN.lower():
            return self.service
        return self.mailboxes.get(address.lower())

    def service_for(self, user: str) -> EwsService:
        """The mailbox of the account a request authenticated as."""
        return self.mailboxes.get(self.auth.account_of(user), self.service)

    def reseed(self, seed: bool, bulk_events: int) -> None:
        """A fresh mailbox. Its SyncStates belong to a new generation: one handed out for the
        old mailbox gets ErrorInvalidSyncStateData ("Handling synchronization-related errors
        in EWS in Exchange": a state that does not belong to the folder), even where the new
        mailbox repeats the old ids and change numbers (same-day seeds are deterministic)."""
        store, _ = seeded_store(dt.datetime.now(dt.UTC), seed, bulk_events)
        store.epoch = self.service.store.epoch + 1
        self.service.store = store
        self.service.faults.clear()
        self._generation += 1

    # ---- the shared lifecycle (sandbox.core.emulator) ----------------------------------
    def restore(self, saved: dict[str, Any] | None) -> int:
        return self._saved_port  # the state itself was read at construction

    def saved_state(self) -> dict[str, Any] | None:
        return None  # read at construction already

    def describe(self, base_url: str, tls: TlsFiles | None) -> EwsSandboxInfo:
        self.port = self.bound_port
        return EwsSandboxInfo(
            ews_url=f"{base_url}/EWS/Exchange.asmx",
            username=self.auth.down_level,
            upn=UPN,
            password=self.auth.password,
            version="Exchange2016",
            control_url=f"{base_url}/_control",
            delegate_of=tuple(
                sorted({f.mailbox for f in self.service.store.folders.values() if f.mailbox})
            ),
        )

    def make_host(self) -> Host:
        handler = type("EwsHandler", (_Handler,), {"sandbox": self})
        return ThreadedHost(self.label, handler, self.tick_seconds)

    def _fingerprint(self) -> tuple[Any, ...]:
        """Changes whenever anything persisted changes: every id, ChangeKey and edit advances a
        store's counter or sequence, and accounts and passwords are compared directly."""
        stores = [self.service.store, *(svc.store for svc in self.mailboxes.values())]
        logins = tuple(sorted((k, v.password) for k, v in self.auth.others.items()))
        return (
            self._generation,
            tuple((st.seq, st.counter, len(st.folders)) for st in stores),
            self.auth.password,
            self.port,
            logins,
        )

    def snapshot(self, only_if_changed: bool) -> dict[str, Any] | None:
        """The mailboxes as JSON data; None when `only_if_changed` and nothing changed since
        the last snapshot."""
        with self.service.lock:
            mark = self._fingerprint()
            if only_if_changed and mark == self._saved:
                return None
            self._saved = mark
            return {
                "store": persist.store_to_json(self.service.store),
                "password": self.auth.password,
                "port": self.port,
                "accounts": [
                    {
                        "user": login.user,
                        "upn": login.upn,
                        "display_name": svc.owner_name,
                        "password": login.password,
                        "store": persist.store_to_json(svc.store),
                    }
                    for login, svc in (
                        (self.auth.others[key], svc) for key, svc in self.mailboxes.items()
                    )
                ],
            }

    def request_count(self, prefix: str = "") -> int:
        """EWS requests served so far whose operation name starts with `prefix` ("": all)."""
        with self.service.lock:
            return sum(n for op, n in self.service.counts.items() if op.startswith(prefix))
