"""One view of the three provider sandboxes for the shared calendar contract suite.

`ProviderHarness` is what test_calendar_contract.py sees: a connected provider plus provider-side
actions (events made "in Outlook/Google Calendar", occurrence edits, expired cursors, throttling
and faults) in a provider-neutral vocabulary. The adapters translate to each sandbox's control
API and wrap the existing per-provider fixtures (conftest.py, google_harness.py, ews_harness.py);
this module must not start sandboxes or consent by itself, and holds no test assertions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import pytest
import requests

from bridge.ical.timezones import to_windows
from bridge.model import SyncWindow
from bridge.providers.base import CalendarProvider
from tests.contract import conftest as graph
from tests.contract import ews_harness as ews
from tests.contract import google_harness as google

ZOOM_URL = "https://us02web.zoom.us/j/85512345678?pwd=abc"
TEAMS_URL = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_contract%40thread.v2/0"
MEET_URL = "https://meet.google.com/abc-defg-hij"
JOIN_URLS = {"zoom": ZOOM_URL, "teams": TEAMS_URL, "meet": MEET_URL}
PROVIDERS = ["graph", "google", "ews"]


@dataclass(frozen=True)
class EventSpec:
    """An event made at the provider. Times are aware; their zones become the event's zones."""

    summary: str
    start: dt.datetime
    end: dt.datetime
    all_day: bool = False  # start.date() .. end.date() (exclusive)
    weekly_count: int = 0  # a weekly series with this many occurrences
    private: bool = False
    conference: str | None = None  # "zoom" | "teams" | "meet"


class ProviderHarness(Protocol):
    name: str
    window: SyncWindow
    overlay_field: str  # how the provider's extension field holding the overlay is named
    sleeps: list[float]  # every wait the provider's retry policy asked for
    structured_conference: frozenset[str]  # conference kinds the provider stores as data

    def provider(self) -> CalendarProvider: ...
    def paged_provider(self) -> CalendarProvider:
        """A provider whose full pull of the default calendar needs several pages/rounds."""
        ...

    def add_event(self, cal: str, spec: EventSpec) -> str: ...
    def rename(self, cal: str, event_id: str, summary: str) -> None: ...
    def delete(self, cal: str, event_id: str) -> None: ...
    def move_occurrence(
        self, cal: str, master_id: str, n: int, start: dt.datetime, summary: str
    ) -> None: ...
    def cancel_occurrence(self, cal: str, master_id: str, n: int) -> None: ...
    def exception_count(self, cal: str, master_id: str, occurrences: int) -> int: ...
    def snapshot(self, cal: str) -> Any:
        """The calendar as the provider stores it (equal before/after: nothing was written)."""
        ...

    def write_mark(self) -> Any: ...
    def writes_since(self, mark: Any) -> int: ...
    def expire_cursors(self) -> None: ...
    def throttle_next_pull(self) -> list[float]:
        """Inject throttling into the next pull; returns the waits the policy should make."""
        ...

    def throttle_next_create(self, seconds: int) -> None: ...
    def fail_after_first_page(self) -> None: ...


def _zone(value: dt.datetime) -> str:
    return str(getattr(value.tzinfo, "key", "UTC"))


def _invitation(kind: str) -> str:
    return f"You are invited to a {kind} meeting.\nJoin: {JOIN_URLS[kind]}\n"


def graph_body(spec: EventSpec) -> dict[str, Any]:
    """A Graph event body (the EWS sandbox's control API accepts the same shape)."""
    fmt = "%Y-%m-%dT%H:%M:%S"
    body: dict[str, Any] = {"subject": spec.summary}
    if spec.all_day:
        body["isAllDay"] = True
        for key, value in (("start", spec.start), ("end", spec.end)):
            body[key] = {"dateTime": f"{value.date().isoformat()}T00:00:00", "timeZone": "UTC"}
    else:
        for key, value in (("start", spec.start), ("end", spec.end)):
            body[key] = {"dateTime": value.strftime(fmt), "timeZone": to_windows(_zone(value))}
    if spec.weekly_count:
        body["recurrence"] = {
            "pattern": {
                "type": "weekly",
                "interval": 1,
                "daysOfWeek": [spec.start.strftime("%A").lower()],
                "firstDayOfWeek": "sunday",
            },
            "range": {
                "type": "numbered",
                "startDate": spec.start.strftime("%Y-%m-%d"),
                "numberOfOccurrences": spec.weekly_count,
            },
        }
    if spec.private:
        body["sensitivity"] = "private"
    if spec.conference:
        body["body"] = {"contentType": "text", "content": _invitation(spec.conference)}
    return body


def _utc_when(value: dt.datetime) -> dict[str, str]:
    return {"dateTime": value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}


class GraphAdapter:
    """Microsoft Graph: Teams meetings are structured (onlineMeeting), others are body text."""

    name = "graph"
    structured_conference = frozenset({"teams"})

    def __init__(self, h: graph.Harness) -> None:
        self.h = h
        self.window = h.window
        self.overlay_field = "davbridge.overlay"
        self.sleeps = h.sleeps

    def provider(self) -> CalendarProvider:
        return self.h.provider()

    def paged_provider(self) -> CalendarProvider:
        return self.h.provider(page_size=5)

    def add_event(self, cal: str, spec: EventSpec) -> str:
        body = graph_body(spec)
        if spec.conference == "teams":
            body["isOnlineMeeting"] = True
            body["onlineMeetingProvider"] = "teamsForBusiness"
            body["onlineMeeting"] = {"joinUrl": TEAMS_URL, "conferenceId": "438271956"}
        return str(self.h.control.call("POST", f"/calendars/{cal}/events", body)["id"])

    def rename(self, cal: str, event_id: str, summary: str) -> None:
        self.h.control.call("PATCH", f"/events/{event_id}", {"subject": summary})

    def delete(self, cal: str, event_id: str) -> None:
        self.h.control.call("DELETE", f"/events/{event_id}")

    def move_occurrence(
        self, cal: str, master_id: str, n: int, start: dt.datetime, summary: str
    ) -> None:
        end = start + dt.timedelta(minutes=30)
        body = {"subject": summary, "start": _utc_when(start), "end": _utc_when(end)}
        self.h.control.call("PATCH", f"/events/{master_id}/occurrences/{n}", body)

    def cancel_occurrence(self, cal: str, master_id: str, n: int) -> None:
        self.h.control.call("DELETE", f"/events/{master_id}/occurrences/{n}")

    def exception_count(self, cal: str, master_id: str, occurrences: int) -> int:
        url = f"{self.h.info.control_url}/events/{master_id}/occurrences/"
        found = [
            requests.get(url + str(n), verify=self.h.info.ca_file, timeout=10)
            for n in range(occurrences)
        ]
        return sum(r.status_code == 200 and r.json()["type"] == "exception" for r in found)

    def snapshot(self, cal: str) -> Any:
        return self.h.control.events(cal)

    def write_mark(self) -> Any:
        return self.h.control.call("GET", "/requests")[-1]["ts"]

    def writes_since(self, mark: Any) -> int:
        log = self.h.control.call("GET", f"/requests?since={mark}&prefix=/v1.0")
        # `since` is inclusive: the marked request itself (possibly a write) is not "since".
        return sum(r["method"] != "GET" and r["status"] < 300 and r["ts"] > mark for r in log)

    def expire_cursors(self) -> None:
        self.h.control.call("POST", "/delta/expire")

    def throttle_next_pull(self) -> list[float]:
        # "Microsoft Graph throttling guidance": honour Retry-After, then retry.
        self.h.control.fault(
            match=r"^GET .*calendarView/delta", status=429, code="ApplicationThrottled",
            retry_after=2, times=1,
        )  # fmt: skip
        return [2.0]

    def throttle_next_create(self, seconds: int) -> None:
        self.h.control.fault(
            match=r"^POST .*/events", status=429, code="ApplicationThrottled",
            retry_after=seconds, times=1,
        )  # fmt: skip

    def fail_after_first_page(self) -> None:
        self.h.control.fault(
            match=r"^GET .*calendarView/delta.*skiptoken", status=500,
            code="ErrorInternalServerError", times=1,
        )  # fmt: skip


class GoogleAdapter:
    """Google Calendar v3: Meet and Zoom (add-on) are conferenceData, Teams is description text."""

    name = "google"
    structured_conference = frozenset({"meet", "zoom"})

    def __init__(self, h: google.Harness) -> None:
        self.h = h
        self.window = h.window
        self.overlay_field = "davbridge.o0"
        self.sleeps = h.sleeps

    def _events(self, cal: str, *rest: str) -> str:
        from urllib.parse import quote

        return "/".join([f"/calendars/{quote(cal)}/events", *(quote(r) for r in rest)])

    def provider(self) -> CalendarProvider:
        return self.h.provider()

    def paged_provider(self) -> CalendarProvider:
        return self.h.provider(page_size=5)

    def add_event(self, cal: str, spec: EventSpec) -> str:
        body: dict[str, Any] = {"summary": spec.summary}
        for key, value in (("start", spec.start), ("end", spec.end)):
            if spec.all_day:
                body[key] = {"date": value.date().isoformat()}
            else:
                body[key] = {"dateTime": value.isoformat(), "timeZone": _zone(value)}
        if spec.weekly_count:
            body["recurrence"] = [f"RRULE:FREQ=WEEKLY;COUNT={spec.weekly_count}"]
        if spec.private:
            body["visibility"] = "private"
        if spec.conference in ("meet", "zoom"):
            body["conferenceData"] = _google_conference(spec.conference)
        elif spec.conference:
            body["description"] = _invitation(spec.conference)
        return str(self.h.control.call("POST", self._events(cal), body)["id"])

    def rename(self, cal: str, event_id: str, summary: str) -> None:
        self.h.control.call("PATCH", self._events(cal, event_id), {"summary": summary})

    def delete(self, cal: str, event_id: str) -> None:
        self.h.control.call("DELETE", self._events(cal, event_id))

    def move_occurrence(
        self, cal: str, master_id: str, n: int, start: dt.datetime, summary: str
    ) -> None:
        end = start + dt.timedelta(minutes=30)
        body = {
            "summary": summary,
            "start": {"dateTime": start.isoformat(), "timeZone": "UTC"},
            "end": {"dateTime": end.isoformat(), "timeZone": "UTC"},
        }
        self.h.control.call("PATCH", self._events(cal, master_id, "occurrences", str(n)), body)

    def cancel_occurrence(self, cal: str, master_id: str, n: int) -> None:
        self.h.control.call("DELETE", self._events(cal, master_id, "occurrences", str(n)))

    def exception_count(self, cal: str, master_id: str, occurrences: int) -> int:
        stored = self.h.control.call("GET", self._events(cal))
        return sum(
            e.get("recurringEventId") == master_id and e.get("status") != "cancelled"
            for e in stored
        )

    def snapshot(self, cal: str) -> Any:
        return self.h.control.call("GET", self._events(cal))

    def write_mark(self) -> Any:
        return self.h.control.call("GET", "/requests")[-1]["ts"]

    def writes_since(self, mark: Any) -> int:
        log = self.h.control.call("GET", f"/requests?since={mark}&prefix=/calendar/v3")
        # `since` is inclusive: the marked request itself (possibly a write) is not "since".
        return sum(r["method"] != "GET" and r["status"] < 300 and r["ts"] > mark for r in log)

    def expire_cursors(self) -> None:
        self.h.control.call("POST", "/sync/expire")

    def throttle_next_pull(self) -> list[float]:
        # "Handle API errors": 403 rateLimitExceeded / 429 -> exponential backoff.
        self.h.control.fault(
            match=r"^GET .*/events", status=403, reason="rateLimitExceeded", times=1
        )
        self.h.control.fault(match=r"^GET .*/events", status=429, times=1)
        return [1.0, 2.0]

    def throttle_next_create(self, seconds: int) -> None:
        self.h.control.fault(match=r"^POST .*/events", status=429, retry_after=seconds, times=1)

    def fail_after_first_page(self) -> None:
        # Every attempt at the second page fails until the pull's retry policy gives up.
        self.h.control.fault(match=r"^GET .*/events\?.*pageToken", status=503, times=5)


def _google_conference(kind: str) -> dict[str, Any]:
    if kind == "meet":
        return {
            "conferenceSolution": {"key": {"type": "hangoutsMeet"}, "name": "Google Meet"},
            "conferenceId": "abc-defg-hij",
            "entryPoints": [{"entryPointType": "video", "uri": MEET_URL}],
        }
    return {
        "conferenceSolution": {"key": {"type": "addOn"}, "name": "Zoom Meeting"},
        "conferenceId": "85512345678",
        "entryPoints": [{"entryPointType": "video", "uri": ZOOM_URL, "passcode": "424242"}],
    }


class EwsAdapter:
    """Exchange Web Services: no structured conference data, join links are body text."""

    name = "ews"
    structured_conference: frozenset[str] = frozenset()
    WRITES = ("CreateItem", "UpdateItem", "DeleteItem")

    def __init__(self, h: ews.EwsHarness) -> None:
        self.h = h
        self.window = h.window
        self.overlay_field = "davbridge.overlay"
        self.sleeps = h.sleeps

    def provider(self) -> CalendarProvider:
        return self.h.provider()

    def paged_provider(self) -> CalendarProvider:
        return self.h.provider(max_changes=20)

    def add_event(self, cal: str, spec: EventSpec) -> str:
        made = self.h.control.call("POST", "/create", {"folder": cal, "event": graph_body(spec)})
        return str(made["id"])

    def rename(self, cal: str, event_id: str, summary: str) -> None:
        self.h.control.call("POST", "/update", {"id": event_id, "fields": {"Subject": summary}})

    def delete(self, cal: str, event_id: str) -> None:
        self.h.control.call("POST", "/delete", {"id": event_id})

    def move_occurrence(
        self, cal: str, master_id: str, n: int, start: dt.datetime, summary: str
    ) -> None:
        end = start + dt.timedelta(minutes=30)
        event = {"subject": summary, "start": _utc_when(start), "end": _utc_when(end)}
        self.h.control.call("POST", "/update", {"id": master_id, "event": event, "occurrence": n})

    def cancel_occurrence(self, cal: str, master_id: str, n: int) -> None:
        self.h.control.call("POST", "/delete", {"id": master_id, "occurrence": n})

    def exception_count(self, cal: str, master_id: str, occurrences: int) -> int:
        item = next(i for i in self.h.control.items(cal) if i["id"] == master_id)
        return len(item["exceptions"])

    def snapshot(self, cal: str) -> Any:
        return self.h.control.items(cal)

    def write_mark(self) -> Any:
        return self.h.control.counts()

    def writes_since(self, mark: Any) -> int:
        now = self.h.control.counts()
        return sum(now.get(op, 0) - mark.get(op, 0) for op in self.WRITES)

    def expire_cursors(self) -> None:
        self.h.control.call("POST", "/invalidate-sync-states")

    def throttle_next_pull(self) -> list[float]:
        # "EWS throttling in Exchange": ErrorServerBusy carries BackOffMilliseconds.
        self.h.control.fault(operation="SyncFolderItems", code="ErrorServerBusy", back_off_ms=300)
        return [0.3]

    def throttle_next_create(self, seconds: int) -> None:
        self.h.control.fault(
            operation="CreateItem", code="ErrorServerBusy", back_off_ms=seconds * 1000
        )

    def fail_after_first_page(self) -> None:
        self.h.control.fault(
            operation="SyncFolderItems", code="ErrorMailboxStoreUnavailable", skip=1
        )


@pytest.fixture(params=PROVIDERS)
def contract(request: pytest.FixtureRequest) -> Iterator[ProviderHarness]:
    """The same scenario once per provider, on a freshly reset, session-scoped sandbox."""
    if request.param == "graph":
        yield GraphAdapter(request.getfixturevalue("harness"))
    elif request.param == "google":
        yield GoogleAdapter(request.getfixturevalue("gh"))
    else:
        _, info = request.getfixturevalue("ews_sandbox")
        with ews.fresh_harness(info, "NTLM") as h:
            yield EwsAdapter(h)
