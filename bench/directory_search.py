"""Directory search benchmark (K5): an organisation directory of N people in the mirror (the
sandbox generator's names, addresses and varied phone formats), searched the ways clients do —
by name (contains, starts-with), by email (equals) through the name index, and by number
(E.164 equals) through the phone index — timing each query at the store, where the
addressbook-query and /lookup answers spend their index time. Not a test: prints figures.

Usage: python bench/directory_search.py [--people 100000] [--queries 300]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bridge.contacts.phones import phone_entries, plan_query  # noqa: E402
from bridge.contacts.searchable import search_texts  # noqa: E402
from bridge.model import CollectionKind  # noqa: E402
from bridge.providers.common.directory import DirectoryPerson, directory_item  # noqa: E402
from bridge.store import ItemDraft, Store  # noqa: E402
from sandbox.directory_people import generate  # noqa: E402


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=300)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "db.sqlite3")
        user = store.create_user("bench", "bench@contoso.example")
        conn = store.create_connection(user.id, "graph", "bench@contoso.example", "{}", None)
        book = store.upsert_collection(
            user.id,
            conn.id,
            CollectionKind.ADDRESSBOOK,
            "@directory",
            "Directory",
            None,
            True,
            None,
        )
        people = generate("bench", "contoso.example", args.people)
        began = time.monotonic()
        drafts = []
        for p in people:
            phones = tuple((k, v) for k, v in (("work", p.office), ("mobile", p.mobile)) if v)
            item = directory_item(
                DirectoryPerson(p.id, p.display_name, p.given, p.family, (p.email,), phones)
            )
            drafts.append(
                ItemDraft(
                    item.uid,
                    item.remote_id,
                    item.version,
                    item.ical,
                    "VCARD",
                    0,
                    1,
                    phones=phone_entries(item.ical, "US"),
                    texts=search_texts(item.ical),
                )
            )
        store.apply_pull(book.id, drafts, (), "c", True, 0.0, suffix=".vcf")
        print(f"{len(people):,} people mirrored and indexed in {time.monotonic() - began:.1f} s")
        rng = random.Random(7)
        sample = [rng.choice(people) for _ in range(args.queries)]
        cases = {
            "name contains (family name)": lambda p: store.card_hrefs(
                book.id, ("FN",), p.family[1:6], "contains", 50
            ),
            "name starts-with (given name)": lambda p: store.card_hrefs(
                book.id, ("FN",), p.given[:3], "starts-with", 50
            ),
            "email equals": lambda p: store.card_hrefs(book.id, ("EMAIL",), p.email, "equals", 50),
            "number equals (E.164)": lambda p: store.phone_matches(
                user.id, exact=plan_query(p.office, "equals", "US").exact, limit=50
            ),
        }
        for label, run in cases.items():
            times = []
            for p in sample:
                t = time.perf_counter()
                found = run(p)
                times.append(time.perf_counter() - t)
                assert found or label.startswith("number"), (label, p)
            print(
                f"{label:32s} p50 {_p(times, 0.5):7.2f} ms   p99 {_p(times, 0.99):7.2f} ms   "
                f"({len(times)} queries)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
