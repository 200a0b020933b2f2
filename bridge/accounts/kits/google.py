"""Google Calendar and People API through Google's OAuth client (google-auth-oauthlib).
Scopes: "Choose Google Calendar API scopes" / "People API scopes"; revocation: "Using OAuth 2.0
to Access Google APIs" (revoking a token). Must not log tokens.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from bridge.accounts.apps import OAuthApps
from bridge.accounts.kit import ConsentAuth, ProviderPair, Revocation, TokenSink
from bridge.errors import BridgeError
from bridge.store.rows import ConnectionRow, OAuthGrant

if TYPE_CHECKING:
    from bridge.providers.google.auth import GoogleAuth

log = logging.getLogger("davbridge")


class GoogleKit:
    def scopes(self, write: bool, *, contacts: bool, calendars: bool) -> tuple[str, ...]:
        from bridge.providers.google import auth as google_auth

        scopes = google_auth.SCOPES_WRITE if write else google_auth.SCOPES_READ
        return tuple(
            s
            for s in scopes
            # task lists are served as calendars (issue 11): they come with them
            if (calendars or ("/auth/calendar" not in s and "/auth/tasks" not in s))
            and (contacts or "/auth/contacts" not in s)
        )

    def _auth(
        self,
        apps: OAuthApps,
        blob: str | None,
        on_change: TokenSink,
        scopes: Sequence[str] | None,
    ) -> GoogleAuth:
        from bridge.providers.google.auth import GoogleAuth

        return GoogleAuth(apps.google_config(), blob, on_change, scopes=scopes)

    def directory_scopes(self) -> tuple[str, ...]:
        """K5: the People API directory methods' one scope, read-only."""
        from bridge.providers.google.directory import DIRECTORY_SCOPE

        return (DIRECTORY_SCOPE,)

    def auth(
        self,
        apps: OAuthApps,
        blob: str | None,
        on_change: TokenSink,
        scopes: Sequence[str] | None,
    ) -> ConsentAuth:
        return self._auth(apps, blob, on_change, scopes)

    def discard(self, apps: OAuthApps, blob: str | None, scopes: Sequence[str]) -> None:
        """Revoke a fresh grant the bridge refused; best effort, it is forgotten either way."""
        if not blob:
            return
        try:
            self._auth(apps, blob, lambda _blob: None, scopes).revoke()
        except BridgeError as exc:
            log.info("revoking a refused Google grant failed: %s", exc.message)

    def build(
        self, apps: OAuthApps, conn: ConnectionRow, secret: Mapping[str, str], save_token: TokenSink
    ) -> ProviderPair:
        from bridge.providers.google.contacts import GoogleContactsProvider
        from bridge.providers.google.provider import GoogleCalendarProvider

        token = secret.get("token") or secret.get("msal_cache") or None
        auth = self._auth(apps, token, save_token, _scopes(conn) or None)
        config = apps.google_config()
        return GoogleCalendarProvider(auth, config), GoogleContactsProvider(auth, config)

    def revoke(self, apps: OAuthApps, conn: ConnectionRow, secret: Mapping[str, str]) -> Revocation:
        token = secret.get("token")
        if not token:
            return Revocation(False, "no token was stored")
        auth = self._auth(apps, token, lambda _blob: None, _scopes(conn) or None)
        try:
            auth.revoke()
        except BridgeError as exc:
            return Revocation(False, f"revocation at Google failed ({exc.message}); erased here")
        return Revocation(True, "the grant was revoked at Google")


def _scopes(conn: ConnectionRow) -> tuple[str, ...]:
    grant = conn.config.provider
    return grant.scopes if isinstance(grant, OAuthGrant) else ()
