"""The CalendarProvider contract, bound to Google Calendar v3 through the sandbox (C1, C5, C6, A2).

Provider-side changes and faults go through the sandbox's control API only; the provider talks
to the emulated Google OAuth and Calendar endpoints with google-auth and googleapiclient as it
would to Google. Fixtures (`gh`: a consented connection on a freshly reset sandbox) come from
tests/contract/google_harness.py.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import quote

import pytest
from icalendar import Calendar

from bridge.errors import AuthExpired, AuthFailed, PreconditionFailed, ProviderBusy, ReadOnly
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
ZOOM = {
    "conferenceSolution": {"key": {"type": "addOn"}, "name": "Zoom Meeting"},
    "conferenceId": "85512345678",
    "entryPoints": [
        {
            "entryPointType": "video",
            "uri": "https://us02web.zoom.us/j/85512345678?pwd=abc",
            "meetingCode": "85512345678",
            "passcode": "424242",
        },
        {"entryPointType": "phone", "uri": "tel:+16699006833,,85512345678#", "pin": "424242"},
    ],
}


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


def api_writes(h: Harness, since: float) -> list[dict[str, Any]]:
    log = h.control.call("GET", f"/requests?since={since}&prefix=/calendar/v3")
    return [r for r in log if r["method"] != "GET" and r["status"] < 300]


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


def test_writing_a_read_only_calendar_is_refused(gh: Harness) -> None:
    provider = gh.provider()
    holidays = next(c for c in provider.list_calendars() if c.read_only)
    with pytest.raises(ReadOnly):
        provider.create(
            holidays.remote_id,
            vcalendar(vevent("ro-1", "Not allowed", _base_day())),
            "ro-key",
            gh.window,
        )


# --- C6 pulls -------------------------------------------------------------------------------
def test_full_pull_folds_a_series_with_exdate_override_and_conference(gh: Harness) -> None:
    h = gh
    cal = new_calendar(h)
    start = _base_day().replace(hour=9)
    series = control_create(
        h,
        cal,
        google_event(
            "Weekly sync", start, recurrence=["RRULE:FREQ=WEEKLY;COUNT=6"], conferenceData=ZOOM
        ),
    )
    single = control_create(h, cal, google_event("Dentist", start + dt.timedelta(days=1)))
    moved = start + dt.timedelta(days=7, hours=2)
    h.control.call(
        "PATCH",
        events_path(cal, series["id"], "occurrences", "1"),
        google_event("Weekly sync (moved)", moved),
    )
    h.control.call("DELETE", events_path(cal, series["id"], "occurrences", "2"))

    result = h.provider().pull(cal, None, h.window)

    assert result.reset and result.removed == ()
    items = {i.remote_id: i for i in result.items}
    assert set(items) == {series["id"], single["id"]}
    folded = items[series["id"]]
    assert folded.uid == series["iCalUID"] and len(folded.member_ids) == 2
    master = master_of(folded)
    assert "FREQ=WEEKLY" in master.get("RRULE").to_ical().decode()
    assert exdates_of(folded) == {start + dt.timedelta(days=14)}
    (override,) = overrides_of(folded).items()
    assert override[0] == start + dt.timedelta(days=7)
    assert str(override[1]["SUMMARY"]) == "Weekly sync (moved)"
    assert override[1].decoded("DTSTART").astimezone(UTC) == moved
    conferences = master["CONFERENCE"]
    assert str(conferences[0]) == "https://us02web.zoom.us/j/85512345678?pwd=abc"
    assert conferences[0].params["X-PASSCODE"] == "424242"
    assert str(master["X-CONFERENCE-ID"]) == "85512345678"
    assert set(json.loads(folded.version)) == {series["id"], *folded.member_ids}


def test_incremental_pull_returns_only_the_changes(gh: Harness) -> None:
    h = gh
    cal = new_calendar(h)
    start = _base_day().replace(hour=13)
    keep = control_create(h, cal, google_event("Unchanged", start))
    edit = control_create(h, cal, google_event("Budget review", start + dt.timedelta(hours=2)))
    gone = control_create(h, cal, google_event("Lunch", start + dt.timedelta(hours=4)))
    series = control_create(
        h,
        cal,
        google_event(
            "Standup", start + dt.timedelta(days=1), recurrence=["RRULE:FREQ=WEEKLY;COUNT=4"]
        ),
    )
    provider = h.provider()
    first = provider.pull(cal, None, h.window)
    assert {i.remote_id for i in first.items} == {keep["id"], edit["id"], gone["id"], series["id"]}

    h.control.call("PATCH", events_path(cal, edit["id"]), {"summary": "Budget review (final)"})
    h.control.call("DELETE", events_path(cal, gone["id"]))
    h.control.call(
        "PATCH", events_path(cal, series["id"], "occurrences", "2"), {"summary": "Standup+demo"}
    )
    second = provider.pull(cal, first.cursor, h.window)

    assert not second.reset
    items = {i.remote_id: i for i in second.items}
    assert set(items) == {edit["id"], series["id"]}
    assert str(master_of(items[edit["id"]])["SUMMARY"]) == "Budget review (final)"
    assert [str(c["SUMMARY"]) for c in overrides_of(items[series["id"]]).values()] == [
        "Standup+demo"
    ]
    assert second.removed == (gone["id"],)

    third = provider.pull(cal, second.cursor, h.window)
    assert third.items == () and third.removed == () and third.requests == 1


def test_expired_sync_token_gives_a_reset_with_the_same_items(gh: Harness) -> None:
    h = gh
    provider = h.provider()
    cal = next(c for c in provider.list_calendars() if c.is_default).remote_id
    first = provider.pull(cal, None, h.window)
    assert len(first.items) > 10
    h.control.call("POST", "/sync/expire")

    again = provider.pull(cal, first.cursor, h.window)

    assert again.reset
    assert {i.remote_id: i.ical for i in again.items} == {i.remote_id: i.ical for i in first.items}
    follow_up = provider.pull(cal, again.cursor, h.window)
    assert not follow_up.reset and follow_up.items == ()


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


def test_rate_limited_pull_backs_off_and_succeeds(gh: Harness) -> None:
    h = gh
    cal = new_calendar(h)
    control_create(h, cal, google_event("Planning", _base_day()))
    h.control.fault(match=r"^GET .*/events", status=403, reason="rateLimitExceeded", times=1)
    h.control.fault(match=r"^GET .*/events", status=429, times=1)
    result = h.provider().pull(cal, None, h.window)
    assert len(result.items) == 1 and result.requests == 3
    assert h.sleeps == [1.0, 2.0]


# --- C5 writes ------------------------------------------------------------------------------
def test_create_then_time_move_keeps_the_same_event(gh: Harness) -> None:
    h = gh
    cal = new_calendar(h)
    provider = h.provider()
    before = provider.pull(cal, None, h.window)
    start = _base_day().replace(hour=10)

    created = provider.create(
        cal, vcalendar(vevent("move-1", "Design review", start)), "key-move-1", h.window
    )
    later = start + dt.timedelta(days=1, hours=3)
    moved = provider.update(
        cal,
        created.remote_id,
        created.version,
        vcalendar(vevent("move-1", "Design review", later)),
        h.window,
    )

    assert moved.remote_id == created.remote_id and moved.version != created.version
    assert master_of(moved).decoded("DTSTART").astimezone(UTC) == later
    assert [e["id"] for e in live_singles_and_masters(h, cal)] == [created.remote_id]
    after = provider.pull(cal, before.cursor, h.window)
    assert [i.remote_id for i in after.items] == [created.remote_id]
    assert after.items[0].ical == moved.ical


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


def test_editing_one_occurrence_creates_an_exception(gh: Harness) -> None:
    h = gh
    cal = new_calendar(h)
    provider = h.provider()
    start = _base_day().replace(hour=16)
    rule = "FREQ=WEEKLY;COUNT=5"
    series = provider.create(
        cal, vcalendar(vevent("ser-1", "1:1", start, rrule=rule)), "key-ser-1", h.window
    )
    second = start + dt.timedelta(days=7)
    ical = vcalendar(
        vevent("ser-1", "1:1", start, rrule=rule),
        vevent("ser-1", "1:1 (walk)", second + dt.timedelta(hours=1), recurrence_id=second),
    )

    updated = provider.update(cal, series.remote_id, series.version, ical, h.window)

    assert updated.remote_id == series.remote_id
    exceptions = [e for e in stored(h, cal) if e.get("recurringEventId") == series.remote_id]
    assert [e["summary"] for e in exceptions] == ["1:1 (walk)"]
    assert [str(c["SUMMARY"]) for c in overrides_of(updated).values()] == ["1:1 (walk)"]
    assert updated.member_ids == (exceptions[0]["id"],)
    assert [e["id"] for e in live_singles_and_masters(h, cal)] == [series.remote_id]


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


def test_stale_version_is_refused_and_nothing_is_written(gh: Harness) -> None:
    h = gh
    cal = new_calendar(h)
    provider = h.provider()
    start = _base_day().replace(hour=14)
    rule = "FREQ=WEEKLY;COUNT=3"
    item = provider.create(
        cal, vcalendar(vevent("stale-1", "Board", start, rrule=rule)), "key-stale-1", h.window
    )
    h.control.call("PATCH", events_path(cal, item.remote_id), {"summary": "Board (edited)"})
    since = h.control.call("GET", "/requests")[-1]["ts"]
    second = start + dt.timedelta(days=7)
    mine = vcalendar(
        vevent("stale-1", "Board (mine)", start, rrule=rule),
        vevent("stale-1", "Board special", second, recurrence_id=second),
    )

    with pytest.raises(PreconditionFailed):
        provider.update(cal, item.remote_id, item.version, mine, h.window)

    assert h.control.call("GET", events_path(cal, item.remote_id))["summary"] == "Board (edited)"
    assert not [e for e in stored(h, cal) if e.get("recurringEventId")]
    assert api_writes(h, since) == []


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
    assert provider.list_calendars()
    stored_blobs = len(h.connection.blobs)
    h.control.call("POST", "/tokens/expire")
    assert len(provider.list_calendars()) == 3
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
