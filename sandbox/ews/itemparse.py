"""Parse `t:CalendarItem` request content (CreateItem, UpdateItem SetItemField) into model fields.

Element names per web-service-reference "CalendarItem", "Body", "Attendee", "Mailbox",
"StartTimeZone", "MeetingTimeZone", "Recurrence (RecurrenceType)"; xs:boolean values accept
1/0 and true/false; datetimes without an offset are in the request's TimeZoneContext.
This module must not change the store.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from typing import Any

from sandbox.ews import recurrence as erec
from sandbox.ews.contacts_model import extended_key
from sandbox.ews.soap import EwsError, local, parse_bool, parse_datetime, t
from sandbox.ews.store import Fields

SIMPLE_TEXT = ("Subject", "Location", "UID", "Sensitivity", "Importance", "LegacyFreeBusyStatus")
BOOLS = ("ReminderIsSet", "IsAllDayEvent", "IsCancelled")
PEOPLE = ("RequiredAttendees", "OptionalAttendees", "Resources")
URI_OF = {
    "Subject": "item:Subject",
    "Body": "item:Body",
    "Sensitivity": "item:Sensitivity",
    "Categories": "item:Categories",
    "Importance": "item:Importance",
    "ReminderIsSet": "item:ReminderIsSet",
    "ReminderMinutesBeforeStart": "item:ReminderMinutesBeforeStart",
}
READ_ONLY = {
    "ItemId",
    "ParentFolderId",
    "DateTimeCreated",
    "LastModifiedTime",
    "CalendarItemType",
    "ModifiedOccurrences",
    "DeletedOccurrences",
    "FirstOccurrence",
    "LastOccurrence",
    "IsRecurring",
    "IsMeeting",
    "MyResponseType",
    "Organizer",
    "OriginalStart",
}


def _people(elem: ET.Element) -> list[tuple[str, str, str]]:
    out = []
    for att in elem:
        mb = att.find(t("Mailbox"))
        if mb is None:
            continue
        email = (mb.findtext(t("EmailAddress")) or "").strip()
        name = (mb.findtext(t("Name")) or email).strip()
        out.append((name, email, (att.findtext(t("ResponseType")) or "Unknown").strip()))
    return out


def parse_fields(item: ET.Element, tz: dt.tzinfo) -> tuple[Fields, ET.Element | None]:
    """Fields of a t:CalendarItem; the Recurrence element is returned apart (needs Start)."""
    out: Fields = {}
    recurrence = None
    for child in item:
        name = local(child)
        text = child.text or ""
        if name in SIMPLE_TEXT:
            out[name] = text.strip() if name != "Subject" else text
        elif name == "Body":
            out["Body"] = text
            out["BodyType"] = "HTML" if child.get("BodyType", "Text") == "HTML" else "Text"
        elif name in BOOLS:
            out[name] = parse_bool(text)
        elif name == "ReminderMinutesBeforeStart":
            out[name] = int(text or 0)
        elif name in ("Start", "End"):
            out[name] = parse_datetime(text, tz)
        elif name == "Categories":
            out[name] = [(s.text or "") for s in child]
        elif name in PEOPLE:
            out[name] = _people(child)
        elif name in ("StartTimeZone", "EndTimeZone"):
            out[name] = child.get("Id") or child.get("Name") or "UTC"
        elif name == "MeetingTimeZone":
            zone_name = child.get("TimeZoneName")
            if zone_name:
                out.setdefault("StartTimeZone", zone_name)
                out.setdefault("EndTimeZone", zone_name)
        elif name == "Recurrence":
            recurrence = child
        elif name == "ExtendedProperty":  # "ExtendedProperty" (web-service-reference): stored
            uri = child.find(t("ExtendedFieldURI"))
            value = child.findtext(t("Value"))
            if uri is not None and value is not None:
                out.setdefault("Extended", {})[extended_key(uri)] = value
        elif name in READ_ONLY:
            raise EwsError("ErrorInvalidPropertySet", f"{name} is read-only.")
        # other properties (MimeContent …) are accepted and ignored
    return out, recurrence


def apply_recurrence(data: Fields, rec_elem: ET.Element | None) -> None:
    """Parse `rec_elem` against the item's Start and StartTimeZone into data['Recurrence']."""
    if rec_elem is None:
        return
    zone_id = str(data.get("StartTimeZone") or "UTC")
    start: dt.datetime = data["Start"]
    start_local = start.astimezone(erec.zone(zone_id)).replace(tzinfo=None)
    data["Recurrence"] = erec.parse(rec_elem, start_local, zone_id)


def validate(data: Fields) -> None:
    """Checks Exchange applies on save (pages "CreateItem operation (calendar item)")."""
    if "Start" not in data or "End" not in data:
        raise EwsError("ErrorInvalidRequest", "A calendar item needs Start and End.")
    if data["End"] < data["Start"]:
        raise EwsError(
            "ErrorCalendarEndDateIsEarlierThanStartDate", "EndDate is earlier than StartDate"
        )
    data.setdefault("StartTimeZone", "UTC")
    data.setdefault("EndTimeZone", data["StartTimeZone"])
    if data.get("IsAllDayEvent"):
        tz = erec.zone(str(data["StartTimeZone"]))
        for key in ("Start", "End"):
            value: dt.datetime = data[key].astimezone(tz)
            if value.time() != dt.time():
                # Exchange snaps all-day events to midnight in the event's zone
                day = value.date() + (dt.timedelta(days=1) if key == "End" else dt.timedelta())
                value = dt.datetime.combine(day, dt.time(), tz)
            data[key] = value.astimezone(dt.UTC)
        if data["End"] <= data["Start"]:
            data["End"] = data["Start"] + dt.timedelta(days=1)


def field_value(uri: str, container: ET.Element, tz: dt.tzinfo) -> tuple[str, Any]:
    """For SetItemField: the model field name and value from the item element inside it."""
    fields, rec_elem = parse_fields(container, tz)
    name = uri.split(":", 1)[-1]
    if name == "Recurrence":
        return name, rec_elem
    if name == "Body" and "Body" in fields:
        return name, (fields["Body"], fields["BodyType"])
    if name not in fields:
        raise EwsError("ErrorInvalidPropertySet", f"No value for {uri}")
    return name, fields[name]
