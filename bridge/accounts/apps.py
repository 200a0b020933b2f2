"""The organisation's OAuth applications, from settings: the Azure app registration (Graph,
delegated and application permissions) and the Google OAuth client. One client-credentials
token source is shared by every app-only (P3) connection.

Must not store or log secrets; provider packages are imported when first needed.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from bridge.errors import ConfigError
from bridge.settings import Settings

if TYPE_CHECKING:
    from bridge.providers.google.auth import GoogleAppConfig
    from bridge.providers.graph.auth import AppOnlyAuth, GraphAppConfig


def _check_client(section: str, client_id: str, missing: str) -> None:
    """ConfigError `missing` when the section names no OAuth client."""
    if not client_id:
        raise ConfigError(f"{section}.client_id", missing)


class OAuthApps:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._guard = threading.Lock()
        self._app_only: AppOnlyAuth | None = None

    def graph_config(self) -> GraphAppConfig:
        from bridge.providers.graph.auth import GraphAppConfig

        g = self.settings.graph
        _check_client("graph", g.client_id, "no Azure app registration configured")
        return GraphAppConfig(
            authority=g.authority,
            client_id=g.client_id,
            client_secret=g.client_secret,
            graph_base_url=g.graph_base_url,
            ca_bundle=g.ca_bundle or None,
        )

    def google_config(self) -> GoogleAppConfig:
        from bridge.providers.google.auth import GoogleAppConfig

        g = self.settings.google
        _check_client("google", g.client_id, "no Google OAuth client configured")
        return GoogleAppConfig(
            client_id=g.client_id,
            client_secret=g.client_secret,
            auth_uri=g.auth_uri,
            token_uri=g.token_uri,
            revoke_uri=g.revoke_uri,
            calendar_api_base=g.calendar_api_base,
            ca_bundle=g.ca_bundle or None,
            people_api_base=g.people_api_base,
            tasks_api_base=g.tasks_api_base,
        )

    def app_only_auth(self) -> AppOnlyAuth:
        """The organisation's client-credentials token source for Graph application
        permissions, shared by every app-only connection (its client secret is in settings)."""
        from bridge.providers.graph.auth import AppOnlyAuth

        with self._guard:
            if self._app_only is None:
                self._app_only = AppOnlyAuth(self.graph_config())
            return self._app_only
