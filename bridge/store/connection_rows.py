"""A stored connection as typed values: its state (`ConnectionState`), what the user allowed it
to do (`ConnectionPolicy`, A1/A4) and its per-provider settings (`OAuthGrant`, `AppOnlyMailbox`,
`EwsAccount`), all parsed once from the database row when the store hands the row out
(`ConnectionRow`), and written back as the same JSON.

Must not do I/O, import providers or know which provider kind uses which settings beyond the
shape of the stored JSON (bridge.accounts.registry maps kinds to implementations).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bridge.model import CollectionKind

# How rows written before `busy` was a state of its own recorded a throttled provider: status
# "ok" with this prefix on the error. Read as ConnectionState.BUSY.
LEGACY_BUSY_PREFIX = "provider busy, retrying: "


class ConnectionState(StrEnum):
    """Where a connection stands (A2). Stored in `connections.status`; OFF is never stored,
    it is what a status page shows for a connection switched off or not allowed (P1, A4)."""

    OK = "ok"
    BUSY = "busy"  # the provider asked the bridge to wait (429/503, Retry-After)
    ERROR = "error"  # the last pull failed for another reason
    REAUTH = "reauth"  # the provider refused the stored grant or password
    OFF = "off"

    @property
    def degraded(self) -> bool:
        """Something needs a person: a failed sync or a refused credential."""
        return self in (ConnectionState.ERROR, ConnectionState.REAUTH)

    @property
    def serving(self) -> bool:
        """Synced as usual (a busy provider is asked again after its Retry-After)."""
        return self in (ConnectionState.OK, ConnectionState.BUSY)


@dataclass(frozen=True)
class ConnectionPolicy:
    """What the user allowed a connection to do (A1) and which halves are switched on (A4).

    Kept in the connection's settings JSON: `permissions` = {read_calendars, write_calendars,
    sync_contacts}, plus `calendars_enabled` / `contacts_enabled`; anything missing is true
    (connections made before permissions existed may do everything).
    """

    read_calendars: bool = True
    write_calendars: bool = True
    sync_contacts: bool = True
    calendars_enabled: bool = True
    contacts_enabled: bool = True

    @staticmethod
    def parse(settings: str) -> ConnectionPolicy:
        return ConnectionPolicy.of(json.loads(settings or "{}"))

    @staticmethod
    def of(data: dict[str, Any]) -> ConnectionPolicy:
        perms = data.get("permissions") or {}
        return ConnectionPolicy(
            read_calendars=bool(perms.get("read_calendars", True)),
            write_calendars=bool(perms.get("write_calendars", True)),
            sync_contacts=bool(perms.get("sync_contacts", True)),
            calendars_enabled=bool(data.get("calendars_enabled", True)),
            contacts_enabled=bool(data.get("contacts_enabled", True)),
        )

    def permissions(self) -> dict[str, bool]:
        return {
            "read_calendars": self.read_calendars,
            "write_calendars": self.write_calendars,
            "sync_contacts": self.sync_contacts,
        }

    def into(self, settings: str) -> str:
        """`settings` (JSON) with this policy written into it, other keys kept."""
        data = json.loads(settings or "{}")
        data["permissions"] = self.permissions()
        data["calendars_enabled"] = self.calendars_enabled
        data["contacts_enabled"] = self.contacts_enabled
        return json.dumps(data)

    def shows(self, kind: CollectionKind) -> bool:
        """Whether collections of `kind` are served to clients and pulled."""
        if kind is CollectionKind.ADDRESSBOOK:
            return self.sync_contacts and self.contacts_enabled
        return self.read_calendars and self.calendars_enabled


@dataclass(frozen=True)
class OAuthGrant:
    """A delegated OAuth grant (Microsoft 365, Google): the scopes consented to and the
    mailbox reached ("me" for the signed-in account)."""

    scopes: tuple[str, ...] = ()
    mailbox: str = "me"

    def to_json(self) -> dict[str, Any]:
        return {"scopes": list(self.scopes), "mailbox": self.mailbox}


@dataclass(frozen=True)
class AppOnlyMailbox:
    """A Microsoft 365 mailbox reached with the organisation's application permission (P3):
    no token or password of the user is stored."""

    mailbox: str

    def to_json(self) -> dict[str, Any]:
        return {"app_only": True, "mailbox": self.mailbox}


@dataclass(frozen=True)
class EwsAccount:
    """An Exchange (EWS) mailbox: where, who, and which service the user picked ("exchange",
    or "microsoft365" for a Microsoft 365 mailbox over EWS). The password is in the secret."""

    ews_url: str = ""
    username: str = ""
    email: str = ""
    version: str | None = None
    auth_type: str | None = None
    service: str | None = None
    # other mailboxes whose Calendar folder is opened with delegate access (issue 15)
    shared_mailboxes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "ews_url": self.ews_url,
            "username": self.username,
            "email": self.email,
            "version": self.version,
            "auth_type": self.auth_type,
        }
        if self.service:
            data["service"] = self.service
        if self.shared_mailboxes:
            data["shared_mailboxes"] = list(self.shared_mailboxes)
        return data


ProviderSettings = OAuthGrant | AppOnlyMailbox | EwsAccount


def _strings(value: object) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list | tuple) else ()


def _text(value: object) -> str | None:
    return str(value) if value else None


@dataclass(frozen=True)
class ConnectionSettings:
    """A connection's settings: its provider's part and the user's policy."""

    provider: ProviderSettings = OAuthGrant()
    policy: ConnectionPolicy = ConnectionPolicy()

    @property
    def managed(self) -> bool:
        """Set up by the administrator with application permissions (P3)."""
        return isinstance(self.provider, AppOnlyMailbox)

    @staticmethod
    def parse(text: str) -> ConnectionSettings:
        data = json.loads(text or "{}")
        if not isinstance(data, dict):
            data = {}
        provider: ProviderSettings
        if data.get("app_only"):
            provider = AppOnlyMailbox(mailbox=str(data.get("mailbox") or ""))
        elif "ews_url" in data:
            provider = EwsAccount(
                ews_url=str(data.get("ews_url") or ""),
                username=str(data.get("username") or ""),
                email=str(data.get("email") or ""),
                version=_text(data.get("version")),
                auth_type=_text(data.get("auth_type")),
                service=_text(data.get("service")),
                shared_mailboxes=tuple(_strings(data.get("shared_mailboxes"))),
            )
        else:
            provider = OAuthGrant(
                scopes=_strings(data.get("scopes")), mailbox=str(data.get("mailbox") or "me")
            )
        return ConnectionSettings(provider, ConnectionPolicy.of(data))

    def to_json(self) -> str:
        return self.policy.into(json.dumps(self.provider.to_json()))

    def with_policy(self, policy: ConnectionPolicy) -> ConnectionSettings:
        return ConnectionSettings(self.provider, policy)


@dataclass(frozen=True)
class ConnectionRow:
    """A stored connection. `settings` is the JSON as stored; `config` the same parsed once
    here; `status` is read as a ConnectionState (rows written before BUSY existed recorded it
    as "ok" with a prefixed error)."""

    id: int
    user_id: int
    provider: str
    account: str
    settings: str
    secret: bytes | None
    status: ConnectionState
    error: str | None
    last_sync: float | None
    config: ConnectionSettings = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        state = ConnectionState(self.status)
        error = self.error
        if state is ConnectionState.OK and error and error.startswith(LEGACY_BUSY_PREFIX):
            state, error = ConnectionState.BUSY, error.removeprefix(LEGACY_BUSY_PREFIX)
        object.__setattr__(self, "status", state)
        object.__setattr__(self, "error", error)
        object.__setattr__(self, "config", ConnectionSettings.parse(self.settings))

    @property
    def policy(self) -> ConnectionPolicy:
        return self.config.policy
