"""The replies an organizer's copy shows, as the iTIP messages that carried them (RFC 6638
§4.1: the schedule inbox holds incoming scheduling messages, REQUESTs and REPLYs; RFC 5546
§3.2.3: a REPLY holds the ORGANIZER, the UID, the replying ATTENDEE with their PARTSTAT and,
for one occurrence, its RECURRENCE-ID).

- `answered(text, addresses)`: for an event the user organizes, one `ReplyMessage` per
  attendee (other than the organizer) who has answered — PARTSTAT ACCEPTED, DECLINED,
  TENTATIVE or DELEGATED on the master or an override — as METHOD:REPLY text holding each
  component the attendee answered with only their ATTENDEE line. Its `answer` changes when any
  of their answers changes (the inbox message's identity).

What it must not do: I/O, or decide whether a message was already seen (the facade does).
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass

from icalendar import Calendar

from bridge.ical.itip import _as_list, _email, _events, _parse
from bridge.ical.rendering import serialise

ANSWERS = ("ACCEPTED", "DECLINED", "TENTATIVE", "DELEGATED")
_KEPT = ("UID", "DTSTAMP", "SEQUENCE", "RECURRENCE-ID", "DTSTART", "DTEND", "DURATION", "SUMMARY")


@dataclass(frozen=True)
class ReplyMessage:
    attendee: str  # mailto:…
    answer: str  # a digest of the attendee's PARTSTATs, per component
    text: str  # METHOD:REPLY


def answered(text: str, addresses: list[str]) -> list[ReplyMessage]:
    mine = {_email(a) for a in addresses}
    cal = _parse(text)
    events = _events(cal)
    organizer = next((_email(e.get("ORGANIZER")) for e in events if e.get("ORGANIZER")), "")
    if not organizer or organizer not in mine:
        return []
    who: dict[str, list[tuple[int, str]]] = {}
    for index, event in enumerate(events):
        for attendee in _as_list(event.get("ATTENDEE")):
            address = _email(attendee)
            partstat = str(attendee.params.get("PARTSTAT") or "NEEDS-ACTION").upper()
            if address and address != organizer and partstat in ANSWERS:
                who.setdefault(address, []).append((index, partstat))
    found = []
    for address, answers in sorted(who.items()):
        digest = hashlib.sha256(repr(answers).encode()).hexdigest()[:16]
        found.append(ReplyMessage(f"mailto:{address}", digest, _reply(cal, address, answers)))
    return found


def _reply(cal: Calendar, address: str, answers: list[tuple[int, str]]) -> str:
    reply = Calendar()
    for key in ("VERSION", "PRODID"):
        if key in cal:
            reply.add(key, cal[key])
    reply.add("METHOD", "REPLY")
    events = _events(cal)
    for index, _partstat in answers:
        event = events[index]
        out = type(event)()
        for key in _KEPT:
            if key in event:
                out[key] = copy.deepcopy(event[key])
        out["ORGANIZER"] = copy.deepcopy(event["ORGANIZER"])
        mine = [a for a in _as_list(event.get("ATTENDEE")) if _email(a) == address]
        out["ATTENDEE"] = copy.deepcopy(mine[0])
        reply.add_component(out)
    return serialise(reply)
