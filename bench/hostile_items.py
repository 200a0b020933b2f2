"""Hostile-item benchmark (issue 9): how long one provider item takes to enter the mirror when
it is built to be expensive — a 10 MB DESCRIPTION of several shapes, a contact with 4,000 and
10,000 TEL lines — against an ordinary event and contact in the same run.

Times are process CPU seconds, best of --repeat runs, of exactly what a pull does per item:
`draft_from_remote` (limits, enrichment, time range) for events and `draft_from_contact` plus
the store's transaction (phone index) for contacts, with the default `[limits]`. Not a test:
prints figures and writes bench/results/hostile_items.json.

Usage: python bench/hostile_items.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bridge.ical.limits import ItemLimits  # noqa: E402
from bridge.joinlinks.content import escape_text, fold  # noqa: E402
from bridge.model import CollectionKind, RemoteItem  # noqa: E402
from bridge.settings import LimitsSettings  # noqa: E402
from bridge.store import Store  # noqa: E402
from bridge.sync.items import draft_from_contact, draft_from_remote  # noqa: E402

MB10 = 10_000_000
DESCRIPTIONS: dict[str, str] = {
    "ordinary (2 KB, one Zoom invitation)": (
        "Join Zoom Meeting\nhttps://zoom.us/j/85512345678?pwd=abc\n\nMeeting ID: 855 1234 5678\n"
        "Passcode: 123456\n\nOne tap mobile\n+16465588656,,85512345678#,,,,*123456# US\n" * 12
    ),
    "10 MB unbroken string": "a" * MB10,
    "10 MB of repeated zak=": "zak=" * (MB10 // 4),
    "10 MB of invitations and links": (
        "Join https://zoom.us/j/85512345678?pwd=abc Meeting ID: 855 1234 5678, Passcode: 1; "
        * (MB10 // 80)
    ),
    "10 MB of escapes and accents": "é\\;," * (MB10 // 4),
    "10 MB of '<'": "<" * MB10,
}


def _event(description: str) -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//b//b//EN\r\nBEGIN:VEVENT\r\nUID:u\r\n"
        "DTSTART:20260101T100000Z\r\nDTEND:20260101T110000Z\r\nSUMMARY:x\r\n"
        f"{fold('DESCRIPTION:' + escape_text(description))}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def _card(tels: int) -> str:
    lines = "".join(f"TEL;TYPE=CELL:+49 30 {i:08d}\r\n" for i in range(tels))
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:c\r\nFN:Many Numbers\r\n{lines}END:VCARD\r\n"


def best_of(repeat: int, run: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeat):
        began = time.process_time()
        run()
        best = min(best, time.process_time() - began)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    limits = LimitsSettings()
    item_limits = ItemLimits(
        limits.description_chars, limits.attendees_per_event, limits.components_per_resource
    )
    results: dict[str, float] = {}
    print("event enrichment (draft_from_remote), CPU seconds, best of", args.repeat)
    for name, description in DESCRIPTIONS.items():
        item = RemoteItem("r", "v", "u", _event(description))

        def enrich(item: RemoteItem = item) -> None:
            draft_from_remote(item, ["a@b.example"], None, item_limits)

        seconds = best_of(args.repeat, enrich)
        results[f"event: {name}"] = seconds
        print(f"  {name:40} {seconds:7.3f} s")
    print("contact indexing (draft + store transaction)")
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "b.sqlite3")
        user = store.create_user("bench")
        conn = store.create_connection(user.id, "graph", "b@b.example", "{}", None)
        book = store.upsert_collection(
            user.id, conn.id, CollectionKind.ADDRESSBOOK, "book", "Book", None, False, None
        )
        for cap in (limits.tels_per_contact, None):
            label = f"tels_per_contact = {cap}" if cap else "every TEL indexed"
            for tels in (3, 4_000, 10_000):
                item = RemoteItem(f"c{tels}", "v", "c", _card(tels))

                def pull(item: RemoteItem = item, cap: int | None = cap) -> None:
                    draft = draft_from_contact(item, "DE", None, cap)
                    store.apply_pull(book.id, [draft], (), None, True, time.time(), ".vcf")

                seconds = best_of(args.repeat, pull)
                results[f"contact: {tels} TELs, {label}"] = seconds
                print(f"  {tels:>6} TEL lines, {label:24} {seconds:10.3f} s")
        store.close()
    out = ROOT / "bench" / "results" / "hostile_items.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
