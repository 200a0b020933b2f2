"""Meeting-view benchmark (C4): a user with N mirrored events (one in ten a Zoom meeting, half
organised by the user) and both views switched on; times the first build of the views, a read
when nothing changed (what every PROPFIND of the views costs) and a read after one source
event changed. Store and sync layer in-process, no provider, no HTTP. Not a test: prints
figures.

Usage: python bench/meeting_views.py [--events 10000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bridge.model import CollectionKind  # noqa: E402
from bridge.settings import SyncSettings  # noqa: E402
from bridge.store import ItemDraft, Store  # noqa: E402
from bridge.sync.engine import SyncEngine  # noqa: E402
from bridge.sync.views import HOSTED, ZOOM, MeetingViews  # noqa: E402


def _event(n: int, summary: str = "") -> ItemDraft:
    zoom = "TRUE" if n % 10 == 0 else "FALSE"
    who = "ann@x.example" if n % 2 else "bob@x.example"
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\n"
        f"UID:e{n}\r\nDTSTART:20270101T100000Z\r\nSUMMARY:{summary or f'Event {n}'}\r\n"
        f"ORGANIZER:mailto:{who}\r\nX-ZOOM-MEETING:{zoom}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    return ItemDraft(f"e{n}", f"e{n}", "1", text, "VEVENT", 0, 1)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=10_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "db.sqlite3")
        user = store.create_user("ann", "ann@x.example")
        conn = store.create_connection(user.id, "graph", "ann@x.example", "{}", None)
        cal = store.upsert_collection(
            user.id, conn.id, CollectionKind.CALENDAR, "c", "Calendar", None, False, None
        )
        store.apply_pull(cal.id, [_event(n) for n in range(args.events)], (), "c", True, 0.0)
        store.set_meeting_views(user.id, {ZOOM, HOSTED})
        engine = SyncEngine(store, lambda _c: None, SyncSettings())  # type: ignore[arg-type,return-value]
        views = MeetingViews(engine)

        def build() -> float:
            t = time.perf_counter()
            for view in views.ensure(user.id):
                views.rebuild(view)
            return (time.perf_counter() - t) * 1000

        first = build()
        idle = sorted(build() for _ in range(20))[10]
        store.apply_pull(cal.id, [_event(10, "moved")], (), "c2", False, 0.0)
        one = build()
        sizes = [len(store.items(c.id)) for c in views.ensure(user.id)]
        print(
            f"{args.events:,} events; views hold {sizes[0]:,} Zoom meetings and {sizes[1]:,} hosted"
        )
        print(f"first build of both views {first:8.1f} ms")
        print(f"read, nothing changed     {idle:8.2f} ms (median of 20)")
        print(f"read after one change     {one:8.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
