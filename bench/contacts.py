"""Caller-lookup benchmark (K4): a large address book in the bridge's mirror, numbers looked
up through `/lookup` and through CardDAV addressbook-query on TEL, against stock Radicale 3.9
answering the same addressbook-query over the same vCards from its own file storage, in the
same run.

The contacts go straight into the mirror (the lookup path reads only the mirror and its
E.164 index; how contacts arrive from providers is measured by bench/providers.py). Both
servers run on 127.0.0.1 and stop at the end. Not a test: prints figures and writes
bench/results/contacts.json.

Usage: python bench/contacts.py [--contacts 100000] [--lookups 300] [--radicale-queries 3]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.stock_radicale import StockRadicale, free_port, proc_status_kib  # noqa: E402
from bridge import api  # noqa: E402
from bridge.contacts.phones import phone_entries  # noqa: E402
from bridge.entry.serve import HttpServer  # noqa: E402
from bridge.model import CollectionKind  # noqa: E402
from bridge.settings import Settings  # noqa: E402
from bridge.store import ItemDraft  # noqa: E402

FIRST = [
    "Max",
    "Erika",
    "Jonas",
    "Lea",
    "Paul",
    "Mia",
    "Ben",
    "Emma",
    "Noah",
    "Sofia",
    "Liam",
    "Hanna",
    "Elias",
    "Lina",
    "Felix",
    "Clara",
    "Anna",
    "Tom",
    "Nora",
    "Jan",
]
LAST = [
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Koch",
    "Richter",
    "Klein",
    "Wolf",
    "Neumann",
    "Smith",
    "Jones",
]
ORGS = ["Contoso GmbH", "Fabrikam AG", "Northwind Traders", "Tailspin Toys", ""]


def vcard(n: int, rng: random.Random) -> tuple[str, list[str]]:
    """A contact with 1–3 numbers written the many ways people write them."""
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {n}"
    subscriber = 1_000_000 + n  # unique per contact
    numbers = [f"+49 30 {subscriber}"]
    if n % 2:
        numbers.append(f"0151 {20_000_000 + n}")
    if n % 3 == 0:
        numbers.append(f"+1 (646) 555-{n % 10_000:04d}")
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        "PRODID:-//davbridge bench//EN",
        f"UID:bench-{n}",
        f"FN:{name}",
        f"N:{name.split()[1]};{name.split()[0]};;;",
        f"ORG:{rng.choice(ORGS)}",
        f"EMAIL;TYPE=INTERNET,WORK:user{n}@example.com",
    ]
    kinds = ["WORK", "CELL", "WORK"]
    lines += [f"TEL;TYPE={kinds[i]}:{num}" for i, num in enumerate(numbers)]
    return "\r\n".join([*lines, "END:VCARD"]) + "\r\n", numbers


def build_mirror(data_dir: Path, count: int) -> tuple[api.Bridge, str, str, list[list[str]]]:
    settings = (
        Settings()
        .replace("store", data_dir=str(data_dir))
        .replace("sync", refresh_interval_s=1e9, background=False)
        .replace("contacts", default_region="DE")
    )
    bridge = api.Bridge(settings)
    api.install(bridge)
    user = bridge.ensure_user("bench")
    password = bridge.new_app_password(user, "bench")
    conn = bridge.store.create_connection(user.id, "graph", "bench@example.com", "{}", None)
    book = bridge.store.upsert_collection(
        user.id, conn.id, CollectionKind.ADDRESSBOOK, "book", "Contacts", None, False, None
    )
    rng = random.Random(7)
    numbers: list[list[str]] = []
    texts: list[str] = []
    batch: list[ItemDraft] = []
    for n in range(count):
        text, nums = vcard(n, rng)
        numbers.append(nums)
        texts.append(text)
        batch.append(
            ItemDraft(
                uid=f"bench-{n}",
                remote_id=f"r{n}",
                version="1",
                text=text,
                component="VCARD",
                start=-62135596800,
                end=253402300799,
                phones=phone_entries(text, "DE"),
            )
        )
        if len(batch) == 5000:
            bridge.store.apply_pull(book.id, batch, [], "c", False, time.time(), suffix=".vcf")
            batch = []
    if batch:
        bridge.store.apply_pull(book.id, batch, [], "c", False, time.time(), suffix=".vcf")
    (data_dir / "texts.json").write_text(json.dumps(texts))
    return bridge, password, book.name, numbers


def spellings(number: str) -> list[str]:
    """The same number as a caller ID, a user or a PBX might present it."""
    digits = "".join(c for c in number if c.isdigit())
    if number.startswith("+49"):
        national = "0" + digits[2:]
        return [number, national, "0049" + digits[2:], "+" + digits]
    if number.startswith("+1"):
        return [number, "+" + digits]
    return [number, "+49" + digits[1:]]


def query_body(text: str, match: str = "equals") -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?><C:addressbook-query xmlns:D="DAV:" '
        'xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/><C:address-data/>'
        f'</D:prop><C:filter><C:prop-filter name="TEL"><C:text-match match-type="{match}">'
        f"{text}</C:text-match></C:prop-filter></C:filter></C:addressbook-query>"
    )


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=300)
    parser.add_argument("--radicale-queries", type=int, default=3)
    args = parser.parse_args(argv)
    results: dict[str, Any] = {"contacts": args.contacts}
    with tempfile.TemporaryDirectory(prefix="davbridge-bench-contacts-") as tmp:
        tmpdir = Path(tmp)
        t0 = time.perf_counter()
        bridge, password, book, numbers = build_mirror(tmpdir / "bridge", args.contacts)
        results["mirror_fill_seconds"] = round(time.perf_counter() - t0, 1)
        server = HttpServer(bridge, "127.0.0.1", free_port()).start()
        session = requests.Session()
        session.auth = ("bench", password)
        rng = random.Random(11)
        sample = [rng.choice(numbers[rng.randrange(len(numbers))]) for _ in range(args.lookups)]
        try:
            # /lookup: client-observed and server-side (Server-Timing) latency
            client_ms, server_ms = [], []
            for number in sample:
                spelled = rng.choice(spellings(number))
                began = time.perf_counter()
                r = session.get(server.url + "lookup", params={"number": spelled})
                client_ms.append((time.perf_counter() - began) * 1000)
                assert r.status_code == 200, (spelled, r.status_code, r.text[:200])
                timing = r.headers.get("Server-Timing", "")
                if "dur=" in timing:
                    server_ms.append(float(timing.split("dur=")[1].split(";")[0].split(",")[0]))
            results["lookup"] = {
                "client_p50_ms": round(pct(client_ms, 50), 2),
                "client_p99_ms": round(pct(client_ms, 99), 2),
                "server_p50_ms": round(pct(server_ms, 50), 3) if server_ms else None,
                "server_p99_ms": round(pct(server_ms, 99), 3) if server_ms else None,
            }
            # addressbook-query on TEL through the bridge
            url = f"{server.url}bench/{book}/"
            query_ms = []
            for number in sample:
                began = time.perf_counter()
                r = session.request("REPORT", url, data=query_body(number), headers={"Depth": "1"})
                query_ms.append((time.perf_counter() - began) * 1000)
                assert r.status_code == 207 and "BEGIN:VCARD" in r.text, r.text[:300]
            results["addressbook_query_bridge"] = {
                "p50_ms": round(pct(query_ms, 50), 2),
                "p99_ms": round(pct(query_ms, 99), 2),
            }
            results["bridge_peak_rss_mib"] = round(
                (proc_status_kib("self", "VmHWM") or 0) / 1024, 1
            )
        finally:
            server.stop()
            bridge.close()
            api.install(None)
        # stock Radicale over the same vCards
        texts = json.loads((tmpdir / "bridge" / "texts.json").read_text())
        folder = tmpdir / "radicale" / "collections" / "collection-root" / "bench" / "book"
        folder.mkdir(parents=True)
        (folder / ".Radicale.props").write_text(json.dumps({"tag": "VADDRESSBOOK"}))
        for n, text in enumerate(texts):
            with open(folder / f"bench-{n}.vcf", "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
        with StockRadicale(tmpdir / "radicale") as radicale:
            rurl = radicale.url.rstrip("/") + "/bench/book/"
            began = time.perf_counter()
            r = requests.request(
                "REPORT",
                rurl,
                data=query_body(sample[0]),
                headers={"Depth": "1"},
                timeout=3600,
                auth=("bench", "x"),
            )
            results["radicale_first_query_seconds"] = round(time.perf_counter() - began, 1)
            assert r.status_code == 207, r.text[:300]
            rad_ms = []
            for number in sample[1 : 1 + args.radicale_queries]:
                began = time.perf_counter()
                r = requests.request(
                    "REPORT",
                    rurl,
                    data=query_body(number),
                    headers={"Depth": "1"},
                    timeout=3600,
                    auth=("bench", "x"),
                )
                rad_ms.append((time.perf_counter() - began) * 1000)
                assert r.status_code == 207 and "BEGIN:VCARD" in r.text, r.text[:300]
            results["addressbook_query_radicale"] = {
                "median_ms": round(statistics.median(rad_ms), 1),
                "queries": len(rad_ms),
            }
            results["radicale_peak_rss_mib"] = round((radicale.peak_rss_kib() or 0) / 1024, 1)
    bq, rq = results["addressbook_query_bridge"], results["addressbook_query_radicale"]
    results["addressbook_query_ratio"] = round(rq["median_ms"] / bq["p50_ms"], 1)
    lk = results["lookup"]
    print(
        f"\ncaller lookup — {args.contacts} contacts, {args.lookups} lookups in mixed spellings\n"
    )
    print(
        f"/lookup            client p50 {lk['client_p50_ms']} ms, p99 {lk['client_p99_ms']} ms; "
        f"server-side p50 {lk['server_p50_ms']} ms, p99 {lk['server_p99_ms']} ms (target < 5)"
    )
    print(
        f"addressbook-query  davbridge p50 {bq['p50_ms']} ms, p99 {bq['p99_ms']} ms; "
        f"stock Radicale median {rq['median_ms']} ms over {rq['queries']} warm queries "
        f"(first: {results['radicale_first_query_seconds']} s) -> "
        f"{results['addressbook_query_ratio']}x (target >= 50x)"
    )
    print(
        f"peak RSS           bench process (bridge + harness) {results['bridge_peak_rss_mib']} "
        f"MiB, stock Radicale {results['radicale_peak_rss_mib']} MiB"
    )
    out = ROOT / "bench" / "results" / "contacts.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"results written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
