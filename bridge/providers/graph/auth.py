"""Microsoft identity platform tokens for Graph, through msal (never hand-rolled OAuth).

Two kinds of credentials:
- `GraphAuth`: delegated permissions of one connection (authorization code + PKCE, then refresh
  tokens). The msal token cache is serialized and handed to the caller whenever it changes; the
  caller encrypts and stores it. This module never persists anything itself.
- `AppOnlyAuth`: client credentials for admin-consented application permissions (P3).

This module must not call Graph and must not log tokens or secrets.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import msal
import requests

from bridge.errors import AuthExpired, AuthFailed, ProviderBusy
from bridge.plainwords import unreachable
from bridge.providers.graph.transport import make_session

PROVIDER = "graph"
# Tasks.*: Microsoft To Do lists, served beside the calendars (issue 11; todo-overview)
DELEGATED_SCOPES_READ: tuple[str, ...] = (
    "User.Read",
    "Calendars.Read",
    "Contacts.Read",
    "Tasks.Read",
)
DELEGATED_SCOPES_WRITE: tuple[str, ...] = (
    "User.Read",
    "Calendars.ReadWrite",
    "Contacts.ReadWrite",
    "Tasks.ReadWrite",
)
# Application permissions are requested as the resource's `.default` scope
# (Microsoft identity platform docs: "client credentials flow", scope parameter).
APP_ONLY_SCOPE = "https://graph.microsoft.com/.default"
# msal adds these itself and refuses them in `scopes` (msal: "reserved scopes").
_RESERVED_SCOPES = frozenset({"openid", "profile", "offline_access"})
# OAuth errors that mean the user (or admin) must authorize again; anything else from the token
# endpoint is treated as transient (RFC 6749 §5.2, AADSTS error codes).
_REAUTH_ERRORS = frozenset(
    {
        "invalid_grant",
        "interaction_required",
        "consent_required",
        "login_required",
        "invalid_client",
        "unauthorized_client",
        "invalid_scope",
    }
)
_TRANSIENT_RETRY_AFTER_S = 30.0


@dataclass(frozen=True)
class GraphAppConfig:
    """The registered application and where Graph lives (real cloud or the sandbox)."""

    authority: str  # "https://login.microsoftonline.com/<tenant>" or the sandbox authority
    client_id: str
    client_secret: str
    graph_base_url: str = "https://graph.microsoft.com/v1.0"
    ca_bundle: str | None = None  # verify= for msal and requests (None: system store)


def _user_scopes(scopes: Sequence[str]) -> list[str]:
    return [s for s in scopes if s.lower() not in _RESERVED_SCOPES]


def _build_app(
    config: GraphAppConfig, cache: msal.TokenCache | None
) -> msal.ConfidentialClientApplication:
    host = urlsplit(config.authority).hostname or ""
    # msal asks login.microsoftonline.com to validate unknown authority hosts ("instance
    # discovery"); an emulated or private authority must skip it (msal ClientApplication docs).
    known = host in msal.authority.WELL_KNOWN_AUTHORITY_HOSTS
    return msal.ConfidentialClientApplication(
        config.client_id,
        client_credential=config.client_secret,
        authority=config.authority,
        token_cache=cache,
        http_client=make_session(config.ca_bundle),
        instance_discovery=None if known else False,
    )


def _error_text(result: Mapping[str, Any]) -> str:
    return str(result.get("error_description") or result.get("error") or "unknown error")


class _LazyMsalApp:
    """msal fetches the OpenID configuration when the application object is built: build it
    lazily so that constructing an auth object never does I/O."""

    _config: GraphAppConfig
    _cache: msal.TokenCache
    _lock: threading.RLock
    _app_obj: msal.ConfidentialClientApplication | None

    @property
    def _app(self) -> msal.ConfidentialClientApplication:
        with self._lock:
            if self._app_obj is None:
                try:
                    self._app_obj = _build_app(self._config, self._cache)
                except (requests.RequestException, ValueError) as exc:
                    raise ProviderBusy(
                        PROVIDER, unreachable(self._config.authority, exc), _TRANSIENT_RETRY_AFTER_S
                    ) from exc
            return self._app_obj


class GraphAuth(_LazyMsalApp):
    """Delegated auth for one connection: msal ConfidentialClientApplication with a
    SerializableTokenCache. The serialized cache is handed to `on_cache_change(serialized)`
    whenever it changes (the caller encrypts and stores it)."""

    def __init__(
        self,
        config: GraphAppConfig,
        cache_blob: str | None,
        on_cache_change: Callable[[str], None],
        scopes: Sequence[str] | None = None,
    ) -> None:
        """`scopes`: what the connection was consented with (refreshes ask for exactly
        these; the identity platform refuses scopes never consented, AADSTS65001)."""
        self._config = config
        self._scopes: list[str] | None = _user_scopes(scopes) if scopes else None
        self._on_cache_change = on_cache_change
        self._cache = msal.SerializableTokenCache()
        if cache_blob:
            self._cache.deserialize(cache_blob)
        self._lock = threading.RLock()
        self._app_obj: msal.ConfidentialClientApplication | None = None
        self._force_refresh = False

    def _persist(self) -> None:
        if self._cache.has_state_changed:
            self._on_cache_change(self._cache.serialize())

    @property
    def username(self) -> str | None:
        """The signed-in account (from the cache), if any."""
        accounts = list(self._cache.search(msal.TokenCache.CredentialType.ACCOUNT))
        return str(accounts[0].get("username")) if accounts else None

    def begin_consent(
        self, redirect_uri: str, scopes: Sequence[str], login_hint: str | None = None
    ) -> tuple[str, dict[str, Any]]:
        """(authorization URL, flow to keep): auth code + PKCE via msal initiate_auth_code_flow."""
        with warnings.catch_warnings():
            # msal recommends response_mode=form_post; the portal's redirect endpoint reads the
            # query string (the default, RFC 6749 §4.1.2), which Entra ID supports as well.
            warnings.filterwarnings("ignore", message=".*form_post.*", category=UserWarning)
            flow = self._app.initiate_auth_code_flow(
                _user_scopes(scopes), redirect_uri=redirect_uri, login_hint=login_hint
            )
        if "error" in flow:
            raise AuthFailed(_error_text(flow))
        return str(flow["auth_uri"]), dict(flow)

    def complete_consent(self, flow: dict[str, Any], auth_response: Mapping[str, str]) -> str:
        """Redeem the authorization response; returns the account username. msal checks the
        state and the id_token nonce; errors carry the AADSTS description."""
        with self._lock:
            try:
                result = self._app.acquire_token_by_auth_code_flow(dict(flow), dict(auth_response))
            except ValueError as exc:  # state mismatch or a flow that was not ours (msal)
                raise AuthFailed(f"authorization response rejected: {exc}") from exc
            finally:
                self._persist()
            if "error" in result:
                raise AuthFailed(_error_text(result))
            self._force_refresh = False
            claims = result.get("id_token_claims") or {}
            username = claims.get("preferred_username") or claims.get("email") or self.username
            if not username:
                raise AuthFailed("the identity platform returned no account name")
            return str(username)

    def _cached_scopes(self) -> list[str]:
        """The scopes consented for this connection: given, else as recorded on a cached
        access token (remembered, since msal may drop expired entries)."""
        if self._scopes:
            return self._scopes
        for entry in self._cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN):
            target = str(entry.get("target") or "")
            scopes = _user_scopes(target.split())
            if scopes:
                self._scopes = scopes
                return scopes
        return list(DELEGATED_SCOPES_READ)

    def access_token(self) -> str:
        """A valid access token (refreshed with the refresh token when expired); raises
        AuthExpired when the user must authorize again."""
        with self._lock:
            accounts = self._app.get_accounts()
            if not accounts:
                raise AuthExpired(PROVIDER, "no signed-in account: authorize the connection")
            try:
                result = self._app.acquire_token_silent_with_error(
                    self._cached_scopes(), accounts[0], force_refresh=self._force_refresh
                )
            except requests.RequestException as exc:
                raise ProviderBusy(
                    PROVIDER, unreachable(self._config.authority, exc), _TRANSIENT_RETRY_AFTER_S
                ) from exc
            finally:
                self._persist()
            if not result:
                raise AuthExpired(PROVIDER, "no refresh token: authorize the connection again")
            if "error" in result:
                if str(result["error"]) in _REAUTH_ERRORS:
                    raise AuthExpired(PROVIDER, _error_text(result), code=str(result["error"]))
                raise ProviderBusy(
                    PROVIDER,
                    _error_text(result),
                    _TRANSIENT_RETRY_AFTER_S,
                    code=str(result["error"]),
                )
            self._force_refresh = False
            return str(result["access_token"])

    def invalidate(self) -> None:
        """Drop the cached access token (after a 401), keep the refresh token."""
        with self._lock:
            self._force_refresh = True
            now = str(int(time.time()) - 1)
            for entry in list(self._cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN)):
                # Expire rather than delete: the entry keeps the consented scopes (`target`).
                self._cache.modify(
                    msal.TokenCache.CredentialType.ACCESS_TOKEN,
                    entry,
                    {"expires_on": now, "refresh_on": now},
                )
            self._persist()


class AppOnlyAuth(_LazyMsalApp):
    """client_credentials for admin-consented application permissions
    (scope https://graph.microsoft.com/.default)."""

    def __init__(self, config: GraphAppConfig) -> None:
        self._config = config
        self._cache = msal.TokenCache()
        self._lock = threading.RLock()
        self._app_obj: msal.ConfidentialClientApplication | None = None

    def access_token(self) -> str:
        with self._lock:
            try:
                # msal ≥1.23 answers from its cache until the token is near expiry.
                result = self._app.acquire_token_for_client([APP_ONLY_SCOPE])
            except requests.RequestException as exc:
                raise ProviderBusy(
                    PROVIDER, unreachable(self._config.authority, exc), _TRANSIENT_RETRY_AFTER_S
                ) from exc
            if "error" in result:
                if str(result["error"]) in _REAUTH_ERRORS:
                    raise AuthExpired(PROVIDER, _error_text(result), code=str(result["error"]))
                raise ProviderBusy(
                    PROVIDER,
                    _error_text(result),
                    _TRANSIENT_RETRY_AFTER_S,
                    code=str(result["error"]),
                )
            return str(result["access_token"])

    def invalidate(self) -> None:
        with self._lock:
            for entry in list(self._cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN)):
                self._cache.remove_at(entry)
