"""`/health` never waits on work (issue 9 point 6: the fuzz run saw slow polls): with every DAV
worker thread of the real HTTP server busy — two writes waiting for a collection lock that
another writer holds — `GET /health` and `HEAD /health` still answer at once, from threads of
their own (bridge/entry/http_lanes.py); the writes finish normally once the lock is free."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
import requests

from bridge import api
from bridge.entry.serve import HttpServer
from bridge.model import CollectionKind
from bridge.settings import Settings
from tests.unit.fake_connection import connect_fake
from tests.unit.test_limits_and_waits import Provider, event


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[api.Bridge, HttpServer, str]]:
    settings = (
        Settings()
        .replace("store", data_dir=str(tmp_path / "data"))
        .replace("server", threads=2, write_budget_seconds=30, lock_timeout_seconds=30)
        .replace("sync", background=False, refresh_interval_s=3600)
    )
    bridge = api.Bridge(settings)
    api.install(bridge)
    user = bridge.ensure_user("alex")
    password = bridge.new_app_password(user, "test")
    fake = Provider()
    connect_fake(bridge, user, fake)
    server = HttpServer(bridge, "127.0.0.1", 0).start()
    try:
        yield bridge, server, password
    finally:
        server.stop()
        api.install(None)
        bridge.close()


def test_health_answers_while_every_dav_worker_waits(
    served: tuple[api.Bridge, HttpServer, str],
) -> None:
    bridge, server, password = served
    cal = next(c for c in bridge.collections_for("alex") if c.kind is CollectionKind.CALENDAR)
    real_locked = bridge.engine.locked
    real_writing = bridge.engine.writing
    waiting = threading.Semaphore(0)

    def writing(
        collection_id: int, href: str, timeout: float | None = None
    ) -> AbstractContextManager[Any]:
        waiting.release()  # a write reached the lock: its DAV worker is taken until it ends
        return real_writing(collection_id, href, timeout)

    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with real_locked(cal.id):
            held.set()
            release.wait(60)

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(10)
    bridge.engine.writing = writing  # type: ignore[method-assign]
    statuses: list[int] = []

    def put(n: int) -> None:
        r = requests.put(
            f"{server.url}alex/{cal.name}/w{n}.ics",
            data=event(f"w{n}").encode(),
            headers={"Content-Type": "text/calendar"},
            auth=("alex", password),
            timeout=60,
        )
        statuses.append(r.status_code)

    writers = [threading.Thread(target=put, args=(n,)) for n in range(2)]
    try:
        for w in writers:
            w.start()
        for _ in writers:
            assert waiting.acquire(timeout=20)  # both DAV workers wait for the lock now
        health = requests.get(server.url + "health", timeout=10)
        head = requests.head(server.url + "health", timeout=10)
        still_waiting = all(w.is_alive() for w in writers)
    finally:
        release.set()
        holder.join()
        for w in writers:
            w.join(60)
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert head.status_code == 200 and head.content == b""
    assert still_waiting  # /health was answered while the writes were still waiting
    assert sorted(statuses) == [201, 201]  # and the writes were not disturbed
