"""A quiet steady state: a refresh that finds nothing new writes no INFO line (20 idle
collections refreshed every 10 s used to write 20 lines per 10 s forever); the refresh loop
writes one summary line per period instead, and a change is still logged when it happens."""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

import pytest

from bridge.model import CollectionKind, PullResult
from bridge.settings import SyncSettings
from bridge.store import Store
from bridge.sync.engine import SyncEngine
from bridge.sync.scheduler import Refresher


class IdleProvider:
    """A calendar at the provider where nothing changes (one delta request per pull)."""

    account_email = "alex@contoso.example"

    def pull(self, remote_id: str, cursor: str | None, window: object) -> PullResult:
        return PullResult((), (), cursor or "c1", reset=cursor is None, requests=1)


@pytest.fixture
def engine(tmp_path: Path) -> SyncEngine:
    store = Store(tmp_path / "db.sqlite3")
    user = store.create_user("alex")
    conn = store.create_connection(user.id, "graph", "alex@contoso.example", "{}", None)
    for n in range(3):
        store.upsert_collection(
            user.id, conn.id, CollectionKind.CALENDAR, f"cal{n}", f"C{n}", None, False, None
        )
    provider = IdleProvider()
    return SyncEngine(store, lambda _cid: provider, SyncSettings(refresh_interval_s=0.0))  # type: ignore[arg-type,return-value]


def pulled_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.INFO and r.getMessage().startswith("pulled collection")
    ]


def test_idle_refreshes_write_no_info_lines(
    engine: SyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    colls = engine.store.collections()
    for coll in colls:  # the first pull lists everything (reset): worth a line
        engine.refresh(coll.id)
    assert len(pulled_lines(caplog)) == 3
    caplog.clear()
    for _ in range(5):
        for coll in colls:
            engine.refresh(coll.id)
    assert pulled_lines(caplog) == []


def test_the_loop_writes_a_periodic_summary(
    engine: SyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    refresher = Refresher(engine)
    refresher.start_loop(tick_s=0.02, summary_every_s=0.3)
    try:
        # a period may end before a slow machine has pulled all three collections once, so
        # wait for a summary that covers all three (each period counts what it saw)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            summaries = [r.getMessage() for r in caplog.records if "pulls of" in r.getMessage()]
            if any("pulls of 3 collections" in line for line in summaries):
                break
            time.sleep(0.05)
    finally:
        refresher.stop()
    assert summaries, "no summary line"
    assert all(re.search(r"\d+ pulls of [123] collections?, 0 items changed", s) for s in summaries)
    assert any("pulls of 3 collections, 0 items changed" in line for line in summaries)
    assert pulled_lines(caplog) == pulled_lines(caplog)[:3]  # only the first, listing pulls


def test_a_background_refresh_that_raises_is_logged(
    engine: SyncEngine, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nobody waits for a stale-while-revalidate refresh: a bug that makes every refresh
    raise must still leave an ERROR line with its traceback, not a calendar that silently
    stops changing."""

    def broken(collection_id: int, only_if_stale: bool = False) -> None:
        raise TypeError("refresh() takes 2 positional arguments but 3 were given")

    monkeypatch.setattr(engine, "refresh", broken)
    refresher = Refresher(engine)
    try:
        coll = engine.store.collections()[0]
        refresher.submit(coll.id).exception(timeout=20)
        deadline = time.monotonic() + 20  # the done-callback runs right after the result
        while time.monotonic() < deadline and not caplog.records:
            time.sleep(0.01)
    finally:
        refresher.stop()
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage() for r in errors] == [f"refresh of collection {coll.id} failed"]
    assert errors[0].exc_info is not None and errors[0].exc_info[0] is TypeError
