"""calendarView delta rounds and state tokens (event-delta.md, concepts/delta-query-events.md).

- The first request fixes the calendar and the [startDateTime, endDateTime) window; both are
  encoded in the tokens, so later requests only carry `$skiptoken`/`$deltatoken`.
- A round returns instances (singleInstance, occurrence, exception; never series masters) page
  by page; `@odata.nextLink` on every page but the last, `@odata.deltaLink` on the last.
- With a deltaLink only instances whose changeKey changed, new ones, and removals come back;
  removals are `@removed: {reason: deleted}`. Per event-delta.md, events *outside* the window
  that were added, updated or deleted since the previous call may also come as `@removed`.
- Expired tokens: delta-query-overview.md names two signals, "410 Gone with a Location header"
  (synchronization reset) and "a 40X-series error with error codes such as syncStateNotFound"
  (token duration). We answer 410 Gone, code `syncStateNotFound`, with a Location header holding
  the initial request URL, so a client handling either documented signal recovers.
Page serving is idempotent: replaying a nextLink returns the same page (useful after a fault).
This module does not render JSON or know HTTP; graph_routes.py does.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from sandbox.mailbox import Calendar, Mailboxes, parse_occurrence_id

DEFAULT_PAGE_SIZE = 10  # Graph's default page size for Outlook collections
MAX_PAGE_SIZE = 1000


@dataclass
class DeltaState:
    """What a deltaToken stands for: the window and the instances seen at the end of a round."""

    token: str
    user_id: str
    calendar_id: str
    lo: str  # ISO UTC
    hi: str
    snapshot: dict[str, str]  # instance id -> changeKey
    issued: float
    expired: bool = False


@dataclass
class Round:
    """One round of delta pages: the list to hand out, fixed at the round's first request."""

    id: str
    user_id: str
    calendar_id: str
    lo: str
    hi: str
    items: list[tuple[str, str]]  # ("upsert" | "removed", id)
    snapshot: dict[str, str]
    started: float
    expired: bool = False


@dataclass
class Page:
    items: list[tuple[str, str]]
    next_skiptoken: str | None
    deltatoken: str | None


@dataclass
class DeltaStore:
    states: dict[str, DeltaState] = field(default_factory=dict)
    rounds: dict[str, Round] = field(default_factory=dict)

    # ---- round creation ----------------------------------------------------------------
    def start_round(
        self,
        mb: Mailboxes,
        user_id: str,
        cal: Calendar,
        lo: dt.datetime,
        hi: dt.datetime,
        previous: DeltaState | None = None,
    ) -> Round:
        started = time.time()
        current = {inst.id: inst.change_key for inst in mb.view(cal, lo, hi)}
        items: list[tuple[str, str]]
        if previous is None:
            items = [("upsert", iid) for iid in current]
        else:
            old = previous.snapshot
            items = [("upsert", iid) for iid, ck in current.items() if old.get(iid) != ck]
            items += [("removed", iid) for iid in old if iid not in current]
            reported = {iid for _, iid in items}
            in_window = set(current) | {m for iid in current if (m := _master_of(iid))}
            # event-delta.md: out-of-window events added/updated/deleted since the last call
            # may be reported as @removed too.
            for ev in mb.events.values():
                if (
                    ev.calendar_id == cal.id
                    and ev.modified > previous.issued
                    and ev.id not in in_window
                    and ev.id not in reported
                ):
                    items.append(("removed", ev.id))
                    reported.add(ev.id)
            for ev_id, (cal_id, when) in mb.tombstones.items():
                if cal_id == cal.id and when > previous.issued and ev_id not in reported:
                    items.append(("removed", ev_id))
        rnd = Round(
            secrets.token_urlsafe(18),
            user_id,
            cal.id,
            lo.isoformat(),
            hi.isoformat(),
            items,
            current,
            started,
        )
        self.rounds[rnd.id] = rnd
        self._gc()
        return rnd

    def page(self, rnd: Round, pos: int, size: int) -> Page:
        size = max(1, min(size, MAX_PAGE_SIZE))
        chunk = rnd.items[pos : pos + size]
        if pos + size < len(rnd.items):
            return Page(chunk, f"{rnd.id}.{pos + size}", None)
        token = rnd.id  # deterministic: replaying the last page yields the same deltaLink
        if token not in self.states:
            self.states[token] = DeltaState(
                token, rnd.user_id, rnd.calendar_id, rnd.lo, rnd.hi, rnd.snapshot, rnd.started
            )
        return Page(chunk, None, token)

    # ---- token lookup ------------------------------------------------------------------
    def find_round(self, skiptoken: str) -> tuple[Round, int] | None:
        rid, _, pos = skiptoken.rpartition(".")
        rnd = self.rounds.get(rid)
        if rnd is None or rnd.expired or not pos.isdigit():
            return None
        return rnd, int(pos)

    def find_state(self, deltatoken: str) -> DeltaState | None:
        st = self.states.get(deltatoken)
        return None if st is None or st.expired else st

    def window_of(self, token: str) -> tuple[str, str] | None:
        """The window a (possibly expired) token was for, to build the 410 Location."""
        rid = token.rpartition(".")[0] or token
        st = self.states.get(token) or self.states.get(rid)
        if st:
            return st.lo, st.hi
        rnd = self.rounds.get(rid) or self.rounds.get(token)
        return (rnd.lo, rnd.hi) if rnd else None

    def expire_all(self) -> int:
        for st in self.states.values():
            st.expired = True
        for rnd in self.rounds.values():
            rnd.expired = True
        return len(self.states) + len(self.rounds)

    def _gc(self) -> None:
        if len(self.rounds) > 2000:
            for rid in sorted(self.rounds, key=lambda r: self.rounds[r].started)[:1000]:
                del self.rounds[rid]

    # ---- persistence -------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "states": [vars(s) for s in self.states.values()],
            "rounds": [
                {**vars(r), "items": [list(i) for i in r.items]} for r in self.rounds.values()
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DeltaStore:
        store = cls()
        for s in data.get("states", []):
            store.states[s["token"]] = DeltaState(**s)
        for r in data.get("rounds", []):
            r = dict(r)
            r["items"] = [(a, b) for a, b in r["items"]]
            store.rounds[r["id"]] = Round(**r)
        return store


def _master_of(instance_id: str) -> str | None:
    parsed = parse_occurrence_id(instance_id)
    return parsed[0] if parsed else None
