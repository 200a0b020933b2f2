"""EWS CalendarItem <-> iCalendar (SPEC C2): goldens, write mapping, update diff, errors.

Golden pairs live in tests/golden/ews/<name>.xml and <name>.ics (expected bytes). A GetItem
response is one resource: its first CalendarItem is the item or series master, the following ones
its modified occurrences. In a FindItem (RootFolder/Items) or SyncFolderItems (Changes/Create,
Update) response every CalendarItem is its own resource; the .ics holds their VCALENDARs in
order. The XML is parsed with exchangelib's own classes (CalendarItem.from_xml), so the input is
exactly what the provider gets from exchangelib.
Set DAVBRIDGE_REGEN_GOLDEN=1 to rewrite the .ics files; the regenerating run still fails.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from exchangelib import errors as ews
from exchangelib.items import CalendarItem
from exchangelib.util import to_xml
from icalendar import Calendar

from bridge.errors import (
    AuthExpired,
    BadInput,
    ConfigError,
    CursorExpired,
    PreconditionFailed,
    ProviderBusy,
    ProviderRefused,
    ReadOnly,
    RemoteNotFound,
)
from bridge.providers.common.retry import RetryPolicy
from bridge.providers.ews.account import OFFICE365_EWS_URL, VERSIONS, EwsConfig, connect
from bridge.providers.ews.errors import call, translate
from bridge.providers.ews.mapping import changed_fields, ews_to_ical, ical_to_ews

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "ews"
REGEN = os.environ.get("DAVBRIDGE_REGEN_GOLDEN") == "1"
CASES = sorted(p.stem for p in GOLDEN.glob("*.xml"))
TYPES = "{http://schemas.microsoft.com/exchange/services/2006/types}"
MESSAGES = "{http://schemas.microsoft.com/exchange/services/2006/messages}"


LISTED = (f"{TYPES}Items", f"{TYPES}Create", f"{TYPES}Update")  # FindItem, SyncFolderItems


def _calendar_items(root: Any, parents: tuple[str, ...]) -> list[Any]:
    elems = [e for parent in root.iter(*parents) for e in parent]
    return [
        CalendarItem.from_xml(e, account=None) for e in elems if e.tag == f"{TYPES}CalendarItem"
    ]


def _resources(name: str) -> list[list[Any]]:
    """GetItem: one resource (master, exceptions...); FindItem/SyncFolderItems: one per item."""
    root = to_xml((GOLDEN / f"{name}.xml").read_bytes()).getroot()
    if any(True for _ in root.iter(f"{MESSAGES}Items")):
        return [_calendar_items(root, (f"{MESSAGES}Items",))]
    return [[item] for item in _calendar_items(root, LISTED)]


def _items(name: str) -> list[Any]:
    (items,) = _resources(name)
    return items


def _render(name: str) -> str:
    return "".join(ews_to_ical(master, exceptions) for master, *exceptions in _resources(name))


def _events(text: str) -> list[Any]:
    return [c for cal in Calendar.from_ical(text, multiple=True) for c in cal.walk("VEVENT")]


def test_golden_cases_exist_and_cite_sources() -> None:
    readme = (GOLDEN / "README.md").read_text(encoding="utf-8")
    assert len(CASES) >= 8
    for name in CASES:
        assert name in readme, f"{name} is not described in tests/golden/ews/README.md"
    assert sum(n.startswith("docs_") for n in CASES) >= 3


@pytest.mark.parametrize("name", CASES)
def test_golden(name: str) -> None:
    produced = _render(name).encode("utf-8")
    expected_path = GOLDEN / f"{name}.ics"
    if REGEN:
        expected_path.write_bytes(produced)
        pytest.fail(f"regenerated {expected_path.name}; review and rerun without the variable")
    assert expected_path.exists(), f"no {expected_path.name}: run with DAVBRIDGE_REGEN_GOLDEN=1"
    assert produced == expected_path.read_bytes()


@pytest.mark.parametrize("name", CASES)
def test_output_is_deterministic_and_parses(name: str) -> None:
    first = _render(name)
    assert first == _render(name)
    assert _events(first)


def test_series_is_one_resource_with_exdate_and_override() -> None:
    events = _events(_render("synthetic_weekly_master_modified_deleted"))
    master, override = events
    assert "BYDAY=MO,WE" in master["RRULE"].to_ical().decode()
    exdates = [d.dt for d in master["EXDATE"].dts]
    berlin = master["DTSTART"].dt.tzinfo
    # DeletedOccurrence start 2024-04-01T07:00Z is 09:00 Berlin summer time
    assert dt.datetime(2024, 4, 1, 9, 0, tzinfo=berlin) in exdates
    assert override["RECURRENCE-ID"].dt == dt.datetime(2024, 3, 6, 9, 0, tzinfo=berlin)
    assert override["DTSTART"].dt == dt.datetime(2024, 3, 6, 11, 0, tzinfo=berlin)
    assert str(override["LOCATION"]) == "Room 2.14"
    assert str(override["UID"]) == str(master["UID"])


def test_all_day_end_is_made_exclusive_and_back() -> None:
    text = _render("synthetic_all_day_multi_day")
    event = _events(text)[0]
    assert event["DTSTART"].dt == dt.date(2024, 6, 10)
    assert event["DTEND"].dt == dt.date(2024, 6, 13)  # three days: 10, 11, 12
    fields = ical_to_ews(text).master
    assert fields["is_all_day"] is True
    assert (fields["start"], fields["end"]) == (dt.date(2024, 6, 10), dt.date(2024, 6, 12))


def test_start_and_end_keep_their_own_zones() -> None:
    event = _events(_render("synthetic_start_end_zones"))[0]
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert event["DTEND"].params["TZID"] == "America/Chicago"
    assert str(event["TRANSP"]) == "TRANSPARENT"
    assert str(event["CLASS"]) == "PRIVATE"


def test_docs_master_without_start_uses_first_occurrence() -> None:
    event = _events(_render("docs_recurring_series_getitem_weekly_numbered"))[0]
    assert event["DTSTART"].dt == dt.datetime(2014, 3, 8, 21, 21, tzinfo=dt.UTC)
    assert "COUNT=10" in event["RRULE"].to_ical().decode()


def test_docs_calendar_view_gives_one_event_per_item_at_the_page_times() -> None:
    events = _events(_render("docs_finditem_calendarview_first_five"))
    pacific = ZoneInfo("America/Los_Angeles")  # the page's console output is in Pacific time
    shown = [(str(e["SUMMARY"]), e["DTSTART"].dt.astimezone(pacific)) for e in events]
    assert shown[0] == (
        "Contoso devs team meeting",
        dt.datetime(2013, 8, 21, 12, 30, tzinfo=pacific),
    )
    assert shown[3] == ("Tennis at the club", dt.datetime(2013, 8, 22, 11, 0, tzinfo=pacific))
    assert len(shown) == 5 and all("RRULE" not in e for e in events)


def test_docs_sync_changes_map_created_and_updated_items_only() -> None:
    events = _events(_render("docs_syncfolderitems_changes_calendar_shape"))
    assert [str(e["UID"]) for e in events] == ["q04QAAAA==", "AQMkAD+", "Q04AAAAA=="]
    assert events[0]["DTSTAMP"].dt == dt.datetime(2013, 8, 28, 16, 53, 35, tzinfo=dt.UTC)
    assert str(events[2]["X-MICROSOFT-CDO-BUSYSTATUS"]) == "TENTATIVE"


def test_round_trip_of_a_series_changes_nothing() -> None:
    master, *exceptions = _items("synthetic_weekly_master_modified_deleted")
    plan = ical_to_ews(ews_to_ical(master, exceptions))
    assert changed_fields(master, plan.master) == []
    assert len(plan.exdates) == 2 and len(plan.overrides) == 1
    (key,) = plan.overrides
    assert key == dt.datetime(2024, 3, 6, 8, 0, tzinfo=dt.UTC)
    assert changed_fields(exceptions[0], plan.overrides[key]) == []


def test_time_move_and_subject_are_the_only_changes() -> None:
    master, *exceptions = _items("synthetic_weekly_master_modified_deleted")
    text = ews_to_ical(master, exceptions)
    text = text.replace("SUMMARY:Team sync\r\n", "SUMMARY:Team sync (new)\r\n", 1)
    text = text.replace(
        "T090000\r\nDTEND;TZID=Europe/Berlin:20240304T093000",
        "T100000\r\nDTEND;TZID=Europe/Berlin:20240304T103000",
        1,
    )
    changed = changed_fields(master, ical_to_ews(text).master)
    assert "subject" in changed and "start" in changed and "end" in changed
    assert "body" not in changed and "recurrence" not in changed
    assert "required_attendees" not in changed


@pytest.mark.parametrize(
    ("rrule", "words"),
    [
        ("FREQ=YEARLY;INTERVAL=2;BYMONTH=3;BYMONTHDAY=4", "yearly series repeat every year"),
        ("FREQ=MONTHLY;BYDAY=MO,TU;BYSETPOS=1", "cannot be stored in Exchange"),
        ("FREQ=HOURLY", "Exchange"),
        ("FREQ=DAILY;COUNT=1500", "999"),
    ],
)
def test_what_exchange_cannot_store_is_refused_in_plain_words(rrule: str, words: str) -> None:
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:u1\r\n"
        "DTSTART:20240304T090000Z\r\nDTEND:20240304T100000Z\r\n"
        f"RRULE:{rrule}\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    with pytest.raises(BadInput) as info:
        ical_to_ews(text)
    assert words in info.value.message
    assert "Microsoft 365" not in info.value.message


def test_relative_weekday_sets_become_exchange_day_groups() -> None:
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:u2\r\n"
        "DTSTART;TZID=Europe/Berlin:20240131T090000\r\nDTEND;TZID=Europe/Berlin:20240131T093000"
        "\r\nRRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    pattern = ical_to_ews(text).master["recurrence"].pattern
    assert (pattern.weekday, pattern.week_number) == (9, 5)  # last Weekday


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (ews.UnauthorizedError("Invalid credentials"), AuthExpired),
        (ews.ErrorServerBusy("busy", back_off=7.5), ProviderBusy),
        (ews.ErrorInvalidSyncStateData("bad"), CursorExpired),
        (ews.ErrorIrresolvableConflict("conflict"), PreconditionFailed),
        (ews.ErrorItemNotFound("gone"), RemoteNotFound),
        (ews.ErrorAccessDenied("no"), ReadOnly),
        (ews.ErrorInvalidPropertySet("bad field"), ProviderRefused),
    ],
)
def test_exchange_errors_become_bridge_errors(error: Exception, kind: type) -> None:
    translated = translate(error)
    assert isinstance(translated, kind)
    assert translated.provider == "ews"  # type: ignore[attr-defined]
    if isinstance(translated, ProviderBusy):
        assert translated.retry_after == 7.5


def test_back_off_is_honoured_within_the_policy_then_busy() -> None:
    sleeps: list[float] = []
    attempts = iter([ews.ErrorServerBusy("b", back_off=0.5), ews.ErrorServerBusy("b", back_off=1)])

    def flaky() -> str:
        error = next(attempts, None)
        if error is not None:
            raise error
        return "ok"

    assert (
        call(
            flaky,
            RetryPolicy(max_attempts=5, max_total_wait_s=5, max_single_wait_s=2),
            sleeps.append,
        )
        == "ok"
    )
    assert sleeps == [0.5, 1.0]
    with pytest.raises(ProviderBusy) as info:
        call(
            lambda: (_ for _ in ()).throw(ews.ErrorServerBusy("b", back_off=30)),
            RetryPolicy(max_attempts=5, max_total_wait_s=5, max_single_wait_s=2),
            sleeps.append,
        )
    assert info.value.retry_after == 30 and sleeps == [0.5, 1.0]


def test_connect_pins_version_and_auth_without_any_request(caplog: Any) -> None:
    config = EwsConfig(
        OFFICE365_EWS_URL,
        "alex@contoso.com",
        "pw",
        "alex@contoso.com",
        version="Office365",
        auth_type="basic",
    )
    with caplog.at_level("WARNING"):
        account = connect(config)  # no server exists: connect must not send anything
    assert "Exchange Online no longer serves Exchange Web Services" in caplog.text
    assert account.protocol.config.version.build == VERSIONS["Office365"]
    assert account.protocol.config.auth_type == "basic"
    assert "pw" not in repr(config)
    with pytest.raises(ConfigError):
        connect(EwsConfig("https://x/EWS/Exchange.asmx", "u", "p", "a@b.c", version="Exchange2003"))
