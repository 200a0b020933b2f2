"""The in-memory Calendar model: calendars, stored events (singles, series masters, exceptions),
etags, the change sequence behind sync tokens, and writes with Google's semantics.

- Every write gives the event a new etag (a quoted number, as Google's) and `updated`, and a new
  change sequence number; sync tokens are positions in that sequence (sync.py).
- Deleting marks the event `status: cancelled` and keeps it (guides/sync: deletions come back as
  cancelled events); deleting a series master cancels its exceptions too.
- An instance id `<masterId>_<YYYYMMDDTHHMMSSZ>` (all-day: `_<YYYYMMDD>`) names an occurrence
  (guides/recurringevents); writing it stores an exception with `recurringEventId` and
  `originalStartTime`; deleting it stores a cancelled exception.
Pure: no HTTP, no I/O; the clock and the id generator are injectable (seeding is deterministic).
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import random
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from sandbox.google import eventbody, recurrence
from sandbox.google.errors import (
    ApiError,
    deleted,
    forbidden_reader,
    not_found,
    precondition_failed,
)
from sandbox.google.timeutil import (
    UTC,
    event_zone,
    fmt_updated,
    instance_stamp,
    is_all_day,
    local_naive,
    occurrence_time,
    to_us,
    zone,
)

BASE32HEX = "0123456789abcdefghijklmnopqrstuv"
_ID = re.compile(r"^[0-9a-v]{5,1024}$")
_STAMP = re.compile(r"^(\d{8})(T\d{6}Z)?$")


@dataclass
class Calendar:
    id: str
    summary: str
    time_zone: str
    access_role: str  # the user's role: owner | writer | reader | freeBusyReader
    owner: str  # owner's email
    primary: bool = False
    description: str = ""
    color_id: str = "14"
    background_color: str = "#9fe1e7"
    foreground_color: str = "#000000"
    selected: bool = True
    etag: str = ""

    @property
    def writable(self) -> bool:
        return self.access_role in ("owner", "writer")


@dataclass
class Stored:
    data: dict[str, Any]  # the event resource as stored (times canonical)
    seq: int  # change sequence number of its last write

    @property
    def cancelled(self) -> bool:
        return self.data.get("status") == "cancelled"


def now_utc() -> dt.datetime:
    return dt.datetime.now(UTC)


class Store:
    def __init__(self, user: str, user_name: str) -> None:
        self.user, self.user_name = user, user_name
        self.calendars: dict[str, Calendar] = {}
        self.events: dict[str, dict[str, Stored]] = {}
        self.seq = 0
        self.epoch = 1  # sync/page tokens of an older epoch answer 410
        self.last_us = 0
        self.clock: Callable[[], dt.datetime] = now_utc
        self.rng = random.Random(secrets.randbits(64))

    # ---- ids, clock -----------------------------------------------------------------
    def new_id(self, n: int = 26) -> str:
        return "".join(self.rng.choice(BASE32HEX) for _ in range(n))

    def tick(self) -> tuple[str, str]:
        """(updated, etag) of a write: strictly increasing even within one microsecond."""
        us = max(to_us(self.clock()), self.last_us + 1)
        self.last_us = us
        when = dt.datetime(1970, 1, 1, tzinfo=UTC) + dt.timedelta(microseconds=us)
        return fmt_updated(when), f'"{us * 2}"'

    def _bump(self, st: Stored) -> None:
        self.seq += 1
        st.seq = self.seq
        st.data["updated"], st.data["etag"] = self.tick()

    # ---- calendars --------------------------------------------------------------------
    def add_calendar(self, cal: Calendar) -> Calendar:
        cal.etag = cal.etag or self.tick()[1]
        self.calendars[cal.id] = cal
        self.events.setdefault(cal.id, {})
        return cal

    def calendar(self, cal_id: str) -> Calendar:
        cal = self.calendars.get(self.user if cal_id == "primary" else cal_id)
        if cal is None:
            raise not_found()
        return cal

    def check_writable(self, cal: Calendar) -> None:
        if not cal.writable:
            raise forbidden_reader()

    # ---- reading ----------------------------------------------------------------------
    def stored(self, cal: Calendar) -> dict[str, Stored]:
        return self.events[cal.id]

    def resolve(self, cal: Calendar, event_id: str) -> tuple[Stored | None, dict[str, Any]]:
        """(stored, data) for a stored event, or (None, virtual instance data) for an occurrence."""
        st = self.events[cal.id].get(event_id)
        if st is not None:
            return st, st.data
        master_id, _, stamp = event_id.rpartition("_")
        master = self.events[cal.id].get(master_id)
        m = _STAMP.match(stamp)
        if master is None or master.cancelled or not master.data.get("recurrence") or not m:
            raise not_found()
        data = master.data
        tz = event_zone(data["start"], cal.time_zone)
        if is_all_day(data["start"]):
            if m.group(2):
                raise not_found()
            local = dt.datetime.strptime(m.group(1), "%Y%m%d")
        else:
            if not m.group(2):
                raise not_found()
            utc = dt.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            local = utc.astimezone(zone(tz)).replace(tzinfo=None)
        lines = [str(x) for x in data["recurrence"]]
        start = local_naive(data["start"], cal.time_zone)
        if not recurrence.contains(lines, start, tz, is_all_day(data["start"]), local):
            raise not_found()
        return None, self.virtual(cal, master, local)

    def virtual(self, cal: Calendar, master: Stored, local: dt.datetime) -> dict[str, Any]:
        """The unmodified occurrence of `master` starting at wall-clock `local`."""
        data = master.data
        out = {k: copy.deepcopy(v) for k, v in data.items() if k != "recurrence"}
        out["start"] = occurrence_time(data["start"], local, cal.time_zone)
        shift = eventbody.duration(data, cal.time_zone)
        if is_all_day(data["start"]):
            shift = dt.timedelta(days=shift.days)
        out["end"] = occurrence_time(data["start"], local, cal.time_zone, shift)
        if data["end"].get("timeZone") and not is_all_day(data["end"]):
            out["end"]["timeZone"] = data["end"]["timeZone"]
        out["originalStartTime"] = copy.deepcopy(out["start"])
        out["recurringEventId"] = data["id"]
        out["id"] = f"{data['id']}_{instance_stamp(out['start'], cal.time_zone)}"
        out["htmlLink"] = html_link(out["id"], cal.id)
        return out

    def occurrences(
        self,
        cal: Calendar,
        master: Stored,
        lo: dt.datetime | None = None,
        hi: dt.datetime | None = None,
        limit: int = 5000,
    ) -> Iterator[dt.datetime]:
        """Wall-clock starts of `master`'s occurrences between UTC bounds (padded by a day)."""
        data = master.data
        tz = event_zone(data["start"], cal.time_zone)
        pad = eventbody.duration(data, cal.time_zone) + dt.timedelta(days=1)

        def local(x: dt.datetime | None, delta: dt.timedelta) -> dt.datetime | None:
            return None if x is None else (x + delta).astimezone(zone(tz)).replace(tzinfo=None)

        yield from recurrence.occurrences(
            [str(x) for x in data["recurrence"]],
            local_naive(data["start"], cal.time_zone),
            tz,
            is_all_day(data["start"]),
            local(lo, -pad),
            local(hi, dt.timedelta(days=1)),
            limit,
        )

    def exceptions_of(self, cal: Calendar, master_id: str) -> list[Stored]:
        return [
            st
            for st in self.events[cal.id].values()
            if st.data.get("recurringEventId") == master_id
        ]

    # ---- writing ----------------------------------------------------------------------
    def _organizer(self, cal: Calendar) -> dict[str, Any]:
        if cal.primary:
            return {"email": cal.id, "self": True}
        return {"email": cal.id, "displayName": cal.summary, "self": True}

    def _normalize(
        self,
        cal: Calendar,
        body: dict[str, Any],
        organizer: dict[str, Any],
        exception: bool,
        use_conference: bool,
        previous_conference: dict[str, Any] | None,
    ) -> dict[str, Any]:
        fields = eventbody.normalize(
            body,
            cal_tz=cal.time_zone,
            user=self.user,
            organizer=str(organizer.get("email", "")),
            exception=exception,
            use_conference=use_conference,
            previous_conference=previous_conference,
            rng=self.rng,
        )
        link = eventbody.hangout_link(fields.get("conferenceData"))
        if link:
            fields["hangoutLink"] = link
        return fields

    def insert(
        self,
        cal: Calendar,
        body: dict[str, Any],
        *,
        use_conference: bool,
        provider_side: bool = False,
    ) -> dict[str, Any]:
        """events.insert; `provider_side` (control API) may set organizer/creator/iCalUID."""
        if not provider_side:
            self.check_writable(cal)
        event_id = str(body.get("id") or "") or self.new_id()
        if not _ID.match(event_id):
            raise ApiError(400, "invalid", "Invalid resource id value.")
        if event_id in self.events[cal.id]:
            raise ApiError(409, "duplicate", "The requested identifier already exists.")
        organizer = self._organizer(cal)
        creator: dict[str, Any] = {"email": self.user, "self": True}
        if provider_side and isinstance(body.get("organizer"), dict):
            organizer = dict(body["organizer"])
            if str(organizer.get("email", "")).lower() in (self.user.lower(), cal.id.lower()):
                organizer["self"] = True
        if provider_side and isinstance(body.get("creator"), dict):
            creator = dict(body["creator"])
        fields = self._normalize(cal, body, organizer, False, use_conference, None)
        created, _ = self.tick()
        uid = str(body.get("iCalUID") or "") if provider_side else ""
        data: dict[str, Any] = {
            "kind": "calendar#event",
            "id": event_id,
            "htmlLink": html_link(event_id, cal.id),
            "created": created,
            "creator": creator,
            "organizer": organizer,
            "iCalUID": uid or f"{event_id}@google.com",
            "sequence": int(fields.pop("sequence", 0) or 0),
            "eventType": "default",
            **fields,
        }
        st = Stored(data, 0)
        self._bump(st)
        self.events[cal.id][event_id] = st
        return st.data

    def modify(
        self,
        cal: Calendar,
        event_id: str,
        body: dict[str, Any],
        *,
        replace: bool,
        use_conference: bool,
        if_match: str | None = None,
        provider_side: bool = False,
    ) -> dict[str, Any]:
        """events.patch (`replace=False`) and events.update (`replace=True`), any event id."""
        if not provider_side:
            self.check_writable(cal)
        st, data = self.resolve(cal, event_id)
        if if_match and if_match != "*" and if_match != data["etag"]:
            raise precondition_failed()
        exception = bool(data.get("recurringEventId"))
        source = body if replace else eventbody.merge_patch(_writable(data), body)
        if replace and exception:
            source = {**source, "start": source.get("start") or data["start"]}
        fields = self._normalize(
            cal, source, data["organizer"], exception, use_conference, data.get("conferenceData")
        )
        keep: dict[str, Any] = {
            k: data[k]
            for k in ("kind", "id", "htmlLink", "created", "creator", "organizer", "iCalUID")
            if k in data
        }
        keep["sequence"] = int(data.get("sequence", 0)) + (1 if _time_changed(data, fields) else 0)
        keep["eventType"] = data.get("eventType", "default")
        for k in ("recurringEventId", "originalStartTime"):
            if k in data:
                keep[k] = data[k]
        fields.pop("sequence", None)
        new = {**keep, **fields, "etag": data["etag"], "updated": data["updated"]}
        if st is None:
            st = Stored(new, 0)
            self.events[cal.id][new["id"]] = st
        else:
            st.data = new
        self._bump(st)
        return st.data

    def delete(
        self,
        cal: Calendar,
        event_id: str,
        *,
        if_match: str | None = None,
        provider_side: bool = False,
    ) -> None:
        if not provider_side:
            self.check_writable(cal)
        st, data = self.resolve(cal, event_id)
        if if_match and if_match != "*" and if_match != data["etag"]:
            raise precondition_failed()
        if st is not None and st.cancelled:
            raise deleted()
        if st is None:
            st = Stored(data, 0)
            self.events[cal.id][data["id"]] = st
        st.data["status"] = "cancelled"
        self._bump(st)
        if st.data.get("recurrence"):
            for exc in self.exceptions_of(cal, st.data["id"]):
                if not exc.cancelled:
                    exc.data["status"] = "cancelled"
                    self._bump(exc)

    def occurrence_id(self, cal: Calendar, master_id: str, index: int) -> str:
        """Id of the `index`-th (0-based, series order) occurrence of a series master."""
        master = self.events[cal.id].get(master_id)
        if master is None or not master.data.get("recurrence"):
            raise not_found()
        for i, local in enumerate(self.occurrences(cal, master)):
            if i == index:
                return str(self.virtual(cal, master, local)["id"])
        raise not_found()

    # ---- persistence --------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "user": self.user,
            "user_name": self.user_name,
            "seq": self.seq,
            "epoch": self.epoch,
            "last_us": self.last_us,
            "calendars": [asdict(c) for c in self.calendars.values()],
            "events": {
                cid: [[st.seq, st.data] for st in evs.values()] for cid, evs in self.events.items()
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Store:
        store = cls(data["user"], data["user_name"])
        store.seq, store.epoch, store.last_us = data["seq"], data["epoch"], data["last_us"]
        for c in data["calendars"]:
            store.calendars[c["id"]] = Calendar(**c)
        for cid, rows in data["events"].items():
            store.events[cid] = {row[1]["id"]: Stored(row[1], int(row[0])) for row in rows}
        return store


def _writable(data: dict[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(data[k]) for k in eventbody.WRITABLE if k in data}


def _time_changed(old: dict[str, Any], new: dict[str, Any]) -> bool:
    return any(old.get(k) != new.get(k) for k in ("start", "end", "recurrence", "location"))


def html_link(event_id: str, cal_id: str) -> str:
    eid = base64.urlsafe_b64encode(f"{event_id} {cal_id}".encode()).decode().rstrip("=")
    return f"https://www.google.com/calendar/event?eid={eid}"
