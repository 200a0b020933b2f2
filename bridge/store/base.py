"""SQLite plumbing of the store: one connection per thread (WAL), transactions, migrations.

Must not import providers, sync or radicale."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bridge.errors import Busy
from bridge.files import private_file
from bridge.store.migrations import MIGRATIONS


class StoreBase:
    """Connection handling shared by the store's parts.

    No wait is unbounded (issue 9): a writer waits at most `lock_timeout_s` for the write lock
    and for SQLite's (busy_timeout), then gets `Busy` (503 + Retry-After for a client). Readers
    never wait: WAL lets them read the last commit while a pull writes.
    """

    lock_timeout_s = 10.0

    def __init__(self, path: Path) -> None:
        self.path = path
        private_file(path)  # 0600 in a 0700 directory; SQLite gives -wal/-shm the same mode
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._migrate()

    # -- plumbing -------------------------------------------------------------------------
    @property
    def _db(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=self.lock_timeout_s, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute(f"PRAGMA busy_timeout={int(self.lock_timeout_s * 1000)}")
            self._local.conn = conn
        return conn

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
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
            db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = db.execute("SELECT version FROM schema_version").fetchone()
            current = row[0] if row else 0
            for number, script in enumerate(MIGRATIONS, start=1):
                if number > current:
                    for statement in script.split(";"):
                        if statement.strip():
                            db.execute(statement)
            if row is None:
                db.execute("INSERT INTO schema_version VALUES (?)", (len(MIGRATIONS),))
            else:
                db.execute("UPDATE schema_version SET version = ?", (len(MIGRATIONS),))

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
