"""Validation and normalisation of the writable fields of an event body (Calendar "Events" resource).

Turns a client's insert/update body (or a patched copy of a stored event) into the stored shape:
enumerations checked, times canonical, attendees flagged `self`/`organizer`, reminders and
conferenceData checked. With `conferenceDataVersion=1`, a `createRequest` for `hangoutsMeet`
gets a Meet conference as Google creates one (guides "Create events", section conferencing).
This module must not store anything, assign ids/etags or know about HTTP.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
from typing import Any

from sandbox.google import recurrence
from sandbox.google.errors import ApiError, bad_request
from sandbox.google.timeutil import (
    event_zone,
    instant,
    is_all_day,
    local_naive,
    normalize_time,
)

WRITABLE = (
    "summary",
    "description",
    "location",
    "colorId",
    "start",
    "end",
    "endTimeUnspecified",
    "recurrence",
    "transparency",
    "visibility",
    "attendees",
    "reminders",
    "conferenceData",
    "extendedProperties",
    "guestsCanModify",
    "guestsCanInviteOthers",
    "guestsCanSeeOtherGuests",
    "anyoneCanAddSelf",
    "status",
    "source",
    "attachments",
    "locked",
    "sequence",
)
STATUSES = ("confirmed", "tentative", "cancelled")
TRANSPARENCY = ("opaque", "transparent")
VISIBILITY = ("default", "public", "private", "confidential")
RESPONSES = ("needsAction", "declined", "tentative", "accepted")
ENTRY_POINT_TYPES = ("video", "phone", "sip", "more")
SOLUTION_TYPES = ("eventHangout", "eventNamedHangout", "hangoutsMeet", "addOn")
MEET_ICON = (
    "https://fonts.gstatic.com/s/i/productlogos/meet_2020q4/v6/web-512dp/"
    "logo_meet_2020q4_color_2x_web_512dp.png"
)


def merge_patch(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Patch semantics of Google APIs: objects merge recursively, arrays replace, null clears."""
    out = copy.deepcopy(base)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_patch(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _choice(body: dict[str, Any], key: str, allowed: tuple[str, ...]) -> None:
    if key in body and body[key] not in allowed:
        raise bad_request(f"Invalid value for {key}: {body[key]}", "invalid", key)


def _attendees(raw: Any, user: str, organizer: str) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        raise bad_request("Invalid attendees.", "invalid", "attendees")
    out = []
    for a in raw:
        if not isinstance(a, dict) or not a.get("email"):
            raise bad_request("Missing attendee email.", "required", "attendees.email")
        email = str(a["email"]).strip()
        if "@" not in email:
            raise bad_request("Invalid attendee email.", "invalid", "attendees.email")
        item = {k: v for k, v in a.items() if k not in ("self", "organizer", "id")}
        item["email"] = email
        item.setdefault("responseStatus", "needsAction")
        if item["responseStatus"] not in RESPONSES:
            raise bad_request("Invalid attendee response status.", "invalid", "attendees")
        if email.lower() == organizer.lower():
            item["organizer"] = True
        if email.lower() == user.lower():
            item["self"] = True
        out.append(item)
    return out


def _reminders(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise bad_request("Invalid reminders.", "invalid", "reminders")
    use_default = bool(raw.get("useDefault", False))
    overrides = raw.get("overrides") or []
    if use_default and overrides:
        raise bad_request(
            "Cannot specify both default reminders and overrides at the same time.",
            "cannotUseDefaultRemindersAndSpecifyOverride",
        )
    for o in overrides:
        if not isinstance(o, dict) or o.get("method") not in ("email", "popup"):
            raise bad_request("Invalid reminder method.", "invalid", "reminders.overrides")
        if not 0 <= int(o.get("minutes", -1)) <= 40320:
            raise bad_request("Invalid reminder minutes.", "invalid", "reminders.overrides")
    out: dict[str, Any] = {"useDefault": use_default}
    if overrides:
        out["overrides"] = [
            {"method": o["method"], "minutes": int(o["minutes"])} for o in overrides
        ]
    return out


def meet_conference(rng: random.Random, request_id: str) -> dict[str, Any]:
    """A Meet conference as Calendar creates it for a hangoutsMeet createRequest."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    code = "-".join("".join(rng.choice(letters) for _ in range(n)) for n in (3, 4, 3))
    pin = "".join(rng.choice("0123456789") for _ in range(9))
    return {
        "createRequest": {
            "requestId": request_id,
            "conferenceSolutionKey": {"type": "hangoutsMeet"},
            "status": {"statusCode": "success"},
        },
        "entryPoints": [
            {
                "entryPointType": "video",
                "uri": f"https://meet.google.com/{code}",
                "label": f"meet.google.com/{code}",
            },
            {
                "entryPointType": "phone",
                "uri": "tel:+1-505-555-0142",
                "label": "+1 505-555-0142",
                "pin": pin,
                "regionCode": "US",
            },
            {"entryPointType": "more", "uri": f"https://tel.meet/{code}?pin={pin}", "pin": pin},
        ],
        "conferenceSolution": {
            "key": {"type": "hangoutsMeet"},
            "name": "Google Meet",
            "iconUri": MEET_ICON,
        },
        "conferenceId": code,
    }


def conference(raw: Any, rng: random.Random) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise bad_request("Invalid conference data.", "invalidConferenceData", "conferenceData")
    req = raw.get("createRequest")
    if isinstance(req, dict) and not raw.get("entryPoints"):
        kind = ((req.get("conferenceSolutionKey") or {}).get("type")) or ""
        if kind != "hangoutsMeet":
            raise bad_request("Invalid conference type value.", "invalid", "conferenceData")
        return meet_conference(rng, str(req.get("requestId") or ""))
    out = copy.deepcopy(raw)
    points = out.get("entryPoints") or []
    if not isinstance(points, list):
        raise bad_request("Invalid conference data.", "invalidConferenceData", "conferenceData")
    for p in points:
        if not isinstance(p, dict) or p.get("entryPointType") not in ENTRY_POINT_TYPES:
            raise bad_request("Invalid entry point type.", "invalidConferenceData")
    if sum(1 for p in points if p["entryPointType"] == "video") > 1:
        raise bad_request("At most one video entry point.", "invalidConferenceData")
    key_type = ((out.get("conferenceSolution") or {}).get("key") or {}).get("type")
    if points and key_type not in SOLUTION_TYPES:
        raise bad_request("Invalid conference type value.", "invalidConferenceData")
    return out


def hangout_link(conf: dict[str, Any] | None) -> str | None:
    if not conf:
        return None
    if ((conf.get("conferenceSolution") or {}).get("key") or {}).get("type") != "hangoutsMeet":
        return None
    for p in conf.get("entryPoints") or []:
        if p.get("entryPointType") == "video":
            return str(p.get("uri"))
    return None


def normalize(
    body: dict[str, Any],
    *,
    cal_tz: str,
    user: str,
    organizer: str,
    exception: bool,
    use_conference: bool,
    previous_conference: dict[str, Any] | None,
    rng: random.Random,
) -> dict[str, Any]:
    """The stored writable fields of an event from a (merged) client body."""
    out = {k: copy.deepcopy(body[k]) for k in WRITABLE if k in body}
    for key, allowed in (
        ("status", STATUSES),
        ("transparency", TRANSPARENCY),
        ("visibility", VISIBILITY),
    ):
        _choice(out, key, allowed)
    out["start"] = normalize_time(body.get("start"), "start")
    out["end"] = normalize_time(body.get("end"), "end")
    if is_all_day(out["start"]) != is_all_day(out["end"]):
        raise bad_request("Start and end times must either both be date or both be dateTime.")
    if instant(out["end"], cal_tz) < instant(out["start"], cal_tz):
        # "Handle API errors", 400: timeRangeEmpty
        raise ApiError(
            400, "timeRangeEmpty", "The specified time range is empty.", domain="calendar"
        )
    if out.get("recurrence"):
        if exception:
            raise bad_request("Exceptions of a recurring event cannot recur.", "invalid")
        if not isinstance(out["recurrence"], list):
            raise bad_request("Invalid recurrence rule.", "invalid", "recurrence")
        if not is_all_day(out["start"]) and not out["start"].get("timeZone"):
            raise bad_request("Missing time zone definition for start time.", "required", "start")
        try:
            recurrence.validate(
                [str(x) for x in out["recurrence"]],
                local_naive(out["start"], cal_tz),
                event_zone(out["start"], cal_tz),
                is_all_day(out["start"]),
            )
        except recurrence.BadRecurrence as exc:
            raise bad_request("Invalid recurrence rule.", "invalid", "recurrence") from exc
    else:
        out.pop("recurrence", None)
    if "attendees" in out:
        out["attendees"] = _attendees(out["attendees"], user, organizer)
        if not out["attendees"]:
            del out["attendees"]
    out["reminders"] = _reminders(out.get("reminders") or {"useDefault": True})
    if use_conference:
        if "conferenceData" in out:
            out["conferenceData"] = conference(out["conferenceData"], rng)
    elif previous_conference is not None:
        out["conferenceData"] = previous_conference  # "conferenceDataVersion=0 ... ignores"
    else:
        out.pop("conferenceData", None)
    if "extendedProperties" in out:
        out["extendedProperties"] = extended_properties(out["extendedProperties"])
        if not out["extendedProperties"]:
            del out["extendedProperties"]
    if "colorId" in out and str(out["colorId"]) not in {str(i) for i in range(1, 12)}:
        raise bad_request("Invalid color id.", "invalid", "colorId")
    out.setdefault("status", "confirmed")
    return out


# "Extended properties" guide (developers.google.com/workspace/calendar/api/guides/
# extended-properties), Limits: a key holds at most 44 characters (longer keys are dropped), a
# value at most 1024 characters (longer values are truncated); an event holds at most 300
# properties totalling 32 kB (keys + values), private and shared together.
EXT_KEY_CHARS = 44
EXT_VALUE_CHARS = 1024
EXT_MAX_COUNT = 300
EXT_MAX_BYTES = 32 * 1024


def extended_properties(raw: Any) -> dict[str, dict[str, str]]:
    """`extendedProperties` {private: {k: v}, shared: {k: v}} within Google's limits."""
    if not isinstance(raw, dict):
        raise bad_request("Invalid extendedProperties.", "invalid", "extendedProperties")
    out: dict[str, dict[str, str]] = {}
    count = size = 0
    for scope in ("private", "shared"):
        values = raw.get(scope)
        if values is None:
            continue
        if not isinstance(values, dict):
            raise bad_request(
                "Invalid extendedProperties.", "invalid", f"extendedProperties.{scope}"
            )
        kept: dict[str, str] = {}
        for key, value in values.items():
            if value is None or len(str(key)) > EXT_KEY_CHARS:
                continue
            kept[str(key)] = str(value)[:EXT_VALUE_CHARS]
            count += 1
            size += len(str(key).encode()) + len(kept[str(key)].encode())
        if kept:
            out[scope] = kept
    if count > EXT_MAX_COUNT or size > EXT_MAX_BYTES:
        raise bad_request(
            "Too many or too large extended properties.", "invalid", "extendedProperties"
        )
    return out


def duration(data: dict[str, Any], cal_tz: str) -> dt.timedelta:
    return instant(data["end"], cal_tz) - instant(data["start"], cal_tz)
