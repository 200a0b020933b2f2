# ruff: noqa: F811  (sandbox fixtures are imported so that `contract` can request them)
"""The CalendarProvider contract: one scenario list, run for Graph, Google and EWS (C1, C5, C6).

Each test runs once per provider against its real sandbox (session-scoped, reset before every
test); provider-side changes and faults go through the sandbox control APIs via the adapters in
tests/contract/harness.py. Provider-specific behaviour (consent, tokens, scopes, app-only access,
auth types) stays in the per-provider test files.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from bridge.errors import PreconditionFailed, ProviderBusy, ProviderError, ReadOnly
from bridge.model import RemoteItem
from bridge.providers.base import CalendarProvider
from tests.contract.ews_harness import ews_sandbox  # noqa: F401
from tests.contract.google_harness import (  # noqa: F401
    gh_fixture,
    google_control_fixture,
    google_sandbox_fixture,
)
from tests.contract.harness import JOIN_URLS, EventSpec, ProviderHarness, contract  # noqa: F401

UTC = dt.UTC
_H2 = dt.timedelta(hours=2)


def _day(hour: int, days: int = 5) -> dt.datetime:
    today = dt.datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + dt.timedelta(days=days, hours=hour)


def _z(value: dt.datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def vevent(
    uid: str,
    summary: str,
    start: dt.datetime,
    rrule: str = "",
    recurrence_id: dt.datetime | None = None,
) -> str:
    lines = ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20250101T000000Z", f"SUMMARY:{summary}"]
    lines += [f"DTSTART:{_z(start)}", f"DTEND:{_z(start + dt.timedelta(minutes=30))}"]
    lines += [f"RRULE:{rrule}"] if rrule else []
    lines += [f"RECURRENCE-ID:{_z(recurrence_id)}"] if recurrence_id else []
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


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def calendar(provider: CalendarProvider, which: str) -> str:
    calendars = provider.list_calendars()
    if which == "default":
        return next(c.remote_id for c in calendars if c.is_default)
    return next(c.remote_id for c in calendars if c.display_name == which)


def pulled(h: ProviderHarness, cal: str, event_id: str) -> RemoteItem:
    """The resource `event_id` as a full pull lists it, checked against a direct fetch."""
    provider = h.provider()
    items = [i for i in provider.pull(cal, None, h.window).items if i.remote_id == event_id]
    assert len(items) == 1, f"{event_id} listed {len(items)} times"
    fetched = provider.fetch(cal, event_id, h.window)
    assert fetched is not None and fetched.ical == items[0].ical
    return items[0]


# --- C1 calendars ---------------------------------------------------------------------------
def test_calendars_default_projects_and_read_only(contract: ProviderHarness) -> None:
    provider = contract.provider()
    calendars = provider.list_calendars()
    defaults = [c for c in calendars if c.is_default]
    assert len(defaults) == 1 and not defaults[0].read_only
    projects = [c for c in calendars if c.display_name == "Projects"]
    assert len(projects) == 1 and not projects[0].read_only and not projects[0].is_default
    read_only = [c for c in calendars if c.read_only]
    assert read_only and not any(c.is_default for c in read_only)
    with pytest.raises(ReadOnly):
        provider.create(
            read_only[0].remote_id,
            vcalendar(vevent("ro-1", "Not allowed", _day(9))),
            "ro-key",
            contract.window,
        )


# --- C6 reads -------------------------------------------------------------------------------
def test_single_event(contract: ProviderHarness) -> None:
    h = contract
    cal = calendar(h.provider(), "Projects")
    start = _day(9)
    event_id = h.add_event(cal, EventSpec("Dentist", start, start + dt.timedelta(minutes=45)))
    item = pulled(h, cal, event_id)
    event = master_of(item)
    assert str(event["SUMMARY"]) == "Dentist" and item.uid and item.member_ids == ()
    assert event.decoded("DTSTART").astimezone(UTC) == start
    assert event.decoded("DTEND").astimezone(UTC) == start + dt.timedelta(minutes=45)
    assert event.get("RRULE") is None


def test_all_day_event(contract: ProviderHarness) -> None:
    h = contract
    cal = calendar(h.provider(), "Projects")
    start = _day(0)
    spec = EventSpec("Offsite", start, start + dt.timedelta(days=2), all_day=True)
    event = master_of(pulled(h, cal, h.add_event(cal, spec)))
    assert event.decoded("DTSTART") == start.date()
    assert not isinstance(event.decoded("DTSTART"), dt.datetime)
    assert event.decoded("DTEND") == start.date() + dt.timedelta(days=2)


def test_recurring_event_with_moved_and_cancelled_occurrences(contract: ProviderHarness) -> None:
    h = contract
    cal = calendar(h.provider(), "Projects")
    start = _day(9)
    spec = EventSpec("Weekly sync", start, start + dt.timedelta(minutes=30), weekly_count=6)
    series = h.add_event(cal, spec)
    moved = start + dt.timedelta(days=7, hours=2)
    h.move_occurrence(cal, series, 1, moved, "Weekly sync (moved)")
    h.cancel_occurrence(cal, series, 2)

    item = pulled(h, cal, series)

    master = master_of(item)
    assert "FREQ=WEEKLY" in master["RRULE"].to_ical().decode()
    assert master.decoded("DTSTART").astimezone(UTC) == start
    assert exdates_of(item) == {start + dt.timedelta(days=14)}
    overrides = overrides_of(item)
    assert list(overrides) == [start + dt.timedelta(days=7)]
    override = overrides[start + dt.timedelta(days=7)]
    assert str(override["SUMMARY"]) == "Weekly sync (moved)"
    assert override.decoded("DTSTART").astimezone(UTC) == moved
    assert {str(c["UID"]) for c in components(item)} == {item.uid}
    assert item.member_ids and series not in item.member_ids


def test_private_event(contract: ProviderHarness) -> None:
    h = contract
    cal = calendar(h.provider(), "Projects")
    start = _day(12)
    spec = EventSpec("Doctor", start, start + dt.timedelta(hours=1), private=True)
    assert str(master_of(pulled(h, cal, h.add_event(cal, spec)))["CLASS"]) == "PRIVATE"


def test_event_starting_and_ending_in_different_time_zones(contract: ProviderHarness) -> None:
    h = contract
    cal = calendar(h.provider(), "Projects")
    day = _day(0).date()
    start = dt.datetime(day.year, day.month, day.day, 18, tzinfo=ZoneInfo("America/New_York"))
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(8), ZoneInfo("Europe/Berlin"))
    item = pulled(h, cal, h.add_event(cal, EventSpec("Flight JFK-BER", start, end)))
    event = master_of(item)
    dtstart, dtend = event.decoded("DTSTART"), event.decoded("DTEND")
    assert dtstart == start and dtend == end  # the same instants
    assert (dtstart.hour, dtend.hour) == (18, 8)  # shown in their own zones
    tzids = {event["DTSTART"].params["TZID"], event["DTEND"].params["TZID"]}
    assert len(tzids) == 2
    vtimezones = {str(tz["TZID"]) for tz in Calendar.from_ical(item.ical).walk("VTIMEZONE")}
    assert tzids <= vtimezones


@pytest.mark.parametrize("kind", ["zoom", "teams", "meet"])
def test_online_meeting_link(contract: ProviderHarness, kind: str) -> None:
    h = contract
    cal = calendar(h.provider(), "Projects")
    start = _day(15)
    spec = EventSpec(f"{kind} call", start, start + dt.timedelta(hours=1), conference=kind)
    event = master_of(pulled(h, cal, h.add_event(cal, spec)))
    url = JOIN_URLS[kind]
    if kind in h.structured_conference:
        videos = [c for c in as_list(event.get("CONFERENCE")) if c.params["FEATURE"] == "VIDEO"]
        assert [str(c) for c in videos] == [url]
    else:  # no structured data at this provider: the invitation text carries the link
        assert url in str(event.get("DESCRIPTION", "")) + str(event.get("LOCATION", ""))


# --- C5 writes ------------------------------------------------------------------------------
def test_create_edit_and_time_move_keep_one_event(contract: ProviderHarness) -> None:
    h = contract
    provider = h.provider()
    cal = calendar(provider, "Projects")
    start = _day(10)
    created = provider.create(
        cal, vcalendar(vevent("move-1", "Design review", start)), "key-move-1", h.window
    )
    assert str(master_of(created)["SUMMARY"]) == "Design review"

    edited = provider.update(
        cal,
        created.remote_id,
        created.version,
        vcalendar(vevent("move-1", "Design review (v2)", start)),
        h.window,
    )
    assert edited.remote_id == created.remote_id and edited.version != created.version
    later = start + dt.timedelta(days=1, hours=3)
    moved = provider.update(
        cal,
        edited.remote_id,
        edited.version,
        vcalendar(vevent("move-1", "Design review (v2)", later)),
        h.window,
    )

    assert moved.remote_id == created.remote_id and moved.version != edited.version
    full = h.provider().pull(cal, None, h.window)
    mine = [i for i in full.items if i.uid == created.uid]
    assert [i.remote_id for i in mine] == [created.remote_id]
    event = master_of(mine[0])
    assert str(event["SUMMARY"]) == "Design review (v2)"
    assert event.decoded("DTSTART").astimezone(UTC) == later
    assert mine[0].ical == moved.ical


def test_editing_one_occurrence_makes_a_provider_exception(contract: ProviderHarness) -> None:
    h = contract
    provider = h.provider()
    cal = calendar(provider, "Projects")
    start = _day(16)
    rule = "FREQ=WEEKLY;COUNT=5"
    series = provider.create(
        cal, vcalendar(vevent("ser-1", "1:1", start, rrule=rule)), "key-ser-1", h.window
    )
    assert h.exception_count(cal, series.remote_id, 5) == 0
    second = start + dt.timedelta(days=7)
    ical = vcalendar(
        vevent("ser-1", "1:1", start, rrule=rule),
        vevent("ser-1", "1:1 (walk)", second + dt.timedelta(hours=1), recurrence_id=second),
    )

    updated = provider.update(cal, series.remote_id, series.version, ical, h.window)

    assert updated.remote_id == series.remote_id
    assert h.exception_count(cal, series.remote_id, 5) == 1
    override = overrides_of(updated)[second]
    assert str(override["SUMMARY"]) == "1:1 (walk)"
    assert override.decoded("DTSTART").astimezone(UTC) == second + dt.timedelta(hours=1)
    full = h.provider().pull(cal, None, h.window)
    assert [i.remote_id for i in full.items if i.uid == series.uid] == [series.remote_id]


def test_delete(contract: ProviderHarness) -> None:
    h = contract
    provider = h.provider()
    cal = calendar(provider, "Projects")
    item = provider.create(cal, vcalendar(vevent("del-1", "Coffee", _day(8))), "k-del", h.window)
    before = provider.pull(cal, None, h.window)
    assert item.remote_id in {i.remote_id for i in before.items}

    provider.delete(cal, item.remote_id, item.version)

    assert provider.fetch(cal, item.remote_id, h.window) is None
    assert item.remote_id in provider.pull(cal, before.cursor, h.window).removed
    full = provider.pull(cal, None, h.window)
    assert item.remote_id not in {i.remote_id for i in full.items}
    provider.delete(cal, item.remote_id, None)  # already gone: nothing to do


def test_stale_edit_is_refused_and_nothing_is_written(contract: ProviderHarness) -> None:
    h = contract
    provider = h.provider()
    cal = calendar(provider, "Projects")
    start = _day(14)
    rule = "FREQ=WEEKLY;COUNT=3"
    item = provider.create(
        cal, vcalendar(vevent("stale-1", "Board", start, rrule=rule)), "key-stale-1", h.window
    )
    h.rename(cal, item.remote_id, "Board (edited at the provider)")
    snapshot, mark = h.snapshot(cal), h.write_mark()
    second = start + dt.timedelta(days=7)
    mine = vcalendar(
        vevent("stale-1", "Board (mine)", start, rrule=rule),
        vevent("stale-1", "Board special", second, recurrence_id=second),
    )

    with pytest.raises(PreconditionFailed):
        provider.update(cal, item.remote_id, item.version, mine, h.window)

    assert h.writes_since(mark) == 0
    assert h.snapshot(cal) == snapshot
    assert h.exception_count(cal, item.remote_id, 3) == 0
    current = provider.fetch(cal, item.remote_id, h.window)
    assert current is not None
    assert str(master_of(current)["SUMMARY"]) == "Board (edited at the provider)"


# --- C6 incremental pulls -------------------------------------------------------------------
def test_provider_side_changes_arrive_in_an_incremental_pull(contract: ProviderHarness) -> None:
    h = contract
    provider = h.provider()
    cal = calendar(provider, "Projects")
    start = _day(13)
    keep = h.add_event(cal, EventSpec("Unchanged", start, start + dt.timedelta(minutes=30)))
    edit = h.add_event(cal, EventSpec("Budget", start + dt.timedelta(hours=1), start + _H2))
    gone = h.add_event(cal, EventSpec("Lunch", start + _H2, start + dt.timedelta(hours=3)))
    first = provider.pull(cal, None, h.window)
    assert {keep, edit, gone} <= {i.remote_id for i in first.items}

    h.rename(cal, edit, "Budget (final)")
    h.delete(cal, gone)
    new = h.add_event(cal, EventSpec("New", start + _H2, start + dt.timedelta(hours=3)))
    second = provider.pull(cal, first.cursor, h.window)

    assert not second.reset
    items = {i.remote_id: i for i in second.items}
    assert set(items) == {edit, new}
    assert str(master_of(items[edit])["SUMMARY"]) == "Budget (final)"
    assert second.removed == (gone,)
    third = provider.pull(cal, second.cursor, h.window)
    assert third.items == () and third.removed == ()


def test_expired_cursor_resets_with_the_same_remote_ids(contract: ProviderHarness) -> None:
    h = contract
    provider = h.provider()
    cal = calendar(provider, "default")
    first = provider.pull(cal, None, h.window)
    assert len(first.items) > 5
    h.expire_cursors()

    again = provider.pull(cal, first.cursor, h.window)

    assert again.reset
    assert {i.remote_id: i.ical for i in again.items} == {i.remote_id: i.ical for i in first.items}
    follow_up = provider.pull(cal, again.cursor, h.window)
    assert not follow_up.reset and follow_up.items == ()


# --- throttling and failures ----------------------------------------------------------------
def test_throttled_pull_waits_as_told_and_succeeds(contract: ProviderHarness) -> None:
    h = contract
    provider = h.provider()
    cal = calendar(provider, "default")
    reference = provider.pull(cal, None, h.window)
    waits = h.throttle_next_pull()

    result = provider.pull(cal, None, h.window)

    assert h.sleeps == waits
    assert {i.remote_id for i in result.items} == {i.remote_id for i in reference.items}


def test_throttled_write_fails_fast_with_retry_after(contract: ProviderHarness) -> None:
    h = contract
    provider = h.provider()
    cal = calendar(provider, "Projects")
    snapshot = h.snapshot(cal)
    h.throttle_next_create(30)

    with pytest.raises(ProviderBusy) as busy:
        provider.create(cal, vcalendar(vevent("busy-1", "Busy", _day(11))), "k-busy", h.window)

    assert busy.value.retry_after == 30.0 and h.sleeps == []
    assert h.snapshot(cal) == snapshot


def test_failure_after_the_first_page_raises_and_a_retry_completes(
    contract: ProviderHarness,
) -> None:
    h = contract
    cal = calendar(h.provider(), "default")
    reference = h.provider().pull(cal, None, h.window)
    provider = h.paged_provider()
    h.fail_after_first_page()

    with pytest.raises(ProviderError):
        provider.pull(cal, None, h.window)
    retried = provider.pull(cal, None, h.window)

    assert retried.reset
    assert {i.remote_id: i.ical for i in retried.items} == {
        i.remote_id: i.ical for i in reference.items
    }
    assert retried.requests > reference.requests  # it really took several pages/rounds
