"""events.list / events.instances with Google's filtering, paging and sync-token semantics.

Per guides/sync ("Synchronize resources efficiently") and the events.list reference:
- `maxResults` default 250, at most 2500; `nextPageToken` on every page but the last, and
  `nextSyncToken` only on the last page.
- With `syncToken`: only events changed since the token, deletions always included as
  `status: "cancelled"`; `timeMin/timeMax/q/iCalUID/orderBy/updatedMin` are refused (400); a
  token the server no longer accepts answers 410 `fullSyncRequired`.
- `showDeleted=false, singleEvents=false` still returns cancelled instances of recurring events
  (not the cancelled masters); `singleEvents=true` expands series into instances.
Tokens are opaque strings encoding the change-sequence position, the store epoch (control API
expiry bumps it) and the calendar; page tokens carry a cursor on the sort key.
This module must not write to the store.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from sandbox.google import recurrence
from sandbox.google.errors import ApiError, bad_request, full_sync_required, not_found
from sandbox.google.render import render_event
from sandbox.google.store import Calendar, Store, Stored
from sandbox.google.timeutil import UTC, instant, parse_rfc3339, valid_zone
from sandbox.google.visibility import as_seen

MAX_RESULTS, DEFAULT_RESULTS = 2500, 250
EXPAND_YEARS = 3  # an endless series without timeMax: expanded this far past now/its start
SYNC_FORBIDDEN = ("timeMin", "timeMax", "q", "iCalUID", "orderBy", "updatedMin")


def _encode(prefix: str, payload: dict[str, Any]) -> str:
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return prefix + base64.urlsafe_b64encode(raw).decode()


def _decode(prefix: str, token: str) -> dict[str, Any] | None:
    if not token.startswith(prefix):
        return None
    try:
        out = json.loads(base64.urlsafe_b64decode(token[len(prefix) :].encode()))
    except ValueError:
        return None
    return out if isinstance(out, dict) else None


def _bool(params: Mapping[str, str], key: str) -> bool:
    return params.get(key, "false").lower() == "true"


@dataclass(frozen=True)
class Query:
    single: bool
    show_deleted: bool
    max_results: int
    time_min: dt.datetime | None
    time_max: dt.datetime | None
    order_by: str
    q: str
    ical_uid: str
    updated_min: dt.datetime | None
    time_zone: str | None
    since: int | None  # sync token position

    def fingerprint(self) -> str:
        key = f"{self.single}|{self.show_deleted}|{self.time_min}|{self.time_max}|{self.order_by}"
        key += f"|{self.q}|{self.ical_uid}|{self.updated_min}|{self.since}"
        return hashlib.sha256(key.encode()).hexdigest()[:10]


def parse_query(store: Store, cal: Calendar, params: Mapping[str, str]) -> Query:
    try:
        max_results = int(params.get("maxResults", DEFAULT_RESULTS))
    except ValueError as exc:
        raise bad_request("Invalid value for maxResults.", "invalid", "maxResults") from exc
    if max_results < 1:
        raise bad_request("Invalid value for maxResults.", "invalid", "maxResults")
    since = None
    if params.get("syncToken"):
        bad = [p for p in SYNC_FORBIDDEN if params.get(p)]
        if bad:
            raise bad_request(
                f"Sync token cannot be used with the {bad[0]} parameter.", "invalid", bad[0]
            )
        tok = _decode("CS", params["syncToken"])
        if not tok or tok.get("c") != cal.id or tok.get("e") != store.epoch:
            raise full_sync_required()
        since = int(tok["s"])
    tmin = parse_rfc3339(params["timeMin"], "timeMin") if params.get("timeMin") else None
    tmax = parse_rfc3339(params["timeMax"], "timeMax") if params.get("timeMax") else None
    if tmin and tmax and tmax <= tmin:
        raise ApiError(
            400,
            "timeRangeEmpty",
            "The specified time range is empty.",
            domain="calendar",
            location="timeMax",
        )
    order = params.get("orderBy", "")
    single = _bool(params, "singleEvents")
    if order not in ("", "startTime", "updated") or (order == "startTime" and not single):
        raise bad_request(
            "The requested ordering is not available for the particular query.", "badRequest"
        )
    tz = params.get("timeZone")
    if tz and not valid_zone(tz):
        raise bad_request("Invalid time zone.", "invalid", "timeZone")
    return Query(
        single=single,
        show_deleted=_bool(params, "showDeleted"),
        max_results=min(max_results, MAX_RESULTS),
        time_min=tmin,
        time_max=tmax,
        order_by=order,
        q=params.get("q", "").lower(),
        ical_uid=params.get("iCalUID", ""),
        updated_min=parse_rfc3339(params["updatedMin"], "updatedMin")
        if params.get("updatedMin")
        else None,
        time_zone=tz,
        since=since,
    )


def _span(cal: Calendar, data: dict[str, Any]) -> tuple[dt.datetime, dt.datetime]:
    return instant(data["start"], cal.time_zone), instant(data["end"], cal.time_zone)


def _overlaps(
    cal: Calendar, data: dict[str, Any], lo: dt.datetime | None, hi: dt.datetime | None
) -> bool:
    """timeMin bounds an event's end, timeMax its start (events.list reference)."""
    if data.get("status") == "cancelled" and data.get("originalStartTime"):
        start = end = instant(data["originalStartTime"], cal.time_zone)
        end = end + dt.timedelta(seconds=1)
    else:
        start, end = _span(cal, data)
    return (lo is None or end > lo) and (hi is None or start < hi)


def _series_overlaps(
    store: Store, cal: Calendar, st: Stored, lo: dt.datetime | None, hi: dt.datetime | None
) -> bool:
    first = next(store.occurrences(cal, st, lo, hi, limit=1), None)
    return first is not None


def _text(data: dict[str, Any]) -> str:
    parts = [str(data.get(k, "")) for k in ("summary", "description", "location")]
    parts += [f"{a.get('email', '')} {a.get('displayName', '')}" for a in data.get("attendees", [])]
    org = data.get("organizer") or {}
    parts.append(f"{org.get('email', '')} {org.get('displayName', '')}")
    return " ".join(parts).lower()


def candidates(store: Store, cal: Calendar, q: Query, snapshot: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    events = store.stored(cal)
    now = store.clock()
    for st in events.values():
        if st.seq > snapshot:
            continue  # written after this listing began: the next sync token delivers it
        data = st.data
        if q.since is not None:
            if st.seq > q.since:
                rows.extend(_expanded(store, cal, st, q, now) if q.single else [data])
            continue
        deleted_ok = q.show_deleted or (
            q.updated_min is not None and data.get("updated", "") >= _iso(q.updated_min)
        )
        if q.updated_min is not None and data.get("updated", "") < _iso(q.updated_min):
            continue
        if q.ical_uid and data.get("iCalUID") != q.ical_uid:
            continue
        if q.q and (q.q not in _text(data) or data.get("status") == "cancelled"):
            continue
        if q.single:
            if data.get("recurringEventId") and data["recurringEventId"] in events:
                continue  # exceptions come with their series' expansion
            rows.extend(_expanded(store, cal, st, q, now))
            continue
        if data.get("status") == "cancelled":
            master = events.get(str(data.get("recurringEventId", "")))
            cancelled_instance = master is not None and not master.cancelled
            if not (deleted_ok or (cancelled_instance and not q.show_deleted)):
                continue
        if data.get("recurrence") and data.get("status") != "cancelled":
            if not _series_overlaps(store, cal, st, q.time_min, q.time_max):
                continue
        elif not _overlaps(cal, data, q.time_min, q.time_max):
            continue
        rows.append(data)
    return rows


def _iso(value: dt.datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _expanded(
    store: Store, cal: Calendar, st: Stored, q: Query, now: dt.datetime
) -> list[dict[str, Any]]:
    """Instances of a series (or the event itself) for singleEvents=true."""
    data = st.data
    keep_deleted = q.show_deleted or q.since is not None
    if not data.get("recurrence"):
        if data.get("status") == "cancelled" and not keep_deleted:
            return []
        if data.get("recurringEventId") and q.since is None:
            return []
        return [data] if q.since is not None or _overlaps(cal, data, q.time_min, q.time_max) else []
    if st.cancelled and q.since is None:
        return []  # a deleted series lists no instances
    lo, hi = q.time_min, q.time_max
    if hi is None and not recurrence.is_finite([str(x) for x in data["recurrence"]]):
        first = instant(data["start"], cal.time_zone)
        hi = max(now, lo or now, first) + dt.timedelta(days=366 * EXPAND_YEARS)
    stored = store.stored(cal)
    out = []
    for local in store.occurrences(cal, st, lo, hi):
        inst = store.virtual(cal, st, local)
        exc = stored.get(inst["id"])
        if exc is not None:
            if q.since is not None and exc.seq <= q.since and st.seq <= q.since:
                continue
            inst = exc.data
        elif q.since is not None and st.seq <= q.since:
            continue
        if st.cancelled:
            inst = {**inst, "status": "cancelled"}  # sync: every instance of a deleted series
        if inst.get("status") == "cancelled" and not keep_deleted:
            continue
        if q.since is not None or _overlaps(cal, inst, lo, hi):
            out.append(inst)
    return out


def _sort_key(q: Query, cal: Calendar, data: dict[str, Any]) -> list[Any]:
    if q.order_by == "startTime":
        return [instant(data["start"], cal.time_zone).timestamp(), data["id"]]
    if q.order_by == "updated":
        return [data.get("updated", ""), data["id"]]
    return [data["id"]]


def list_events(store: Store, cal: Calendar, params: Mapping[str, str]) -> dict[str, Any]:
    q = parse_query(store, cal, params)
    snapshot = store.seq
    cursor: list[Any] | None = None
    if params.get("pageToken"):
        tok = _decode("CP", params["pageToken"])
        if tok and q.since is None and tok.get("n") is not None:
            q = replace(q, since=int(tok["n"]))  # later pages of a sync may omit syncToken
        if not tok or tok.get("f") != q.fingerprint() or tok.get("c") != cal.id:
            raise bad_request("Invalid page token value.", "invalid", "pageToken")
        if tok.get("e") != store.epoch:
            raise full_sync_required()
        snapshot, cursor = int(tok["s"]), list(tok["k"])
    rows = {d["id"]: d for d in candidates(store, cal, q, snapshot)}
    keyed = sorted(((_sort_key(q, cal, d), d) for d in rows.values()), key=lambda kd: kd[0])
    if cursor is not None:
        keyed = [kd for kd in keyed if kd[0] > cursor]
    page = keyed[: q.max_results]
    out_tz = q.time_zone or cal.time_zone
    items = [as_seen(cal, render_event(d, out_tz, cal.time_zone, listing=True)) for _, d in page]
    body = envelope(store, cal, out_tz)
    body["items"] = items
    if len(keyed) > q.max_results:
        body["nextPageToken"] = _encode(
            "CP",
            {
                "c": cal.id,
                "s": snapshot,
                "e": store.epoch,
                "f": q.fingerprint(),
                "k": page[-1][0],
                "n": q.since,
            },
        )
    else:
        body["nextSyncToken"] = _encode("CS", {"c": cal.id, "s": snapshot, "e": store.epoch})
    return body


def envelope(store: Store, cal: Calendar, out_tz: str) -> dict[str, Any]:
    updated = max((st.data["updated"] for st in store.stored(cal).values()), default="")
    body: dict[str, Any] = {
        "kind": "calendar#events",
        "etag": f'"p3{store.seq:014d}g"',
        "summary": cal.summary,
        "description": cal.description,
        "updated": updated or "1970-01-01T00:00:00.000Z",
        "timeZone": out_tz,
        "accessRole": cal.access_role,
        "defaultReminders": [{"method": "popup", "minutes": 10}] if cal.writable else [],
    }
    if not cal.description:
        del body["description"]
    return body


def list_instances(
    store: Store, cal: Calendar, event_id: str, params: Mapping[str, str]
) -> dict[str, Any]:
    master = store.stored(cal).get(event_id)
    if master is None:
        raise not_found()
    if master.cancelled:
        raise ApiError(410, "deleted", "Resource has been deleted")
    base = {k: v for k, v in params.items() if k not in ("pageToken", "syncToken", "orderBy")}
    q = parse_query(store, cal, {**base, "singleEvents": "true"})
    rows = _expanded(store, cal, master, q, store.clock())
    if params.get("originalStart"):
        want = parse_rfc3339(params["originalStart"], "originalStart")
        rows = [r for r in rows if instant(r["originalStartTime"], cal.time_zone) == want]
    rows.sort(key=lambda d: instant(d["originalStartTime"], cal.time_zone).timestamp())
    offset = 0
    if params.get("pageToken"):
        tok = _decode("CI", params["pageToken"])
        if not tok or tok.get("m") != event_id:
            raise bad_request("Invalid page token value.", "invalid", "pageToken")
        offset = int(tok["o"])
    page = rows[offset : offset + q.max_results]
    out_tz = q.time_zone or cal.time_zone
    body = envelope(store, cal, out_tz)
    body["items"] = [
        as_seen(cal, render_event(d, out_tz, cal.time_zone, listing=True)) for d in page
    ]
    if offset + q.max_results < len(rows):
        body["nextPageToken"] = _encode("CI", {"m": event_id, "o": offset + q.max_results})
    return body
