"""The lossless overlay (C10) of to-dos whose provider has nowhere to keep it (Google Tasks:
no extended properties, no start, no recurrence, a due date without a time), kept by the
bridge instead (issue 11).

What it does: one entry per provider task in the store's shared state (kind "task-overlay",
key "<collection id>:<task id>"), so every bridge process reads the same. `remember` stores,
after a write, what the client wrote that the provider's rendering lacks: the overlay
(overlay.for_write) and the client's DTSTART, DUE and RRULE — which the overlay leaves to the
provider, but this provider cannot hold (times are kept in UTC or as dates). `applied` merges
them back into the provider's rendering on every pull and fetch: the overlay with its guards,
the times while the provider's due date is still the one the client's DUE fell on (a due date
changed at the provider wins, and the client's times go). `forget` drops the entry when the
task is deleted. Entries live as long as the bridge (a century's expiry).
Must not import radicale or any concrete provider.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from typing import Any

from icalendar import vDDDTypes, vRecur

from bridge.errors import BadInput
from bridge.ical import overlay
from bridge.ical.contentlines import fold, unfold
from bridge.ical.todo import When, read_todo
from bridge.model import RemoteItem
from bridge.store import Store

KIND = "task-overlay"
_FOREVER_S = 100 * 365 * 86400.0
_TIMES = ("DTSTART", "DUE", "RRULE")


def _line(name: str, value: When) -> str:
    text = vDDDTypes(value).to_ical().decode()
    return f"{name};VALUE=DATE:{text}" if not isinstance(value, dt.datetime) else f"{name}:{text}"


def _day(value: When | None) -> str:
    if value is None:
        return ""
    return (value.date() if isinstance(value, dt.datetime) else value).isoformat()


def _times(text: str) -> dict[str, Any]:
    """The client's DTSTART, DUE, RRULE as lines, and the day its DUE falls on (the guard)."""
    try:
        todo = read_todo(text)
    except BadInput:
        return {}
    lines = {}
    if todo.start is not None:
        lines["DTSTART"] = _line("DTSTART", todo.start)
    if todo.due is not None:
        lines["DUE"] = _line("DUE", todo.due)
    if todo.rrule:
        rule = vRecur(todo.rrule).to_ical()  # type: ignore[no-untyped-call]
        lines["RRULE"] = "RRULE:" + rule.decode()
    return {"lines": lines, "due": _day(todo.due)} if lines else {}


def _with_times(text: str, kept: dict[str, Any]) -> str:
    """`text` with the kept time lines in its VTODO (replacing the provider's own of the same
    names), when the provider's due day is still the one they were written with."""
    lines: dict[str, str] = dict(kept.get("lines") or {})
    try:
        provider_due = _day(read_todo(text).due)
    except BadInput:
        return text
    if not lines or provider_due != str(kept.get("due") or ""):
        return text
    out: list[str] = []
    depth = 0  # inside the VTODO (1) or one of its sub-components (2)
    for line in unfold(text):
        upper = line.upper()
        name = upper.split(":", 1)[0].split(";", 1)[0]
        if upper == "BEGIN:VTODO":
            depth = 1
            out.append(line)
            out.extend(lines[n] for n in _TIMES if n in lines)
            continue
        if depth == 1 and upper.startswith("BEGIN:"):
            depth = 2
        elif depth == 2 and upper.startswith("END:") and upper != "END:VTODO":
            depth = 1
        elif upper == "END:VTODO":
            depth = 0
        if depth == 1 and name in lines:
            continue  # the provider's own, replaced
        out.append(line)
    return "\r\n".join(fold(line) for line in out) + "\r\n"


class KeptOverlays:
    def __init__(self, store: Store, collection_id: int) -> None:
        self._store = store
        self._prefix = f"{collection_id}:"

    def _get(self, remote_id: str) -> dict[str, Any]:
        raw = self._store.get_shared(KIND, self._prefix + remote_id)
        try:
            found = json.loads(raw) if raw else {}
        except ValueError:
            return {}
        return found if isinstance(found, dict) else {}

    def applied(self, item: RemoteItem) -> RemoteItem:
        kept = self._get(item.remote_id)
        if not kept:
            return item
        text, uid = overlay.apply(item.ical, str(kept.get("overlay") or "") or None)
        text = _with_times(text, dict(kept.get("times") or {}))
        return replace(item, ical=text, uid=uid or item.uid, span=None)

    def remember(self, client: str, item: RemoteItem) -> RemoteItem:
        """After a write: keep what `client` sent that the provider's `item` lacks."""
        before = self._get(item.remote_id)
        stored = str(before.get("overlay") or "") or None
        wanted = {
            "overlay": overlay.for_write(client, item.ical, stored=stored),
            "times": _times(client),
        }
        if wanted != {"overlay": stored or "", "times": before.get("times") or {}}:
            if wanted["overlay"] or wanted["times"]:
                value = json.dumps(wanted, sort_keys=True)
                self._store.put_shared(KIND, self._prefix + item.remote_id, value, _FOREVER_S)
            else:
                self.forget(item.remote_id)
        return self.applied(item)

    def forget(self, remote_id: str) -> None:
        self._store.pop_shared(KIND, self._prefix + remote_id)
