"""Plumbing of the store: SQLite (one connection per thread, WAL) or PostgreSQL (a psycopg 3
connection pool, bridge/store/pg.py), transactions and migrations.

The store's SQL is written once, with `?` placeholders; on PostgreSQL bridge/store/pg.py
translates it. `dialect` tells the few places that need SQL of their own which one runs.
Must not import providers, sync or radicale."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, cast

from bridge.errors import Busy
from bridge.files import private_file
from bridge.store.migrations import MIGRATIONS, script_for

#: SQLite page size of a new mirror (bytes). The items table is WITHOUT ROWID: a row longer
#: than about a quarter of a page (~1,000 bytes at SQLite's default 4 KiB) spills into
#: overflow pages, so a 2,000-event multiget read ~2,700 pages instead of ~220 at 16 KiB
#: (10 ms instead of 4 ms; SQLite documentation, "Clustered Indexes and the WITHOUT ROWID
#: Optimization", §4: WITHOUT ROWID tables suit rows under 1/20 of a page).
PAGE_SIZE = 16384


class Cursor(Protocol):
    """What the store's parts use of a cursor (sqlite3's or psycopg's)."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def fetchmany(self, size: int = ..., /) -> list[Any]: ...

    def close(self) -> None: ...

    def __iter__(self) -> Iterator[Any]: ...


class Db(Protocol):
    """What the store's parts use of a connection (sqlite3.Connection, or pg.PgConn)."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Cursor: ...

    def executemany(self, sql: str, parameters: Any, /) -> Cursor: ...


def is_postgres_url(target: object) -> bool:
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def integrity_errors() -> tuple[type[Exception], ...]:
    """The exceptions a unique or foreign-key violation raises in either dialect."""
    from bridge.store.pg import IntegrityError

    return (sqlite3.IntegrityError, IntegrityError)


class StoreBase:
    """Connection handling shared by the store's parts.

    No wait is unbounded (issue 9): a writer waits at most `lock_timeout_s` for the write lock
    and for SQLite's (busy_timeout) or PostgreSQL's (lock_timeout), then gets `Busy` (503 +
    Retry-After for a client). Readers never wait: WAL (or PostgreSQL's MVCC) lets them read
    the last commit while a pull writes.
    """

    lock_timeout_s = 10.0

    def __init__(self, target: Path | str, *, pool_size: int = 16) -> None:
        """`pool_size`: PostgreSQL connections at most (a pull holds two: its collection lock
        and its transaction; the DAV threads borrow one per statement)."""
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self.url: str | None = None
        if is_postgres_url(target):
            from bridge.store.pg import PgPool

            self.dialect = "postgres"
            self.url = str(target)
            self.path = Path()
            self._pg: PgPool | None = PgPool(self.url, pool_size)
        else:
            self.dialect = "sqlite"
            self.path = Path(target)
            self._pg = None
            private_file(self.path)  # 0600 in a 0700 directory; -wal/-shm get the same mode
        self._migrate()

    # -- plumbing -------------------------------------------------------------------------
    @property
    def _db(self) -> Db:
        if self._pg is not None:
            return cast(Db, self._pg.current(self.lock_timeout_s))
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=self.lock_timeout_s, isolation_level=None)
            # before anything is written (a file with content keeps the size it has): an
            # item's text (~1.6 kB for an event) fits in its b-tree page instead of spilling
            # into an overflow page of its own, which made reading one cost two pages
            conn.execute(f"PRAGMA page_size={PAGE_SIZE}")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute(f"PRAGMA busy_timeout={int(self.lock_timeout_s * 1000)}")
            self._local.conn = conn
        return cast(Db, conn)

    @contextmanager
    def _tx(self) -> Iterator[Db]:
        if self._pg is not None:
            with self._pg.transaction(self.lock_timeout_s) as pg:
                yield pg
            return
        if not self._write_lock.acquire(timeout=self.lock_timeout_s):
            raise Busy(
                f"the mirror is busy with another write for over {self.lock_timeout_s:g} s; "
                "try again shortly",
                self.lock_timeout_s,
            )
        try:
            db = self._db
            try:
                db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:  # busy_timeout passed: another process
                raise Busy(f"the mirror database is busy ({exc}); try again shortly", 1.0) from exc
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            self._write_lock.release()

    def _migrate(self) -> None:
        with self._tx() as db:
            if self._pg is not None:  # several processes may start at once: one migrates
                db.execute("SELECT pg_advisory_xact_lock(?)", (0x6461_7662,))
            db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = db.execute("SELECT version FROM schema_version").fetchone()
            current = row[0] if row else 0
            for number in range(current + 1, len(MIGRATIONS) + 1):
                for statement in script_for(number, self.dialect).split(";"):
                    if statement.strip():
                        db.execute(statement)
            if row is None:
                db.execute("INSERT INTO schema_version VALUES (?)", (len(MIGRATIONS),))
            else:
                db.execute("UPDATE schema_version SET version = ?", (len(MIGRATIONS),))

    def close(self) -> None:
        if self._pg is not None:
            self._pg.close()
            return
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
