"""Delta rounds and state tokens for the contacts of one folder (contact-delta.md).

Same mechanics as the calendar delta (delta.py), without a time window:
- the first request of a round fixes the list to hand out: every contact of the folder on a
  first round, else the contacts whose changeKey changed or that are new since the deltaLink's
  snapshot, plus `("removed", id)` for contacts no longer in the folder (deleted or moved out);
- `@odata.nextLink` carries `$skiptoken=<round>.<pos>`, the last page `@odata.deltaLink` with
  `$deltatoken=<round>`; replaying a page returns the same page;
- expiry (control API) makes every token answer 410 `syncStateNotFound`
  (delta-query-overview.md, "Synchronization reset").
This module does not render JSON or know HTTP; contacts_routes.py does.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

DEFAULT_PAGE_SIZE = 10  # Graph's default page size for Outlook collections
MAX_PAGE_SIZE = 1000


@dataclass
class ContactDeltaState:
    token: str
    user_id: str
    folder_id: str
    snapshot: dict[str, str]  # contact id -> changeKey
    issued: float
    expired: bool = False


@dataclass
class ContactRound:
    id: str
    user_id: str
    folder_id: str
    items: list[tuple[str, str]]  # ("upsert" | "removed", contact id)
    snapshot: dict[str, str]
    started: float
    expired: bool = False


@dataclass
class ContactPage:
    items: list[tuple[str, str]]
    next_skiptoken: str | None
    deltatoken: str | None


@dataclass
class ContactDelta:
    states: dict[str, ContactDeltaState] = field(default_factory=dict)
    rounds: dict[str, ContactRound] = field(default_factory=dict)

    def start_round(
        self,
        user_id: str,
        folder_id: str,
        current: dict[str, str],
        previous: ContactDeltaState | None = None,
    ) -> ContactRound:
        """`current`: the folder's contact ids -> changeKeys, in listing order."""
        if previous is None:
            items = [("upsert", cid) for cid in current]
        else:
            old = previous.snapshot
            items = [("upsert", cid) for cid, ck in current.items() if old.get(cid) != ck]
            items += [("removed", cid) for cid in old if cid not in current]
        rnd = ContactRound(
            secrets.token_urlsafe(18), user_id, folder_id, items, dict(current), time.time()
        )
        self.rounds[rnd.id] = rnd
        if len(self.rounds) > 2000:
            for rid in sorted(self.rounds, key=lambda r: self.rounds[r].started)[:1000]:
                del self.rounds[rid]
        return rnd

    def page(self, rnd: ContactRound, pos: int, size: int) -> ContactPage:
        size = max(1, min(size, MAX_PAGE_SIZE))
        chunk = rnd.items[pos : pos + size]
        if pos + size < len(rnd.items):
            return ContactPage(chunk, f"{rnd.id}.{pos + size}", None)
        if rnd.id not in self.states:
            self.states[rnd.id] = ContactDeltaState(
                rnd.id, rnd.user_id, rnd.folder_id, rnd.snapshot, rnd.started
            )
        return ContactPage(chunk, None, rnd.id)

    def find_round(self, skiptoken: str) -> tuple[ContactRound, int] | None:
        rid, _, pos = skiptoken.rpartition(".")
        rnd = self.rounds.get(rid)
        if rnd is None or rnd.expired or not pos.isdigit():
            return None
        return rnd, int(pos)

    def find_state(self, deltatoken: str) -> ContactDeltaState | None:
        state = self.states.get(deltatoken)
        return None if state is None or state.expired else state

    def expire_all(self) -> int:
        for state in self.states.values():
            state.expired = True
        for rnd in self.rounds.values():
            rnd.expired = True
        return len(self.states) + len(self.rounds)

    def to_json(self) -> dict[str, Any]:
        return {
            "states": [vars(s) for s in self.states.values()],
            "rounds": [
                {**vars(r), "items": [list(i) for i in r.items]} for r in self.rounds.values()
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ContactDelta:
        store = cls()
        for s in data.get("states", []):
            store.states[s["token"]] = ContactDeltaState(**s)
        for r in data.get("rounds", []):
            r = dict(r)
            r["items"] = [(a, b) for a, b in r["items"]]
            store.rounds[r["id"]] = ContactRound(**r)
        return store
