"""Pull leases (issue 17): with several bridge processes on one database, each collection is
pulled by at most one of them at a time. A process claims the collection's lease before it
pulls, renews it while pulling (a heartbeat every third of the lease time) and releases it
with a notification when done; a process that finds the lease held waits for that
notification (bounded) instead of pulling again. A crashed process stops renewing: its lease
expires and the next claim takes the collection over.

On SQLite the same calls work within one process (the lease row is read in a write
transaction). Must not import radicale or any provider.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from bridge.errors import Busy
from bridge.store import Store

log = logging.getLogger("davbridge.sync")


def pull_lease_name(collection_id: int) -> str:
    return f"pull:{collection_id}"


class PullLeases:
    """The leases of one process; `holder` names it (host, pid, a random tag)."""

    def __init__(self, store: Store, ttl_s: float, wait_s: float) -> None:
        self.store = store
        self.ttl_s = ttl_s
        self.wait_s = wait_s
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"

    @contextmanager
    def pulling(self, collection_id: int) -> Iterator[bool]:
        """True: this process holds the collection's lease for the block (renewed in the
        background). False: another one is pulling it; this one waited, at most `wait_s`,
        for that pull to end."""
        name = pull_lease_name(collection_id)
        mine = self._claim(name)
        if not mine:
            if not self.store.wait_pulled(collection_id, name, self.wait_s):
                log.debug("collection %d: still pulled by another process", collection_id)
            holder, expires, _ = self.store.lease(name)
            if holder is None and expires > 0:  # expired, never released: its holder died
                log.info("collection %d: taking over the lease of a stopped process", collection_id)
                mine = self._claim(name)
        if not mine:
            yield False
            return
        stop = threading.Event()
        beat = threading.Thread(
            target=self._heartbeat, args=(name, stop), name=f"lease-{collection_id}", daemon=True
        )
        beat.start()
        try:
            yield True
        finally:
            stop.set()
            beat.join()
            try:
                self.store.release_lease(name, self.holder)
                self.store.notify_pulled(collection_id)
            except Busy:  # the lease then expires on its own
                log.warning("collection %d: lease not released (database busy)", collection_id)

    # -- Retry-After seen by one process, obeyed by all -----------------------------------
    def hold_off(self, collection_id: int, seconds: float) -> None:
        """The provider asked to wait `seconds` before pulling the collection again."""
        if self.store.dialect == "postgres":
            until = repr(time.time() + seconds)
            self.store.put_shared("not_before", str(collection_id), until, seconds)

    def held_off(self, collection_id: int) -> float:
        """Until when (engine clock: wall clock) another process was asked to wait; 0: no."""
        if self.store.dialect != "postgres":
            return 0.0
        raw = self.store.get_shared("not_before", str(collection_id))
        return float(raw) if raw else 0.0

    def _claim(self, name: str) -> bool:
        try:
            return self.store.claim_lease(name, self.holder, self.ttl_s)
        except Busy:
            return False

    def _heartbeat(self, name: str, stop: threading.Event) -> None:
        while not stop.wait(self.ttl_s / 3):
            try:
                if not self.store.renew_lease(name, self.holder, self.ttl_s):
                    log.warning("lease %s was lost while pulling", name)
                    return
            except Busy:
                continue
