"""Coordination of several bridge processes on one database (issue 17): pull leases, locks
that serialise changes to one collection across processes, and "pulled" notifications.

- Leases (`leases` table): a named lease has a holder and an expiry; a claim succeeds when the
  lease is free, expired or already the claimer's. On PostgreSQL the row is read `FOR UPDATE
  SKIP LOCKED`, so two claimers never wait on each other: one wins, the other is told "held".
  The holder renews it (heartbeat); a crashed holder's lease expires and is taken over.
  Times are the database's clock (hosts' clocks may differ). On SQLite, which one process
  serves, leases live in that process's memory (`_SqliteLeases`): a restart after a crash
  finds none held, instead of waiting for the dead process's lease to expire.
- Collection and item locks: PostgreSQL advisory locks (session level, on a connection held
  for the block, re-entrant per thread) with a bounded wait (`lock_timeout`): a collection's
  exclusively for a pull, or shared with its item's exclusively for a client's write; on
  SQLite nothing (one process: the engine's own locks suffice).
- Notifications: `NOTIFY davbridge_pulled, '<collection id>'` when a pull ends; a process that
  needs a collection another one is pulling waits for it (`LISTEN`), bounded. On SQLite the
  waiter polls the lease instead.

Only SQL and the plumbing for it; when to claim, renew or wait is the sync engine's decision.
Must not import providers, sync or radicale.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from bridge.errors import Busy
from bridge.store.base import StoreBase

PULLED_CHANNEL = "davbridge_pulled"
LOCK_CLASS = 0x6462  # first key of the two-key advisory locks of collections
LISTING_CLASS = 0x6463  # ... and of a connection's collection listing of one kind
ITEM_CLASS = 0x6464  # ... and of one item (a hash of collection id and href)


def listing_key(connection_id: int, addressbooks: bool) -> int:
    """The second key of a connection's listing lock (calendars and address books apart)."""
    return connection_id * 2 + (1 if addressbooks else 0)


@dataclass
class _Lease:
    holder: str | None = None
    expires: float = 0.0
    taken: int = 0


class _SqliteLeases:
    """The leases of the SQLite stores of this process by (database, name): the single-process
    form of the `leases` table."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], _Lease] = {}
        self.lock = threading.Lock()


_SQLITE_LEASES = _SqliteLeases()


class CoordinationStore(StoreBase):
    def _local_lease(self, name: str) -> _Lease:
        """This process's row of lease `name` (SQLite); the caller holds the lock."""
        return _SQLITE_LEASES.rows.setdefault((str(self.path.resolve()), name), _Lease())

    def db_now(self) -> float:
        """Seconds since the epoch by the clock leases are judged by."""
        if self.dialect == "postgres":
            row = self._db.execute("SELECT extract(epoch FROM clock_timestamp())").fetchone()
            return float(row[0])
        return time.time()

    # -- leases ---------------------------------------------------------------------------
    def claim_lease(self, name: str, holder: str, ttl_s: float) -> bool:
        """Take (or renew) the lease `name` for `ttl_s` seconds; False when another holder's
        unexpired lease has it or another claimer is taking it right now."""
        if self._pg is None:
            with _SQLITE_LEASES.lock:
                row = self._local_lease(name)
                now = time.time()
                if row.holder is not None and row.holder != holder and row.expires > now:
                    return False
                if row.holder != holder:
                    row.taken += 1
                row.holder, row.expires = holder, now + ttl_s
                return True
        skip = " FOR UPDATE SKIP LOCKED"
        with self._tx() as db:
            now = self.db_now()
            db.execute(
                "INSERT INTO leases (name, holder, expires) VALUES (?, NULL, 0) "
                "ON CONFLICT (name) DO NOTHING",
                (name,),
            )
            row = db.execute(
                f"SELECT holder, expires FROM leases WHERE name = ?{skip}", (name,)
            ).fetchone()
            if row is None:  # locked by a claimer in flight: that one wins
                return False
            current, expires = row
            if current is not None and current != holder and expires > now:
                return False
            db.execute(
                "UPDATE leases SET holder = ?, expires = ?, "
                "taken = taken + (CASE WHEN holder = ? THEN 0 ELSE 1 END) WHERE name = ?",
                (holder, now + ttl_s, holder, name),
            )
            return True

    def renew_lease(self, name: str, holder: str, ttl_s: float) -> bool:
        """Extend a lease this holder has; False when it lost it (expired and taken over)."""
        if self._pg is None:
            with _SQLITE_LEASES.lock:
                row = self._local_lease(name)
                if row.holder != holder:
                    return False
                row.expires = time.time() + ttl_s
                return True
        with self._tx() as db:
            now = self.db_now()
            return (
                db.execute(
                    "UPDATE leases SET expires = ? WHERE name = ? AND holder = ?",
                    (now + ttl_s, name, holder),
                ).rowcount
                > 0
            )

    def release_lease(self, name: str, holder: str) -> None:
        if self._pg is None:
            with _SQLITE_LEASES.lock:
                row = self._local_lease(name)
                if row.holder == holder:
                    row.holder, row.expires = None, 0.0
            return
        with self._tx() as db:
            db.execute(
                "UPDATE leases SET holder = NULL, expires = 0 WHERE name = ? AND holder = ?",
                (name, holder),
            )

    def lease(self, name: str) -> tuple[str | None, float, int]:
        """(holder or None when free or expired, expiry, how many times it was taken)."""
        if self._pg is None:
            with _SQLITE_LEASES.lock:
                row = self._local_lease(name)
                alive = row.holder is not None and row.expires > time.time()
                return (row.holder if alive else None), row.expires, row.taken
        row = self._db.execute(
            "SELECT holder, expires, taken FROM leases WHERE name = ?", (name,)
        ).fetchone()
        if row is None:
            return None, 0.0, 0
        holder, expires, taken = row
        return (holder if expires > self.db_now() else None), float(expires), int(taken)

    # -- cross-process collection locks ---------------------------------------------------
    @contextmanager
    def collection_lock(
        self, collection_id: int, timeout_s: float, space: int = LOCK_CLASS
    ) -> Iterator[None]:
        """Hold the collection's advisory lock (PostgreSQL) for the block, waiting at most
        `timeout_s` for another process holding it (then Busy). Re-entrant in one thread.
        `space`: LISTING_CLASS locks a connection's listing of one kind instead (the key is
        `listing_key`): a listing taken in one process is not applied after another process
        created or deleted a collection of that kind."""
        with self._advisory([("", space, collection_id)], timeout_s):
            yield

    @contextmanager
    def item_lock(self, collection_id: int, href: str, timeout_s: float) -> Iterator[None]:
        """A client's write of one item, across processes (PostgreSQL): the collection's
        advisory lock shared (a pull, which holds it exclusively, waits for the write, and
        the write for the pull) and the item's exclusively (two writes of one item, through
        two processes, one after the other). Writes of different items run side by side."""
        digest = hashlib.blake2b(f"{collection_id}/{href}".encode(), digest_size=4).digest()
        item_key = int.from_bytes(digest, "big", signed=True)
        keys = [("_shared", LOCK_CLASS, collection_id), ("", ITEM_CLASS, item_key)]
        with self._advisory(keys, timeout_s):
            yield

    @contextmanager
    def _advisory(self, keys: list[tuple[str, int, int]], timeout_s: float) -> Iterator[None]:
        """Take the advisory locks `keys` ((mode suffix, class, key)) in order on one pooled
        connection held for the block; a lock this thread holds already (exclusively, or in
        the same mode) is not taken again."""
        if self._pg is None:
            yield
            return
        held: dict[tuple[Any, ...], Any] = self._local.__dict__.setdefault("advisory", {})
        wanted = [
            (mode, space, key)
            for mode, space, key in keys
            if (space, key) not in held and (mode, space, key) not in held
        ]
        if not wanted:
            yield
            return
        with self._pg.connection(timeout_s) as conn:
            wait_ms = max(int(timeout_s * 1000), 1)
            taken: list[tuple[str, int, int]] = []
            try:
                conn.execute("SELECT set_config('lock_timeout', %s, false)", (f"{wait_ms}ms",))
                for mode, space, key in wanted:
                    conn.execute(f"SELECT pg_advisory_lock{mode}(%s, %s)", (space, key))
                    taken.append((mode, space, key))
                    held[(space, key) if not mode else (mode, space, key)] = conn
            except Exception as exc:
                self._unlock(conn, held, taken)
                from bridge.store.pg import contended

                if contended(exc):
                    raise Busy(
                        "this collection is busy with a change in another bridge process "
                        f"(waited {timeout_s:g} s); try again shortly",
                        max(timeout_s, 1.0),
                    ) from exc
                raise
            try:
                yield
            finally:
                self._unlock(conn, held, taken)

    @staticmethod
    def _unlock(conn: Any, held: dict[Any, Any], taken: list[tuple[str, int, int]]) -> None:
        for mode, space, key in reversed(taken):
            held.pop((space, key) if not mode else (mode, space, key), None)
            conn.execute(f"SELECT pg_advisory_unlock{mode}(%s, %s)", (space, key))
        conn.execute("SELECT set_config('lock_timeout', '0', false)")

    # -- notifications --------------------------------------------------------------------
    def notify_pulled(self, collection_id: int) -> None:
        """Tell every process listening that a pull of the collection ended."""
        if self.dialect == "postgres":
            self._db.execute("SELECT pg_notify(?, ?)", (PULLED_CHANNEL, str(collection_id)))

    def wait_pulled(self, collection_id: int, lease_name: str, timeout_s: float) -> bool:
        """Wait (at most `timeout_s`) until the pull holding `lease_name` ends; True when it
        did (or no pull held it), False on timeout."""
        deadline = time.monotonic() + timeout_s
        if self._pg is None:
            while self.lease(lease_name)[0] is not None:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(0.05)
            return True
        with self._pg.connection(timeout_s) as conn:
            conn.execute(f"LISTEN {PULLED_CHANNEL}")
            try:
                # listening before looking: a pull ending in between is not missed
                while self.lease(lease_name)[0] is not None:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return False
                    for note in conn.notifies(timeout=min(left, 0.25), stop_after=1):
                        if note.payload == str(collection_id):
                            return True
                return True
            finally:
                conn.execute(f"UNLISTEN {PULLED_CHANNEL}")
