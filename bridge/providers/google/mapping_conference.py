"""Google `conferenceData` (and the legacy `hangoutLink`) -> RFC 7986 CONFERENCE properties.

What it does: one `CONFERENCE;VALUE=URI;FEATURE=VIDEO;LABEL=<solution name>;X-PASSCODE=<code>`
per video entry point, `FEATURE=PHONE` for phone entry points (tel: URIs), `FEATURE=AUDIO` for
SIP, and `X-CONFERENCE-ID` from `conferenceId` (or the video entry's `meetingCode`). Meet,
add-ons (Zoom for Google Workspace uses `conferenceSolution.key.type` "addOn") and third-party
solutions are all treated alike: the join-link layer recognises the service from the URL and
the label and adds X-ZOOM-* itself.
What it must not do: add X-ZOOM-* or guess data the entry points do not carry.

Vendor reference: Google Calendar API "Events" resource, `conferenceData.entryPoints[]`
(entryPointType video|phone|sip|more; uri, label, meetingCode, passcode, password, pin,
accessCode) and guides/create-events "Add video and phone conferences to events".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from icalendar import Event, vText

SOLUTION_LABELS = {
    "hangoutsMeet": "Google Meet",
    "eventHangout": "Hangouts",
    "eventNamedHangout": "Hangouts",
}
_FEATURES = {"video": "VIDEO", "phone": "PHONE", "sip": "AUDIO"}


def _secret(entry: Mapping[str, Any]) -> str | None:
    for key in ("passcode", "password", "pin", "accessCode"):
        value = entry.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _label(data: Mapping[str, Any]) -> str:
    solution = data.get("conferenceSolution") or {}
    name = str(solution.get("name") or "").strip()
    if name:
        return name
    kind = str((solution.get("key") or {}).get("type") or "")
    return SOLUTION_LABELS.get(kind, "Online meeting")


def add_conference(vevent: Event, event: Mapping[str, Any]) -> None:
    data = event.get("conferenceData") or {}
    entries = [e for e in data.get("entryPoints") or [] if isinstance(e, Mapping)]
    label = _label(data)
    conference_id = str(data.get("conferenceId") or "").strip()
    seen: set[str] = set()
    for entry in entries:
        kind = str(entry.get("entryPointType") or "")
        uri = str(entry.get("uri") or "").strip()
        if kind not in _FEATURES or not uri or uri in seen:
            continue
        seen.add(uri)
        params = {"VALUE": "URI", "FEATURE": _FEATURES[kind], "LABEL": label}
        secret = _secret(entry)
        if secret:
            params["X-PASSCODE"] = secret
        vevent.add("CONFERENCE", uri, parameters=params)
        if kind == "video" and not conference_id and entry.get("meetingCode"):
            conference_id = str(entry["meetingCode"]).strip()
    hangout = str(event.get("hangoutLink") or "").strip()
    if hangout and hangout not in seen:
        vevent.add(
            "CONFERENCE",
            hangout,
            parameters={"VALUE": "URI", "FEATURE": "VIDEO", "LABEL": "Google Meet"},
        )
    if conference_id:
        vevent.add("X-CONFERENCE-ID", vText(conference_id))
