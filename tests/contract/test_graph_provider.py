"""The CalendarProvider contract, bound to Microsoft Graph through the sandbox (C1, C5, C6, A2).

Provider-side changes and faults go through the sandbox's control API only; the provider talks
to the emulated Graph and identity platform with msal and requests as it would to Microsoft.

The scenarios shared by all providers live in test_calendar_contract.py; this file keeps the
Graph specifics.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import requests
from icalendar import Calendar

from bridge.errors import AuthExpired, AuthFailed, PreconditionFailed, ProviderBusy
from bridge.model import RemoteItem, SyncWindow
from bridge.providers.graph.auth import (
    DELEGATED_SCOPES_WRITE,
    AppOnlyAuth,
    GraphAppConfig,
    GraphAuth,
)
from bridge.providers.graph.provider import GraphCalendarProvider
from sandbox.server import SandboxInfo
from tests.contract.conftest import REDIRECT_URI, Harness, app_config

UTC = dt.UTC


def _base_day() -> dt.datetime:
    today = dt.datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + dt.timedelta(days=5)


def _z(value: dt.datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def vevent(
    uid: str,
    summary: str,
    start: dt.datetime,
    minutes: int = 30,
    rrule: str = "",
    exdates: tuple[dt.datetime, ...] = (),
    recurrence_id: dt.datetime | None = None,
) -> str:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20250101T000000Z",
        f"SUMMARY:{summary}",
        f"DTSTART:{_z(start)}",
        f"DTEND:{_z(start + dt.timedelta(minutes=minutes))}",
    ]
    if rrule:
        lines.append(f"RRULE:{rrule}")
    lines += [f"EXDATE:{_z(d)}" for d in exdates]
    if recurrence_id is not None:
        lines.append(f"RECURRENCE-ID:{_z(recurrence_id)}")
    return "\r\n".join([*lines, "END:VEVENT"])


def vcalendar(*events: str) -> str:
    return (
        "\r\n".join(
            [
                "BEGIN:VCALENDAR",
                "VERSION:2.0",
                "PRODID:-//contract//test//EN",
                *events,
                "END:VCALENDAR",
            ]
        )
        + "\r\n"
    )


def components(item: RemoteItem) -> list[Any]:
    return [c for c in Calendar.from_ical(item.ical).walk("VEVENT")]


def master_of(item: RemoteItem) -> Any:
    return next(c for c in components(item) if c.get("RECURRENCE-ID") is None)


def overrides_of(item: RemoteItem) -> dict[dt.datetime, Any]:
    return {
        c.decoded("RECURRENCE-ID").astimezone(UTC): c
        for c in components(item)
        if c.get("RECURRENCE-ID") is not None
    }


def exdates_of(item: RemoteItem) -> set[dt.datetime]:
    raw = master_of(item).get("EXDATE")
    if raw is None:
        return set()
    out: set[dt.datetime] = set()
    for prop in raw if isinstance(raw, list) else [raw]:
        out.update(d.dt.astimezone(UTC) for d in prop.dts)
    return out


def graph_event(
    subject: str, start: dt.datetime, minutes: int = 30, **extra: Any
) -> dict[str, Any]:
    fmt = "%Y-%m-%dT%H:%M:%S"
    end = start + dt.timedelta(minutes=minutes)
    return {
        "subject": subject,
        "start": {"dateTime": start.strftime(fmt), "timeZone": "UTC"},
        "end": {"dateTime": end.strftime(fmt), "timeZone": "UTC"},
        **extra,
    }


def weekly(start: dt.datetime, count: int) -> dict[str, Any]:
    return {
        "pattern": {
            "type": "weekly",
            "interval": 1,
            "daysOfWeek": [start.strftime("%A").lower()],
            "firstDayOfWeek": "sunday",
        },
        "range": {
            "type": "numbered",
            "startDate": start.strftime("%Y-%m-%d"),
            "numberOfOccurrences": count,
        },
    }


def new_calendar(h: Harness, name: str = "Contract") -> str:
    return str(h.control.call("POST", "/calendars", {"name": name, "hexColor": "#123456"})["id"])


def control_create(h: Harness, cal: str, body: dict[str, Any]) -> dict[str, Any]:
    return dict(h.control.call("POST", f"/calendars/{cal}/events", body))


def occurrence(h: Harness, master_id: str, n: int) -> requests.Response:
    return requests.get(
        f"{h.info.control_url}/events/{master_id}/occurrences/{n}",
        verify=h.info.ca_file,
        timeout=10,
    )


# --- C1 -------------------------------------------------------------------------------------
def test_account_and_calendars_with_read_only_shared_calendar(harness: Harness) -> None:
    provider = harness.provider()
    assert provider.account_email == harness.info.user
    listed = provider.list_calendars()
    others = {"megan@contoso.example", "nestor@contoso.example", "adele@contoso.example"}
    # other users' calendars delegated to or shared with the user (issue 15)
    delegated = {
        c.owner_email: c for c in listed if c.display_name == "Calendar" and c.owner_email in others
    }
    assert set(delegated) == others
    assert delegated["megan@contoso.example"].can_view_private
    assert not delegated["nestor@contoso.example"].can_view_private
    assert delegated["adele@contoso.example"].read_only
    calendars = {c.display_name: c for c in listed if c not in delegated.values()}
    assert set(calendars) == {"Calendar", "Projects", "Team Holidays"}
    assert calendars["Calendar"].is_default and not calendars["Calendar"].read_only
    holidays = calendars["Team Holidays"]
    assert holidays.read_only and not holidays.is_default
    assert holidays.owner_email == "megan@contoso.example" and holidays.owner_name == "Megan Bowen"
    assert holidays.color == "#107C10"


# --- C6 pulls -------------------------------------------------------------------------------
def test_full_pull_of_the_seeded_calendar_has_one_resource_per_series(harness: Harness) -> None:
    h = harness
    provider = h.provider()
    cal = next(c for c in provider.list_calendars() if c.is_default).remote_id
    stored = {e["id"]: e for e in h.control.events(cal)}

    result = provider.pull(cal, None, h.window)

    ids = [i.remote_id for i in result.items]
    assert len(ids) == len(set(ids))
    assert set(ids) <= set(stored)  # singles and series masters only, never occurrence ids
    series = [i for i in result.items if stored[i.remote_id]["type"] == "seriesMaster"]
    assert series and all(master_of(i).get("RRULE") is not None for i in series)
    assert all(i.uid == stored[i.remote_id]["iCalUId"] for i in result.items)
    assert result.requests == h.provider().pull(cal, None, h.window).requests  # deterministic
    assert result.requests >= 1 + 2 * len(series)


def test_a_window_moved_by_more_than_a_week_starts_a_new_round(harness: Harness) -> None:
    h = harness
    cal = new_calendar(h)
    control_create(h, cal, graph_event("Planning", _base_day()))
    provider = h.provider()
    first = provider.pull(cal, None, h.window)

    def shifted(days: int) -> SyncWindow:
        delta = dt.timedelta(days=days)
        return SyncWindow(h.window.start + delta, h.window.end + delta)

    assert not provider.pull(cal, first.cursor, shifted(1)).reset
    moved = provider.pull(cal, first.cursor, shifted(8))
    assert moved.reset and len(moved.items) == 1
    garbage = provider.pull(cal, "not a cursor", h.window)
    assert garbage.reset and len(garbage.items) == 1


def test_failure_on_the_second_delta_page_changes_nothing_and_a_retry_completes(
    harness: Harness,
) -> None:
    h = harness
    cal = new_calendar(h)
    start = _base_day().replace(hour=8)
    made = {
        control_create(h, cal, graph_event(f"Slot {n}", start + dt.timedelta(hours=n)))["id"]
        for n in range(12)
    }
    provider = h.provider(page_size=5)
    h.control.fault(
        match=r"^GET .*calendarView/delta.*skiptoken",
        status=500,
        code="ErrorInternalServerError",
        times=1,
    )
    with pytest.raises(ProviderBusy):
        provider.pull(cal, None, h.window)
    full = provider.pull(cal, None, h.window)
    # three delta pages + one listing of the events that carry an overlay (delta cannot expand
    # extended properties: bridge/providers/graph/overlay_props.py)
    assert {i.remote_id for i in full.items} == made and full.requests == 4

    for event_id in made:
        h.control.call("PATCH", f"/events/{event_id}", {"subject": "Renamed"})
    h.control.fault(match=r"^GET .*calendarView/delta.*skiptoken", status=500, times=1)
    with pytest.raises(ProviderBusy):
        provider.pull(cal, full.cursor, h.window)
    retried = provider.pull(cal, full.cursor, h.window)
    assert not retried.reset
    assert {i.remote_id for i in retried.items} == made
    assert {str(master_of(i)["SUMMARY"]) for i in retried.items} == {"Renamed"}


# --- C5 writes ------------------------------------------------------------------------------
def test_create_with_the_same_idempotency_key_makes_one_event(harness: Harness) -> None:
    h = harness
    cal = new_calendar(h)
    provider = h.provider()
    ical = vcalendar(vevent("idem-1", "Offsite", _base_day().replace(hour=15)))
    first = provider.create(cal, ical, "same-key", h.window)
    second = provider.create(cal, ical, "same-key", h.window)
    assert second.remote_id == first.remote_id
    assert [e["subject"] for e in h.control.events(cal)] == ["Offsite"]
    third = provider.create(cal, ical, "other-key", h.window)
    assert third.remote_id != first.remote_id


def test_cancelling_one_occurrence_becomes_an_exdate(harness: Harness) -> None:
    h = harness
    cal = new_calendar(h)
    provider = h.provider()
    start = _base_day().replace(hour=11)
    rule = "FREQ=WEEKLY;COUNT=5"
    series = provider.create(
        cal, vcalendar(vevent("ser-2", "Review", start, rrule=rule)), "key-ser-2", h.window
    )
    third = start + dt.timedelta(days=14)

    updated = provider.update(
        cal,
        series.remote_id,
        series.version,
        vcalendar(vevent("ser-2", "Review", start, rrule=rule, exdates=(third,))),
        h.window,
    )

    assert occurrence(h, series.remote_id, 2).status_code == 404
    assert occurrence(h, series.remote_id, 1).status_code == 200
    assert exdates_of(updated) == {third}
    assert len(updated.member_ids) == 4


def test_create_of_a_series_with_override_and_exdate(harness: Harness) -> None:
    h = harness
    cal = new_calendar(h)
    provider = h.provider()
    start = _base_day().replace(hour=7)
    rule = "FREQ=DAILY;COUNT=4"
    day2, day3 = start + dt.timedelta(days=1), start + dt.timedelta(days=2)
    ical = vcalendar(
        vevent("ser-3", "Sprint", start, rrule=rule, exdates=(day3,)),
        vevent("ser-3", "Sprint (late)", day2 + dt.timedelta(hours=2), recurrence_id=day2),
    )
    item = provider.create(cal, ical, "key-ser-3", h.window)
    assert exdates_of(item) == {day3}
    assert [str(c["SUMMARY"]) for c in overrides_of(item).values()] == ["Sprint (late)"]
    assert occurrence(h, item.remote_id, 1).json()["type"] == "exception"


def test_delete_respects_the_version_and_is_seen_by_the_next_pull(harness: Harness) -> None:
    h = harness
    cal = new_calendar(h)
    provider = h.provider()
    item = provider.create(
        cal, vcalendar(vevent("del-1", "Coffee", _base_day())), "key-del-1", h.window
    )
    before = provider.pull(cal, None, h.window)
    h.control.call("PATCH", f"/events/{item.remote_id}", {"subject": "Coffee?"})
    with pytest.raises(PreconditionFailed):
        provider.delete(cal, item.remote_id, item.version)
    assert provider.fetch(cal, item.remote_id, h.window) is not None

    current = provider.fetch(cal, item.remote_id, h.window)
    assert current is not None
    provider.delete(cal, item.remote_id, current.version)
    assert provider.fetch(cal, item.remote_id, h.window) is None
    after = provider.pull(cal, before.cursor, h.window)
    assert item.remote_id in after.removed
    provider.delete(cal, item.remote_id, None)  # already gone: nothing to do


def test_throttled_write_fails_fast_with_retry_after(harness: Harness) -> None:
    h = harness
    cal = new_calendar(h)
    provider = h.provider()
    ical = vcalendar(vevent("busy-1", "Throttled", _base_day()))
    h.control.fault(
        match=r"^POST .*/events", status=429, code="ApplicationThrottled", retry_after=30, times=1
    )
    with pytest.raises(ProviderBusy) as info:
        provider.create(cal, ical, "key-busy-1", h.window)
    assert info.value.retry_after == 30.0 and h.sleeps == []
    assert h.control.events(cal) == []

    h.control.fault(
        match=r"^POST .*/events", status=429, code="ApplicationThrottled", retry_after=1, times=1
    )
    item = provider.create(cal, ical, "key-busy-1", h.window)
    assert h.sleeps == [1.0]
    assert [e["id"] for e in h.control.events(cal)] == [item.remote_id]


# --- A2 tokens ------------------------------------------------------------------------------
def test_expired_access_token_is_refreshed_transparently(harness: Harness) -> None:
    h = harness
    provider = h.provider()
    listed = provider.list_calendars()
    assert listed
    stored = len(h.connection.blobs)
    h.control.call("POST", "/tokens/expire")
    assert len(provider.list_calendars()) == len(listed)
    assert len(h.connection.blobs) > stored  # the refreshed cache was handed over for storage
    # A process restarted from the stored cache works without a new consent.
    assert h.provider().account_email == h.info.user


def test_revoked_refresh_token_needs_reauthorization(harness: Harness) -> None:
    h = harness
    provider = h.provider()
    assert provider.list_calendars()
    h.control.call("POST", "/tokens/revoke")
    h.control.call("POST", "/tokens/expire")
    with pytest.raises(AuthExpired):
        provider.list_calendars()
    with pytest.raises(AuthExpired):
        h.provider().list_calendars()


def test_app_only_access_to_a_users_mailbox(harness: Harness) -> None:
    h = harness
    config = GraphAppConfig(
        authority=h.info.authority,
        client_id=h.info.admin_client_id,
        client_secret=h.info.admin_client_secret,
        graph_base_url=h.info.graph_base_url,
        ca_bundle=h.info.ca_file,
    )
    provider = h.provider(auth=AppOnlyAuth(config), mailbox=h.info.user)
    assert isinstance(provider, GraphCalendarProvider)
    assert provider.account_email == h.info.user
    assert {c.display_name for c in provider.list_calendars()} == {
        "Calendar",
        "Projects",
        "Team Holidays",
    }


def test_occurrence_cancelled_at_the_provider_is_reported_and_fetch_shows_the_exdate(
    harness: Harness,
) -> None:
    h = harness
    cal = new_calendar(h)
    start = _base_day().replace(hour=12)
    series = control_create(h, cal, graph_event("Retro", start, recurrence=weekly(start, 4)))
    provider = h.provider()
    first = provider.pull(cal, None, h.window)
    (folded,) = first.items
    h.control.call("DELETE", f"/events/{series['id']}/occurrences/1")

    second = provider.pull(cal, first.cursor, h.window)
    # Graph reports the occurrence id as removed; the engine resolves member ids to their
    # series and fetches the series again.
    assert second.items == () and len(second.removed) == 1
    assert second.removed[0] in folded.member_ids
    refreshed = provider.fetch(cal, series["id"], h.window)
    assert refreshed is not None and refreshed.remote_id == series["id"]
    assert exdates_of(refreshed) == {start + dt.timedelta(days=7)}
    assert len(refreshed.member_ids) == 3


def test_fetch_of_an_unknown_event_is_none(harness: Harness) -> None:
    provider = harness.provider()
    cal = next(c for c in provider.list_calendars() if c.is_default).remote_id
    assert provider.fetch(cal, "AAMkADdoesnotexist", harness.window) is None


def test_consent_errors_carry_the_identity_platform_description(sandbox: SandboxInfo) -> None:
    config = app_config(sandbox)
    auth = GraphAuth(config, None, lambda blob: None)
    _, flow = auth.begin_consent(REDIRECT_URI, DELEGATED_SCOPES_WRITE)
    with pytest.raises(AuthFailed) as declined:
        auth.complete_consent(
            flow,
            {
                "error": "access_denied",
                "state": flow["state"],
                "error_description": "AADSTS65004: User declined.",
            },
        )
    assert "AADSTS65004" in declined.value.message
    with pytest.raises(AuthFailed):
        auth.complete_consent(flow, {"code": "forged", "state": "not-the-state"})
    with pytest.raises(AuthExpired):
        auth.access_token()  # nothing consented yet
