"""A large listing's items converted on a second core (issue 14, point 1).

What it does: `converted(pages, convert, offload)` yields each page of a pull with its drafts,
in page order. Converting an event (enrichment, its record, its limits) is pure Python and
holds this process's one GIL, while the provider's pages are fetched and mapped here too; so,
once a listing has passed `THRESHOLD` items, chunks of `CHUNK` items go to one worker process
(a process-wide `ProcessPoolExecutor`, "forkserver" start, made on first need) whenever it
holds fewer than `IN_HAND` chunks, and this thread converts the other chunks itself meanwhile.
The work is shared, never waited for while this thread could convert — the worker's start-up
included: chunks go to it only once it has answered a first, empty task.
The worker runs the same function on the same values (`CalendarConversion`, picklable), so a
draft is byte for byte the same wherever it was made. A worker fault (it died, could not
start, or raised) converts that chunk here again: a real error in an item then raises here,
as it would have without the worker; a worker that died is replaced at the next listing.
What it must not do: touch the store or the network in the worker (the meeting aliases a
chunk needs are looked up here, `Offload.found`); reorder pages; hold more than `AHEAD`
pages converted and not yet handed on (memory stays bounded for any listing size).
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass

from bridge.model import RemoteItem
from bridge.providers.base import PullPage
from bridge.store import ItemDraft
from bridge.sync.items import CalendarConversion

log = logging.getLogger("davbridge.sync")

THRESHOLD = 1_000  # items a listing has yielded before chunks go to the worker
CHUNK = 200  # items per chunk
IN_HAND = 2  # chunks the worker holds at most (one converting, one queued)
AHEAD = 3  # pages converted or converting, not yet handed on


@dataclass(frozen=True)
class Offload:
    """What the worker needs to convert one collection's items: the conversion, and how to
    find (here, in the store) the meeting aliases of a chunk's items."""

    conversion: CalendarConversion
    found: Callable[[Sequence[RemoteItem]], Mapping[str, str]]


@dataclass
class _Pool:
    executor: ProcessPoolExecutor
    ready: Future[None]


_lock = threading.Lock()
_pool: _Pool | None = None


def _warm() -> None:
    """The first task: answered once the worker has started (and imported the conversion)."""


class _Kept(logging.Handler):
    """What the conversion logged in the worker (an item past a limit…), handed back."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.kept: list[tuple[str, int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.kept.append((record.name, record.levelno, record.getMessage()))


def _convert(
    conversion: CalendarConversion, items: Sequence[RemoteItem]
) -> tuple[list[ItemDraft], list[tuple[str, int, str]]]:
    """In the worker: the drafts, and the log records of the conversion (logged again by the
    bridge's own process, where logging is set up)."""
    root = logging.getLogger("davbridge")
    handler = _Kept()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    root.propagate = False
    try:
        return [conversion(item) for item in items], handler.kept
    finally:
        root.removeHandler(handler)


def _shared_pool() -> _Pool | None:
    """The process-wide worker, made on first need; None when none can be started here."""
    global _pool
    with _lock:
        if _pool is not None:
            return _pool
        try:
            context = multiprocessing.get_context("forkserver")
            # the fork server imports the conversion once; each worker forked from it is ready
            context.set_forkserver_preload(["bridge.sync.items"])
            executor = ProcessPoolExecutor(max_workers=1, mp_context=context)
            _pool = _Pool(executor, executor.submit(_warm))
        except (OSError, ValueError, RuntimeError) as exc:
            log.warning("conversion worker not started, converting in this process: %s", exc)
            return None
        return _pool


def _forget(pool: _Pool) -> None:
    """A worker that failed is shut down; the next listing starts another."""
    global _pool
    with _lock:
        if _pool is pool:
            _pool = None
    pool.executor.shutdown(wait=False, cancel_futures=True)


class _Chunk:
    __slots__ = ("items", "future", "drafts")

    def __init__(self, items: Sequence[RemoteItem]) -> None:
        self.items = items
        self.future: Future[tuple[list[ItemDraft], list[tuple[str, int, str]]]] | None = None
        self.drafts: list[ItemDraft] | None = None

    def done(self) -> bool:
        return self.drafts is not None or (self.future is not None and self.future.done())


class _Sharing:
    """One listing's chunks, shared between this thread and the worker."""

    def __init__(self, convert: Callable[[RemoteItem], ItemDraft], offload: Offload | None):
        self.convert, self.offload = convert, offload
        self.pool: _Pool | None = None
        self.listed = 0
        self.sent: list[_Chunk] = []  # chunks given to the worker, not yet known done

    def chunks(self, items: Sequence[RemoteItem]) -> list[_Chunk]:
        self.listed += len(items)
        if self.offload is not None and self.pool is None and self.listed >= THRESHOLD:
            self.pool = _shared_pool()
            if self.pool is None:
                self.offload = None
        out = []
        for start in range(0, len(items), CHUNK):
            chunk = _Chunk(items[start : start + CHUNK])
            if not self._send(chunk):
                chunk.drafts = [self.convert(item) for item in chunk.items]
            out.append(chunk)
        return out

    def _send(self, chunk: _Chunk) -> bool:
        pool, offload = self.pool, self.offload
        if pool is None or offload is None or not pool.ready.done():
            return False
        if pool.ready.exception() is not None:
            self._failed(pool, pool.ready.exception())
            return False
        self.sent = [c for c in self.sent if not c.done()]
        if len(self.sent) >= IN_HAND:
            return False
        conversion = offload.conversion.narrowed(chunk.items, offload.found(chunk.items))
        try:
            chunk.future = pool.executor.submit(_convert, conversion, chunk.items)
        except RuntimeError as exc:  # the pool broke or was shut down meanwhile
            self._failed(pool, exc)
            return False
        self.sent.append(chunk)
        return True

    def drafts(self, chunk: _Chunk) -> list[ItemDraft]:
        if chunk.drafts is None:
            assert chunk.future is not None
            try:
                chunk.drafts, logged = chunk.future.result()
                for name, level, message in logged:
                    logging.getLogger(name).log(level, "%s", message)
            except Exception as exc:  # the worker's fault, or an item's: done here again
                if self.pool is not None:
                    self._failed(self.pool, exc)
                chunk.drafts = [self.convert(item) for item in chunk.items]
        return chunk.drafts

    def _failed(self, pool: _Pool, exc: BaseException | None) -> None:
        log.warning("conversion worker failed, converting in this process: %r", exc)
        self.pool = self.offload = None
        _forget(pool)


def converted(
    pages: Iterable[PullPage],
    convert: Callable[[RemoteItem], ItemDraft],
    offload: Offload | None,
) -> Iterator[tuple[PullPage, list[ItemDraft]]]:
    """Each page with the drafts of its items, in order (see the module docstring)."""
    sharing = _Sharing(convert, offload)
    ahead: deque[tuple[PullPage, list[_Chunk]]] = deque()

    def handed(first: tuple[PullPage, list[_Chunk]]) -> tuple[PullPage, list[ItemDraft]]:
        page, chunks = first
        return page, [draft for chunk in chunks for draft in sharing.drafts(chunk)]

    for page in pages:
        ahead.append((page, sharing.chunks(page.items)))
        while ahead and (len(ahead) > AHEAD or all(c.done() for c in ahead[0][1])):
            yield handed(ahead.popleft())
    while ahead:
        yield handed(ahead.popleft())
