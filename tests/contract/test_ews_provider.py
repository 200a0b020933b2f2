# ruff: noqa: F811  (pytest fixtures imported from ews_harness are used as parameters)
"""EwsCalendarProvider against the EWS sandbox, with Basic and NTLM (SPEC C1, C5, C6).

What a user would notice: calendars listed, series shown as one event with its exceptions and
cancellations, edits made in Outlook arriving, client edits landing on the same Exchange item,
stale edits refused without damage, no duplicates on retried creates, throttling and changed
passwords reported in a way the bridge can act on, and pulls that never half-apply.

The scenarios shared by all providers live in test_calendar_contract.py; this file keeps the
EWS specifics.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest
from icalendar import Calendar

from bridge.errors import AuthExpired, AuthFailed, PreconditionFailed, ProviderError
from bridge.providers.ews.account import test_connection
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


def test_changed_password_is_auth_expired(ews: EwsHarness) -> None:
    provider = ews.provider()
    calendar = ews.calendar_id(provider)
    ews.control.call("POST", "/password", {"password": "N3w-Secret!"})
    with pytest.raises(AuthExpired) as info:
        provider.pull(calendar, None, ews.window)
    assert info.value.provider == "ews" and "password" in info.value.message
    assert ews.provider(password="N3w-Secret!").pull(calendar, None, ews.window).items


def test_portal_connection_check_speaks_plain_words(ews: EwsHarness) -> None:
    test_connection(ews.config)  # the right password: no error
    with pytest.raises(AuthFailed) as wrong:
        test_connection(replace(ews.config, password="not-it"))
    assert wrong.value.message == "wrong user name or password"
    closed = replace(ews.config, ews_url="http://127.0.0.1:9/EWS/Exchange.asmx")
    with pytest.raises(ProviderError) as unreachable:
        test_connection(closed)
    assert unreachable.value.message == (
        "ews: could not reach http://127.0.0.1:9: connection refused — check the URL and the "
        "firewall"
    )
