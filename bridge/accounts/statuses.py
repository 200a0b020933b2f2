"""A connection as the user sees it on their profile page and in `davbridge connection list`
(A2): which service, what the bridge may do, when it last and next syncs, and what is wrong in
plain words.

Pure: it reads a connection row plus facts handed in (effective permissions, policy, sync
times) and words them. It must not query the store or call a provider.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from bridge.accounts import registry
from bridge.model import CollectionKind
from bridge.store.rows import ConnectionPolicy, ConnectionRow, ConnectionState, EwsAccount


@dataclass(frozen=True)
class ConnectionStatus:
    """One connection as a status page or `davbridge connection list` shows it (A2).

    `permissions` are what the bridge may do now: the user's grant narrowed by the
    administrator's policy (P5). `managed`: set up by the administrator with application
    permissions (P3); the user cannot change its permissions, re-authorize or delete it.
    `error` is the provider's raw message (for administrators); `problem` the plain words."""

    id: int
    account: str
    provider: str  # "graph" | "google" | "ews"
    service: str  # "microsoft365" | "google" | "exchange"
    label: str  # "Microsoft 365", "Google", "Exchange", "Microsoft 365 (EWS, legacy)"
    permissions: dict[str, bool]
    calendars_enabled: bool
    contacts_enabled: bool
    status: ConnectionState  # shown: ok (also while busy) | reauth | error | off
    last_sync: float | None
    next_sync: float | None = None
    problem: str | None = None
    needs_reauth: bool = False
    managed: bool = False
    error: str | None = None
    first_sync: str | None = None  # "First sync: 2 of 5 … done, 130 items so far" while it runs
    password_form: bool = False  # re-authorized with a new password (Exchange), not a sign-in
    revocable: bool = False  # deleting it revokes the grant at the provider (Google)

    @staticmethod
    def of(
        conn: ConnectionRow,
        effective: ConnectionPolicy | None = None,
        *,
        enabled: bool = True,
        next_sync: float | None = None,
        retry_at: float | None = None,
        now: float | None = None,
        first_sync: str | None = None,
    ) -> ConnectionStatus:
        """The status of `conn`; `effective`: its permissions under the policy (default: its
        own), `enabled`: the integration is on for its user (P1), `retry_at`: when a throttled
        provider may be asked again."""
        policy = effective or conn.policy
        service, label = registry.service_of(conn)
        managed = conn.config.managed
        shows = policy.shows(CollectionKind.CALENDAR) or policy.shows(CollectionKind.ADDRESSBOOK)
        if not enabled or not shows:
            status = ConnectionState.OFF
        elif conn.status.degraded:
            status = conn.status
        else:  # a busy provider is asked again later; its calendars are served meanwhile
            status = ConnectionState.OK
        words = _problem(conn, label, status, enabled, policy, retry_at, now)
        return ConnectionStatus(
            id=conn.id,
            account=conn.account,
            provider=conn.provider,
            service=service,
            label=label,
            permissions=policy.permissions(),
            calendars_enabled=policy.calendars_enabled,
            contacts_enabled=policy.contacts_enabled,
            status=status,
            last_sync=conn.last_sync,
            next_sync=None
            if status in (ConnectionState.OFF, ConnectionState.REAUTH)
            else next_sync,
            problem=words,
            needs_reauth=status is ConnectionState.REAUTH and not managed,
            managed=managed,
            error=conn.error,
            first_sync=first_sync if status is ConnectionState.OK else None,
            password_form=registry.consent_of(conn.provider) == "password",
            revocable=registry.revokes_grant(conn.provider),
        )


def first_sync_words(done: int, total: int, items: int) -> str | None:
    """Progress of a connection's first sync, or None when every collection was pulled once."""
    if done >= total:
        return None
    noun = "calendar or address book" if total == 1 else "calendars and address books"
    return (
        f"First sync running: {done} of {total} {noun} done, {items} "
        f"item{'' if items == 1 else 's'} so far."
    )


def when(ts: float, now: float | None = None) -> str:
    """A time in the server's local time: "14:05", or "2026-03-02 14:05" on another day."""
    today = time.strftime("%Y-%m-%d", time.localtime(now if now is not None else time.time()))
    day = time.strftime("%Y-%m-%d", time.localtime(ts))
    return time.strftime("%H:%M" if day == today else "%Y-%m-%d %H:%M", time.localtime(ts))


def _where(conn: ConnectionRow, label: str) -> str:
    account = conn.config.provider
    if isinstance(account, EwsAccount) and account.ews_url:
        return f"{label} at {urlsplit(account.ews_url).netloc or account.ews_url}"
    return label


def _problem(
    conn: ConnectionRow,
    label: str,
    status: ConnectionState,
    enabled: bool,
    policy: ConnectionPolicy,
    retry_at: float | None,
    now: float | None,
) -> str | None:
    if not enabled:
        return (
            "Your administrator has switched the calendar and contacts integration off: nothing "
            "is synchronised and your devices see none of this connection's calendars."
        )
    if status is ConnectionState.REAUTH:
        if conn.config.managed:
            return (
                f"{label} no longer accepts the organisation's application permission. Calendars "
                "still show the last synced data; ask your administrator to renew it."
            )
        why = registry.reauth_reason(conn.provider)
        return (
            f"{label} no longer accepts the bridge's access ({why}). Calendars still show the "
            "last synced data; changes from your devices are refused until you re-authorize."
        )
    error = conn.error or ""
    later = f"next try at {when(retry_at, now)}" if retry_at else "it tries again shortly"
    unreachable = any(w in error for w in ("could not reach", "cannot reach", "unreachable"))
    where = _where(conn, label)
    if conn.status is ConnectionState.BUSY and status is ConnectionState.OK:
        if unreachable:
            return f"The bridge cannot reach {where}; {later}. Calendars show the last synced data."
        return f"{label} asked the bridge to slow down; {later}."
    if status is ConnectionState.ERROR:
        if unreachable:
            return f"The bridge cannot reach {where}. Calendars show the last synced data."
        return (
            f"The last sync with {label} failed ({error or 'no reason given'}). Calendars show "
            "the last synced data."
        )
    if conn.policy.write_calendars and not policy.write_calendars and policy.read_calendars:
        return (
            "Your administrator allows calendars to be read only: changes from your devices "
            "are refused."
        )
    return None
