"""The whole Google sandbox state in one object, shared by the route modules.

Holds the Calendar stores, one per Workspace user (`store` is the demo user's, `others` every
other account's, made on first use with the user's primary calendar: Calendar API v3 answers
each request from the calendars of the user the access token was issued to), the People
(contacts) store, OAuth clients and tokens, users and passwords, fault rules and the
request log. Touched only from the server's event-loop thread (tests read `log` from outside).
This module must not define HTTP routes; server.py saves its to_json() (sandbox.core.persistence).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from sandbox.google.people_model import CONTACTS, PeopleStore
from sandbox.google.store import Calendar, Store
from sandbox.google.tasks_model import TASKS, TasksStore
from sandbox.google.tokens import CALENDAR, TokenStore
from sandbox.throttle import Faults

DEMO_USER = "alex@contoso.example"
DEMO_NAME = "Alex Wilber"
DEMO_PASSWORD = "correct horse battery staple"  # noqa: S105 - sandbox demo credential
OTHER_USER = "megan@contoso.example"
DEFAULT_ZONE = "America/Los_Angeles"


def primary_calendar(user: str, time_zone: str = DEFAULT_ZONE) -> Calendar:
    return Calendar(user, user, time_zone, "owner", user, primary=True)


@dataclass
class RequestRecord:
    method: str
    path: str
    query: str
    status: int
    ts: float


@dataclass
class GoogleState:
    store: Store
    tokens: TokenStore
    client_id: str
    passwords: dict[str, str]  # user email -> password
    names: dict[str, str]  # user email -> display name
    inspect_refresh_token: str
    people: PeopleStore = field(default_factory=lambda: PeopleStore(DEMO_USER))
    tasks: TasksStore = field(default_factory=TasksStore)  # Google Tasks (tasks_model.py)
    base_url: str = ""
    port: int = 0
    faults: Faults = field(default_factory=Faults)
    log: list[RequestRecord] = field(default_factory=list)
    dirty: bool = False
    others: dict[str, Store] = field(default_factory=dict)  # lower-cased email -> their store

    @property
    def user(self) -> str:
        return self.store.user

    def store_for(self, user: str) -> Store:
        """The calendars of `user` (the user an access token was issued to). Every account has
        its own primary calendar, id = its email ("Calendars" resource: the primary calendar's
        id is the user's address), made on first use."""
        key = user.strip().lower()
        if key == self.store.user.lower():
            return self.store
        store = self.others.get(key)
        if store is None:
            store = Store(key, self.names.get(key, key))
            store.add_calendar(primary_calendar(key, self.primary_zone()))
            self.others[key] = store
        return store

    def account_store(self, email: str) -> Store | None:
        """The store of a user of this Workspace domain, None for an address that is not one."""
        key = email.strip().lower()
        return self.store_for(key) if key in self.passwords else None

    def primary_zone(self) -> str:
        own = self.store.calendars.get(self.store.user)
        return own.time_zone if own is not None else DEFAULT_ZONE

    def reset_others(self) -> None:
        self.others.clear()

    def record(self, method: str, path: str, query: str, status: int) -> None:
        self.log.append(RequestRecord(method, path, query, status, time.time()))
        if len(self.log) > 50000:
            del self.log[:10000]

    def to_json(self) -> dict[str, Any]:
        return {
            "store": self.store.to_json(),
            "tokens": self.tokens.to_json(),
            "client_id": self.client_id,
            "passwords": self.passwords,
            "names": self.names,
            "inspect_refresh_token": self.inspect_refresh_token,
            "port": self.port,
            "people": self.people.to_json(),
            "tasks": self.tasks.to_json(),
            "others": {k: v.to_json() for k, v in self.others.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GoogleState:
        return cls(
            store=Store.from_json(data["store"]),
            tokens=TokenStore.from_json(data["tokens"]),
            client_id=data["client_id"],
            passwords=dict(data["passwords"]),
            names=dict(data["names"]),
            inspect_refresh_token=data["inspect_refresh_token"],
            port=int(data.get("port", 0)),
            people=PeopleStore.from_json(data["people"])
            if data.get("people")
            else PeopleStore(str(data["store"]["user"])),
            tasks=TasksStore.from_json(data.get("tasks") or {}),
            # state saved before stores were per user has none: the other users start empty
            others={k: Store.from_json(v) for k, v in (data.get("others") or {}).items()},
        )


def fresh_state() -> GoogleState:
    """A Workspace domain with the bridge's OAuth web client, two users and no calendars."""
    import secrets

    tokens = TokenStore()
    client = tokens.add_client("davbridge")
    # the inspection grant (published in the demo's --info-json) reads and writes the APIs
    grant = tokens.new_grant(client.client_id, DEMO_USER, [CALENDAR, CONTACTS, TASKS])
    return GoogleState(
        store=Store(DEMO_USER, DEMO_NAME),
        tokens=tokens,
        client_id=client.client_id,
        passwords={DEMO_USER: DEMO_PASSWORD, OTHER_USER: secrets.token_urlsafe(12)},
        names={DEMO_USER: DEMO_NAME, OTHER_USER: "Megan Bowen"},
        inspect_refresh_token=grant.refresh_token,
    )


STATE_KEY: web.AppKey[GoogleState] = web.AppKey("google_sandbox_state", GoogleState)
