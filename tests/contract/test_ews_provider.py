# ruff: noqa: F811  (pytest fixtures imported from ews_harness are used as parameters)
"""EwsCalendarProvider against the EWS sandbox, with Basic and NTLM (SPEC C1, C5, C6).

What a user would notice: calendars listed, series shown as one event with its exceptions and
cancellations, edits made in Outlook arriving, client edits landing on the same Exchange item,
stale edits refused without damage, no duplicates on retried creates, throttling and changed
passwords reported in a way the bridge can act on, and pulls that never half-apply.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from typing import Any

import pytest
from icalendar import Calendar

from bridge.errors import AuthExpired, AuthFailed, PreconditionFailed, ProviderBusy, ProviderError
from bridge.providers.ews.account import test_connection
from bridge.providers.ews.provider import EwsCalendarProvider
from tests.contract.ews_harness import EwsHarness, ews, ews_sandbox  # noqa: F401

UID = "davbridge-contract-1@example.net"


def _ics(start: dt.datetime, summary: str = "Planning", extra: str = "", uid: str = UID) -> str:
    def fmt(value: dt.datetime) -> str:
        return value.strftime("%Y%m%dT%H%M%S")

    end = start + dt.timedelta(hours=1)
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20240101T000000Z\r\n"
        f"DTSTART;TZID=Europe/Berlin:{fmt(start)}\r\nDTEND;TZID=Europe/Berlin:{fmt(end)}\r\n"
        f"SUMMARY:{summary}\r\n{extra}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def _soon(days: int = 10, hour: int = 10) -> dt.datetime:
    day = dt.date.today() + dt.timedelta(days=days)
    return dt.datetime(day.year, day.month, day.day, hour, 0)


def _events(text: str) -> list[Any]:
    return list(Calendar.from_ical(text).walk("VEVENT"))


def _with_uid(ews: EwsHarness, uid: str) -> list[dict[str, Any]]:
    return [i for i in ews.control.items() if i["uid"] == uid]


def test_lists_default_and_other_calendars(ews: EwsHarness) -> None:
    calendars = ews.provider().list_calendars()
    assert sum(c.is_default for c in calendars) == 1
    assert len(calendars) >= 2
    assert any(c.read_only for c in calendars)  # the seeded shared holidays calendar


def test_full_pull_folds_series_with_exdate_and_override(ews: EwsHarness) -> None:
    provider = ews.provider()
    result = provider.pull(ews.calendar_id(provider), None, ews.window)
    assert result.reset and result.items and not result.removed
    known = {i["id"]: i for i in ews.control.items()}
    assert {i.remote_id for i in result.items} <= set(known)
    folded = [i for i in result.items if "EXDATE" in i.ical and "RECURRENCE-ID" in i.ical]
    assert folded, "the seed has a series with a moved and a cancelled occurrence"
    for item in folded:
        master, *overrides = _events(item.ical)
        assert master.get("RRULE") is not None and overrides
        assert len(item.member_ids) == len(known[item.remote_id]["exceptions"])
        assert set(json.loads(item.version)) == {item.remote_id, *item.member_ids}
    # one resource per series: no UID appears twice
    uids = [i.uid for i in result.items]
    assert len(uids) == len(set(uids))


def test_incremental_pull_sees_outlook_changes(ews: EwsHarness) -> None:
    provider = ews.provider()
    calendar = ews.calendar_id(provider)
    first = provider.pull(calendar, None, ews.window)
    single = next(i for i in first.items if "RRULE" not in i.ical)
    gone = next(i for i in first.items if i.remote_id != single.remote_id and "RRULE" not in i.ical)
    start = _soon(5).isoformat()
    new = ews.control.call(
        "POST",
        "/create",
        {
            "folder": "calendar",
            "fields": {
                "Subject": "Dentist",
                "Start": start + "Z",
                "End": _soon(5, 11).isoformat() + "Z",
            },
        },
    )
    ews.control.call("POST", "/update", {"id": single.remote_id, "fields": {"Subject": "Renamed"}})
    ews.control.call("POST", "/delete", {"id": gone.remote_id})
    second = provider.pull(calendar, first.cursor, ews.window)
    assert not second.reset
    by_id = {i.remote_id: i for i in second.items}
    assert set(by_id) == {new["id"], single.remote_id}
    assert "SUMMARY:Renamed" in by_id[single.remote_id].ical
    assert by_id[single.remote_id].version != single.version
    assert second.removed == (gone.remote_id,)
    assert provider.pull(calendar, second.cursor, ews.window).items == ()


def test_invalid_sync_state_gives_a_full_listing_with_the_same_ids(ews: EwsHarness) -> None:
    provider = ews.provider()
    calendar = ews.calendar_id(provider)
    first = provider.pull(calendar, None, ews.window)
    ews.control.call("POST", "/invalidate-sync-states")
    again = provider.pull(calendar, first.cursor, ews.window)
    assert again.reset
    assert {i.remote_id for i in again.items} == {i.remote_id for i in first.items}
    assert {i.ical for i in again.items} == {i.ical for i in first.items}


def test_create_then_time_move_keeps_the_item(ews: EwsHarness) -> None:
    provider = ews.provider()
    calendar = ews.calendar_id(provider)
    created = provider.create(calendar, _ics(_soon()), "key-1", ews.window)
    assert created.uid == UID and "SUMMARY:Planning" in created.ical
    moved = provider.update(
        calendar,
        created.remote_id,
        created.version,
        _ics(_soon(11, 14), "Planning v2"),
        ews.window,
    )
    assert moved.remote_id == created.remote_id and moved.version != created.version
    event = _events(moved.ical)[0]
    assert event["DTSTART"].dt.replace(tzinfo=None) == _soon(11, 14)
    assert str(event["SUMMARY"]) == "Planning v2"
    assert len(_with_uid(ews, UID)) == 1
    fetched = provider.fetch(calendar, created.remote_id, ews.window)
    assert fetched is not None and fetched.ical == moved.ical


def test_same_uid_created_twice_is_one_item(ews: EwsHarness) -> None:
    provider = ews.provider()
    calendar = ews.calendar_id(provider)
    first = provider.create(calendar, _ics(_soon()), "key-1", ews.window)
    second = ews.provider().create(calendar, _ics(_soon()), "key-1", ews.window)
    assert second.remote_id == first.remote_id
    assert len(_with_uid(ews, UID)) == 1


def test_occurrence_edit_becomes_exception_and_exdate_cancels(ews: EwsHarness) -> None:
    provider = ews.provider()
    calendar = ews.calendar_id(provider)
    start = _soon(14, 9)
    series = provider.create(
        calendar, _ics(start, "Standup", "RRULE:FREQ=DAILY;COUNT=5\r\n"), "k", ews.window
    )
    second = start + dt.timedelta(days=1)
    third = start + dt.timedelta(days=2)
    override = _ics(second + dt.timedelta(hours=2), "Standup (late)").split("BEGIN:VEVENT")[1]
    override = override.replace(
        "SUMMARY", f"RECURRENCE-ID;TZID=Europe/Berlin:{second:%Y%m%dT%H%M%S}\r\nSUMMARY"
    ).split("END:VEVENT")[0]
    text = _ics(
        start,
        "Standup",
        f"RRULE:FREQ=DAILY;COUNT=5\r\nEXDATE;TZID=Europe/Berlin:{third:%Y%m%dT%H%M%S}\r\n",
    ).replace("END:VCALENDAR", f"BEGIN:VEVENT{override}END:VEVENT\r\nEND:VCALENDAR")
    updated = provider.update(calendar, series.remote_id, series.version, text, ews.window)
    assert updated.remote_id == series.remote_id
    master, exception = _events(updated.ical)
    assert [d.dt.replace(tzinfo=None) for d in master["EXDATE"].dts] == [third]
    assert exception["RECURRENCE-ID"].dt.replace(tzinfo=None) == second
    assert exception["DTSTART"].dt.replace(tzinfo=None) == second + dt.timedelta(hours=2)
    assert str(exception["SUMMARY"]) == "Standup (late)"
    state = ews.control.item(series.remote_id)
    assert len(state["exceptions"]) == 1 and len(state["deleted_occurrences"]) == 1
    assert len(updated.member_ids) == 1


def test_stale_change_key_is_refused_and_nothing_is_written(ews: EwsHarness) -> None:
    provider = ews.provider()
    calendar = ews.calendar_id(provider)
    created = provider.create(calendar, _ics(_soon()), "k", ews.window)
    ews.control.call("POST", "/update", {"id": created.remote_id, "fields": {"Subject": "Outlook"}})
    writes_before = ews.control.counts().get("UpdateItem", 0)
    with pytest.raises(PreconditionFailed):
        provider.update(
            calendar, created.remote_id, created.version, _ics(_soon(), "Mine"), ews.window
        )
    with pytest.raises(PreconditionFailed):
        provider.delete(calendar, created.remote_id, created.version)
    assert ews.control.item(created.remote_id)["subject"] == "Outlook"
    assert ews.control.counts().get("UpdateItem", 0) == writes_before


def test_delete_removes_the_item(ews: EwsHarness) -> None:
    provider = ews.provider()
    calendar = ews.calendar_id(provider)
    created = provider.create(calendar, _ics(_soon()), "k", ews.window)
    provider.delete(calendar, created.remote_id, created.version)
    assert _with_uid(ews, UID) == []
    provider.delete(calendar, created.remote_id, None)  # already gone: no error
    assert provider.fetch(calendar, created.remote_id, ews.window) is None


def test_server_busy_is_waited_out_on_pulls_and_reported_on_writes(ews: EwsHarness) -> None:
    provider = ews.provider()
    calendar = ews.calendar_id(provider)
    ews.control.fault(operation="SyncFolderItems", code="ErrorServerBusy", back_off_ms=300)
    assert provider.pull(calendar, None, ews.window).items
    assert ews.sleeps == [0.3]
    ews.control.fault(operation="CreateItem", code="ErrorServerBusy", back_off_ms=20000)
    with pytest.raises(ProviderBusy) as info:
        provider.create(calendar, _ics(_soon()), "k", ews.window)
    assert info.value.retry_after == 20
    assert _with_uid(ews, UID) == []


def test_changed_password_is_auth_expired(ews: EwsHarness) -> None:
    provider = ews.provider()
    calendar = ews.calendar_id(provider)
    ews.control.call("POST", "/password", {"password": "N3w-Secret!"})
    with pytest.raises(AuthExpired) as info:
        provider.pull(calendar, None, ews.window)
    assert info.value.provider == "ews" and "password" in info.value.message
    assert ews.provider(password="N3w-Secret!").pull(calendar, None, ews.window).items


def test_failure_in_the_second_sync_round_leaves_the_cursor_usable(ews: EwsHarness) -> None:
    reference = ews.provider().pull(ews.calendar_id(ews.provider()), None, ews.window)
    provider: EwsCalendarProvider = ews.provider(max_changes=20)
    calendar = ews.calendar_id(provider)
    ews.control.fault(operation="SyncFolderItems", code="ErrorMailboxStoreUnavailable", skip=1)
    with pytest.raises(ProviderError):
        provider.pull(calendar, None, ews.window)
    retried = provider.pull(calendar, None, ews.window)
    assert ews.control.counts()["SyncFolderItems"] > 3  # several rounds really happened
    assert {i.remote_id: i.ical for i in retried.items} == {
        i.remote_id: i.ical for i in reference.items
    }


def test_portal_connection_check_speaks_plain_words(ews: EwsHarness) -> None:
    test_connection(ews.config)  # the right password: no error
    with pytest.raises(AuthFailed) as wrong:
        test_connection(replace(ews.config, password="not-it"))
    assert wrong.value.message == "wrong user name or password"
    closed = replace(ews.config, ews_url="http://127.0.0.1:9/EWS/Exchange.asmx")
    with pytest.raises(ProviderError) as unreachable:
        test_connection(closed)
    assert "cannot reach http://127.0.0.1:9/EWS/Exchange.asmx" in unreachable.value.message
