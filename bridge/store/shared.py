"""State every bridge process must see (issue 17, point 2), in the `shared_state` table: short-
lived entries by (kind, key) with an expiry — the portal's OAuth flows in flight and one-time
notices, login-throttle counts, the generation counters that tell other processes to drop a
cache — so any process can answer any request (no sticky sessions).

Values are opaque text here (the facade encrypts what is secret); expiry is by the wall clock
(seconds since the epoch), expired entries are never returned and are purged as new ones come.
Must not import providers, sync or radicale.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bridge.store.base import StoreBase


class SharedStateStore(StoreBase):
    def put_shared(self, kind: str, key: str, value: str, ttl_s: float) -> None:
        now = time.time()
        with self._tx() as db:
            db.execute("DELETE FROM shared_state WHERE kind = ? AND expires <= ?", (kind, now))
            db.execute(
                "INSERT INTO shared_state (kind, key, value, expires) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value, "
                "expires = excluded.expires",
                (kind, key, value, now + ttl_s),
            )

    def get_shared(self, kind: str, key: str) -> str | None:
        row = self._db.execute(
            "SELECT value FROM shared_state WHERE kind = ? AND key = ? AND expires > ?",
            (kind, key, time.time()),
        ).fetchone()
        return None if row is None else str(row[0])

    def pop_shared(self, kind: str, key: str) -> str | None:
        """The entry's value, removed in the same statement: of two processes popping one
        entry, exactly one gets it."""
        with self._tx() as db:
            row = db.execute(
                "DELETE FROM shared_state WHERE kind = ? AND key = ? RETURNING value, expires",
                (kind, key),
            ).fetchone()
        if row is None or float(row[1]) <= time.time():
            return None
        return str(row[0])

    def pop_shared_prefix(self, kind: str, prefix: str) -> list[str]:
        """Values of the live entries whose key starts with `prefix`, in key order, removed."""
        with self._tx() as db:
            rows = db.execute(
                "DELETE FROM shared_state WHERE kind = ? AND key >= ? AND key < ? "
                "RETURNING key, value, expires",
                (kind, prefix, prefix + "\U0010ffff"),
            ).fetchall()
        now = time.time()
        return [str(v) for k, v, exp in sorted(rows) if float(exp) > now]

    def update_shared(
        self, kind: str, key: str, change: Callable[[str | None], str | None], ttl_s: float
    ) -> str | None:
        """Read-modify-write of one entry in one transaction (the row is locked on
        PostgreSQL): `change` gets the live value (None when absent or expired) and returns
        the new one (None: remove). Returns what was stored."""
        lock = " FOR UPDATE" if self.dialect == "postgres" else ""
        now = time.time()
        with self._tx() as db:
            row = db.execute(
                f"SELECT value, expires FROM shared_state WHERE kind = ? AND key = ?{lock}",
                (kind, key),
            ).fetchone()
            old = None if row is None or float(row[1]) <= now else str(row[0])
            new = change(old)
            if new is None:
                db.execute("DELETE FROM shared_state WHERE kind = ? AND key = ?", (kind, key))
            else:
                db.execute(
                    "INSERT INTO shared_state (kind, key, value, expires) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value, "
                    "expires = excluded.expires",
                    (kind, key, new, now + ttl_s),
                )
            return new

    # -- generations: "drop your cache" for every process ---------------------------------
    _FOREVER = 10 * 365 * 86400.0

    def bump_generation(self, name: str) -> int:
        new = self.update_shared(
            "generation", name, lambda old: str(int(old or 0) + 1), self._FOREVER
        )
        return int(new or 0)

    def generation(self, name: str) -> int:
        return int(self.get_shared("generation", name) or 0)

    # -- turns: one thing at a time per key, `spacing_s` apart, in every process -------------
    def reserve_turn(
        self, kind: str, keys: list[str], spacing_s: float, now: float | None = None
    ) -> float | None:
        """A turn of `keys` together, at least `spacing_s` after the last turn of each (the
        login pacing of issue 9 across processes): the seconds until it comes, or None when
        another is already waiting for the next turn (at most one waits). The keys' rows are
        created if missing, then locked (PostgreSQL: in key order, so two reservations never
        deadlock), so two processes never get the same turn."""
        now = time.time() if now is None else now
        lock = " FOR UPDATE" if self.dialect == "postgres" else ""
        keep = now + 2 * spacing_s + 60.0
        with self._tx() as db:
            last = []
            for key in sorted(set(keys)):
                db.execute(
                    "INSERT INTO shared_state (kind, key, value, expires) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (kind, key) DO NOTHING",
                    (kind, key, "-inf", keep),
                )
                row = db.execute(
                    f"SELECT value, expires FROM shared_state WHERE kind = ? AND key = ?{lock}",
                    (kind, key),
                ).fetchone()
                live = row is not None and float(row[1]) > now
                last.append(float(row[0]) if live else float("-inf"))
            turn = max([now, *(t + spacing_s for t in last)])
            if turn - now > spacing_s:
                return None
            for key in set(keys):
                db.execute(
                    "UPDATE shared_state SET value = ?, expires = ? WHERE kind = ? AND key = ?",
                    (repr(turn), max(keep, turn + spacing_s + 60.0), kind, key),
                )
            return turn - now
