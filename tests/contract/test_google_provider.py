"""The CalendarProvider contract, bound to Google Calendar v3 through the sandbox (C1, C5, C6, A2).

Provider-side changes and faults go through the sandbox's control API only; the provider talks
to the emulated Google OAuth and Calendar endpoints with google-auth and googleapiclient as it
would to Google. Fixtures (`gh`: a consented connection on a freshly reset sandbox) come from
tests/contract/google_harness.py.

The scenarios shared by all providers live in test_calendar_contract.py; this file keeps the
Google specifics.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import quote

import pytest
from icalendar import Calendar

from bridge.errors import AuthExpired, AuthFailed, PreconditionFailed, ProviderBusy
from bridge.model import RemoteItem
from bridge.providers.google.auth import SCOPES_WRITE, GoogleAuth
from tests.contract.google_harness import (  # noqa: F401 (fixtures)
    REDIRECT_URI,
    Harness,
    app_config,
    gh_fixture,
    google_control_fixture,
    google_sandbox_fixture,
)

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
    head = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//contract//test//EN"]
    return "\r\n".join([*head, *events, "END:VCALENDAR"]) + "\r\n"


def components(item: RemoteItem) -> list[Any]:
    return list(Calendar.from_ical(item.ical).walk("VEVENT"))


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
    out: set[dt.datetime] = set()
    for prop in raw if isinstance(raw, list) else [raw] if raw is not None else []:
        out.update(d.dt.astimezone(UTC) for d in prop.dts)
    return out


def google_event(
    summary: str, start: dt.datetime, minutes: int = 30, **extra: Any
) -> dict[str, Any]:
    end = start + dt.timedelta(minutes=minutes)
    return {
        "summary": summary,
        "start": {"dateTime": start.isoformat(), "timeZone": "UTC"},
        "end": {"dateTime": end.isoformat(), "timeZone": "UTC"},
        **extra,
    }


def new_calendar(h: Harness, name: str = "Contract") -> str:
    entry = h.control.call("POST", "/calendars", {"summary": name, "timeZone": "UTC"})
    return str(entry["id"])


def events_path(cal: str, *rest: str) -> str:
    return "/".join([f"/calendars/{quote(cal)}/events", *(quote(r) for r in rest)])


def control_create(h: Harness, cal: str, body: dict[str, Any]) -> dict[str, Any]:
    return dict(h.control.call("POST", events_path(cal), body))


def stored(h: Harness, cal: str) -> list[dict[str, Any]]:
    return list(h.control.call("GET", events_path(cal)))


def live_singles_and_masters(h: Harness, cal: str) -> list[dict[str, Any]]:
    return [
        e
        for e in stored(h, cal)
        if e.get("status") != "cancelled" and not e.get("recurringEventId")
    ]


# --- C1 -------------------------------------------------------------------------------------
def test_account_and_calendars_with_a_read_only_one(gh: Harness) -> None:
    provider = gh.provider()
    assert provider.account_email == gh.info.user == gh.connection.email
    calendars = {c.display_name: c for c in provider.list_calendars()}
    primary = calendars[gh.info.user]
    assert primary.is_default and not primary.read_only and primary.owner_email is None
    read_only = [c for c in calendars.values() if c.read_only]
    assert read_only and not any(c.is_default for c in read_only)
    assert all(c.color and c.color.startswith("#") for c in calendars.values())


# --- C6 pulls -------------------------------------------------------------------------------
def test_failure_halfway_through_a_paged_pull_changes_nothing_and_a_retry_completes(
    gh: Harness,
) -> None:
    h = gh
    cal = new_calendar(h)
    start = _base_day().replace(hour=8)
    made = {
        control_create(h, cal, google_event(f"Slot {n}", start + dt.timedelta(hours=n)))["id"]
        for n in range(12)
    }
    provider = h.provider(page_size=5)
    first = provider.pull(cal, None, h.window)
    assert {i.remote_id for i in first.items} == made and first.requests == 3

    for event_id in made:
        h.control.call("PATCH", events_path(cal, event_id), {"summary": "Renamed"})
    # Every attempt at the second page fails until the pull policy gives up.
    h.control.fault(match=r"^GET .*/events\?.*pageToken", status=503, times=5)
    with pytest.raises(ProviderBusy):
        provider.pull(cal, first.cursor, h.window)
    retried = provider.pull(cal, first.cursor, h.window)
    assert not retried.reset
    assert {i.remote_id for i in retried.items} == made
    assert {str(master_of(i)["SUMMARY"]) for i in retried.items} == {"Renamed"}


# --- C5 writes ------------------------------------------------------------------------------
def test_create_with_the_same_idempotency_key_makes_one_event(gh: Harness) -> None:
    h = gh
    cal = new_calendar(h)
    provider = h.provider()
    ical = vcalendar(vevent("idem-1", "Offsite", _base_day().replace(hour=15)))
    first = provider.create(cal, ical, "same-key", h.window)
    second = provider.create(cal, ical, "same-key", h.window)
    assert second.remote_id == first.remote_id
    assert [e["summary"] for e in live_singles_and_masters(h, cal)] == ["Offsite"]
    third = provider.create(cal, ical, "other-key", h.window)
    assert third.remote_id != first.remote_id


def test_cancelling_one_occurrence_becomes_an_exdate(gh: Harness) -> None:
    h = gh
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

    assert exdates_of(updated) == {third}
    again = provider.fetch(cal, series.remote_id, h.window)
    assert again is not None and exdates_of(again) == {third}


def test_create_of_a_series_with_override_and_exdate(gh: Harness) -> None:
    h = gh
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


def test_delete_respects_the_version_and_is_seen_by_the_next_pull(gh: Harness) -> None:
    h = gh
    cal = new_calendar(h)
    provider = h.provider()
    item = provider.create(
        cal, vcalendar(vevent("del-1", "Coffee", _base_day())), "key-del-1", h.window
    )
    before = provider.pull(cal, None, h.window)
    h.control.call("PATCH", events_path(cal, item.remote_id), {"summary": "Coffee?"})
    with pytest.raises(PreconditionFailed):
        provider.delete(cal, item.remote_id, item.version)
    current = provider.fetch(cal, item.remote_id, h.window)
    assert current is not None
    provider.delete(cal, item.remote_id, current.version)
    assert provider.fetch(cal, item.remote_id, h.window) is None
    after = provider.pull(cal, before.cursor, h.window)
    assert item.remote_id in after.removed
    provider.delete(cal, item.remote_id, None)  # already gone: nothing to do


def test_throttled_write_fails_fast_with_retry_after(gh: Harness) -> None:
    h = gh
    cal = new_calendar(h)
    provider = h.provider()
    ical = vcalendar(vevent("busy-1", "Throttled", _base_day()))
    h.control.fault(match=r"^POST .*/events", status=429, retry_after=30, times=1)
    with pytest.raises(ProviderBusy) as info:
        provider.create(cal, ical, "key-busy-1", h.window)
    assert info.value.retry_after == 30.0 and h.sleeps == []
    assert live_singles_and_masters(h, cal) == []

    h.control.fault(match=r"^POST .*/events", status=403, reason="userRateLimitExceeded", times=1)
    item = provider.create(cal, ical, "key-busy-1", h.window)
    assert h.sleeps == [1.0]
    assert [e["id"] for e in live_singles_and_masters(h, cal)] == [item.remote_id]


# --- A2 tokens ------------------------------------------------------------------------------
def test_expired_access_token_is_refreshed_transparently(gh: Harness) -> None:
    h = gh
    provider = h.provider()
    listed = provider.list_calendars()
    assert listed
    stored_blobs = len(h.connection.blobs)
    h.control.call("POST", "/tokens/expire")
    assert len(provider.list_calendars()) == len(listed)
    assert len(h.connection.blobs) > stored_blobs  # the refreshed tokens were handed over
    assert "refresh_token" in json.loads(h.connection.blobs[-1])
    # A process restarted from the stored blob works without a new consent.
    assert h.provider().account_email == h.info.user


def test_revoked_refresh_token_needs_reauthorization(gh: Harness) -> None:
    h = gh
    provider = h.provider()
    assert provider.list_calendars()
    h.control.call("POST", "/tokens/revoke", {})
    h.control.call("POST", "/tokens/expire")
    with pytest.raises(AuthExpired):
        provider.list_calendars()
    with pytest.raises(AuthExpired):
        h.provider().list_calendars()


def test_revoke_forgets_the_tokens(gh: Harness) -> None:
    auth = gh.connection.auth()
    auth.revoke()
    assert "refresh_token" not in json.loads(gh.connection.blobs[-1])
    with pytest.raises(AuthExpired):
        auth.credentials()


def test_consent_errors_are_auth_failures(gh: Harness) -> None:
    auth = GoogleAuth(app_config(gh.info), None, lambda blob: None)
    _, flow = auth.begin_consent(REDIRECT_URI, SCOPES_WRITE)
    with pytest.raises(AuthFailed) as denied:
        auth.complete_consent(flow, {"error": "access_denied", "state": flow["state"]})
    assert "access_denied" in denied.value.message
    with pytest.raises(AuthFailed):
        auth.complete_consent(flow, {"code": "forged", "state": "not-the-state"})
    with pytest.raises(AuthFailed):
        auth.complete_consent(flow, {"code": "forged", "state": flow["state"]})
    with pytest.raises(AuthExpired):
        auth.credentials()  # nothing consented yet


def test_fetch_of_an_unknown_event_is_none(gh: Harness) -> None:
    provider = gh.provider()
    cal = next(c for c in provider.list_calendars() if c.is_default).remote_id
    assert provider.fetch(cal, "doesnotexist0000", gh.window) is None
