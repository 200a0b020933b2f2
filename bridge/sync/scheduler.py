"""When pulls happen (stale-while-revalidate, SPEC non-functional): a client request on a
stale collection is answered from the mirror at once and only *schedules* its refresh; the
background loop keeps every collection within its refresh interval. The one exception is the
very first fill of a collection that was never synced (its mirror is empty, not stale): there
the request waits for the pull, bounded by `request_refresh_timeout_s`, so that a client
subscribing right after discovery does not record an empty calendar (and then the mirror is
served as it is).

Must not import radicale or any concrete provider.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait

from bridge.model import CollectionRecord
from bridge.sync.engine import PullOutcome, SyncEngine

log = logging.getLogger("davbridge.sync")


class Refresher:
    """Runs pulls on a small pool; at most one in flight per collection."""

    def __init__(self, engine: SyncEngine, workers: int = 4) -> None:
        self.engine = engine
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pull")
        self._inflight: dict[int, Future[PullOutcome | None]] = {}
        self._guard = threading.Lock()
        self._stop = threading.Event()
        self._loop: threading.Thread | None = None

    def submit(self, collection_id: int) -> Future[PullOutcome | None]:
        with self._guard:
            fut = self._inflight.get(collection_id)
            if fut is None or fut.done():
                fut = self._pool.submit(self.engine.refresh, collection_id, True)
                fut.add_done_callback(lambda f: _log_failure(collection_id, f))
                self._inflight[collection_id] = fut
            return fut

    def ensure_fresh(self, coll: CollectionRecord) -> None:
        """Schedule the refresh of a stale collection and return at once; only a collection
        never synced before is waited for (at most request_refresh_timeout_s)."""
        if not self.engine.is_stale(coll) or not self.engine.wanted(coll):
            return
        if self.engine.retry_at(coll.id) is not None:
            return  # throttled: the provider's Retry-After is obeyed by the loop
        fut = self.submit(coll.id)
        if coll.refreshed_at is not None:
            return  # stale-while-revalidate: the mirror answers, the pool refreshes
        # a failed pull never fails the read (it is logged when it ends: _log_failure)
        _, pending = wait([fut], timeout=self.engine.settings.request_refresh_timeout_s)
        if pending:
            log.info("collection %d still refreshing; serving the mirror as it is", coll.id)

    def refresh_all(self) -> None:
        """One pass: refresh every stale collection (waits for them)."""
        futures = [
            self.submit(c.id)
            for c in self.engine.store.collections()
            if self.engine.is_stale(c) and self.engine.wanted(c)
        ]
        wait(futures)  # failures are logged when they end (_log_failure)

    def start_loop(self, tick_s: float = 1.0, summary_every_s: float = 600.0) -> None:
        """Refresh stale collections every tick; every `summary_every_s` log one line of what
        the pulls did (per-pull lines are DEBUG unless something changed)."""
        discovered: dict[int, float] = {}
        last_summary = [time.monotonic()]

        def run() -> None:
            while not self._stop.wait(tick_s):
                try:
                    if time.monotonic() - last_summary[0] >= summary_every_s:
                        snap = self.engine.tally.take()
                        log.info(snap.describe((time.monotonic() - last_summary[0]) / 60))
                        last_summary[0] = time.monotonic()
                    self._rediscover(discovered)
                    for coll in self.engine.store.collections():
                        if self.engine.is_stale(coll) and self.engine.wanted(coll):
                            self.submit(coll.id)
                except Exception:
                    log.exception("refresh loop pass failed")

        self._loop = threading.Thread(target=run, name="refresh-loop", daemon=True)
        self._loop.start()

    def _rediscover(self, last: dict[int, float]) -> None:
        """Calendars and address books created or removed at the provider appear/disappear."""
        now = self.engine.clock()
        for conn in self.engine.store.connections():
            seen = last.setdefault(conn.id, now)  # the connection was discovered when made
            if conn.status.serving and now - seen >= self.engine.settings.discover_interval_s:
                last[conn.id] = now
                self._pool.submit(self._discover, conn.id)

    def _discover(self, connection_id: int) -> None:
        try:
            self.engine.discover_calendars(connection_id)
            self.engine.discover_address_books(connection_id)
        except Exception:  # recorded on the connection by the engine where it matters
            log.exception("calendar discovery for connection %d failed", connection_id)

    def stop(self) -> None:
        self._stop.set()
        if self._loop is not None:
            self._loop.join(timeout=5)
        self._pool.shutdown(wait=True, cancel_futures=True)


def _log_failure(collection_id: int, fut: Future[PullOutcome | None]) -> None:
    """A background refresh that raised is logged with its traceback: nobody may be waiting
    for its result (stale-while-revalidate), and a refresh failing silently for ever is a
    calendar that silently stops changing."""
    if fut.cancelled():
        return
    exc = fut.exception()
    if exc is not None:
        log.error("refresh of collection %d failed", collection_id, exc_info=exc)
