"""The provider registry: the one place that maps a provider kind ("graph", "google", "ews") to
its service name in the organisation's policy, its labels and wording, how it is connected
(OAuth consent or a password form), and its kit — the calendar, contacts, consent and
revocation implementations (bridge/accounts/kits/). Nothing else decides by provider kind.

Adding a provider: its package under bridge/providers/, a kit beside the others, one entry in
ENTRIES, and the contract suite (tests/contract) passing against it (docs/architecture.md).

A table of frozen values: kits (and with them the provider packages) are imported only when
first used, so the sync engine may read labels here without loading any provider.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, cast

from bridge.errors import BadInput
from bridge.model import ProviderKind
from bridge.store.rows import ConnectionRow, EwsAccount

if TYPE_CHECKING:
    from bridge.accounts.kit import OAuthKit, ProviderKit


@dataclass(frozen=True)
class ProviderEntry:
    """One provider kind. `service`: its name in the organisation's policy (P1, P2);
    `consent`: "oauth" (the provider's sign-in page) or "password" (the Exchange form);
    `other_form`: why the other form does not connect it; `reauth_reason`: why the provider
    refuses the stored credential, in the status page's words; `service_labels`: other
    services a connection of this kind may stand for, with their labels; `name_prefixes`:
    collection names a client may create that pick this provider (MKCALENDAR); `revokes_grant`:
    deleting a connection revokes its grant at the provider; `load`: the kit, imported on first
    use."""

    kind: ProviderKind
    service: str
    label: str
    consent: Literal["oauth", "password"]
    other_form: str
    reauth_reason: str
    cli_help: str
    load: Callable[[], ProviderKit] = field(repr=False)
    revokes_grant: bool = False
    service_labels: tuple[tuple[str, str], ...] = ()
    name_prefixes: tuple[str, ...] = ()

    def kit(self) -> ProviderKit:
        return self.load()

    def oauth(self) -> OAuthKit:
        """The kit of an OAuth kind; BadInput for one connected with a password."""
        if self.consent != "oauth":
            raise BadInput(self.other_form)
        return cast("OAuthKit", self.load())


def _graph() -> ProviderKit:
    from bridge.accounts.kits.graph import GraphKit

    return GraphKit()


def _google() -> ProviderKit:
    from bridge.accounts.kits.google import GoogleKit

    return GoogleKit()


def _ews() -> ProviderKit:
    from bridge.accounts.kits.ews import EwsKit

    return EwsKit()


ENTRIES: tuple[ProviderEntry, ...] = (
    ProviderEntry(
        kind=ProviderKind.GRAPH,
        service="microsoft365",
        label="Microsoft 365",
        consent="oauth",
        other_form=(
            "Microsoft 365 is connected through the Microsoft sign-in: Exchange Online no "
            "longer serves Exchange Web Services to davbridge."
        ),
        reauth_reason="the grant was revoked or has expired",
        cli_help="Microsoft 365 through the Graph API (recommended)",
        load=_graph,
        name_prefixes=("m365-", "microsoft365-"),
    ),
    ProviderEntry(
        kind=ProviderKind.GOOGLE,
        service="google",
        label="Google",
        consent="oauth",
        other_form="Google is connected through Google's sign-in page",
        reauth_reason="the grant was revoked or has expired",
        cli_help="Google Workspace / Google Calendar",
        load=_google,
        revokes_grant=True,
        name_prefixes=("google-",),
    ),
    ProviderEntry(
        kind=ProviderKind.EWS,
        service="exchange",
        label="Exchange",
        consent="password",
        other_form="exchange is connected with the Exchange form (user name and password)",
        reauth_reason="the password was changed or is wrong",
        cli_help="Exchange Server over EWS",
        load=_ews,
        service_labels=(("microsoft365", "Microsoft 365 (EWS, legacy)"),),
        name_prefixes=("exchange-",),
    ),
)

_BY_KIND = {e.kind.value: e for e in ENTRIES}
_BY_SERVICE = {e.service: e for e in ENTRIES}


def entry(kind: str) -> ProviderEntry:
    """The entry of a provider kind; ValueError for one this bridge does not have."""
    found = _BY_KIND.get(str(kind))
    if found is None:
        raise ValueError(f"{kind!r} is not a provider kind")
    return found


def reauth_reason(kind: str) -> str:
    """Why the provider refuses a stored credential, in the status page's words."""
    found = _BY_KIND.get(str(kind))
    return found.reauth_reason if found is not None else "the grant was revoked or has expired"


def consent_of(kind: str) -> str:
    """How a connection of the kind is made: "oauth", "password" ("" when unknown)."""
    found = _BY_KIND.get(str(kind))
    return found.consent if found is not None else ""


def revokes_grant(kind: str) -> bool:
    """Whether deleting a connection of the kind revokes its grant at the provider."""
    found = _BY_KIND.get(str(kind))
    return found.revokes_grant if found is not None else False


def for_service(service: str) -> ProviderEntry:
    """The provider that connects a policy service ("microsoft365", "google", "exchange")."""
    found = _BY_SERVICE.get(service)
    if found is None:
        raise BadInput(f"unknown service {service!r}")
    return found


def label_of(kind: str) -> str:
    """The provider's name as clients and status pages show it (the kind when unknown)."""
    found = _BY_KIND.get(str(kind))
    return found.label if found is not None else str(kind)


def kind_of_service(service: str) -> str | None:
    """The provider kind of a policy service, None when there is none."""
    found = _BY_SERVICE.get(service)
    return found.kind.value if found is not None else None


def kind_of_name(name: str) -> str | None:
    """The provider a new collection's name asks for by its prefix ("google-…"), if any."""
    for e in ENTRIES:
        if any(name.startswith(p) for p in e.name_prefixes):
            return e.kind.value
    return None


def service_of(conn: ConnectionRow) -> tuple[str, str]:
    """(service, label) of a connection: an Exchange connection to a Microsoft 365 mailbox
    is "Microsoft 365 (EWS, legacy)"."""
    found = _BY_KIND.get(conn.provider)
    if found is None:
        return conn.provider, conn.provider
    settings = conn.config.provider
    chosen = settings.service if isinstance(settings, EwsAccount) else None
    for service, label in found.service_labels:
        if service == chosen:
            return service, label
    return found.service, found.label
