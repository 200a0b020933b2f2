"""The provider side of each demo service, seen through its own API client (Graph with msal +
requests, Google Calendar/People with google-api-python-client, EWS with exchangelib): create
a meeting in the user's main calendar, read one event's full field set, find contacts by name.

Must not go through davbridge: these are the ground truth a DAV client's writes are checked
against. Field snapshots drop only what the provider itself changes on every write (ETags,
change keys, modification times — Graph `changeKey`/`lastModifiedDateTime`, Google
`etag`/`updated`, EWS `changekey`/`last_modified_time`), so a comparison shows every field a
write touched.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from bridge.providers.ews.overlay_field import FIELD as OVERLAY_FIELD
from tests.e2e.conftest import EwsAdmin, GoogleAdmin, GraphAdmin

LABELS = ("Microsoft 365", "Google", "Exchange")

# Rewritten by the provider on every write of the item, whatever changed.
VOLATILE = {
    "Microsoft 365": {"@odata.etag", "changeKey", "lastModifiedDateTime"},
    "Google": {"etag", "updated"},
    "Exchange": {"_id", "changekey", "last_modified_time"},  # _id: ItemId(id, changekey)
}


def graph_instant(value: dict[str, str]) -> dt.datetime:
    """A Graph dateTimeTimeZone as an aware UTC datetime (Windows or IANA zone names)."""
    from exchangelib.winzone import MS_TIMEZONE_TO_IANA_MAP

    zone = value["timeZone"]
    naive = dt.datetime.fromisoformat(value["dateTime"][:26])
    tz = dt.UTC if zone == "UTC" else ZoneInfo(MS_TIMEZONE_TO_IANA_MAP.get(zone, zone))
    return naive.replace(tzinfo=tz).astimezone(dt.UTC)


class ProviderSide:
    """One connected service, by the label davbridge gives its collections."""

    def __init__(self, label: str, info: dict[str, Any]) -> None:
        self.label = label
        self.admin: Any = {"Microsoft 365": GraphAdmin, "Google": GoogleAdmin}.get(label, EwsAdmin)(
            info
        )

    def create_meeting(self, summary: str, start: dt.datetime, minutes: int, body: str) -> None:
        """A meeting in the main calendar with no location and `body` as its text."""
        end = start + dt.timedelta(minutes=minutes)
        zone = str(start.tzinfo)
        if isinstance(self.admin, GraphAdmin):
            from exchangelib.winzone import IANA_TO_MS_TIMEZONE_MAP

            ms_zone = IANA_TO_MS_TIMEZONE_MAP[zone][0]

            def when(t: dt.datetime) -> dict[str, str]:
                return {"dateTime": t.replace(tzinfo=None).isoformat(), "timeZone": ms_zone}

            self.admin.json(
                "POST",
                f"/calendars/{self.admin.calendar_id('Calendar')}/events",
                json={
                    "subject": summary,
                    "body": {"contentType": "text", "content": body},
                    "start": when(start),
                    "end": when(end),
                },
            )
        elif isinstance(self.admin, GoogleAdmin):
            self.admin.api.events().insert(
                calendarId=self.admin.calendar_id("Calendar"),
                body={
                    "summary": summary,
                    "description": body,
                    "start": {"dateTime": start.isoformat(), "timeZone": zone},
                    "end": {"dateTime": end.isoformat(), "timeZone": zone},
                },
            ).execute()
        else:
            from exchangelib import CalendarItem, EWSDateTime, EWSTimeZone

            tz = EWSTimeZone(zone)
            CalendarItem(
                folder=self.admin.folder("Calendar"),
                subject=summary,
                body=body,
                start=EWSDateTime.from_datetime(start).astimezone(tz),
                end=EWSDateTime.from_datetime(end).astimezone(tz),
            ).save()

    def events(self, summary: str) -> list[dict[str, Any]]:
        """Every field of the main calendar's events with this title, minus VOLATILE."""
        drop = VOLATILE[self.label]
        if isinstance(self.admin, GraphAdmin | GoogleAdmin):
            found = self.admin.events("Calendar", summary)
            return [{k: v for k, v in e.items() if k not in drop} for e in found]
        return [
            {
                "id": item.id,
                **{
                    f.name: getattr(item, f.name)
                    for f in item.FIELDS
                    if f.name not in drop and hasattr(item, f.name)
                },
            }
            for item in self.admin.folder("Calendar").filter(subject=summary)
        ]

    def title_key(self) -> str:
        return "summary" if self.label == "Google" else "subject"

    def overlay_keys(self) -> set[str]:
        """Where davbridge keeps the lossless overlay (C10: what a client sent that the
        provider has no field for, e.g. Thunderbird's X-MOZ-* properties); a client's write
        may refresh it."""
        return {
            "Microsoft 365": {"singleValueExtendedProperties", "multiValueExtendedProperties"},
            "Google": {"extendedProperties"},
            "Exchange": {OVERLAY_FIELD},
        }[self.label]

    def sequence_key(self) -> str:
        """The provider's own copy of iCalendar SEQUENCE (Graph has none)."""
        return {"Google": "sequence", "Exchange": "appointment_sequence_number"}.get(self.label, "")

    def instant(self, event: dict[str, Any], key: str) -> dt.datetime:
        """An event's start or end (`key`) as an aware UTC datetime."""
        value = event[key]
        if self.label == "Microsoft 365":
            return graph_instant(value)
        if self.label == "Google":
            return dt.datetime.fromisoformat(value["dateTime"]).astimezone(dt.UTC)
        return dt.datetime.fromtimestamp(value.timestamp(), dt.UTC)

    def contacts_named(self, name: str) -> list[str]:
        """Ids of the contacts whose display name is `name` (Graph and EWS: the default
        contacts folder, the one behind "Contacts — …"; Google: all the user's contacts)."""
        if isinstance(self.admin, GraphAdmin):
            people = self.admin.json("GET", "/contacts?$top=999")["value"]
            return [p["id"] for p in people if p.get("displayName") == name]
        if isinstance(self.admin, GoogleAdmin):
            return [p["resourceName"] for p in self.admin.people_named(name)]
        return [c.id for c in self.admin.account.contacts.filter(display_name=name)]
