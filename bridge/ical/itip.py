"""RFC 6638 scheduling, the pure parts: who a calendar user is in an event, the participation
changes a client's PUT makes for its own user, the Schedule-Tag of a scheduling object, and the
free/busy request and reply carried by a schedule-outbox POST.

- `role(text, addresses)`: "organizer" when ORGANIZER is one of the user's addresses,
  "attendee" when one of them is an ATTENDEE of an event organized by someone else, else None
  (RFC 6638 §3.1: scheduling object resources).
- `own_replies(before, after, addresses)`: per component (master or RECURRENCE-ID) whose
  PARTSTAT of the user changed, a `Reply` (RFC 6638 §3.2.2.1: an attendee's change of their
  own participation status is a REPLY to the organizer).
- `schedule_tag(text)`: changes when the organizer's data change, not when only PARTSTAT
  (or the stamps that follow it) change (RFC 6638 §3.2.10).
- `agent(prop)`: SCHEDULE-AGENT of an ORGANIZER/ATTENDEE (RFC 6638 §7.1; SERVER by default).
- `freebusy_request(text)` / `freebusy_reply(...)`: RFC 6638 §5 / RFC 5546 §3.3.2 VFREEBUSY
  REQUEST parsed, REPLY written per recipient with FREEBUSY;FBTYPE=BUSY|BUSY-TENTATIVE|
  BUSY-UNAVAILABLE (RFC 5545 §3.2.9).

What it must not do: I/O, or decide what a provider sends.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from icalendar import Calendar, Component, FreeBusy, vCalAddress, vPeriod

from bridge.errors import BadInput
from bridge.ical.contentlines import mentions
from bridge.ical.rendering import serialise

BUSY_TYPES = ("BUSY", "BUSY-TENTATIVE", "BUSY-UNAVAILABLE")
PARTSTATS = ("NEEDS-ACTION", "ACCEPTED", "DECLINED", "TENTATIVE")
_VOLATILE = ("DTSTAMP", "LAST-MODIFIED", "X-MICROSOFT-CDO-REPLYTIME")


@dataclass(frozen=True)
class Reply:
    """An attendee's answer for the whole event (`recurrence_id` None) or one occurrence."""

    partstat: str
    recurrence_id: dt.datetime | dt.date | None = None


@dataclass(frozen=True)
class BusyPeriod:
    start: dt.datetime  # aware, UTC
    end: dt.datetime
    kind: str = "BUSY"  # one of BUSY_TYPES


@dataclass(frozen=True)
class Availability:
    """What one recipient's free/busy lookup gave: RFC 6638 §3.2.9 request-status
    ("2.0;Success", "3.7;Invalid calendar user", "5.1;Service unavailable") and, on success,
    the busy periods."""

    address: str  # mailto:...
    status: str
    periods: tuple[BusyPeriod, ...] = ()


@dataclass(frozen=True)
class FreeBusyRequest:
    organizer: str
    attendees: tuple[str, ...]
    start: dt.datetime
    end: dt.datetime
    uid: str


def mailto(address: str) -> str:
    plain = address.strip()
    if plain.lower().startswith("mailto:"):
        plain = plain[7:]
    return f"mailto:{plain.lower()}"


def _email(value: Any) -> str:
    return mailto(str(value)).removeprefix("mailto:") if value is not None else ""


def _parse(text: str) -> Calendar:
    try:
        return Calendar.from_ical(text)
    except ValueError as exc:
        raise BadInput(f"malformed iCalendar: {exc}") from exc


def _events(cal: Component) -> list[Component]:
    return [c for c in cal.walk("VEVENT")]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def agent(prop: Any) -> str:
    params = getattr(prop, "params", {}) or {}
    return str(params.get("SCHEDULE-AGENT") or "SERVER").upper()


def role(text: str, addresses: Iterable[str]) -> str | None:
    mine = {_email(a) for a in addresses}
    for event in _events(_parse(text)):
        organizer = _email(event.get("ORGANIZER"))
        if organizer and organizer in mine:
            return "organizer"
        if organizer and any(_email(a) in mine for a in _as_list(event.get("ATTENDEE"))):
            return "attendee"
    return None


def _own_partstat(event: Component, mine: set[str]) -> str | None:
    for attendee in _as_list(event.get("ATTENDEE")):
        if _email(attendee) in mine:
            return str(attendee.params.get("PARTSTAT") or "NEEDS-ACTION").upper()
    return None


def _recurrence_id(event: Component) -> dt.datetime | dt.date | None:
    rid = event.get("RECURRENCE-ID")
    if rid is None:
        return None
    value = rid.dt
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC)
    return value  # type: ignore[no-any-return]


def own_replies(before: str, after: str, addresses: Iterable[str]) -> list[Reply]:
    """The user's PARTSTAT changes from `before` (the provider's copy) to `after` (the
    client's), master first. An occurrence the client adds with a new PARTSTAT counts when it
    differs from the master's answer."""
    mine = {_email(a) for a in addresses}
    old = {_recurrence_id(e): _own_partstat(e, mine) for e in _events(_parse(before))}
    replies: list[Reply] = []
    master_old = old.get(None)
    for event in _events(_parse(after)):
        rid = _recurrence_id(event)
        now = _own_partstat(event, mine)
        if now is None or now not in PARTSTATS or now == "NEEDS-ACTION":
            continue
        was = old.get(rid, master_old if rid is not None else None)
        if now != was:
            replies.append(Reply(now, rid))
    replies.sort(key=lambda r: (r.recurrence_id is not None, str(r.recurrence_id)))
    return replies


def schedule_tag(text: str) -> str:
    """A tag over the event with ATTENDEEs as bare addresses (no PARTSTAT, SCHEDULE-STATUS or
    other parameters; the organizer's own ATTENDEE left out) and without the stamps
    (RFC 6638 §3.2.10: attendee replies that only change participation keep the tag)."""
    cal = _parse(text)
    lines: list[str] = []
    for event in _events(cal):
        organizer = _email(event.get("ORGANIZER"))
        for name, value in sorted(event.property_items(recursive=False), key=lambda p: p[0]):
            if name in _VOLATILE or name in ("BEGIN", "END"):
                continue
            if name in ("ATTENDEE", "ORGANIZER"):
                # who is invited, not their answers or the parameters a provider re-renders
                # (ROLE, RSVP, CN): a reply must not change the tag
                if name == "ORGANIZER" or _email(value) != organizer:
                    lines.append(f"{name}:{_email(value)}")
                continue
            lines.append(f"{name}:{value.to_ical() if hasattr(value, 'to_ical') else value}")
    lines.sort()
    return '"' + hashlib.sha256("\n".join(lines).encode()).hexdigest()[:32] + '"'


def freebusy_request(text: str) -> FreeBusyRequest:
    """RFC 6638 §5: one VFREEBUSY with METHOD:REQUEST, ORGANIZER, ATTENDEEs, DTSTART, DTEND."""
    cal = _parse(text)
    if str(cal.get("METHOD") or "").upper() != "REQUEST":
        raise BadInput("a free/busy request needs METHOD:REQUEST (RFC 6638 §5)")
    found = [c for c in cal.walk("VFREEBUSY")]
    if len(found) != 1:
        raise BadInput("a free/busy request holds exactly one VFREEBUSY (RFC 6638 §5)")
    fb = found[0]
    organizer = fb.get("ORGANIZER")
    attendees = tuple(mailto(str(a)) for a in _as_list(fb.get("ATTENDEE")))
    if organizer is None or not attendees:
        raise BadInput("a free/busy request needs ORGANIZER and at least one ATTENDEE")
    start, end = fb.get("DTSTART"), fb.get("DTEND")
    if start is None or end is None:
        raise BadInput("a free/busy request needs DTSTART and DTEND")
    lo, hi = _utc(start.dt), _utc(end.dt)
    if hi <= lo:
        raise BadInput("DTEND of the free/busy request must be after DTSTART")
    return FreeBusyRequest(mailto(str(organizer)), attendees, lo, hi, str(fb.get("UID") or ""))


def _utc(value: dt.date | dt.datetime) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def freebusy_reply(request: FreeBusyRequest, answer: Availability, stamp: dt.datetime) -> str:
    """The VCALENDAR METHOD:REPLY with one VFREEBUSY for `answer`'s recipient (RFC 5546
    §3.3.2), FREEBUSY periods merged per busy type."""
    cal = Calendar()
    cal.add("PRODID", "-//davbridge//scheduling//EN")
    cal.add("VERSION", "2.0")
    cal.add("METHOD", "REPLY")
    fb = FreeBusy()
    if request.uid:
        fb.add("UID", request.uid)
    fb.add("DTSTAMP", stamp)
    fb.add("DTSTART", request.start)
    fb.add("DTEND", request.end)
    fb.add("ORGANIZER", vCalAddress(request.organizer))
    fb.add("ATTENDEE", vCalAddress(answer.address))
    for kind in BUSY_TYPES:
        periods = _merged([p for p in answer.periods if p.kind == kind], request)
        if periods:
            fb.add("FREEBUSY", [vPeriod((s, e)) for s, e in periods], parameters={"FBTYPE": kind})
    cal.add_component(fb)
    return str(cal.to_ical().decode())


def _merged(
    periods: Sequence[BusyPeriod], request: FreeBusyRequest
) -> list[tuple[dt.datetime, dt.datetime]]:
    spans = sorted(
        (max(p.start, request.start), min(p.end, request.end))
        for p in periods
        if p.end > request.start and p.start < request.end
    )
    out: list[tuple[dt.datetime, dt.datetime]] = []
    for start, end in spans:
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def with_partstat(text: str, address: str, answers: dict[dt.datetime | None, str]) -> str:
    """`text` with the PARTSTAT of `address` set per component: the master (key None) and the
    overrides whose RECURRENCE-ID (UTC) is a key; unchanged when nothing differs. For providers
    that keep the account's own answer apart from the attendee list (Graph responseStatus)."""
    mine = _email(address)
    cal = _parse(text)
    changed = False
    for event in _events(cal):
        rid = _recurrence_id(event)
        key = rid if isinstance(rid, dt.datetime) or rid is None else None
        wanted = answers.get(key, answers.get(None) if rid is not None else None)
        if wanted is None:
            continue
        for attendee in _as_list(event.get("ATTENDEE")):
            if _email(attendee) == mine and attendee.params.get("PARTSTAT") != wanted:
                attendee.params["PARTSTAT"] = wanted
                changed = True
    return serialise(cal) if changed else text


def server_scheduled(text: str, addresses: Iterable[str]) -> bool:
    """False when the user's own ATTENDEE carries SCHEDULE-AGENT=CLIENT or NONE (RFC 6638
    §7.1: then the server sends nothing for it)."""
    mine = {_email(a) for a in addresses}
    for event in _events(_parse(text)):
        for attendee in _as_list(event.get("ATTENDEE")):
            if _email(attendee) in mine and agent(attendee) != "SERVER":
                return False
    return True


def own_partstat(text: str, addresses: Iterable[str]) -> str | None:
    """The user's PARTSTAT on the master (or the first component) of `text`."""
    mine = {_email(a) for a in addresses}
    events = _events(_parse(text))
    master = next((e for e in events if e.get("RECURRENCE-ID") is None), None)
    return _own_partstat(master, mine) if master is not None else None


def as_request(text: str) -> str:
    """An invitation as the scheduling message that carries it (RFC 5546 §3.2.2
    METHOD:REQUEST), for the inbox."""
    cal = _parse(text)
    if "METHOD" in cal:
        del cal["METHOD"]
    cal.add("METHOD", "REQUEST")
    return serialise(cal)


_ORGANIZER = re.compile(r"^ORGANIZER[;:].*$", re.MULTILINE | re.IGNORECASE)
SENT = "1.1"  # RFC 6638 §3.2.9: the provider has the message; delivery is its own


def with_schedule_status(text: str, addresses: Iterable[str]) -> str:
    """RFC 6638 §3.2.9 for the organizer's copy: SCHEDULE-STATUS=1.1 on each ATTENDEE the
    provider sends to (not the organizer's own, not SCHEDULE-AGENT=CLIENT/NONE). Unchanged
    text when the user does not organize it."""
    if "ORGANIZER" not in text or "ATTENDEE" not in text:
        return text
    mine = {_email(a) for a in addresses}
    organizers = _ORGANIZER.findall(text.replace("\r\n ", "").replace("\n ", ""))
    if not any(f"mailto:{m}" in line.lower() for line in organizers for m in mine):
        return text  # not the user's meeting: no parse (most mirrored events)
    cal = _parse(text)
    changed = False
    for event in _events(cal):
        organizer = _email(event.get("ORGANIZER"))
        if not organizer or organizer not in mine:
            continue
        for attendee in _as_list(event.get("ATTENDEE")):
            if _email(attendee) == organizer or agent(attendee) != "SERVER":
                continue
            if attendee.params.get("SCHEDULE-STATUS") != SENT:
                attendee.params["SCHEDULE-STATUS"] = SENT
                changed = True
    return serialise(cal) if changed else text


def without_schedule_status(text: str) -> str:
    """RFC 6638 §3.2.9: SCHEDULE-STATUS is the server's; what a client sends is dropped."""
    if not mentions(text, "SCHEDULE-STATUS"):  # a fold may split the name
        return text
    cal = _parse(text)
    for event in _events(cal):
        for prop in [*_as_list(event.get("ATTENDEE")), *_as_list(event.get("ORGANIZER"))]:
            prop.params.pop("SCHEDULE-STATUS", None)
    return serialise(cal)
