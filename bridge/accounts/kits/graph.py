"""Microsoft 365 through Microsoft Graph: delegated OAuth connections (msal) and connections
the administrator set up with application permissions (P3). Scopes: "Microsoft Graph
permissions reference". Must not log tokens.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bridge.accounts.apps import OAuthApps
from bridge.accounts.kit import ConsentAuth, ProviderPair, Revocation, TokenSink
from bridge.providers.base import CalendarProvider
from bridge.store.rows import AppOnlyMailbox, ConnectionRow, OAuthGrant


class GraphKit:
    def scopes(self, write: bool, *, contacts: bool, calendars: bool) -> tuple[str, ...]:
        from bridge.providers.graph import auth as graph_auth

        scopes = graph_auth.DELEGATED_SCOPES_WRITE if write else graph_auth.DELEGATED_SCOPES_READ
        return tuple(
            s
            for s in scopes
            # task lists are served as calendars (issue 11): they come with them
            if (calendars or not s.startswith(("Calendars.", "Tasks.")))
            and (contacts or not s.startswith("Contacts."))
        )

    def directory_scopes(self) -> tuple[str, ...]:
        """K5: User.Read.All (User.ReadBasic.All leaves out the phone numbers)."""
        from bridge.providers.graph.directory import DIRECTORY_SCOPE

        return (DIRECTORY_SCOPE,)

    def auth(
        self,
        apps: OAuthApps,
        blob: str | None,
        on_change: TokenSink,
        scopes: Sequence[str] | None,
    ) -> ConsentAuth:
        from bridge.providers.graph.auth import GraphAuth

        return GraphAuth(apps.graph_config(), blob, on_change, scopes=scopes)

    def discard(self, apps: OAuthApps, blob: str | None, scopes: Sequence[str]) -> None:
        """Microsoft 365 has no endpoint to revoke one grant; the tokens only lived in memory."""

    def app_only_calendar(self, apps: OAuthApps, mailbox: str) -> CalendarProvider:
        """A calendar provider for `mailbox` through the application permission."""
        from bridge.providers.graph.http import GraphHttp
        from bridge.providers.graph.provider import GraphCalendarProvider

        return GraphCalendarProvider(
            GraphHttp(apps.graph_config(), apps.app_only_auth(), mailbox=mailbox)
        )

    def build(
        self, apps: OAuthApps, conn: ConnectionRow, secret: Mapping[str, str], save_token: TokenSink
    ) -> ProviderPair:
        from bridge.providers.graph.auth import GraphAuth
        from bridge.providers.graph.contacts import GraphContactsProvider
        from bridge.providers.graph.http import GraphHttp
        from bridge.providers.graph.provider import GraphCalendarProvider

        settings = conn.config.provider
        if isinstance(settings, AppOnlyMailbox):
            mailbox = settings.mailbox or conn.account
            http = GraphHttp(apps.graph_config(), apps.app_only_auth(), mailbox=mailbox)
            return GraphCalendarProvider(http), GraphContactsProvider(http)
        grant = settings if isinstance(settings, OAuthGrant) else OAuthGrant()
        token = secret.get("token") or secret.get("msal_cache") or None
        auth = GraphAuth(apps.graph_config(), token, save_token, scopes=grant.scopes or None)
        http = GraphHttp(apps.graph_config(), auth, mailbox=grant.mailbox)
        return GraphCalendarProvider(http), GraphContactsProvider(http)

    def revoke(self, apps: OAuthApps, conn: ConnectionRow, secret: Mapping[str, str]) -> Revocation:
        if conn.config.managed:
            return Revocation(
                False,
                "this connection used the organisation's application permission; nothing of "
                "the user was stored. The permission itself stays until an administrator "
                "removes it from the app registration in Microsoft Entra ID",
            )
        return Revocation(
            False,
            "Microsoft 365 has no endpoint to revoke one app's grant; the tokens were "
            "erased here (the user or an admin can remove the app under My Apps / "
            "Enterprise applications)",
        )
