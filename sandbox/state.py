"""The whole sandbox state in one object, shared by every route module.

Holds the tenant, mailboxes, contacts, tokens, delta state, fault rules, throttling counters and
the request log. All of it is touched only from the server's event loop thread. This module must
not define HTTP routes; persistence is sandbox.core.persistence (server.py hands it to_json()).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from sandbox.contacts_model import ContactStore
from sandbox.delta import DeltaStore
from sandbox.mailbox import Mailboxes, new_guid
from sandbox.throttle import Faults, Throttle
from sandbox.todo_model import TodoStore
from sandbox.tokens import App, TokenStore

DEMO_USER = "alex@contoso.example"
DEMO_PASSWORD = "correct horse battery staple"  # noqa: S105 - sandbox demo credential
OTHER_USER = "megan@contoso.example"


@dataclass
class RequestRecord:
    method: str
    path: str
    status: int
    ts: float
    mailbox: str | None = None


@dataclass
class SandboxState:
    tenant: str
    mailboxes: Mailboxes
    tokens: TokenStore
    delta: DeltaStore
    client_id: str
    admin_client_id: str
    user_id: str
    base_url: str = ""
    port: int = 0
    faults: Faults = field(default_factory=Faults)
    throttle: Throttle = field(default_factory=Throttle)
    log: list[RequestRecord] = field(default_factory=list)
    contacts: ContactStore = field(default_factory=ContactStore)
    todo: TodoStore = field(default_factory=TodoStore)  # Microsoft To Do (todo_model.py)
    latency: float = 0.0  # seconds added to every Graph request (control API)
    dirty: bool = False

    @property
    def app(self) -> App:
        return self.tokens.apps[self.client_id]

    @property
    def admin_app(self) -> App:
        return self.tokens.apps[self.admin_client_id]

    def record(self, method: str, path: str, status: int, mailbox: str | None = None) -> None:
        self.log.append(RequestRecord(method, path, status, time.time(), mailbox))
        if len(self.log) > 50000:
            del self.log[:10000]

    def to_json(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "client_id": self.client_id,
            "admin_client_id": self.admin_client_id,
            "user_id": self.user_id,
            "port": self.port,
            "mailboxes": self.mailboxes.to_json(),
            "tokens": self.tokens.to_json(),
            "delta": self.delta.to_json(),
            "contacts": self.contacts.to_json(),
            "todo": self.todo.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SandboxState:
        return cls(
            tenant=data["tenant"],
            mailboxes=Mailboxes.from_json(data["mailboxes"]),
            tokens=TokenStore.from_json(data["tokens"]),
            delta=DeltaStore.from_json(data.get("delta", {})),
            client_id=data["client_id"],
            admin_client_id=data["admin_client_id"],
            user_id=data["user_id"],
            port=int(data.get("port", 0)),
            contacts=ContactStore.from_json(data.get("contacts", {})),
            todo=TodoStore.from_json(data.get("todo", {})),
        )


def fresh_state() -> SandboxState:
    """A new tenant with the bridge's two app registrations and two users, no calendars."""
    import secrets

    mailboxes = Mailboxes()
    user = mailboxes.add_user(DEMO_USER, "Alex Wilber", DEMO_PASSWORD)
    other = mailboxes.add_user(OTHER_USER, "Megan Bowen", secrets.token_urlsafe(12))
    mailboxes.add_calendar(other.id, "Calendar", is_default=True, hex_color="#0078d4")
    tokens = TokenStore()
    client = App(new_guid(), secrets.token_urlsafe(30), "davbridge", "delegated")
    admin = App(new_guid(), secrets.token_urlsafe(30), "davbridge admin", "application")
    tokens.apps = {client.client_id: client, admin.client_id: admin}
    return SandboxState(
        tenant=new_guid(),
        mailboxes=mailboxes,
        tokens=tokens,
        delta=DeltaStore(),
        client_id=client.client_id,
        admin_client_id=admin.client_id,
        user_id=user.id,
    )


STATE_KEY: web.AppKey[SandboxState] = web.AppKey("sandbox_state", SandboxState)
