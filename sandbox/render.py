"""Turn model objects into Graph v1.0 JSON (resources/event.md, resources/calendar.md).

Times are written in UTC unless `Prefer: outlook.timezone` names another zone (event-get.md);
`@odata.etag` is `W/"<changeKey>"`. This module must not change the model.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any
from urllib.parse import quote

from sandbox import gtime
from sandbox.mailbox import Calendar, Instance, Mailboxes, key_to_utc

_NEVER = "0001-01-01T00:00:00Z"


def etag(change_key: str) -> str:
    return f'W/"{change_key}"'


def render_calendar(cal: Calendar) -> dict[str, Any]:
    # resources/calendar.md properties
    return {
        "@odata.etag": etag(cal.change_key),
        "id": cal.id,
        "name": cal.name,
        "color": cal.color,
        "hexColor": cal.hex_color,
        "isDefaultCalendar": cal.is_default,
        "changeKey": cal.change_key,
        "canShare": cal.can_share and cal.can_edit,
        "canViewPrivateItems": cal.can_view_private,
        "canEdit": cal.can_edit,
        "allowedOnlineMeetingProviders": ["teamsForBusiness"],
        "defaultOnlineMeetingProvider": "teamsForBusiness",
        "isTallyingResponses": True,
        "isRemovable": not cal.is_default,
        "owner": {"name": cal.owner_name, "address": cal.owner_address},
    }


def _body_preview(body: dict[str, Any] | None) -> str:
    if not body:
        return ""
    text = str(body.get("content") or "")
    if str(body.get("contentType", "text")).lower() == "html":
        text = re.sub(r"(?is)<(script|style).*?</\1>", " ", text)
        text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    return re.sub(r"\s+", " ", text).strip()[:255]


def _location(loc: dict[str, Any] | None) -> dict[str, Any]:
    loc = dict(loc or {})
    return {
        "displayName": loc.get("displayName", ""),
        "locationType": loc.get("locationType", "default"),
        "uniqueIdType": loc.get("uniqueIdType", "unknown"),
        "address": loc.get("address", {}),
        "coordinates": loc.get("coordinates", {}),
        **({"locationUri": loc["locationUri"]} if "locationUri" in loc else {}),
    }


def _attendee(att: dict[str, Any]) -> dict[str, Any]:
    status = dict(att.get("status") or {})
    return {
        "type": att.get("type", "required"),
        "status": {"response": status.get("response", "none"), "time": status.get("time", _NEVER)},
        "emailAddress": dict(att.get("emailAddress") or {}),
    }


def _online_meeting(om: dict[str, Any] | None) -> dict[str, Any] | None:
    if not om:
        return None
    out = {"joinUrl": om.get("joinUrl")}
    for key in ("conferenceId", "tollNumber", "tollFreeNumbers", "quickDial", "phones"):
        if key in om:
            out[key] = om[key]
    out.setdefault("tollFreeNumbers", [])
    return out


def _times(
    inst: Instance, props: dict[str, Any], zone: str
) -> tuple[dict[str, str], dict[str, str]]:
    if props.get("isAllDay"):
        return gtime.render_all_day(inst.start.date(), zone), gtime.render_all_day(
            inst.end.date(), zone
        )
    return gtime.render(inst.start, zone), gtime.render(inst.end, zone)


def render_event(mb: Mailboxes, inst: Instance, zone: str = "UTC") -> dict[str, Any]:
    """Full Graph event JSON for an instance (or a stored single event / series master)."""
    ev = inst.event
    props = dict(ev.props)
    created, modified = ev.created, ev.modified
    if inst.kind in ("occurrence", "exception"):
        props.pop("recurrence", None)
    if inst.kind == "exception" and inst.key is not None:
        exc = ev.exceptions[inst.key]
        props.update(exc["props"])
        created, modified = exc["created"], exc["modified"]
    cal = mb.calendars[ev.calendar_id]
    owner = mb.users[cal.owner_user_id]
    organizer = props.get("organizer") or {}
    org_addr = str((organizer.get("emailAddress") or {}).get("address", "")).lower()
    is_organizer = org_addr in (owner.upn.lower(), (cal.owner_address or "").lower())
    start, end = _times(inst, props, zone)
    location = _location(props.get("location"))
    locations = props.get("locations")
    if locations is None:
        locations = [location] if location["displayName"] else []
    response_status = props.get("responseStatus") or (
        {"response": "organizer", "time": _NEVER}
        if is_organizer
        else {"response": "notResponded", "time": _NEVER}
    )
    out: dict[str, Any] = {
        "@odata.etag": etag(inst.change_key),
        "id": inst.id,
        "createdDateTime": gtime.format_offset(dt.datetime.fromtimestamp(created, dt.UTC)),
        "lastModifiedDateTime": gtime.format_offset(dt.datetime.fromtimestamp(modified, dt.UTC)),
        "changeKey": inst.change_key,
        "categories": list(props.get("categories") or []),
        "transactionId": props.get("transactionId") if inst.kind != "occurrence" else None,
        "originalStartTimeZone": props["start"].get("timeZone", "UTC"),
        "originalEndTimeZone": props["end"].get("timeZone", "UTC"),
        "iCalUId": ev.ical_uid
        if inst.kind in ("singleInstance", "seriesMaster")
        else _instance_ical_uid(ev.ical_uid, inst),
        "uid": ev.ical_uid,
        "reminderMinutesBeforeStart": int(props.get("reminderMinutesBeforeStart", 15)),
        "isReminderOn": bool(props.get("isReminderOn", True)),
        "hasAttachments": False,
        "subject": props.get("subject", ""),
        "bodyPreview": _body_preview(props.get("body")),
        "importance": props.get("importance", "normal"),
        "sensitivity": props.get("sensitivity", "normal"),
        "isAllDay": bool(props.get("isAllDay", False)),
        "isCancelled": bool(props.get("isCancelled", False)),
        "isOrganizer": is_organizer,
        "responseRequested": bool(props.get("responseRequested", True)),
        "seriesMasterId": ev.id if inst.kind in ("occurrence", "exception") else None,
        "showAs": props.get("showAs", "busy"),
        "type": inst.kind,
        "webLink": "https://outlook.office365.com/owa/?itemid="
        + quote(inst.id, safe="")
        + "&exvsurl=1&path=/calendar/item",
        "onlineMeetingUrl": None,
        "isOnlineMeeting": bool(props.get("isOnlineMeeting", False)),
        "onlineMeetingProvider": props.get("onlineMeetingProvider", "unknown"),
        "allowNewTimeProposals": bool(props.get("allowNewTimeProposals", True)),
        "isDraft": False,
        "hideAttendees": bool(props.get("hideAttendees", False)),
        "responseStatus": response_status,
        "body": {
            "contentType": str((props.get("body") or {}).get("contentType", "html")).lower(),
            "content": (props.get("body") or {}).get("content", ""),
        },
        "start": start,
        "end": end,
        "location": location,
        "locations": [_location(loc) for loc in locations],
        "recurrence": props.get("recurrence") if inst.kind == "seriesMaster" else None,
        "attendees": [_attendee(a) for a in props.get("attendees") or []],
        "organizer": organizer,
        "onlineMeeting": _online_meeting(props.get("onlineMeeting")),
    }
    if inst.kind in ("occurrence", "exception") and inst.key is not None:
        # event.md originalStart: the occurrence's start before any change, UTC DateTimeOffset
        out["originalStart"] = gtime.format_utc_z(key_to_utc(inst.key))
    return out


def _instance_ical_uid(uid: str, inst: Instance) -> str:
    # Outlook gives occurrences an iCalUId distinct from the series' (event.md iCalUId)
    assert inst.key is not None
    return uid[:16] + inst.key.replace("T", "").replace("Z", "")[:8] + uid[24:]


def removed(item_id: str) -> dict[str, Any]:
    # event-delta.md: deletions come back as @removed with reason "deleted"
    return {
        "@odata.type": "#microsoft.graph.event",
        "id": item_id,
        "@removed": {"reason": "deleted"},
    }
