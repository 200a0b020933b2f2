"""PostgreSQL under the store (issue 17): a psycopg 3 connection pool, transactions with a
bounded lock wait, and the translation of the store's SQL (written once with `?` placeholders,
SQLite's spelling) into PostgreSQL's.

Reads outside a transaction borrow a pooled connection (autocommit) for one statement; a
transaction keeps its connection for the thread until it ends, and reads made inside it see
its writes. Must not import providers, sync or radicale; must not hold a connection between
requests.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import psycopg_pool

from bridge.errors import Busy

IntegrityError = psycopg.IntegrityError

# errors that mean "another writer holds what this one needs": the client retries later
_CONTENDED = (
    psycopg.errors.LockNotAvailable,
    psycopg.errors.DeadlockDetected,
    psycopg.errors.SerializationFailure,
    psycopg.errors.QueryCanceled,
)

_TOKENS = re.compile(r"'[^']*'|\"[^\"]*\"|\?|%|CAST\((\w+) AS BLOB\)")


@functools.lru_cache(maxsize=1024)
def translate(sql: str) -> str:
    """The store's SQL for psycopg: `?` → `%s`, a literal `%` doubled, `CAST(x AS BLOB)`
    (UTF-8 bytes of a text) → `convert_to(x, 'UTF8')`; quoted text is left alone."""

    def one(m: re.Match[str]) -> str:
        tok = m.group(0)
        if tok == "?":
            return "%s"
        if tok == "%":
            return "%%"
        if m.group(1):
            return f"convert_to({m.group(1)}, 'UTF8')"
        return tok.replace("%", "%%") if tok.startswith("'") else tok

    return _TOKENS.sub(one, sql)


class PgConn:
    """One pooled connection in a transaction, with sqlite3.Connection's `execute`."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def execute(self, sql: str, parameters: Any = ()) -> psycopg.Cursor[Any]:
        return self.conn.execute(translate(sql), tuple(parameters))

    def executemany(self, sql: str, parameters: Any) -> psycopg.Cursor[Any]:
        cur = self.conn.cursor()
        rows = list(parameters)
        if rows:
            cur.executemany(translate(sql), rows)
        return cur


class PgAuto:
    """Statements outside a transaction: each borrows a pooled connection (autocommit) and
    gives it back at once; the cursor keeps its rows."""

    def __init__(self, pool: PgPool) -> None:
        self.pool = pool

    def execute(self, sql: str, parameters: Any = ()) -> psycopg.Cursor[Any]:
        with self.pool.connection() as conn:
            return conn.execute(translate(sql), tuple(parameters))

    def executemany(self, sql: str, parameters: Any) -> psycopg.Cursor[Any]:
        with self.pool.connection() as conn:
            cur = conn.cursor()
            rows = list(parameters)
            if rows:
                cur.executemany(translate(sql), rows)
            return cur


class PgPool:
    """The pool of one store, and the transaction of each thread."""

    def __init__(self, url: str, size: int) -> None:
        self.url = url
        self._local = threading.local()
        self._pool = psycopg_pool.ConnectionPool(
            url,
            min_size=1,
            max_size=max(2, size),
            kwargs={"autocommit": True},
            open=False,
            timeout=30.0,
            name="davbridge-store",
        )
        self._pool.open(wait=True, timeout=30.0)
        self._auto = PgAuto(self)

    @contextmanager
    def connection(self, timeout: float | None = None) -> Iterator[psycopg.Connection[Any]]:
        try:
            with self._pool.connection(timeout=timeout) as conn:
                yield conn
        except psycopg_pool.PoolTimeout as exc:
            raise Busy("every database connection is in use; try again shortly", 1.0) from exc
        except _CONTENDED as exc:
            raise Busy(f"the mirror database is busy ({exc}); try again shortly", 1.0) from exc

    def current(self, lock_timeout_s: float) -> PgConn | PgAuto:
        """The thread's transaction when it has one, else per-statement connections."""
        tx: PgConn | None = getattr(self._local, "tx", None)
        return tx if tx is not None else self._auto

    @contextmanager
    def transaction(self, lock_timeout_s: float) -> Iterator[PgConn]:
        """A transaction on one pooled connection; a nested one joins the outer one. A lock
        waited for longer than `lock_timeout_s` (or a deadlock) ends it with `Busy`."""
        outer: PgConn | None = getattr(self._local, "tx", None)
        if outer is not None:
            yield outer
            return
        with self.connection(lock_timeout_s) as conn:
            try:
                with conn.transaction():
                    conn.execute(
                        "SELECT set_config('lock_timeout', %s, true)",
                        (f"{int(lock_timeout_s * 1000)}ms",),
                    )
                    tx = PgConn(conn)
                    self._local.tx = tx
                    try:
                        yield tx
                    finally:
                        self._local.tx = None
            except _CONTENDED as exc:
                raise Busy(f"the mirror database is busy ({exc}); try again shortly", 1.0) from exc

    def close(self) -> None:
        self._pool.close()


def contended(exc: BaseException) -> bool:
    """Whether `exc` means another transaction or process holds what was waited for."""
    return isinstance(exc, _CONTENDED)
