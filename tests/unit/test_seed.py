"""Tests of the Graph sandbox seed: the demo mailbox a user first sees, and the bulk benchmark seed.

Bodies are checked against Microsoft's documented request format (pages "Create Event",
"event resource type", "recurrencePattern resource type", "recurrenceRange resource type",
"dateTimeTimeZone resource type"); occurrences are expanded with dateutil to check series.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from dateutil import rrule
from exchangelib.winzone import MS_TIMEZONE_TO_IANA_MAP

from bridge.model import SyncWindow
from sandbox.seed import (
    Seed,
    SeedEvent,
    SeedOccurrenceCancel,
    SeedOccurrenceEdit,
    bulk_seed,
    demo_seed,
)

NOWS = [
    dt.datetime(2025, 3, 5, 15, 30, tzinfo=dt.UTC),
    dt.datetime(2025, 10, 26, 1, 30, tzinfo=dt.UTC),  # the EU DST change itself
    dt.datetime(2024, 2, 29, 23, 59, tzinfo=dt.UTC),  # leap day, late in the UTC day
    dt.datetime(2026, 12, 31, 8, 0, tzinfo=dt.UTC),  # year end: holidays on both sides
]
NOW = NOWS[0]
ALEX = "alex@contoso.example"
ZONES = {
    "Pacific Standard Time",
    "Eastern Standard Time",
    "GMT Standard Time",
    "W. Europe Standard Time",
    "India Standard Time",
    "Tokyo Standard Time",
    "UTC",
}
EVENT_KEYS = {
    "subject",
    "body",
    "start",
    "end",
    "isAllDay",
    "location",
    "locations",
    "attendees",
    "organizer",
    "recurrence",
    "sensitivity",
    "showAs",
    "isReminderOn",
    "reminderMinutesBeforeStart",
    "categories",
    "isOnlineMeeting",
    "onlineMeetingProvider",
    "onlineMeeting",
    "responseStatus",
    "importance",
}
RESPONSES = {"none", "organizer", "tentativelyAccepted", "accepted", "declined", "notResponded"}
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
PATTERN_FIELDS = {  # type -> (required, optional), page "recurrencePattern resource type"
    "daily": ({"type", "interval"}, set()),
    "weekly": ({"type", "interval", "daysOfWeek", "firstDayOfWeek"}, set()),
    "absoluteMonthly": ({"type", "interval", "dayOfMonth"}, set()),
    "relativeMonthly": ({"type", "interval", "daysOfWeek"}, {"index"}),
    "absoluteYearly": ({"type", "interval", "dayOfMonth", "month"}, set()),
    "relativeYearly": ({"type", "interval", "daysOfWeek", "month"}, {"index"}),
}
RANGE_FIELDS = {
    "endDate": {"type", "startDate", "endDate"},
    "noEnd": {"type", "startDate"},
    "numbered": {"type", "startDate", "numberOfOccurrences"},
}
INDEX = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}


def events(seed: Seed) -> dict[str, SeedEvent]:
    return {e.key: e for e in seed.events if isinstance(e, SeedEvent)}


def local(value: dict[str, str]) -> dt.datetime:
    return dt.datetime.strptime(value["dateTime"], "%Y-%m-%dT%H:%M:%S")


def utc(value: dict[str, str]) -> dt.datetime:
    zone = ZoneInfo(MS_TIMEZONE_TO_IANA_MAP[value["timeZone"]])
    return local(value).replace(tzinfo=zone).astimezone(dt.UTC)


def text_of(body: dict[str, Any]) -> str:
    """Everything a join-link detector would scan: location(s) and body content."""
    parts = [
        body.get("location", {}).get("displayName", ""),
        body.get("body", {}).get("content", ""),
    ]
    parts += [loc["displayName"] for loc in body.get("locations", [])]
    return "\n".join(parts)


def occurrences(body: dict[str, Any], until: dt.datetime) -> list[dt.datetime]:
    """Local start times of a Graph recurrence, expanded with dateutil (capped at `until`)."""
    pat, rng = body["recurrence"]["pattern"], body["recurrence"]["range"]
    days = [rrule.weekdays[DAYS.index(d)] for d in pat.get("daysOfWeek", [])]
    kw: dict[str, Any] = {"interval": pat["interval"], "dtstart": local(body["start"])}
    freq = {
        "daily": rrule.DAILY,
        "weekly": rrule.WEEKLY,
        "absoluteMonthly": rrule.MONTHLY,
        "relativeMonthly": rrule.MONTHLY,
        "absoluteYearly": rrule.YEARLY,
        "relativeYearly": rrule.YEARLY,
    }[pat["type"]]
    if pat["type"] == "weekly":
        kw.update(byweekday=days, wkst=DAYS.index(pat["firstDayOfWeek"]))
    if pat["type"].startswith("relative"):
        kw["byweekday"] = [d(INDEX[pat.get("index", "first")]) for d in days]
    if pat["type"].startswith("absolute"):
        kw["bymonthday"] = pat["dayOfMonth"]
    if pat["type"].endswith("Yearly"):
        kw["bymonth"] = pat["month"]
    if rng["type"] == "numbered":
        kw["count"] = rng["numberOfOccurrences"]
    else:
        end = dt.date.fromisoformat(rng["endDate"]) if rng["type"] == "endDate" else until.date()
        kw["until"] = dt.datetime.combine(end, dt.time(23, 59, 59))
    return list(rrule.rrule(freq, **kw))


def check_when(value: dict[str, str]) -> None:
    assert set(value) == {"dateTime", "timeZone"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", value["dateTime"])
    assert value["timeZone"] in MS_TIMEZONE_TO_IANA_MAP


def check_recurrence(body: dict[str, Any]) -> None:
    rec = body["recurrence"]
    assert set(rec) == {"pattern", "range"}
    pat, rng = rec["pattern"], rec["range"]
    required, optional = PATTERN_FIELDS[pat["type"]]
    assert required <= set(pat) <= required | optional, pat
    assert isinstance(pat["interval"], int) and pat["interval"] >= 1
    assert all(d in DAYS for d in pat.get("daysOfWeek", [])) and pat.get("daysOfWeek") != []
    assert pat.get("firstDayOfWeek", "sunday") in DAYS
    assert pat.get("index", "first") in INDEX
    assert 1 <= pat.get("dayOfMonth", 1) <= 31 and 1 <= pat.get("month", 1) <= 12
    assert set(rng) - {"recurrenceTimeZone"} == RANGE_FIELDS[rng["type"]], rng
    assert rng.get("recurrenceTimeZone", "UTC") in MS_TIMEZONE_TO_IANA_MAP
    start = local(body["start"])
    # recurrenceRange.startDate must be the date of the event's start ...
    assert rng["startDate"] == start.date().isoformat()
    if rng["type"] == "endDate":
        assert rng["endDate"] >= rng["startDate"]
    if rng["type"] == "numbered":
        assert rng["numberOfOccurrences"] >= 1
    # ... and the start itself must follow the pattern, so it is the first occurrence.
    assert occurrences(body, start + dt.timedelta(days=800))[0] == start


def check_body(body: dict[str, Any]) -> None:
    """One `POST /me/calendars/{id}/events` request body against the documented schema."""
    assert set(body) <= EVENT_KEYS, set(body) - EVENT_KEYS
    assert isinstance(body["subject"], str) and body["subject"].strip()
    check_when(body["start"])
    check_when(body["end"])
    assert utc(body["end"]) > utc(body["start"])
    if "body" in body:
        assert set(body["body"]) == {"contentType", "content"}
        assert body["body"]["contentType"] in ("html", "text")
        if body["body"]["contentType"] == "html":
            assert body["body"]["content"].lstrip().startswith("<html>")
    if body["isAllDay"]:  # page "event resource type": midnight to midnight, one zone
        assert body["start"]["timeZone"] == body["end"]["timeZone"]
        assert local(body["start"]).time() == local(body["end"]).time() == dt.time()
        assert (local(body["end"]) - local(body["start"])).days >= 1
    for key, allowed in (
        ("sensitivity", {"normal", "personal", "private", "confidential"}),
        ("showAs", {"free", "tentative", "busy", "oof", "workingElsewhere", "unknown"}),
    ):
        assert body.get(key, next(iter(allowed))) in allowed
    assert isinstance(body.get("isReminderOn", True), bool)
    assert isinstance(body.get("reminderMinutesBeforeStart", 0), int)
    assert all(isinstance(c, str) and c for c in body.get("categories", []))
    for place in [body.get("location", {"displayName": "x"}), *body.get("locations", [])]:
        assert set(place) <= {"displayName", "locationEmailAddress"} and place["displayName"]
    for who in body.get("attendees", []):
        assert set(who) <= {"emailAddress", "type", "status"}
        assert who["type"] in ("required", "optional", "resource")
        assert "@" in who["emailAddress"]["address"] and who["emailAddress"]["name"]
        assert who.get("status", {"response": "none"})["response"] in RESPONSES
    if "organizer" in body:
        assert body["organizer"]["emailAddress"]["address"] != ALEX
    if "responseStatus" in body:
        assert body["responseStatus"]["response"] in RESPONSES - {"organizer"}
        mine = [a for a in body["attendees"] if a["emailAddress"]["address"] == ALEX]
        assert mine and mine[0]["status"] == body["responseStatus"]
    if "onlineMeeting" in body or body.get("isOnlineMeeting"):
        assert body["isOnlineMeeting"] is True
        assert body["onlineMeetingProvider"] == "teamsForBusiness"
        meeting = body["onlineMeeting"]
        assert meeting["joinUrl"].startswith("https://teams.microsoft.com/l/meetup-join/19%3a")
        assert meeting["conferenceId"].isdigit() and meeting["tollNumber"].startswith("+")
    if "recurrence" in body:
        check_recurrence(body)


@pytest.mark.parametrize("now", NOWS, ids=str)
def test_demo_seed_bodies_follow_graph_request_schema(now: dt.datetime) -> None:
    seed = demo_seed(now)
    for event in events(seed).values():
        try:
            check_body(event.body)
        except AssertionError as exc:
            raise AssertionError(f"{event.key}: {exc}") from exc


@pytest.mark.parametrize("now", NOWS, ids=str)
def test_demo_seed_is_deterministic_per_utc_day(now: dt.datetime) -> None:
    midnight = now.replace(hour=0, minute=0)
    assert demo_seed(now) == demo_seed(midnight) == demo_seed(midnight.replace(hour=23))
    assert demo_seed(now) != demo_seed(now + dt.timedelta(days=1))
    # A naive `now` is read as UTC; another zone is converted to its UTC day first.
    assert demo_seed(now.replace(tzinfo=None)) == demo_seed(now)
    assert demo_seed(now.astimezone(ZoneInfo("Asia/Tokyo"))) == demo_seed(now)


def test_demo_mailbox_user_and_calendars() -> None:
    seed = demo_seed(NOW)
    assert (seed.user_upn, seed.user_name) == (ALEX, "Alex Wilber")
    cals = {c.name: c for c in seed.calendars}
    assert set(cals) == {"Calendar", "Projects", "Team Holidays"}
    assert cals["Calendar"].is_default and cals["Calendar"].hex_color == "#0078D4"
    assert [c.name for c in seed.calendars if c.is_default] == ["Calendar"]
    assert cals["Projects"].can_edit and cals["Calendar"].can_edit
    shared = cals["Team Holidays"]
    assert not shared.can_edit
    assert (shared.owner_name, shared.owner_address) == ("Megan Bowen", "megan@contoso.example")
    assert all(re.fullmatch(r"#[0-9A-F]{6}", c.hex_color) for c in seed.calendars)
    assert len({c.key for c in seed.calendars}) == 3


def test_demo_seed_has_over_220_uniquely_keyed_events_in_known_calendars() -> None:
    seed = demo_seed(NOW)
    created = [e for e in seed.events if isinstance(e, SeedEvent)]
    assert len(created) >= 220
    assert len({e.key for e in created}) == len(created)
    keys = {c.key for c in seed.calendars}
    assert {e.calendar_key for e in created} == keys
    holidays = [e for e in created if e.calendar_key == "team-holidays"]
    assert len(holidays) == 12
    assert all(e.body["isAllDay"] and e.body["showAs"] == "free" for e in holidays)
    assert len({e.body["subject"] for e in holidays}) == 12
    assert {e.body["subject"] for e in holidays} >= {"Independence Day", "Christmas Day"}


@pytest.mark.parametrize("now", NOWS, ids=str)
def test_events_fall_in_sync_window_mostly_near_now(now: dt.datetime) -> None:
    window = SyncWindow.around(now, 183, 548)
    seed = demo_seed(now)
    near = 0
    for e in events(seed).values():
        start, end = utc(e.body["start"]), utc(e.body["end"])
        assert window.start <= start and end <= window.end, e.key
        near += abs((start - window.start - dt.timedelta(days=183)).days) <= 62
        if "recurrence" in e.body and e.body["recurrence"]["range"]["type"] != "noEnd":
            last = occurrences(e.body, window.end.replace(tzinfo=None))[-1]
            assert last.date() <= (window.end - dt.timedelta(days=1)).date(), e.key
    assert near >= 0.7 * len(events(seed))
    for edit in seed.events:
        if isinstance(edit, SeedOccurrenceEdit) and "start" in edit.patch:
            assert window.start <= utc(edit.patch["start"]) < window.end


@pytest.mark.parametrize("now", NOWS, ids=str)
def test_occurrence_edits_and_cancels_hit_real_occurrences(now: dt.datetime) -> None:
    seed = demo_seed(now)
    window = SyncWindow.around(now, 183, 548)
    seen: dict[str, SeedEvent] = {}
    touched: Counter[tuple[str, int]] = Counter()
    for item in seed.events:
        if isinstance(item, SeedEvent):
            seen[item.key] = item
            continue
        master = seen[item.event_key]  # the series exists before it is edited
        assert "recurrence" in master.body
        series = occurrences(master.body, window.end.replace(tzinfo=None))
        assert 0 <= item.occurrence_index < len(series)
        touched[(item.event_key, item.occurrence_index)] += 1
        if isinstance(item, SeedOccurrenceEdit):
            check_when(item.patch["start"])
            check_when(item.patch["end"])
            assert local(item.patch["start"]) != series[item.occurrence_index]
            assert utc(item.patch["end"]) > utc(item.patch["start"])
            assert set(item.patch) <= EVENT_KEYS - {"recurrence"}
        else:
            assert isinstance(item, SeedOccurrenceCancel)
    assert max(touched.values()) == 1  # never edit and cancel the same occurrence
    kinds = {(type(i).__name__, i.event_key) for i in seed.events if not isinstance(i, SeedEvent)}
    assert {("SeedOccurrenceEdit", "weekly-sync"), ("SeedOccurrenceCancel", "weekly-sync")} <= kinds


def test_zoom_add_in_forms_are_all_present() -> None:
    ev = {k: e.body for k, e in events(demo_seed(NOW)).items()}
    a = ev["zoom-location-link"]
    assert re.fullmatch(
        r"https://us02web\.zoom\.us/j/85512345678\?pwd=\S+", a["location"]["displayName"]
    )
    for needle in (
        "Join Zoom Meeting",
        "Meeting ID: 855 1234 5678",
        "Passcode: 123456",
        "One tap mobile",
        "+16465588656,,85512345678#,,,,*123456# US (New York)",
        "Dial by your location",
    ):
        assert needle in a["body"]["content"]
    b = ev["zoom-body-link"]
    assert "zoom.us/j/" in b["body"]["content"] and "zoom" not in b["location"]["displayName"]
    only = ev["zoom-body-id-only"]["body"]["content"]
    assert "Meeting ID: 864 2051 9937" in only and "Passcode: 739201" in only
    assert "zoom.us/" not in only
    wrapped = re.search(r'href="([^"]+)"', ev["zoom-safelinks"]["body"]["content"])
    assert wrapped
    href = wrapped.group(1).replace("&amp;", "&")
    assert urlsplit(href).hostname == "nam12.safelinks.protection.outlook.com"
    query = parse_qs(urlsplit(href).query)
    assert query["url"][0].startswith("https://us02web.zoom.us/j/87654321098?pwd=")
    assert query["reserved"] == ["0"] and "data" in query
    assert ev["zoom-vanity"]["location"]["displayName"] == "https://contoso.zoom.us/my/alex.wilber"
    assert re.search(r"\+1\d{10},,86123456789#,,,,\*204816#", ev["zoom-one-tap"]["body"]["content"])
    assert "zoom.us/" not in text_of(ev["zoom-one-tap"])
    assert (
        "https://contoso.zoom.us/j/91234567890"
        in ev["zoom-company-subdomain"]["location"]["displayName"]
    )
    assert ev["zoom-dot-com"]["location"]["displayName"].startswith("https://zoom.com/j/")
    gov = ev["zoom-gov"]["location"]["displayName"]
    assert re.match(r"https://www\.zoomgov\.com/j/\d{10}\?", gov)
    start = ev["zoom-host-start-link"]["body"]["content"]
    assert re.search(r"https://us02web\.zoom\.us/s/85598765432\?zak=eyJ[\w.-]+", start)
    assert "organizer" not in ev["zoom-host-start-link"]  # Alex hosts it
    assert "us02web.zoom.us/w/89912345678" in text_of(ev["zoom-webinar-w-link"])
    assert "zoommtg://zoom.us/join?action=join&confno=85312345678" in text_of(ev["zoom-app-scheme"])
    assert "zoom.us/j/912345678\n" in text_of(ev["zoom-nine-digit-id"])
    assert ev["zoom-text-body"]["body"]["contentType"] == "text"
    assert "zoom.us/j/84411223344" in ev["zoom-text-body"]["body"]["content"]


def test_zoom_meetings_are_hosted_by_alex_and_by_others() -> None:
    zoom = [
        e.body
        for e in events(demo_seed(NOW)).values()
        if re.search(r"zoom(gov)?\.(us|com)/|zoommtg:|Zoom Meeting ID", text_of(e.body))
    ]
    assert len(zoom) >= 40  # the hand-written forms plus everyday Zoom meetings
    hosted = [b for b in zoom if "organizer" not in b]
    invited = [b for b in zoom if "organizer" in b]
    assert len(hosted) >= 10 and len(invited) >= 10
    replies = {b["responseStatus"]["response"] for b in invited}
    assert {"accepted", "tentativelyAccepted", "declined", "notResponded"} <= replies
    private = [b for b in zoom if b.get("sensitivity") == "private"]
    assert len(private) >= 2 and any("recurrence" in b for b in private)


def test_other_conferencing_services() -> None:
    ev = {k: e.body for k, e in events(demo_seed(NOW)).items()}
    teams = [b for b in ev.values() if b.get("isOnlineMeeting")]
    assert len(teams) >= 10
    assert any("organizer" in b for b in teams) and any("organizer" not in b for b in teams)
    t = ev["teams-meeting"]
    assert t["onlineMeeting"]["joinUrl"] in t["body"]["content"].replace("&amp;", "&")
    assert "%40thread.v2/0?context=%7b%22Tid%22" in t["onlineMeeting"]["joinUrl"]
    assert "Microsoft Teams meeting" in t["body"]["content"]
    assert "https://meet.google.com/abc-mnop-xyz" in ev["google-meet"]["body"]["content"]
    assert re.search(
        r"https://\w+\.webex\.com/\w+/j\.php\?MTID=m[0-9a-f]+", ev["webex"]["body"]["content"]
    )
    assert "https://meet.goto.com/123456789" in ev["goto"]["body"]["content"]


def test_plain_events_and_their_properties_vary() -> None:
    ev = {k: e.body for k, e in events(demo_seed(NOW)).items()}
    conferencing = re.compile(r"zoom|teams\.microsoft|meet\.google|webex|goto", re.I)
    plain = [b for b in ev.values() if not conferencing.search(text_of(b))]
    assert len(plain) >= 60
    for key in ("lunch-with-nestor", "room-booking", "private-dentist", "focus-time-no-reminder"):
        assert not conferencing.search(text_of(ev[key]))
    assert {"free", "tentative", "busy", "oof", "workingElsewhere"} <= {
        b.get("showAs", "busy") for b in ev.values()
    }
    assert {True, False} <= {b.get("isReminderOn", True) for b in ev.values()}
    assert any(b.get("reminderMinutesBeforeStart") for b in ev.values())
    assert ev["room-booking"]["categories"] == ["Green category", "Finance"]
    booking = {a["status"]["response"] for a in ev["room-booking"]["attendees"]}
    assert {"accepted", "declined", "tentativelyAccepted", "none"} <= booking
    assert any(a["type"] == "resource" for a in ev["room-booking"]["attendees"])
    assert any(a["type"] == "optional" for a in ev["optional-attendees"]["attendees"])
    assert ev["private-dentist"]["sensitivity"] == "private"


def test_all_day_time_zones_and_dst() -> None:
    ev = {k: e.body for k, e in events(demo_seed(NOW)).items()}
    assert ev["all-day-single"]["isAllDay"]
    assert (local(ev["all-day-single"]["end"]) - local(ev["all-day-single"]["start"])).days == 1
    multi = ev["all-day-multi-vacation"]
    assert multi["isAllDay"] and (local(multi["end"]) - local(multi["start"])).days == 5
    assert ev["private-all-day"]["sensitivity"] == "private" and ev["private-all-day"]["isAllDay"]
    used = {b[edge]["timeZone"] for b in ev.values() for edge in ("start", "end")}
    assert used >= ZONES
    flight = ev["flight-two-time-zones"]
    assert flight["start"]["timeZone"] != flight["end"]["timeZone"]
    for key in ("dst-crossing-europe", "dst-crossing-us"):
        b = ev[key]
        zone = ZoneInfo(MS_TIMEZONE_TO_IANA_MAP[b["start"]["timeZone"]])
        assert (
            local(b["start"]).replace(tzinfo=zone).utcoffset()
            != local(b["end"]).replace(tzinfo=zone).utcoffset()
        ), key


def test_recurring_series_kinds() -> None:
    ev = {k: e.body for k, e in events(demo_seed(NOW)).items()}
    sync = ev["weekly-sync"]
    assert sync["recurrence"]["pattern"]["daysOfWeek"] == ["monday"]
    assert sync["start"]["timeZone"] == "W. Europe Standard Time"
    assert local(sync["start"]).time() == dt.time(10) and local(sync["start"]).weekday() == 0
    assert sync["recurrence"]["range"]["type"] in ("noEnd", "numbered")
    assert ev["daily-standup"]["recurrence"]["pattern"]["type"] == "daily"
    assert ev["daily-standup"]["recurrence"]["range"]["type"] == "endDate"
    monthly = ev["monthly-second-tuesday"]["recurrence"]["pattern"]
    assert (monthly["type"], monthly["index"], monthly["daysOfWeek"]) == (
        "relativeMonthly",
        "second",
        ["tuesday"],
    )
    yearly = ev["yearly-anniversary"]
    assert yearly["isAllDay"] and yearly["recurrence"]["pattern"]["type"] == "absoluteYearly"
    types = {b["recurrence"]["pattern"]["type"] for b in ev.values() if "recurrence" in b}
    assert types == set(PATTERN_FIELDS)


def test_bulk_seed_is_unique_and_valid() -> None:
    seed = bulk_seed(10_000, NOW)
    assert len(seed.calendars) == 1
    cal = seed.calendars[0]
    assert cal.name == "Load test" and cal.can_edit and cal.is_default
    assert len(seed.events) == 10_000
    assert all(isinstance(e, SeedEvent) and e.calendar_key == cal.key for e in seed.events)
    bodies = [e.body for e in seed.events if isinstance(e, SeedEvent)]
    assert len({e.key for e in seed.events if isinstance(e, SeedEvent)}) == 10_000
    assert len({b["subject"] for b in bodies}) == 10_000
    assert len({b["start"]["dateTime"] for b in bodies}) == 10_000
    window = SyncWindow.around(NOW, 183, 548)
    for b in bodies[::97]:
        check_body(b)
        assert window.start <= utc(b["start"]) < window.end
    assert bulk_seed(3, NOW, calendar_name="Bench").calendars[0].name == "Bench"
    assert bulk_seed(50, NOW) == bulk_seed(50, NOW)
