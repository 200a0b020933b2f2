"""MimeContent of calendar items (an iCalendar object, as Exchange returns for IPM.Appointment) and
the MAPI extended properties clients such as DavMail ask for.

Exchange's calendar MimeContent (web-service-reference "MimeContent"; DavMail reads events this
way) is a VCALENDAR with METHOD:PUBLISH, a VTIMEZONE named by the Windows zone id, the master
VEVENT (RRULE, EXDATE) and one VEVENT per exception (RECURRENCE-ID), X-MICROSOFT-CDO-* flags
and X-ALT-DESC for HTML bodies. Extended properties follow "ExtendedFieldURI" (PropertyTag,
PropertyType). This module must not change the store.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from typing import Any

import icalendar

from sandbox.ews import recurrence as erec
from sandbox.ews.itemxml import View, html_to_text, my_response, view_of
from sandbox.ews.soap import fmt_bool, fmt_datetime
from sandbox.ews.store import Folder, Store

_PARTSTAT = {
    "Accept": "ACCEPTED",
    "Tentative": "TENTATIVE",
    "Decline": "DECLINED",
    "Organizer": "ACCEPTED",
}
_BUSY = {"Free": "FREE", "Tentative": "TENTATIVE", "Busy": "BUSY", "OOF": "OOF"}
_CLASS = {"Private": "PRIVATE", "Confidential": "CONFIDENTIAL", "Personal": "PRIVATE"}
_WEEKDAYS = {"monday": "MO", "tuesday": "TU", "wednesday": "WE", "thursday": "TH"}
_WEEKDAYS.update({"friday": "FR", "saturday": "SA", "sunday": "SU"})
_SETPOS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}


def _rrule(rec: dict[str, Any], tz: dt.tzinfo, start: dt.datetime) -> dict[str, Any]:
    p, r = rec["pattern"], rec["range"]
    freq = {
        "daily": "DAILY",
        "weekly": "WEEKLY",
        "absoluteMonthly": "MONTHLY",
        "relativeMonthly": "MONTHLY",
        "absoluteYearly": "YEARLY",
        "relativeYearly": "YEARLY",
    }[p["type"]]
    rule: dict[str, Any] = {"FREQ": freq, "INTERVAL": p["interval"]}
    days = [_WEEKDAYS[d] for d in p.get("daysOfWeek", [])]
    if p["type"] == "weekly":
        rule["BYDAY"] = days
        rule["WKST"] = _WEEKDAYS[p["firstDayOfWeek"]]
    elif p["type"] in ("relativeMonthly", "relativeYearly"):
        rule["BYDAY"] = days
        rule["BYSETPOS"] = _SETPOS[p["index"]]
    else:
        if p["type"] in ("absoluteMonthly", "absoluteYearly"):
            rule["BYMONTHDAY"] = p["dayOfMonth"]
    if p["type"] in ("absoluteYearly", "relativeYearly"):
        rule["BYMONTH"] = p["month"]
    if r["type"] == "numbered":
        rule["COUNT"] = r["numberOfOccurrences"]
    elif r["type"] == "endDate":
        last = dt.datetime.combine(dt.date.fromisoformat(r["endDate"]), start.astimezone(tz).time())
        rule["UNTIL"] = last.replace(tzinfo=tz).astimezone(dt.UTC)
    return rule


def _when(ev: icalendar.Event, name: str, value: dt.datetime, tzid: str, all_day: bool) -> None:
    tz = erec.zone(tzid)
    local = value.astimezone(tz)
    if all_day:
        ev.add(name, local.date())
        return
    prop = icalendar.vDDDTypes(local.replace(tzinfo=None))
    prop.params["TZID"] = tzid
    ev.add(name, prop, encode=False)


def _event(v: View, owner_name: str, owner_email: str, stamp: dt.datetime) -> icalendar.Event:
    d = v.data
    ev = icalendar.Event()
    org = d.get("Organizer") or (owner_name, owner_email)
    ev.add("ORGANIZER", f"mailto:{org[1]}", parameters={"CN": org[0]})
    for key, role in (
        ("RequiredAttendees", "REQ-PARTICIPANT"),
        ("OptionalAttendees", "OPT-PARTICIPANT"),
        ("Resources", "NON-PARTICIPANT"),
    ):
        for name, email, response in d.get(key) or []:
            params = {"ROLE": role, "PARTSTAT": _PARTSTAT.get(response, "NEEDS-ACTION")}
            params.update({"RSVP": "TRUE", "CN": name})
            ev.add("ATTENDEE", f"mailto:{email}", parameters=params)
    body = str(d.get("Body") or "")
    if body:
        plain = html_to_text(body) if d.get("BodyType") == "HTML" else body
        ev.add("DESCRIPTION", plain, parameters={"LANGUAGE": "en-US"})
    ev.add("UID", str(d.get("UID")))
    ev.add("SUMMARY", str(d.get("Subject") or ""), parameters={"LANGUAGE": "en-US"})
    all_day = bool(d.get("IsAllDayEvent"))
    tzid = str(d.get("StartTimeZone") or "UTC")
    _when(ev, "DTSTART", d["Start"], tzid, all_day)
    # one VTIMEZONE per object, as Exchange's iCal conversion writes (DavMail relies on it):
    # DTEND is expressed in the start zone even when EndTimeZone differs
    _when(ev, "DTEND", d["End"], tzid, all_day)
    if v.index is not None:
        _when(ev, "RECURRENCE-ID", d["OriginalStart"], tzid, all_day)
    ev.add("CLASS", _CLASS.get(str(d.get("Sensitivity")), "PUBLIC"))
    ev.add("PRIORITY", {"High": 1, "Low": 9}.get(str(d.get("Importance")), 5))
    ev.add("DTSTAMP", stamp)
    ev.add("TRANSP", "TRANSPARENT" if d.get("LegacyFreeBusyStatus") == "Free" else "OPAQUE")
    ev.add("STATUS", "CANCELLED" if d.get("IsCancelled") else "CONFIRMED")
    ev.add("SEQUENCE", 0)
    if d.get("Location"):
        ev.add("LOCATION", str(d["Location"]), parameters={"LANGUAGE": "en-US"})
    if d.get("Categories"):
        ev.add("CATEGORIES", list(d["Categories"]))
    ev.add("LAST-MODIFIED", v.item.modified)
    ev.add("CREATED", v.item.created)
    ev.add("X-MICROSOFT-CDO-APPT-SEQUENCE", "0")
    ev.add("X-MICROSOFT-CDO-BUSYSTATUS", _BUSY.get(str(d.get("LegacyFreeBusyStatus")), "BUSY"))
    ev.add("X-MICROSOFT-CDO-ALLDAYEVENT", "TRUE" if all_day else "FALSE")
    ev.add("X-MICROSOFT-CDO-IMPORTANCE", "1")
    ev.add("X-MICROSOFT-CDO-INSTTYPE", {"Single": 0, "RecurringMaster": 1}.get(v.kind, 3))
    if d.get("BodyType") == "HTML" and body:
        ev.add("X-ALT-DESC", body, parameters={"FMTTYPE": "text/html"})
    if d.get("ReminderIsSet"):
        alarm = icalendar.Alarm()
        alarm.add("DESCRIPTION", "REMINDER")
        alarm.add("TRIGGER", -dt.timedelta(minutes=int(d.get("ReminderMinutesBeforeStart", 15))))
        alarm.add("ACTION", "DISPLAY")
        ev.add_component(alarm)
    return ev


def ical_bytes(v: View, owner_name: str, owner_email: str) -> bytes:
    """The MimeContent of a view: the whole series for a master, one VEVENT otherwise."""
    cal = icalendar.Calendar()
    cal.add("METHOD", "PUBLISH")
    cal.add("PRODID", "Microsoft Exchange Server 2010")
    cal.add("VERSION", "2.0")
    d = v.data
    start: dt.datetime = d["Start"]
    for zone_id in (str(d.get("StartTimeZone") or "UTC"),):
        vtz = icalendar.Timezone.from_tzinfo(
            erec.zone(zone_id),
            first_date=(start - dt.timedelta(days=400)).date(),
            last_date=(start + dt.timedelta(days=800)).date(),
        )
        vtz["TZID"] = zone_id
        cal.add_component(vtz)
    stamp = v.item.modified
    master = _event(v, owner_name, owner_email, stamp)
    cal.add_component(master)
    if v.kind == "RecurringMaster":
        tz = erec.zone(str(d.get("StartTimeZone") or "UTC"))
        master.add("RRULE", _rrule(d["Recurrence"], tz, start))
        for i in sorted(v.item.deleted_occurrences):
            orig = erec.original_start(v.item, i)
            if orig is not None:
                _when(master, "EXDATE", orig, str(d.get("StartTimeZone") or "UTC"), False)
        for i in sorted(v.item.exceptions):
            exc = view_of(v.item, i)
            if exc is not None:
                cal.add_component(_event(exc, owner_name, owner_email, stamp))
    data: bytes = cal.to_ical()  # icalendar's Component.to_ical has no return annotation
    return data


# ---- MAPI extended properties (PropertyTag, lower-case hex) ---------------------------------


def _tag(ext: ET.Element) -> str:
    """PropertyTag as lower-case hex without padding ("0x0E08" and "3592" -> "0xe08")."""
    tag = ext.get("PropertyTag", "").strip()
    try:
        return hex(int(tag, 16) if tag.lower().startswith("0x") else int(tag))
    except ValueError:
        return tag.lower()


def extended_item_value(v: View, ext: ET.Element, store: Store) -> str | None:
    tag = _tag(ext)
    d = v.data
    if tag == "0x10f3":  # PR_URL_COMP_NAME
        return f"{d.get('UID')}.EML"
    if tag == "0x3008":  # PR_LAST_MODIFICATION_TIME
        return fmt_datetime(v.item.modified)
    if tag == "0x3007":  # PR_CREATION_TIME
        return fmt_datetime(v.item.created)
    if tag == "0x1a":  # PR_MESSAGE_CLASS
        return "IPM.Appointment"
    if tag == "0xe08":  # PR_MESSAGE_SIZE
        return str(len(str(d.get("Body") or "")) + 512)
    if tag in ("0x37", "0x3001"):  # PR_SUBJECT, PR_DISPLAY_NAME
        return str(d.get("Subject") or "")
    if tag == "0xe23":  # PR_INTERNET_ARTICLE_NUMBER: per-item, increasing, positive
        return str(v.item.history[0] if v.item.history else 1)
    if tag == "0x36":  # PR_SENSITIVITY
        return str(
            {"Personal": 1, "Private": 2, "Confidential": 3}.get(str(d.get("Sensitivity")), 0)
        )
    if ext.get("PropertyName") == "urlcompname":
        return f"{d.get('UID')}.EML"
    if ext.get("PropertyName") == "urn:schemas:calendar:uid":
        return str(d.get("UID"))
    if ext.get("PropertyName") == "urn:schemas:calendar:instancetype":  # CdoInstanceType
        return str({"Single": 0, "RecurringMaster": 1, "Occurrence": 2}.get(v.kind, 3))
    if ext.get("PropertyId") in ("33315", "0x8223"):  # PidLidRecurring
        return fmt_bool(v.kind == "RecurringMaster")
    if ext.get("PropertyId") == "33304":  # PidLidResponseStatus-ish: my response
        return my_response(d, "")
    return None


def extended_folder_value(folder: Folder, ext: ET.Element, store: Store) -> str | None:
    tag = _tag(ext)
    items = store.items_in(folder.id)
    if tag == "0x10f3":  # PR_URL_COMP_NAME
        return folder.display_name
    if tag == "0x3613":  # PR_CONTAINER_CLASS
        return folder.folder_class
    if tag in ("0x3008", "0x670a"):  # PR_LAST_MODIFICATION_TIME, PR_LOCAL_COMMIT_TIME_MAX
        return fmt_datetime(folder.modified)
    if tag == "0x3603":  # PR_CONTENT_UNREAD
        return "0"
    if tag == "0x3602":  # PR_CONTENT_COUNT
        return str(len(items))
    if tag == "0x360a":  # PR_SUBFOLDERS
        return fmt_bool(bool(store.children(folder.id)))
    if tag == "0x3001":  # PR_DISPLAY_NAME
        return folder.display_name
    return None
