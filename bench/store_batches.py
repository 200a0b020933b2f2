"""Store cost of a streamed first sync as the calendar grows (issue 14, point 1): N new
events stored through `Store.apply_pull` in batches of 2,000 with the old cursor (what
bridge/sync/stream.py does), process CPU per item at N/4 and at N in the same run. A batch
that re-read every row of the collection made the cost per item grow with N (quadratic in
all); flat means each batch reads only its own rows.

Not a test: prints figures. Usage: python bench/store_batches.py [--events 100000]
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
from bridge.store import ItemDraft, Store  # noqa: E402

BATCH = 2000


def _draft(n: int) -> ItemDraft:
    uid = f"bench-{n}"
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260105T100000Z\r\n"
        f"DTEND:20260105T110000Z\r\nSUMMARY:Event {n}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    return ItemDraft(uid, f"r{n}", "v1", text, "VEVENT", 1767607200, 1767610800)


def per_item(events: int) -> float:
    """µs of process CPU per item for `events` new events in batches of BATCH."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.sqlite3")
        user = store.create_user("bench")
        conn = store.create_connection(user.id, "graph", "bench@contoso.example", "{}", b"x")
        coll = store.upsert_collection(
            user.id, conn.id, CollectionKind.CALENDAR, "c", "Bench", None, False, None
        )
        began = time.process_time()
        for start in range(0, events, BATCH):
            drafts = [_draft(n) for n in range(start, min(start + BATCH, events))]
            store.apply_pull(coll.id, drafts, [], None, False, None)
        spent = time.process_time() - began
        store.close()
    return spent / events * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    small, big = per_item(args.events // 4), per_item(args.events)
    print(f"store-cpu-per-item {args.events // 4} {small:.0f} µs")
    print(f"store-cpu-per-item {args.events} {big:.0f} µs")
    print(f"store-growth-4x {big / small:.2f}  (flat = 1.0; every row read per batch grows it)")


if __name__ == "__main__":
    main()
