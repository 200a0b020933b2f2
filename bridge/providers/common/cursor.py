"""The pull cursor every provider stores: its one text form, and when it is still usable.

What it does: a `Cursor` is the provider's own change token (Graph deltaLink, Google
nextSyncToken, EWS SyncState) and, for calendars, the sync window the token's round was started
with. `CursorCodec(key)` writes it as JSON, keys sorted (`{"<key>": token, "window": [start,
end]}`, times as UTC `YYYY-MM-DDTHH:MM:SSZ`), and reads it back; text it cannot read (another
format, another provider's key, an empty token) decodes to None, so the provider runs a full
round that repairs it. `Cursor.close_to` says whether the window moved too far for the token:
the window moves by a day each day, and a token is kept until its window is `WINDOW_TOLERANCE`
off (a new round starts after that, so items that drifted in are fetched). `resume` runs one
pull's round: the incremental one from a usable cursor, else — or when the provider says the
token expired (CursorExpired: Graph 410/syncStateNotFound, Google 410 fullSyncRequired, EWS
ErrorInvalidSyncStateData) — a full round, which resets the collection. `CursorCodec.result` is
the PullResult carrying the new cursor.
What it must not do: know what the token means or call a provider.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from bridge.errors import CursorExpired
from bridge.model import PullResult, RemoteItem, SyncWindow

log = logging.getLogger(__name__)
T = TypeVar("T")

WINDOW_TOLERANCE = dt.timedelta(days=7)


def iso_z(value: dt.datetime) -> str:
    """An instant as UTC `YYYY-MM-DDTHH:MM:SSZ` (the cursor's and the vendors' query form)."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Cursor:
    token: str
    window: SyncWindow | None = None  # None: a token without a window (contacts)

    def close_to(self, window: SyncWindow) -> bool:
        """Whether this token's window is still within WINDOW_TOLERANCE of `window`."""
        if self.window is None:
            return False
        return (
            abs(self.window.start - window.start) <= WINDOW_TOLERANCE
            and abs(self.window.end - window.end) <= WINDOW_TOLERANCE
        )


def _instant(value: object) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("a cursor window time without a zone")
    return parsed


@dataclass(frozen=True)
class CursorCodec:
    """The JSON form of one provider's cursor; `key` names its token ("delta", "sync" …)."""

    key: str

    def encode(self, token: str, window: SyncWindow | None = None) -> str:
        raw: dict[str, object] = {self.key: token}
        if window is not None:
            raw["window"] = [iso_z(window.start), iso_z(window.end)]
        return json.dumps(raw, sort_keys=True)

    def decode(self, text: str | None) -> Cursor | None:
        if not text:
            return None
        try:
            raw = json.loads(text)
            token = str(raw[self.key] or "")
            span = raw.get("window")
            window = None if span is None else SyncWindow(_instant(span[0]), _instant(span[1]))
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            return None  # unknown cursor format: a full round repairs it
        return Cursor(token, window) if token else None

    def result(
        self,
        items: Iterable[RemoteItem],
        removed: Iterable[str],
        token: str,
        *,
        window: SyncWindow | None = None,
        reset: bool,
        requests: int,
    ) -> PullResult:
        """The PullResult of one round, carrying `token` (and `window`) as the next cursor."""
        cursor = self.encode(token, window)
        return PullResult(tuple(items), tuple(removed), cursor, reset=reset, requests=requests)


@dataclass(frozen=True)
class Resumed(Generic[T]):
    """What `resume` ran: the round's `value`, the window it belongs to, whether it reset."""

    value: T
    window: SyncWindow | None
    reset: bool


def resume(
    cursor: Cursor | None,
    window: SyncWindow | None,
    incremental: Callable[[str], T],
    full: Callable[[], T],
    what: str,
) -> Resumed[T]:
    """`incremental(token)` when `cursor` is usable for `window` (contacts: window None), else
    — or when that raises CursorExpired — `full()`; see the module docstring."""
    if cursor is not None and (window is None or cursor.close_to(window)):
        try:
            return Resumed(incremental(cursor.token), cursor.window or window, False)
        except CursorExpired:
            log.info("%s: the change token expired, full round", what)
    return Resumed(full(), window, True)
