"""EWS connection settings and the exchangelib `Account` built from them (no autodiscover).

What it does: holds an `EwsConfig` (fixed EWS URL, credentials, pinned server version and auth
type), builds the exchangelib `Configuration` + `Account` for it without any probing request,
and offers `test_connection` for the portal (one GetFolder on the Calendar, errors in plain
words). The retry policy handed to exchangelib is fail-fast: back-off is the provider's job
(bridge.providers.ews.errors), because exchangelib's fault-tolerant policy retries HTTP 401 as
"server busy" (which would hide a changed password) and exchangelib caches one protocol, hence
one policy, per endpoint and credentials.
What it must not do: autodiscover, guess versions or auth types, or keep passwords anywhere
but in the exchangelib credentials object.

Vendor references: exchangelib 5.6 `Configuration`/`Account(autodiscover=False)`; Microsoft
"EWS schema versions in Exchange" (RequestServerVersion per product) and "Authentication and
EWS in Exchange" (NTLM and Basic on-premises; Exchange Online retired Basic).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from exchangelib import DELEGATE, Account, Configuration, Credentials, FailFast
from exchangelib.errors import (
    EWSError,
    RateLimitError,
    TransportError,
    UnauthorizedError,
)
from exchangelib.ewsdatetime import UTC
from exchangelib.protocol import BaseProtocol
from exchangelib.transport import BASIC, NTLM
from exchangelib.version import (
    EXCHANGE_2013,
    EXCHANGE_2013_SP1,
    EXCHANGE_2016,
    EXCHANGE_2019,
    EXCHANGE_O365,
    Build,
    Version,
)

from bridge.errors import AuthFailed, ConfigError, ProviderError, ProviderRefused
from bridge.plainwords import unreachable
from bridge.providers.ews import field_plan
from bridge.providers.ews.transport import EwsAdapter

log = logging.getLogger(__name__)

OFFICE365_EWS_URL = "https://outlook.office365.com/EWS/Exchange.asmx"

VERSIONS: dict[str, Build] = {
    "Exchange2013": EXCHANGE_2013,
    "Exchange2013_SP1": EXCHANGE_2013_SP1,
    "Exchange2016": EXCHANGE_2016,
    "Exchange2019": EXCHANGE_2019,
    "Office365": EXCHANGE_O365,
}
AUTH_TYPES: dict[str, str] = {"ntlm": NTLM, "basic": BASIC}  # exchangelib.transport names


@dataclass(frozen=True)
class EwsConfig:
    """One EWS mailbox connection (all fields come from the portal's connection form)."""

    ews_url: str  # e.g. https://mail.contoso.com/EWS/Exchange.asmx; Office 365: OFFICE365_EWS_URL
    username: str  # DOMAIN\\user or UPN
    password: str
    email: str  # primary SMTP address of the mailbox
    version: str = "Exchange2016"  # a key of VERSIONS
    auth_type: str = "NTLM"  # NTLM | basic
    ca_bundle: str | None = None
    shared_mailboxes: tuple[str, ...] = ()  # opened with delegate access (issue 15)

    def __repr__(self) -> str:  # never print the password
        return (
            f"EwsConfig(ews_url={self.ews_url!r}, username={self.username!r}, "
            f"email={self.email!r}, version={self.version!r}, auth_type={self.auth_type!r})"
        )


def build_for(config: EwsConfig) -> Build:
    try:
        return VERSIONS[config.version]
    except KeyError:
        raise ConfigError(
            "version", f"unknown Exchange version {config.version!r} (one of {', '.join(VERSIONS)})"
        ) from None


def auth_type_for(config: EwsConfig) -> str:
    try:
        return AUTH_TYPES[config.auth_type.strip().lower()]
    except KeyError:
        raise ConfigError(
            "auth_type", f"unknown authentication {config.auth_type!r} (NTLM or basic)"
        ) from None


def _install_adapter(ca_bundle: str | None) -> None:
    """exchangelib builds its sessions from one class-level adapter (transport.EwsAdapter), so
    a custom CA is global: the last configured bundle applies to every EWS connection of the
    process (documented limitation; public CAs keep working through the default bundle)."""
    if ca_bundle:
        EwsAdapter.ca_bundle = ca_bundle
    BaseProtocol.HTTP_ADAPTER_CLS = EwsAdapter


EXCHANGE_ONLINE_RETIRED = (
    "Exchange Online no longer serves Exchange Web Services to davbridge: Microsoft blocks EWS "
    "in Exchange Online from 1 October 2026 and ends it on 1 April 2027, and Exchange Online "
    "refuses the password sign-in davbridge's EWS connections use. Connect Microsoft 365 "
    "instead (through Microsoft Graph)"
)


def is_exchange_online(url: str) -> bool:
    """Whether `url` is Exchange Online's EWS endpoint (outlook.office365.com and its sovereign
    cloud siblings) rather than an Exchange Server's."""
    host = (urlsplit(url).hostname or "").lower()
    return host in ("outlook.office365.com", "outlook.office.com") or host.endswith(
        (".office365.com", ".office365.us", ".partner.outlook.cn")
    )


def connect(config: EwsConfig) -> Account:
    """The exchangelib Account for `config`: fixed endpoint, pinned version, no request sent."""
    if not config.ews_url.lower().startswith(("http://", "https://")):
        raise ConfigError("ews_url", f"{config.ews_url!r} is not an http(s) URL")
    if "@" not in config.email:
        raise ConfigError("email", f"{config.email!r} is not an email address")
    if is_exchange_online(config.ews_url):
        log.warning("%s (%s)", EXCHANGE_ONLINE_RETIRED, config.email)
    _install_adapter(config.ca_bundle)
    field_plan.install()  # items parsed reading only the fields an answer holds
    configuration = Configuration(
        service_endpoint=config.ews_url,
        credentials=Credentials(username=config.username, password=config.password),
        auth_type=auth_type_for(config),
        version=Version(build=build_for(config)),
        retry_policy=FailFast(),
    )
    return Account(
        primary_smtp_address=config.email,
        config=configuration,
        autodiscover=False,
        access_type=DELEGATE,
        default_timezone=UTC,
    )


def test_connection(config: EwsConfig) -> None:
    """Raise AuthFailed/ProviderError in plain words unless the mailbox's calendar is readable.
    Exchange Online is refused before anything is sent."""
    if is_exchange_online(config.ews_url):
        raise ProviderRefused("ews", EXCHANGE_ONLINE_RETIRED)
    try:
        account = connect(config)
        _ = account.calendar  # one GetFolder(calendar)
    except UnauthorizedError:
        raise AuthFailed("wrong user name or password") from None
    except RateLimitError as error:
        raise ProviderError(
            "ews", f"{config.ews_url} is busy: try again in {error.wait:.0f} s"
        ) from None
    except (TransportError, requests.RequestException, OSError) as error:
        raise ProviderError("ews", unreachable(config.ews_url, error)) from None
    except EWSError as error:
        raise ProviderError(
            "ews",
            f"{config.ews_url} refused the mailbox ({type(error).__name__}): check the email "
            "address and that EWS is enabled for this mailbox",
        ) from None


test_connection.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
