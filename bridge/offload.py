"""Pure-Python work of a large listing shared with a worker process (issue 14, point 1).

What it does: mapping provider items and converting them to mirror drafts is pure Python,
and in one process it all holds one GIL. `Sharing` splits one listing's work into chunks of
`CHUNK` arguments: once the listing has passed `THRESHOLD` arguments, a chunk goes to the
worker (one process for the whole bridge process, "forkserver" start, made on first need)
whenever it holds fewer than `IN_HAND` chunks (of every sharer), and the calling thread does the
other chunks itself meanwhile. Nothing waits for the worker while the caller could work — its
start-up included: chunks go to it only once it has answered a first, empty task. The worker
runs the same pure function on the same values (picklable), so a result is the same wherever
it was made; what the function logged there is logged again here, where logging is set up.
A chunk the worker did not do (it died, could not start, or raised) is done here again: a real
error in an argument then raises here, as it would have without the worker; a worker that died
is replaced at the next listing (one that raised stays), and one idle for IDLE_S exits (its
memory back to the system).
What it must not do: give the worker anything that does I/O (store, network) — a sharer's
`remote(chunk)` builds the function the worker runs, from values looked up here.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import BrokenExecutor, CancelledError, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

log = logging.getLogger("davbridge.offload")

A = TypeVar("A")
R = TypeVar("R")

THRESHOLD = 1_000  # arguments a listing has had before chunks go to the worker
CHUNK = 200  # arguments per chunk
IN_HAND = 2  # chunks the worker holds at most, all sharers together (one running, one queued)
IDLE_S = 60.0  # a worker given nothing for this long exits (its memory back to the system)
#: what the worker imports before it counts as started (the pure functions sharers send it)
WARM = ("bridge.sync.items", "bridge.providers.graph.item", "bridge.providers.google.item")

Logged = list[tuple[str, int, str]]


@dataclass
class _Pool:
    executor: ProcessPoolExecutor
    ready: Future[None]
    busy: int = 0  # chunks given to the worker and not done, by every sharer
    last: float = field(default_factory=time.monotonic)  # when it last had something to do

    def took(self, future: Future[Any]) -> None:
        with _lock:
            self.busy += 1
            self.last = time.monotonic()
        future.add_done_callback(self._done)

    def _done(self, _future: Future[Any]) -> None:
        with _lock:
            self.busy -= 1
            self.last = time.monotonic()

    def idle(self) -> bool:
        with _lock:
            return self.busy == 0 and time.monotonic() - self.last >= IDLE_S

    def has_room(self) -> bool:
        with _lock:
            return self.busy < IN_HAND


_lock = threading.Lock()
_pool: _Pool | None = None


def _warm(modules: Sequence[str]) -> None:
    """The first task: answered once the worker has started and imported `modules`."""
    for name in modules:
        importlib.import_module(name)


class _Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.kept: Logged = []

    def emit(self, record: logging.LogRecord) -> None:
        self.kept.append((record.name, record.levelno, record.getMessage()))


def _run(fn: Callable[[A], R], args: Sequence[A]) -> tuple[list[R], Logged]:
    """In the worker: `fn` over a chunk, and what it logged (INFO and up)."""
    root = logging.getLogger()
    handler = _Kept()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        return [fn(arg) for arg in args], handler.kept
    finally:
        root.removeHandler(handler)


def shared_pool() -> _Pool | None:
    """The process-wide worker, made on first need; None when none can be started here."""
    global _pool
    with _lock:
        if _pool is not None:
            return _pool
        try:
            # the fork server imports nothing of the bridge (its memory stays small); the worker
            # imports what chunks will need before it takes one, while the callers work on
            context = multiprocessing.get_context("forkserver")
            executor = ProcessPoolExecutor(max_workers=1, mp_context=context)
            _pool = _Pool(executor, executor.submit(_warm, WARM))
            reaper = threading.Thread(target=_retire_when_idle, args=(_pool,), daemon=True)
            reaper.start()
        except (OSError, ValueError, RuntimeError) as exc:
            log.warning("worker process not started, working in this process: %s", exc)
            return None
        return _pool


def _retire_when_idle(pool: _Pool) -> None:
    """Shut the worker down once it has been idle IDLE_S (a listing later starts another)."""
    while _pool is pool:
        time.sleep(min(IDLE_S, 1.0))
        if pool.idle():
            _forget(pool)


def _forget(pool: _Pool) -> None:
    """A worker that failed is shut down; the next listing starts another."""
    global _pool
    with _lock:
        if _pool is pool:
            _pool = None
    pool.executor.shutdown(wait=False, cancel_futures=True)


class Chunk(Generic[A, R]):
    __slots__ = ("args", "future", "results")

    def __init__(self, args: Sequence[A]) -> None:
        self.args = args
        self.future: Future[tuple[list[R], Logged]] | None = None
        self.results: list[R] | None = None

    def done(self) -> bool:
        return self.results is not None or (self.future is not None and self.future.done())


class Sharing(Generic[A, R]):
    """One listing's work: `here(arg)` in this process, or `remote(chunk)` — a picklable
    function equal to `here` on that chunk's arguments — in the worker."""

    def __init__(
        self,
        here: Callable[[A], R],
        remote: Callable[[Sequence[A]], Callable[[A], R]] | None,
    ) -> None:
        self.here, self.remote = here, remote
        self.pool: _Pool | None = None
        self.listed = 0

    def chunks(
        self, args: Sequence[A], size: int | None = None, keep_last: bool = False
    ) -> list[Chunk[A, R]]:
        """`args` in chunks (of `size`, CHUNK by default), each sent to the worker or done
        here now; `keep_last`: the last of several chunks is done here."""
        self.listed += len(args)
        if self.remote is not None and self.pool is None and self.listed >= THRESHOLD:
            self.pool = shared_pool()
            if self.pool is None:
                self.remote = None
        size = size or CHUNK
        out: list[Chunk[A, R]] = []
        for start in range(0, len(args), size):
            chunk: Chunk[A, R] = Chunk(args[start : start + size])
            kept = keep_last and start > 0 and start + size >= len(args)
            if kept or not self._send(chunk):
                chunk.results = [self.here(arg) for arg in chunk.args]
            out.append(chunk)
        return out

    def map(self, args: Sequence[A]) -> list[R]:
        """`here` over `args`, in order, shared with the worker: the caller waits for the
        result, so it does a share itself — the last chunk is never sent, and a call of
        fewer than two CHUNKs is cut in two."""
        size = max(1, min(CHUNK, -(-len(args) // 2)))
        return [r for chunk in self.chunks(args, size, True) for r in self.results(chunk)]

    def _send(self, chunk: Chunk[A, R]) -> bool:
        pool, remote = self.pool, self.remote
        if pool is None or remote is None or not pool.ready.done():
            return False
        if pool.ready.exception() is not None:
            self._failed(pool, pool.ready.exception())
            return False
        if not pool.has_room():
            return False
        try:
            chunk.future = pool.executor.submit(_run, remote(chunk.args), chunk.args)
        except RuntimeError as exc:  # the pool broke or was shut down meanwhile
            self._failed(pool, exc)
            return False
        pool.took(chunk.future)
        return True

    def results(self, chunk: Chunk[A, R]) -> list[R]:
        """The chunk's results (waiting for the worker's if it has them)."""
        if chunk.results is None:
            assert chunk.future is not None
            try:
                chunk.results, logged = chunk.future.result()
                for name, level, message in logged:
                    logging.getLogger(name).log(level, "%s", message)
            except (BrokenExecutor, CancelledError) as exc:  # the worker died or was shut down
                if self.pool is not None:  # (idle meanwhile): replaced at the next listing
                    self._failed(self.pool, exc)
                chunk.results = [self.here(arg) for arg in chunk.args]
            except Exception:  # raised in the worker (an argument's own error): done here
                # again, where it raises as it would have without the worker; the worker stays
                chunk.results = [self.here(arg) for arg in chunk.args]
        return chunk.results

    def _failed(self, pool: _Pool, exc: BaseException | None) -> None:
        log.warning("worker process failed, working in this process: %r", exc)
        self.pool = self.remote = None
        _forget(pool)
