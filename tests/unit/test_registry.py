"""The provider registry (one entry per provider kind, the only place that decides by kind) and
the typed connection rows the store hands out (settings parsed once, busy as a state)."""

from __future__ import annotations

import json
from pathlib import Path

from bridge.accounts import registry
from bridge.accounts.kits.ews import EwsKit
from bridge.accounts.statuses import ConnectionStatus
from bridge.model import ProviderKind
from bridge.organisation.policy import SERVICES
from bridge.store import Store
from bridge.store.rows import (
    AppOnlyMailbox,
    ConnectionPolicy,
    ConnectionSettings,
    ConnectionState,
    EwsAccount,
    OAuthGrant,
)


def test_every_provider_kind_and_policy_service_has_one_entry() -> None:
    assert sorted(e.kind for e in registry.ENTRIES) == sorted(ProviderKind)
    assert sorted(e.service for e in registry.ENTRIES) == sorted(SERVICES)
    for entry in registry.ENTRIES:
        kit = entry.kit()
        assert callable(kit.build) and callable(kit.revoke)
        if entry.consent == "oauth":
            scopes = entry.oauth().scopes(False, contacts=False, calendars=True)
            assert scopes and all(isinstance(s, str) for s in scopes)
    assert isinstance(registry.entry("ews").kit(), EwsKit)
    assert registry.label_of("graph") == "Microsoft 365"
    assert registry.label_of("unknown") == "unknown"
    assert registry.kind_of_name("google-work") == "google"
    assert registry.kind_of_name("work") is None


def test_settings_are_parsed_once_and_written_back_as_the_same_json(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite")
    user = store.create_user("alex", "alex@contoso.example")
    policy = ConnectionPolicy(write_calendars=False, contacts_enabled=False)
    ews = EwsAccount(
        "https://mail.contoso.example/EWS/Exchange.asmx",
        "CONTOSO\\alex",
        "alex@contoso.example",
        "Exchange2016",
        "NTLM",
        "microsoft365",
    )
    conn = store.create_connection(
        user.id, "ews", "alex@contoso.example", ConnectionSettings(ews, policy), b"x"
    )
    assert conn.config == ConnectionSettings(ews, policy) and conn.policy == policy
    assert json.loads(conn.settings)["ews_url"] == ews.ews_url
    assert registry.service_of(conn) == ("microsoft365", "Microsoft 365 (EWS, legacy)")
    managed = store.create_connection(
        user.id, "graph", "alex@contoso.example", '{"app_only": true, "mailbox": "a@b"}', None
    )
    assert managed.config.provider == AppOnlyMailbox("a@b") and managed.config.managed
    old = store.create_connection(user.id, "google", "a@gmail.example", "{}", None)
    assert old.config == ConnectionSettings(OAuthGrant((), "me"), ConnectionPolicy())


def test_a_busy_provider_is_a_state_also_in_rows_written_before_it_was(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite")
    user = store.create_user("alex", "alex@contoso.example")
    conn = store.create_connection(user.id, "graph", "alex@contoso.example", "{}", None)
    store.set_connection_status(conn.id, ConnectionState.BUSY, "429 Too Many Requests")
    busy = store.connection(conn.id)
    assert busy.status is ConnectionState.BUSY and busy.error == "429 Too Many Requests"
    # an older davbridge recorded a throttled provider as "ok" with a prefixed error
    store.set_connection_status(conn.id, "ok", "provider busy, retrying: 503")  # type: ignore[arg-type]
    legacy = store.connection(conn.id)
    assert legacy.status is ConnectionState.BUSY and legacy.error == "503"
    shown = ConnectionStatus.of(legacy, retry_at=None, now=0.0)
    assert shown.status is ConnectionState.OK  # its calendars are still served
    assert shown.problem == "Microsoft 365 asked the bridge to slow down; it tries again shortly."
