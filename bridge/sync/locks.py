"""Who may change a collection at once, in this process and (through the store's advisory
locks) in every process on one PostgreSQL database.

- A pull, a collection's PROPPATCH or delete, and anything else that rewrites a collection
  holds it *exclusively* (`locked`, or `lock(id)` used as a re-entrant lock).
- A client's PUT or DELETE of one item holds the collection *shared* and that item
  exclusively (`writing`): writes of different items of one collection run side by side at
  the provider (a client uploading many events at once does not queue them behind each
  other past the lock timeout), two writes of one item are serialised, and a pull waits for
  the writes in flight and holds new ones back until it is done (writer preference: a pull
  is never starved by a stream of writes).
- A connection's listing of one kind of collection (`listing_lock`) is held while it is
  listed and applied, and while a client creates or deletes one.

Every wait is bounded: past it, Busy (503 + Retry-After for a client).
Only locking; what to do under a lock is the engine's and the writers' business. Must not
import providers or radicale.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

from bridge.errors import Busy
from bridge.model import CollectionKind
from bridge.store import Store
from bridge.store.coord import LISTING_CLASS, listing_key


class SharedLock:
    """A re-entrant lock with a shared mode. Exclusive holders exclude everyone else; shared
    holders exclude only exclusive ones. A thread holding it exclusively may also take it
    shared; a thread holding it shared only may not take it exclusively (that would wait for
    itself), which raises instead of hanging."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._owner: int | None = None
        self._depth = 0
        self._shared: dict[int, int] = {}  # thread id -> shared holds
        self._exclusive_waiting = 0

    @staticmethod
    def _left(deadline: float | None) -> float | None:
        return None if deadline is None else deadline - time.monotonic()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        """Exclusive; `timeout` < 0 waits as long as it takes."""
        me = threading.get_ident()
        deadline = None if timeout < 0 else time.monotonic() + timeout
        with self._cond:
            if self._owner == me:
                self._depth += 1
                return True
            if me in self._shared:
                raise RuntimeError("a shared holder asked for the same lock exclusively")
            self._exclusive_waiting += 1
            try:
                while self._owner is not None or self._shared:
                    left = self._left(deadline)
                    if not blocking or (left is not None and left <= 0):
                        return False
                    self._cond.wait(left)
                self._owner, self._depth = me, 1
                return True
            finally:
                self._exclusive_waiting -= 1
                if self._owner != me:  # gave up: shared waiters held back by it may go
                    self._cond.notify_all()

    def release(self) -> None:
        with self._cond:
            if self._owner != threading.get_ident():
                raise RuntimeError("release of a lock this thread does not hold exclusively")
            self._depth -= 1
            if self._depth == 0:
                self._owner = None
                self._cond.notify_all()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def acquire_shared(self, timeout: float) -> bool:
        me = threading.get_ident()
        deadline = time.monotonic() + max(timeout, 0.0)
        with self._cond:
            if self._owner != me and me not in self._shared:
                while self._owner is not None or self._exclusive_waiting:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return False
                    self._cond.wait(left)
            self._shared[me] = self._shared.get(me, 0) + 1
            return True

    def release_shared(self) -> None:
        me = threading.get_ident()
        with self._cond:
            left = self._shared[me] - 1
            if left:
                self._shared[me] = left
                return
            del self._shared[me]
            if not self._shared:
                self._cond.notify_all()


def _busy(wait: float) -> Busy:
    return Busy(
        f"this collection is busy with another change or a pull from the provider "
        f"(waited {wait:g} s); try again shortly",
        max(wait, 1.0),
    )


class CollectionLocks:
    """The locks of every collection and listing of one engine."""

    def __init__(self, store: Store, timeout_s: float) -> None:
        self.store = store
        self.timeout_s = timeout_s
        self._guard = threading.Lock()
        self._collections: dict[int, SharedLock] = {}
        self._listings: dict[tuple[int, str], threading.RLock] = {}
        self._items: dict[tuple[int, str], tuple[threading.Lock, int]] = {}

    def lock(self, collection_id: int) -> SharedLock:
        with self._guard:
            return self._collections.setdefault(collection_id, SharedLock())

    @contextmanager
    def locked(self, collection_id: int, timeout: float | None = None) -> Iterator[None]:
        """Hold the collection exclusively, waiting at most `timeout` (default: the lock
        timeout) for a write or pull holding it: past that, Busy."""
        wait = self.timeout_s if timeout is None else timeout
        lock = self.lock(collection_id)
        began = time.monotonic()
        if not lock.acquire(timeout=max(wait, 0.0)):
            raise _busy(wait)
        try:  # other processes on the same PostgreSQL database (issue 17)
            left = max(wait - (time.monotonic() - began), 0.001)
            with self.store.collection_lock(collection_id, left):
                yield
        finally:
            lock.release()

    @contextmanager
    def writing(
        self, collection_id: int, href: str, timeout: float | None = None
    ) -> Iterator[None]:
        """Hold the collection shared and its item `href` exclusively, waiting at most
        `timeout` in all: past that, Busy."""
        wait = self.timeout_s if timeout is None else timeout
        lock = self.lock(collection_id)
        began = time.monotonic()
        if not lock.acquire_shared(wait):
            raise _busy(wait)
        try:
            with self._item(collection_id, href, wait - (time.monotonic() - began)):
                left = max(wait - (time.monotonic() - began), 0.001)
                with self.store.item_lock(collection_id, href, left):
                    yield
        finally:
            lock.release_shared()

    @contextmanager
    def _item(self, collection_id: int, href: str, wait: float) -> Iterator[None]:
        key = (collection_id, href)
        with self._guard:
            lock, users = self._items.get(key, (threading.Lock(), 0))
            self._items[key] = (lock, users + 1)
        try:
            if not lock.acquire(timeout=max(wait, 0.0)):
                raise Busy(
                    f"this item is busy with another change (waited {wait:.0f} s); "
                    "try again shortly",
                    max(wait, 1.0),
                )
            try:
                yield
            finally:
                lock.release()
        finally:
            with self._guard:
                lock, users = self._items[key]
                if users == 1:
                    del self._items[key]
                else:
                    self._items[key] = (lock, users - 1)

    @contextmanager
    def listing_lock(self, connection_id: int, kind: CollectionKind) -> Iterator[None]:
        """Held while a connection's collections of one kind are listed at the provider and
        the mirror made to match, and while a client creates or deletes one: a listing taken
        before a create (or delete) must not be applied after it, or the new collection would
        be dropped from the mirror and come back under another name (its client's path then
        answers 404), or a deleted one would come back. In every process on the database
        (issue 17: a MKCALENDAR answered 404 when another process's listing, taken before the
        create, was applied after it); waits at most the lock timeout for another process."""
        with self._guard:
            lock = self._listings.setdefault((connection_id, kind.value), threading.RLock())
        with lock:
            key = listing_key(connection_id, kind is CollectionKind.ADDRESSBOOK)
            with self.store.collection_lock(key, self.timeout_s, space=LISTING_CLASS):
                yield
