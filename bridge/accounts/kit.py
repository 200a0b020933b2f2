"""The contract a provider kind's kit fulfils for the accounts layer: build the calendar and
contacts providers of a stored connection, revoke its grant, and — for kinds that connect
through OAuth — the least scopes and the consent object. bridge/accounts/registry.py maps each
provider kind to one kit; nothing else decides by provider kind.

Types only: must not import a concrete provider.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from bridge.providers.base import CalendarProvider, ContactsProvider
from bridge.store.rows import ConnectionRow

if TYPE_CHECKING:
    from bridge.accounts.apps import OAuthApps as Apps

ProviderPair = tuple[CalendarProvider, ContactsProvider]
TokenSink = Callable[[str], None]


@dataclass(frozen=True)
class Revocation:
    """What happened to a connection's grant at the provider when it was deleted (A5)."""

    revoked: bool
    note: str


class ConsentAuth(Protocol):
    """The OAuth consent interface GraphAuth and GoogleAuth share."""

    def begin_consent(
        self, redirect_uri: str, scopes: Sequence[str], login_hint: str | None = None
    ) -> tuple[str, dict[str, Any]]: ...

    def complete_consent(self, flow: dict[str, Any], auth_response: Mapping[str, str]) -> str: ...


class ProviderKit(Protocol):
    """Builds and retires connections of one provider kind."""

    def build(
        self, apps: Apps, conn: ConnectionRow, secret: Mapping[str, str], save_token: TokenSink
    ) -> ProviderPair:
        """The connection's calendar and contacts providers, sharing one auth object;
        `save_token` stores a refreshed token blob (encrypted by the caller)."""
        ...

    def revoke(self, apps: Apps, conn: ConnectionRow, secret: Mapping[str, str]) -> Revocation:
        """Revoke the grant at the provider where it has an endpoint for it."""
        ...


class OAuthKit(ProviderKit, Protocol):
    """A kit whose connections are made through OAuth consent."""

    def scopes(self, write: bool, *, contacts: bool, calendars: bool) -> tuple[str, ...]:
        """The least scopes that allow what the user ticked."""
        ...

    def auth(
        self, apps: Apps, blob: str | None, on_change: TokenSink, scopes: Sequence[str] | None
    ) -> ConsentAuth: ...

    def discard(self, apps: Apps, blob: str | None, scopes: Sequence[str]) -> None:
        """Drop a fresh grant the bridge refused (P4), where the provider allows it."""
        ...
