"""Persistence across restarts, deterministic seeds, bulk seeding and provider-side occurrences."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import httplib2
from google_auth_httplib2 import Request as HttpRequest

from sandbox.google.seed import seed_store
from sandbox.google.server import GoogleSandbox
from sandbox.google.store import Store
from tests.sandbox_google.conftest import (
    Control,
    calendar,
    inspect_credentials,
    list_all,
    sign_in,
    timed,
)


def test_state_survives_restart(tmp_path: Path) -> None:
    sb = GoogleSandbox(tmp_path)
    info = sb.start()
    creds = sign_in(info)
    service = calendar(info, creds)
    ev = (
        service.events()
        .insert(
            calendarId="primary", body=timed("Kept", "2030-07-01T10:00:00", "2030-07-01T11:00:00")
        )
        .execute()
    )
    _, token, _ = list_all(service, "primary", maxResults=2500)
    sb.stop()

    sb2 = GoogleSandbox(tmp_path)
    info2 = sb2.start()
    try:
        assert info2.base_url == info.base_url  # same port preferred
        assert (info2.client_id, info2.inspect_refresh_token) == (
            info.client_id,
            info.inspect_refresh_token,
        )
        service2 = calendar(info2, creds)  # the same access token still works
        got = service2.events().get(calendarId="primary", eventId=ev["id"]).execute()
        assert got["etag"] == ev["etag"] and got["summary"] == "Kept"
        assert (
            service2.events().list(calendarId="primary", syncToken=token).execute()["items"] == []
        )
        assert creds.refresh_token
        creds.refresh(HttpRequest(httplib2.Http(ca_certs=info2.ca_file)))
    finally:
        sb2.stop()


def test_provider_side_changes_show_in_sync(sandbox: GoogleSandbox, control: Control) -> None:
    service = calendar(sandbox.info, inspect_credentials(sandbox.info))
    _, token, _ = list_all(service, "primary", maxResults=2500)
    cals = control.call("GET", "/calendars")
    assert [c["id"] for c in cals][0] == sandbox.info.user
    stored = control.call("GET", "/calendars/primary/events")
    weekly = next(e for e in stored if e.get("summary") == "Weekly sync")
    control.call("DELETE", f"/calendars/primary/events/{weekly['id']}/occurrences/12")
    edited = control.call(
        "PATCH", f"/calendars/primary/events/{weekly['id']}/occurrences/13", {"location": "Room 2"}
    )
    created = control.call(
        "POST",
        "/calendars/primary/events",
        {
            **timed("From the web UI", "2030-08-01T10:00:00", "2030-08-01T10:30:00"),
            "organizer": {"email": "megan@contoso.example", "displayName": "Megan Bowen"},
        },
    )
    changes = service.events().list(calendarId="primary", syncToken=token).execute()["items"]
    by_id = {e["id"]: e for e in changes}
    assert len(by_id) == 3 and created["id"] in by_id
    assert by_id[edited["id"]]["location"] == "Room 2"
    assert by_id[edited["id"]]["recurringEventId"] == weekly["id"]
    cancelled = [e for e in changes if e["status"] == "cancelled"]
    assert len(cancelled) == 1 and cancelled[0]["recurringEventId"] == weekly["id"]
    assert by_id[created["id"]]["organizer"]["email"] == "megan@contoso.example"


def test_seed_is_deterministic_for_a_given_day() -> None:
    now = dt.datetime(2025, 3, 10, 15, 30, tzinfo=dt.UTC)

    def snapshot() -> dict[str, Any]:
        store = Store("alex@contoso.example", "Alex Wilber")
        seed_store(store, now=now)
        return store.to_json()

    first, second = snapshot(), snapshot()
    assert first == second
    count = sum(len(v) for v in first["events"].values())
    assert count >= 120


def test_bulk_seed_is_one_calendar_of_n_events() -> None:
    store = Store("alex@contoso.example", "Alex Wilber")
    seed_store(store, bulk_events=500, now=dt.datetime(2025, 3, 10, tzinfo=dt.UTC))
    assert list(store.calendars) == ["alex@contoso.example"]
    assert len(store.events["alex@contoso.example"]) == 500


def test_bulk_sandbox_pages_through_everything(tmp_path: Path) -> None:
    with GoogleSandbox(None, bulk_events=3000) as sb:
        service = calendar(sb.info, inspect_credentials(sb.info))
        items, _, pages = list_all(service, "primary", maxResults=2500)
        assert len(items) == 3000 and pages == 2
