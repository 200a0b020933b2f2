"""Per-connection permissions, toggles, deletion and app passwords (A1, A2, A4, A5, A6),
through the Bridge facade with in-memory fake providers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bridge.accounts.connections import Connections
from bridge.accounts.kits.google import GoogleKit
from bridge.accounts.kits.graph import GraphKit
from bridge.api import Bridge
from bridge.errors import Forbidden, NotFound
from bridge.model import (
    AddressBookInfo,
    CalendarInfo,
    CollectionKind,
    ProviderKind,
    PullResult,
    RemoteItem,
)
from bridge.settings import Settings

EVENT = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n"
    "DTSTAMP:20260101T000000Z\r\nDTSTART:20261120T100000Z\r\nDTEND:20261120T110000Z\r\n"
    "SUMMARY:Standup\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)
CARD = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:max\r\nFN:Max Mustermann\r\nN:Mustermann;Max;;;\r\n"
    "TEL;TYPE=WORK:+49 30 1234567\r\nEND:VCARD\r\n"
)


class FakeProvider:
    """Both halves of a provider: one calendar with one event, one book with one contact."""

    kind = ProviderKind.GRAPH

    def __init__(self) -> None:
        self.pulls: list[str] = []
        self.written: list[str] = []

    @property
    def account_email(self) -> str:
        return "alex@contoso.example"

    def list_calendars(self) -> list[CalendarInfo]:
        return [CalendarInfo("cal-1", "Calendar", is_default=True)]

    def pull(self, calendar_id: str, cursor: str | None, window: Any) -> PullResult:
        self.pulls.append(calendar_id)
        item = RemoteItem("ev-1", "v1", "ev-1", EVENT.format(uid="ev-1"))
        return PullResult((item,), (), "c1", reset=True)

    def create(self, calendar_id: str, ical: str, key: str, window: Any) -> RemoteItem:
        self.written.append("create")
        return RemoteItem("ev-2", "v1", "ev-2", EVENT.format(uid="ev-2"))

    def delete(self, calendar_id: str, remote_id: str, version: str | None) -> None:
        self.written.append("delete")

    def list_address_books(self) -> list[AddressBookInfo]:
        return [AddressBookInfo("book-1", "Contacts", is_default=True)]

    def pull_contacts(self, book_id: str, cursor: str | None) -> PullResult:
        self.pulls.append(book_id)
        return PullResult((RemoteItem("max", "v1", "max", CARD),), (), "k1", reset=True)


@pytest.fixture()
def bridge(tmp_path: Path) -> Any:
    b = Bridge(Settings().replace("store", data_dir=str(tmp_path / "data")))
    yield b
    b.close()


def connect(bridge: Bridge, settings: dict[str, Any] | None = None) -> tuple[int, FakeProvider]:
    user = bridge.ensure_user("alex")
    secret = bridge.box.encrypt(json.dumps({"token": "t"}))
    conn = bridge.store.create_connection(
        user.id, "graph", "alex@contoso.example", json.dumps(settings or {}), secret
    )
    fake = FakeProvider()
    bridge.connections._providers[conn.id] = (fake, fake)  # type: ignore[assignment]
    bridge.sync_connection(conn.id)
    return conn.id, fake


def kinds(bridge: Bridge) -> set[str]:
    return {c.kind.value for c in bridge.collections_for("alex")}


def test_existing_connections_may_do_everything(bridge: Bridge) -> None:
    conn_id, _ = connect(bridge)
    policy = bridge.store.connection(conn_id).policy
    assert policy.write_calendars and policy.read_calendars and policy.sync_contacts
    assert kinds(bridge) == {"calendar", "addressbook"}


def test_without_write_permission_writes_are_refused_with_a_reason(bridge: Bridge) -> None:
    perms = {"read_calendars": True, "write_calendars": False, "sync_contacts": True}
    _, fake = connect(bridge, {"permissions": perms})
    cal = next(c for c in bridge.collections_for("alex") if c.kind is CollectionKind.CALENDAR)
    with pytest.raises(Forbidden) as err:
        bridge.put(cal, "new.ics", EVENT.format(uid="new"), conditional=False)
    assert err.value.http_status == 403
    assert "Writing calendars is not permitted for this Microsoft 365 connection" in str(err.value)
    with pytest.raises(Forbidden):
        bridge.delete(cal, "ev-1.ics", conditional=False)
    assert fake.written == []
    assert bridge.store.item(cal.id, "ev-1.ics") is not None


def test_with_write_permission_writes_reach_the_provider(bridge: Bridge) -> None:
    _, fake = connect(bridge)
    cal = next(c for c in bridge.collections_for("alex") if c.kind is CollectionKind.CALENDAR)
    bridge.put(cal, "new.ics", EVENT.format(uid="new"), conditional=False)
    assert fake.written == ["create"]


def test_without_contacts_permission_books_are_neither_listed_nor_pulled(
    bridge: Bridge,
) -> None:
    perms = {"read_calendars": True, "write_calendars": True, "sync_contacts": False}
    _, fake = connect(bridge, {"permissions": perms})
    assert kinds(bridge) == {"calendar"}
    assert fake.pulls == ["cal-1"]
    assert bridge.find_by_phone("alex", "+49 30 1234567") == []


def test_without_calendar_permission_calendars_are_neither_listed_nor_pulled(
    bridge: Bridge,
) -> None:
    perms = {"read_calendars": False, "write_calendars": False, "sync_contacts": True}
    _, fake = connect(bridge, {"permissions": perms})
    assert kinds(bridge) == {"addressbook"}
    assert fake.pulls == ["book-1"]


def test_toggle_hides_keeps_the_mirror_and_shows_again(bridge: Bridge) -> None:
    conn_id, fake = connect(bridge)
    cal = next(c for c in bridge.collections_for("alex") if c.kind is CollectionKind.CALENDAR)
    bridge.set_toggle("alex", conn_id, "calendars", False)
    assert kinds(bridge) == {"addressbook"}
    assert bridge.collection("alex", cal.name) is None
    pulls = len(fake.pulls)
    assert bridge.engine.refresh(cal.id) is None  # not pulled while off
    bridge.store.mark_refreshed(cal.id, 0.0)  # stale: the loop would pull it were it on
    bridge.refresher.refresh_all()
    assert "cal-1" not in fake.pulls[pulls:]
    assert bridge.store.item(cal.id, "ev-1.ics") is not None  # mirror kept
    assert bridge.store.connection(conn_id).secret is not None  # consent kept
    bridge.set_toggle("alex", conn_id, "calendars", True)
    again = bridge.collection("alex", cal.name)
    assert again is not None and again.id == cal.id
    bridge.set_toggle("alex", conn_id, "contacts", False)
    assert kinds(bridge) == {"calendar"}
    assert bridge.find_by_phone("alex", "030 1234567") == []
    with pytest.raises(Exception, match="toggle"):
        bridge.set_toggle("alex", conn_id, "tasks", False)


def test_delete_erases_secrets_mirror_and_phone_index(bridge: Bridge) -> None:
    conn_id, _ = connect(bridge)
    assert bridge.find_by_phone("alex", "+49 30 1234567")
    revocation = bridge.delete_connection("alex", conn_id)
    assert not revocation.revoked and "Microsoft 365" in revocation.note
    assert bridge.collections_for("alex") == []
    with pytest.raises(NotFound):
        bridge.store.connection(conn_id)
    db = bridge.store._db
    for table in ("collections", "items", "phones", "phones_digits", "members"):
        assert db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table
    assert conn_id not in bridge.connections._providers


def test_delete_refuses_another_users_connection(bridge: Bridge) -> None:
    conn_id, _ = connect(bridge)
    bridge.ensure_user("mallory")
    with pytest.raises(NotFound):
        bridge.delete_connection("mallory", conn_id)
    assert bridge.store.connection(conn_id)


def test_delete_revokes_google_grants(bridge: Bridge, monkeypatch: Any) -> None:
    revoked: list[str] = []

    class FakeAuth:
        def __init__(self, token: str) -> None:
            self.token = token

        def revoke(self) -> None:
            revoked.append(self.token)

    monkeypatch.setattr(GoogleKit, "_auth", lambda self, apps, blob, save, scopes: FakeAuth(blob))
    user = bridge.ensure_user("alex")
    secret = bridge.box.encrypt(json.dumps({"token": "google-refresh"}))
    conn = bridge.store.create_connection(user.id, "google", "a@gmail.example", "{}", secret)
    assert bridge.delete_connection("alex", conn.id).revoked
    assert revoked == ["google-refresh"]


def test_app_passwords_are_listed_and_revoked_at_once(bridge: Bridge) -> None:
    user = bridge.ensure_user("alex")
    phone = bridge.new_app_password(user, "phone")
    laptop = bridge.new_app_password(user, "laptop")
    assert bridge.login("alex", phone) and bridge.login("alex", phone)  # second one cached
    rows = bridge.list_app_passwords("alex")
    assert [r[1] for r in rows] == ["phone", "laptop"]
    assert rows[0][3] is not None and rows[1][3] is None  # last used
    bridge.revoke_app_password("alex", rows[0][0])
    assert not bridge.login("alex", phone)
    assert bridge.login("alex", laptop)
    with pytest.raises(NotFound):
        bridge.revoke_app_password("alex", rows[0][0])


def test_scopes_are_the_least_for_what_was_ticked() -> None:
    graph, google = ProviderKind.GRAPH, ProviderKind.GOOGLE
    # task lists are served as calendars (issue 11): Tasks.* comes with Calendars.*
    assert Connections.scopes_for(graph, False, contacts=False) == (
        "User.Read",
        "Calendars.Read",
        "Tasks.Read",
    )
    assert set(Connections.scopes_for(graph, True)) == {
        "User.Read",
        "Calendars.ReadWrite",
        "Contacts.ReadWrite",
        "Tasks.ReadWrite",
    }
    assert Connections.scopes_for(graph, True, contacts=False) == (
        "User.Read",
        "Calendars.ReadWrite",
        "Tasks.ReadWrite",
    )
    read = Connections.scopes_for(google, False, contacts=False)
    assert "https://www.googleapis.com/auth/calendar.readonly" in read
    assert not any("contacts" in s for s in read)
    write = Connections.scopes_for(google, True)
    assert "https://www.googleapis.com/auth/calendar" in write
    assert "https://www.googleapis.com/auth/contacts" in write
    assert Connections.scopes_for(google, True) == Connections.scopes_for(
        google, True, contacts=True
    )


def test_consent_records_the_ticked_permissions(bridge: Bridge, monkeypatch: Any) -> None:
    class FakeAuth:
        def begin_consent(self, redirect: str, scopes: Any, hint: Any) -> tuple[str, Any]:
            return "https://login.example/authorize", {"state": "s"}

        def complete_consent(self, flow: Any, answer: Any) -> str:
            return "alex@contoso.example"

    monkeypatch.setattr(GraphKit, "auth", lambda *a, **k: FakeAuth())
    user = bridge.ensure_user("alex")
    _, pending = bridge.connections.begin_consent(
        ProviderKind.GRAPH, user.id, "http://x/", write=False, contacts=False
    )
    assert pending.scopes == ("User.Read", "Calendars.Read", "Tasks.Read")
    conn = bridge.connections.complete_consent(pending, {"code": "c"})
    assert conn.policy.permissions() == {
        "read_calendars": True,
        "write_calendars": False,
        "sync_contacts": False,
    }
    # switched off, then re-consented with more permissions: the toggle is kept
    bridge.set_toggle("alex", conn.id, "calendars", False)
    _, pending = bridge.connections.begin_consent(ProviderKind.GRAPH, user.id, "http://x/")
    again = bridge.connections.complete_consent(pending, {"code": "c"})
    assert again.id == conn.id
    assert again.policy.write_calendars and not again.policy.calendars_enabled


def test_cli_lists_toggles_and_deletes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bridge import api
    from bridge.entry import cli

    monkeypatch.delenv("DAVBRIDGE_SECRET_KEY", raising=False)
    data = tmp_path / "data"
    config = tmp_path / "davbridge.toml"
    config.write_text(f'[store]\ndata_dir = "{data}"\n')
    setup = Bridge(Settings().replace("store", data_dir=str(data)))
    conn_id, _ = connect(setup)
    user = setup.ensure_user("alex")
    password = setup.new_app_password(user, "phone")
    setup.close()

    def run(*argv: str) -> str:
        assert cli.main([*argv, "--config", str(config)]) == 0
        api.install(None)
        return capsys.readouterr().out

    listing = run("connection", "list", "alex")
    assert "graph  alex@contoso.example" in listing
    assert "permissions: read calendars, write calendars, sync contacts" in listing
    assert "calendars on, contacts on" in listing and "status: ok" in listing
    run("connection", "toggle", "alex", str(conn_id), "contacts", "off")
    assert "calendars on, contacts off" in run("connection", "list", "alex")
    passwords = run("app-password", "list", "alex")
    assert "phone" in passwords and "never" in passwords
    pw_id = passwords.split()[0]
    run("app-password", "revoke", "alex", pw_id)
    assert "no app passwords" in run("app-password", "list", "alex")
    assert "Microsoft 365" in run("connection", "delete", "alex", str(conn_id))
    assert "no connections" in run("connection", "list", "alex")
    check = Bridge(Settings().replace("store", data_dir=str(data)))
    assert not check.login("alex", password)
    check.close()
