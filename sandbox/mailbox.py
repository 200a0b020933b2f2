"""The in-memory mailbox model: users, calendars, events, series exceptions, tombstones.

Behaviour reproduced (Graph docs, microsoft-graph-docs-contrib):
- every write changes `changeKey` and `lastModifiedDateTime` (resources/event.md);
- `transactionId` makes POST idempotent per calendar (user-post-events.md);
- a PATCH on an occurrence turns it into an `exception`, DELETE on an occurrence cancels it
  (event-update.md, event-delete.md, event-list-instances.md);
- calendars with canEdit=false refuse writes (resources/calendar.md `canEdit`).
Rendering to Graph JSON lives in render.py; expansion in recurrence.py. No HTTP, no I/O here.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from sandbox import gtime, recurrence
from sandbox.eventprops import EXTENDED_KEY, event_times, validate_props
from sandbox.gerrors import GraphError, access_denied, bad_request, not_found

_OCC_PREFIX = "AAMkOC"


def new_id(prefix: str = "AAMkAD") -> str:
    return prefix + base64.urlsafe_b64encode(secrets.token_bytes(33)).decode()


def new_change_key() -> str:
    return base64.b64encode(secrets.token_bytes(21)).decode()


def now_ts() -> float:
    return time.time()


def occ_key(orig_utc: dt.datetime) -> str:
    return orig_utc.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def key_to_utc(key: str) -> dt.datetime:
    return dt.datetime.strptime(key, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)


def occurrence_id(master_id: str, key: str) -> str:
    raw = f"{master_id}|{key}".encode()
    return _OCC_PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def parse_occurrence_id(item_id: str) -> tuple[str, str] | None:
    if not item_id.startswith(_OCC_PREFIX):
        return None
    body = item_id[len(_OCC_PREFIX) :]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    master, sep, key = raw.rpartition("|")
    return (master, key) if sep else None


@dataclass
class User:
    id: str
    upn: str
    display_name: str
    password: str

    def to_json(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass
class Calendar:
    id: str
    owner_user_id: str  # mailbox holding this calendar entry
    name: str
    hex_color: str = ""
    color: str = "auto"
    is_default: bool = False
    can_edit: bool = True
    can_share: bool = True
    can_view_private: bool = True
    owner_name: str = ""
    owner_address: str = ""
    change_key: str = field(default_factory=new_change_key)
    # calendarPermission resources of this calendar (sandbox.graph_sharing)
    permissions: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass
class Event:
    id: str
    calendar_id: str
    props: dict[str, Any]
    change_key: str = field(default_factory=new_change_key)
    series_change_key: str = field(default_factory=new_change_key)
    created: float = field(default_factory=now_ts)
    modified: float = field(default_factory=now_ts)
    ical_uid: str = ""
    # series only: occurrence key -> {"id","props","change_key","created","modified"}
    exceptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    cancelled: dict[str, float] = field(default_factory=dict)  # key -> when

    @property
    def is_series(self) -> bool:
        return bool(self.props.get("recurrence"))

    def touch(self, series: bool = True) -> None:
        self.change_key = new_change_key()
        if series:  # a series edit changes every occurrence and exception it shows
            self.series_change_key = self.change_key
            for exc in self.exceptions.values():
                exc["change_key"] = new_change_key()
                exc["modified"] = now_ts()
        self.modified = max(now_ts(), self.modified + 1e-6)

    def to_json(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass(frozen=True)
class Instance:
    """One row of a calendarView: a single event, an occurrence or an exception."""

    id: str
    kind: str  # singleInstance | occurrence | exception | seriesMaster
    event: Event
    key: str | None  # occurrence key for occurrence/exception
    start: dt.datetime  # aware
    end: dt.datetime  # aware
    change_key: str
    modified: float

    def overlaps(self, lo: dt.datetime, hi: dt.datetime) -> bool:
        # calendar-list-calendarview.md: events that overlap the range are returned
        if self.start == self.end:
            return lo <= self.start < hi
        return self.start < hi and self.end > lo


class Mailboxes:
    """All mailboxes of the tenant. Not thread-safe: used from the server's event loop only."""

    def __init__(self) -> None:
        self.users: dict[str, User] = {}
        self.calendars: dict[str, Calendar] = {}
        self.events: dict[str, Event] = {}
        self.tombstones: dict[str, tuple[str, float]] = {}  # event id -> (calendar id, when)
        self.transactions: dict[str, str] = {}  # "calendar|transactionId" -> event id

    # ---- users -------------------------------------------------------------------------
    def add_user(self, upn: str, display_name: str, password: str, user_id: str = "") -> User:
        user = User(user_id or _guid(), upn, display_name, password)
        self.users[user.id] = user
        return user

    def find_user(self, id_or_upn: str) -> User:
        for user in self.users.values():
            if user.id == id_or_upn or user.upn.lower() == id_or_upn.lower():
                return user
        # errors.md/user-get.md: unknown user -> 404 Request_ResourceNotFound... for mailbox
        # paths Outlook answers ErrorInvalidUser; we use the mailbox flavour.
        raise GraphError(404, "ErrorInvalidUser", f"The requested user '{id_or_upn}' is invalid.")

    # ---- calendars ---------------------------------------------------------------------
    def calendars_of(self, user_id: str) -> list[Calendar]:
        return [c for c in self.calendars.values() if c.owner_user_id == user_id]

    def default_calendar(self, user_id: str) -> Calendar:
        for cal in self.calendars_of(user_id):
            if cal.is_default:
                return cal
        raise not_found("The default calendar was not found.")

    def opens(self, user_id: str, cal: Calendar) -> bool:
        """The user's own calendar, or one shared with or delegated to the user (sandbox.
        graph_sharing: calendarPermission roles)."""
        from sandbox.graph_sharing import role_of

        return cal.owner_user_id == user_id or role_of(self, cal, user_id) is not None

    def calendar(self, user_id: str, cal_id: str) -> Calendar:
        cal = self.calendars.get(cal_id)
        if cal is None or not self.opens(user_id, cal):
            raise not_found()
        return cal

    def add_calendar(self, user_id: str, name: str, **kw: Any) -> Calendar:
        user = self.users[user_id]
        kw.setdefault("owner_name", user.display_name)
        kw.setdefault("owner_address", user.upn)
        cal = Calendar(id=new_id("AAMkAGC"), owner_user_id=user_id, name=name, **kw)
        if cal.is_default:
            for other in self.calendars_of(user_id):
                other.is_default = False
        self.calendars[cal.id] = cal
        return cal

    def update_calendar(self, cal: Calendar, patch: dict[str, Any]) -> Calendar:
        mapping = {"hexColor": "hex_color", "canEdit": "can_edit"}
        for key, value in patch.items():
            attr = mapping.get(key, key)
            if attr in ("name", "hex_color", "color", "can_edit", "owner_name", "owner_address"):
                setattr(cal, attr, value)
        if "color" in patch and "hexColor" not in patch:
            # calendar.md: hexColor is read-only and reflects a colour the user chose; a colour
            # set through `color` replaces it
            cal.hex_color = ""
        cal.change_key = new_change_key()
        return cal

    def delete_calendar(self, cal: Calendar) -> None:
        if cal.is_default:
            # calendar-delete.md: the default calendar cannot be deleted
            raise GraphError(
                400, "ErrorCannotDeleteObject", "The default calendar can't be deleted."
            )
        for ev in [e for e in self.events.values() if e.calendar_id == cal.id]:
            self._remove_event(ev)
        del self.calendars[cal.id]

    # ---- events ------------------------------------------------------------------------
    def require_writable(self, cal: Calendar, user_id: str | None = None) -> None:
        if not cal.can_edit:
            raise access_denied()
        if user_id is not None and cal.owner_user_id != user_id:
            from sandbox.graph_sharing import can_write

            if not can_write(self, cal, user_id):
                raise access_denied()

    def create_event(self, cal: Calendar, body: dict[str, Any]) -> tuple[Event, bool]:
        """Create an event; returns (event, created). Same transactionId -> same event."""
        txid = body.get("transactionId")
        if txid:
            existing = self.transactions.get(f"{cal.id}|{txid}")
            if existing and existing in self.events:
                return self.events[existing], False
        props = validate_props({k: v for k, v in body.items() if k != EXTENDED_KEY})
        user = self.users[cal.owner_user_id]
        props.setdefault(
            "organizer",
            {
                "emailAddress": {
                    "name": cal.owner_name or user.display_name,
                    "address": cal.owner_address or user.upn,
                }
            },
        )
        if props.get("isOnlineMeeting") and not props.get("onlineMeeting"):
            props.setdefault("onlineMeetingProvider", "teamsForBusiness")
            if props["onlineMeetingProvider"] == "teamsForBusiness":
                # user-post-events.md "create and enable an event as an online meeting"
                props["onlineMeeting"] = {
                    "joinUrl": "https://teams.microsoft.com/l/meetup-join/19%3ameeting_"
                    + secrets.token_urlsafe(24)
                    + "%40thread.v2/0",
                    "conferenceId": str(secrets.randbelow(10**9)),
                    "tollNumber": "+1 555-0100",
                }
        ev = Event(
            id=new_id(),
            calendar_id=cal.id,
            props=props,
            ical_uid="040000008200E00074C5B7101A82E008" + secrets.token_hex(28).upper(),
        )
        self.events[ev.id] = ev
        if txid:
            self.transactions[f"{cal.id}|{txid}"] = ev.id
        return ev, True

    def resolve(self, user_id: str, item_id: str, cal_id: str | None = None) -> Instance:
        """Find a stored event or a (virtual) occurrence/exception by id."""
        occ = parse_occurrence_id(item_id)
        if occ:
            master_id, key = occ
            master = self.events.get(master_id)
            if master is None or not master.is_series or key in master.cancelled:
                raise not_found()
            inst = self.instance_for_key(master, key)
            if inst is None:
                raise not_found()
        else:
            ev = self.events.get(item_id)
            if ev is None:
                raise not_found()
            start, end = event_times(ev.props)
            inst = Instance(
                ev.id,
                "seriesMaster" if ev.is_series else "singleInstance",
                ev,
                None,
                start,
                end,
                ev.change_key,
                ev.modified,
            )
        cal = self.calendars.get(inst.event.calendar_id)
        if cal is None or not self.opens(user_id, cal) or (cal_id and cal.id != cal_id):
            raise not_found()
        return inst

    def update(self, inst: Instance, patch: dict[str, Any]) -> Instance:
        ev = inst.event
        # event.md transactionId: it cannot be changed after the event is created
        patch = {k: v for k, v in patch.items() if k not in ("transactionId", EXTENDED_KEY)}
        if inst.kind in ("occurrence", "exception"):
            assert inst.key is not None
            if "recurrence" in patch and patch["recurrence"]:
                raise bad_request("Occurrences can't have a recurrence.")
            exc = ev.exceptions.get(inst.key)
            merged = {**ev.props, **(exc["props"] if exc else {})}
            base = {k: v for k, v in merged.items() if k != "recurrence"}
            if not exc:  # the occurrence's own times become explicit in the exception
                base["start"], base["end"] = self._occ_times_props(ev, inst.key)
            new_props = validate_props({**base, **patch})
            own = {
                k: v
                for k, v in new_props.items()
                if k in patch or k in ("start", "end") or (exc and k in exc["props"])
            }
            now = now_ts()
            ev.exceptions[inst.key] = {
                "id": inst.id,
                "props": own,
                "change_key": new_change_key(),
                "created": exc["created"] if exc else now,
                "modified": now,
            }
            ev.touch(series=False)  # the master item records its exceptions
            result = self.instance_for_key(ev, inst.key)
            assert result is not None
            return result
        new_props = validate_props({**ev.props, **patch})
        recurrence_changed = new_props.get("recurrence") != ev.props.get("recurrence") or (
            ev.is_series and new_props["start"] != ev.props["start"]
        )
        ev.props = new_props
        if recurrence_changed:
            ev.exceptions.clear()
            ev.cancelled.clear()
        ev.touch()
        return self.resolve(self.calendars[ev.calendar_id].owner_user_id, ev.id)

    def delete(self, inst: Instance) -> None:
        ev = inst.event
        if inst.kind in ("occurrence", "exception"):
            assert inst.key is not None
            ev.exceptions.pop(inst.key, None)
            ev.cancelled[inst.key] = now_ts()
            ev.touch(series=False)
            return
        self._remove_event(ev)

    def _remove_event(self, ev: Event) -> None:
        del self.events[ev.id]
        self.tombstones[ev.id] = (ev.calendar_id, now_ts())
        for key in [k for k, v in self.transactions.items() if v == ev.id]:
            del self.transactions[key]

    # ---- expansion ---------------------------------------------------------------------
    def _series_start(self, ev: Event) -> tuple[dt.datetime, str, dt.timedelta]:
        start, end = event_times(ev.props)
        local = gtime.parse_local(ev.props["start"]["dateTime"])
        zone = "UTC" if ev.props.get("isAllDay") else ev.props["start"].get("timeZone") or "UTC"
        return local, zone, end - start

    def _occ_start(self, ev: Event, local: dt.datetime) -> dt.datetime:
        _, zone, _ = self._series_start(ev)
        return gtime.to_aware(local, zone).astimezone(dt.UTC)

    def _occ_times_props(self, ev: Event, key: str) -> tuple[dict[str, str], dict[str, str]]:
        _, zone, duration = self._series_start(ev)
        start = key_to_utc(key)
        tz = gtime.zone(zone)
        s_local = start.astimezone(tz).replace(tzinfo=None)
        e_local = (start + duration).astimezone(tz).replace(tzinfo=None)
        return (
            {"dateTime": gtime.format_local(s_local), "timeZone": zone},
            {"dateTime": gtime.format_local(e_local), "timeZone": zone},
        )

    def instance_for_key(self, ev: Event, key: str) -> Instance | None:
        oid = occurrence_id(ev.id, key)
        exc = ev.exceptions.get(key)
        if exc is not None:
            start, end = event_times({**ev.props, **exc["props"]})
            return Instance(
                oid, "exception", ev, key, start, end, exc["change_key"], exc["modified"]
            )
        if key in ev.cancelled:
            return None
        orig = key_to_utc(key)
        if not self._is_occurrence(ev, orig):
            return None
        _, _, duration = self._series_start(ev)
        return Instance(
            oid, "occurrence", ev, key, orig, orig + duration, ev.series_change_key, ev.modified
        )

    def _is_occurrence(self, ev: Event, orig: dt.datetime) -> bool:
        local, zone, _ = self._series_start(ev)
        target = orig.astimezone(gtime.zone(zone)).replace(tzinfo=None)
        hits = recurrence.starts_between(ev.props["recurrence"], local, target, target)
        return bool(hits)

    def expand(self, ev: Event, lo: dt.datetime, hi: dt.datetime) -> list[Instance]:
        """Occurrences + exceptions of a series overlapping [lo, hi)."""
        local, zone, duration = self._series_start(ev)
        tz = gtime.zone(zone)
        pad = dt.timedelta(days=2) + duration
        lo_l = (lo - pad).astimezone(tz).replace(tzinfo=None)
        hi_l = (hi + dt.timedelta(days=2)).astimezone(tz).replace(tzinfo=None)
        out: list[Instance] = []
        for start_l in recurrence.starts_between(ev.props["recurrence"], local, lo_l, hi_l):
            start = gtime.to_aware(start_l, zone).astimezone(dt.UTC)
            key = occ_key(start)
            if key in ev.cancelled or key in ev.exceptions:
                continue
            inst = Instance(
                occurrence_id(ev.id, key),
                "occurrence",
                ev,
                key,
                start,
                start + duration,
                ev.series_change_key,
                ev.modified,
            )
            if inst.overlaps(lo, hi):
                out.append(inst)
        for key in ev.exceptions:
            exc_inst = self.instance_for_key(ev, key)
            if exc_inst is not None and exc_inst.overlaps(lo, hi):
                out.append(exc_inst)
        return out

    def nth_occurrence_key(self, ev: Event, index: int) -> str:
        local, zone, _ = self._series_start(ev)
        start_l = recurrence.nth_start(ev.props["recurrence"], local, index)
        return occ_key(gtime.to_aware(start_l, zone))

    def view(self, cal: Calendar, lo: dt.datetime, hi: dt.datetime) -> list[Instance]:
        """calendarView rows (no series masters), sorted by start."""
        out: list[Instance] = []
        for ev in self.events.values():
            if ev.calendar_id != cal.id:
                continue
            if ev.is_series:
                out.extend(self.expand(ev, lo, hi))
            else:
                start, end = event_times(ev.props)
                inst = Instance(
                    ev.id, "singleInstance", ev, None, start, end, ev.change_key, ev.modified
                )
                if inst.overlaps(lo, hi):
                    out.append(inst)
        out.sort(key=lambda i: (i.start, i.id))
        return out

    # ---- persistence -------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "users": [u.to_json() for u in self.users.values()],
            "calendars": [c.to_json() for c in self.calendars.values()],
            "events": [e.to_json() for e in self.events.values()],
            "tombstones": {k: list(v) for k, v in self.tombstones.items()},
            "transactions": self.transactions,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Mailboxes:
        mb = cls()
        for u in data.get("users", []):
            mb.users[u["id"]] = User(**u)
        for c in data.get("calendars", []):
            mb.calendars[c["id"]] = Calendar(**c)
        for e in data.get("events", []):
            mb.events[e["id"]] = Event(**e)
        mb.tombstones = {k: (v[0], float(v[1])) for k, v in data.get("tombstones", {}).items()}
        mb.transactions = dict(data.get("transactions", {}))
        return mb


def _guid() -> str:
    h = secrets.token_hex(16)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def new_guid() -> str:
    return _guid()
