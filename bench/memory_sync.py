"""Memory benchmark on a mirror filled by a real sync (issue 14, points 3 and 4). Not a test.

Run from the repository root:
    python bench/memory_sync.py                       # 100,000 events + 100,000 contacts
    python bench/memory_sync.py --events 20000 --contacts 20000 --passes 3

1. A bridge process of its own (this file with --child): `bridge.entry.demo.Demo` with the
   Microsoft 365 sandbox only (the sandbox in its own process, as under `davbridge demo`),
   a "Bulk" calendar of N events (`--bulk-events`), synced by the bridge's first sync; then M
   contacts are added to the sandbox's default contact folder (its control API) and synced
   by the bridge's own refresh (Graph contacts delta).
2. This process then runs `--passes` identical passes over HTTP, each: PROPFIND Depth 1 of the
   bulk calendar and of the address book, then calendar-/addressbook-multiget of every href
   in chunks of `--chunk` (default 50,000) hrefs. Answers are read in 64 kB pieces and never
   kept (gzip asked, as clients do).
3. It prints the bridge process's RSS: the peak of the sync (and that of the processes below
   it: the first sync's worker process and its fork server, bridge/offload.py), then per pass the RSS before,
   the peak (VmHWM, reset through /proc/<pid>/clear_refs before the pass) and after, and per
   multiget chunk `multiget-rss-delta <items> <MiB>` (its peak minus the RSS before it).
   Targets: every pass's peak < 300 MB and no growth from pass to pass; a 50,000-item
   multiget adds < 50 MB.
Must not change the code it measures.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
from procs import workers

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR.parent) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR.parent))

MIB = 1024 * 1024
PROPFIND = (
    '<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:"><d:prop>'
    "<d:getetag/></d:prop></d:propfind>"
)
MULTIGET = {
    "calendar": (
        '<?xml version="1.0" encoding="utf-8"?><c:calendar-multiget xmlns:d="DAV:" '
        'xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/><c:calendar-data/>'
        "</d:prop>{hrefs}</c:calendar-multiget>"
    ),
    "addressbook": (
        '<?xml version="1.0" encoding="utf-8"?><c:addressbook-multiget xmlns:d="DAV:" '
        'xmlns:c="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/><c:address-data/>'
        "</d:prop>{hrefs}</c:addressbook-multiget>"
    ),
}
FIRST = ["Max", "Erika", "Jonas", "Lea", "Paul", "Mia", "Ben", "Emma", "Noah", "Sofia"]
LAST = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker"]


def _say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM to the current RSS


def contact_body(n: int) -> dict[str, Any]:
    first, last = FIRST[n % len(FIRST)], LAST[(n // len(FIRST)) % len(LAST)]
    return {
        "givenName": first,
        "surname": f"{last} {n}",
        "displayName": f"{first} {last} {n}",
        "companyName": f"Company {n % 997}",
        "emailAddresses": [{"address": f"person{n}@example.com", "name": f"{first} {last}"}],
        "businessPhones": [f"+49 30 {1000000 + n}"],
        "mobilePhone": f"+49 151 {2000000 + n}",
    }


# -- the bridge process -----------------------------------------------------------------------
def child(job: dict[str, Any]) -> int:
    from bridge.entry.allocator import tune
    from bridge.entry.demo import Demo
    from bridge.model import CollectionKind, ProviderKind

    tune()  # the allocator settings `davbridge` itself applies before any thread starts
    logging.basicConfig(level=logging.WARNING)
    demo = Demo(
        Path(job["workdir"]),
        host="127.0.0.1",
        port=0,
        refresh_interval_s=3600.0,
        bulk_events=job["events"],
        background=False,
        providers=(ProviderKind.GRAPH,),
    )
    began = time.perf_counter()
    info = demo.start()
    events_s = time.perf_counter() - began
    try:
        assert demo.bridge is not None and info.sandboxes.graph is not None
        store, engine = demo.bridge.store, demo.bridge.engine
        graph = info.sandboxes.graph
        if job["contacts"]:  # the contacts pull fetches each contact's photo: lift the throttle
            requests.post(
                graph.control_url + "/throttle",
                json={"max_requests": 10**9, "max_concurrent": 1000},
                verify=graph.ca_file,
                timeout=60,
            ).raise_for_status()
        for start in range(0, job["contacts"], 5000):  # none when resuming
            bodies = [contact_body(n) for n in range(start, min(job["contacts"], start + 5000))]
            r = requests.post(
                graph.control_url + "/contacts/folders/contacts/bulk",
                json={"contacts": bodies},
                verify=graph.ca_file,
                timeout=600,
            )
            r.raise_for_status()
        books = [c for c in store.collections() if c.kind is CollectionKind.ADDRESSBOOK]
        book = next(c for c in books if c.display_name.startswith("Contacts"))
        began = time.perf_counter()
        if job["contacts"]:
            outcome = engine.refresh(book.id)
            if outcome is None:
                raise RuntimeError("the contacts sync did not complete (see the log)")
        contacts_s = time.perf_counter() - began
        calendar = max(  # the bulk calendar
            (c for c in store.collections() if c.kind is CollectionKind.CALENDAR),
            key=lambda c: sum(1 for _ in store.item_listing(c.id)),
        )
        base = f"{info.dav_url}{info.username}/"
        ready = {
            "pid": __import__("os").getpid(),
            "auth": [info.username, info.password],
            "collections": [
                [
                    "calendar",
                    base + calendar.name + "/",
                    sum(1 for _ in store.item_listing(calendar.id)),
                ],
                [
                    "addressbook",
                    base + book.name + "/",
                    sum(1 for _ in store.item_listing(book.id)),
                ],
            ],
            "events_sync_s": events_s,
            "contacts_sync_s": contacts_s,
        }
        print(json.dumps(ready), flush=True)
        sys.stdin.readline()  # serve until told to stop
    finally:
        demo.stop()
    return 0


# -- the client side --------------------------------------------------------------------------
def _read(response: requests.Response, keep: bool) -> tuple[int, int, bytes]:
    """(responses, bytes) of a multistatus read piece by piece; the body only if `keep`."""
    count = size = 0
    tail = b""
    kept: list[bytes] = []
    for piece in response.iter_content(64 * 1024):
        size += len(piece)
        joined = tail + piece
        count += joined.count(b"</response>") - tail.count(b"</response>")
        tail = joined[-16:]
        if keep:
            kept.append(piece)
    return count, size, b"".join(kept)


def request(session: requests.Session, method: str, url: str, body: str, keep: bool = False):  # type: ignore[no-untyped-def]
    r = session.request(
        method,
        url,
        data=body.encode("utf-8"),
        headers={"Depth": "1", "Content-Type": "application/xml; charset=utf-8"},
        stream=True,
        timeout=3600,
    )
    if r.status_code != 207:
        raise RuntimeError(f"{method} {url}: HTTP {r.status_code} {r.text[:300]}")
    return _read(r, keep)


def start_bridge(job: dict[str, Any]) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(json.dumps(job).encode() + b"\n")
    proc.stdin.flush()
    line = proc.stdout.readline()
    if not line:
        proc.wait()
        raise RuntimeError(f"the bridge process exited with {proc.returncode}")
    return proc, json.loads(line)


def stop_bridge(proc: subprocess.Popen[bytes]) -> None:
    assert proc.stdin is not None
    proc.stdin.write(b"stop\n")
    proc.stdin.flush()
    proc.wait(timeout=600)


def passes(ready: dict[str, Any], args: argparse.Namespace, label: str) -> list[dict[str, Any]]:
    pid = ready["pid"]
    print(
        f"{label}: bridge RSS {status_kib(pid, 'VmRSS') / 1024:.0f} MiB, peak so far "
        f"{status_kib(pid, 'VmHWM') / 1024:.0f} MiB; collections "
        f"{[(k, n) for k, _, n in ready['collections']]}",
        flush=True,
    )
    session = requests.Session()
    session.auth = tuple(ready["auth"])
    hrefs: dict[str, list[str]] = {}
    rows: list[dict[str, Any]] = []
    for n in range(1, args.passes + 1):
        before = status_kib(pid, "VmRSS")
        reset_peak(pid)
        began = time.perf_counter()
        deltas = []
        peak = before
        for kind, url, items in ready["collections"]:
            count, size, body = request(session, "PROPFIND", url, PROPFIND, keep=n == 1)
            peak = max(peak, status_kib(pid, "VmHWM"))
            if n == 1:
                path = requests.utils.urlparse(url).path
                found = re.findall(rb"<href>([^<]+)</href>", body)
                hrefs[url] = [h.decode() for h in found if h.decode() != path]
                del body
            if count - 1 != items:
                print(f"CHECK FAILED: PROPFIND {kind} listed {count - 1}, expected {items}")
            got = 0
            for start in range(0, len(hrefs[url]), args.chunk):
                chunk = hrefs[url][start : start + args.chunk]
                body_text = MULTIGET[kind].format(
                    hrefs="".join(f"<d:href>{h}</d:href>" for h in chunk)
                )
                rss0 = status_kib(pid, "VmRSS")
                reset_peak(pid)
                count, size, _ = request(session, "REPORT", url, body_text)
                top = status_kib(pid, "VmHWM")
                peak = max(peak, top)
                delta = (top - rss0) / 1024
                deltas.append(delta)
                print(
                    f"multiget-rss-delta {label} pass {n} {kind} {len(chunk)} items "
                    f"{size / MIB:.0f} MiB answer: {delta:.1f} MiB",
                    flush=True,
                )
                got += count
            if got != items:
                print(f"CHECK FAILED: multiget {kind} answered {got}, expected {items}")
        after = status_kib(pid, "VmRSS")
        row = {
            "pass": n,
            "rss_before_mib": before / 1024,
            "peak_mib": peak / 1024,
            "rss_after_mib": after / 1024,
            "seconds": time.perf_counter() - began,
            "multiget_deltas_mib": deltas,
        }
        rows.append(row)
        print(
            f"{label} pass {n}: RSS before {row['rss_before_mib']:.0f} MiB, peak "
            f"{row['peak_mib']:.0f} MiB, after {row['rss_after_mib']:.0f} MiB "
            f"({row['seconds']:.0f} s)",
            flush=True,
        )
    peaks = " / ".join(f"{r['peak_mib']:.0f}" for r in rows)
    print(f"{label}: peak RSS per pass (MiB): {peaks}; target < 286 MiB (300 MB), flat")
    return rows


def run(args: argparse.Namespace, workdir: Path) -> int:
    job = {"workdir": str(workdir), "events": args.events, "contacts": args.contacts}
    _say(f"bridge process: syncing {args.events} events and {args.contacts} contacts …")
    proc, ready = start_bridge(job)
    try:
        print(
            f"sync: events {ready['events_sync_s']:.0f} s, contacts "
            f"{ready['contacts_sync_s']:.0f} s; peak RSS of the sync "
            f"{status_kib(ready['pid'], 'VmHWM') / 1024:.0f} MiB",
            flush=True,
        )
        for child in workers(ready["pid"]):
            print(
                f"sync: process {child} below the bridge (worker / fork server): peak RSS "
                f"{status_kib(child, 'VmHWM') / 1024:.0f} MiB",
                flush=True,
            )
        synced = passes(ready, args, "after-sync")
    finally:
        stop_bridge(proc)
    restarted: list[dict[str, Any]] = []
    if args.restart:
        _say("bridge process restarted on the same data …")
        proc, again = start_bridge({**job, "contacts": 0, "resume": True})
        try:
            restarted = passes(again, args, "restarted")
        finally:
            stop_bridge(proc)
    print(f"results: {json.dumps({'sync': ready, 'synced': synced, 'restarted': restarted})}")
    return 0


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if argv == ["--child"]:
        return child(json.loads(sys.stdin.readline()))
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--events", type=int, default=100_000)
    p.add_argument("--contacts", type=int, default=100_000)
    p.add_argument("--passes", type=int, default=3)
    p.add_argument("--chunk", type=int, default=50_000, help="hrefs per multiget (50000)")
    p.add_argument(
        "--no-restart",
        dest="restart",
        action="store_false",
        help="skip the second series: a bridge process restarted on the synced mirror",
    )
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="davbridge-memory-") as workdir:
        return run(args, Path(workdir))


if __name__ == "__main__":
    sys.exit(main())
