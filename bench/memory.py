"""Memory of the bulk DAV answers: peak RSS of PROPFIND Depth 1 + calendar-multiget of every
item, three identical passes over one large mirrored calendar (issue 14 point 3).

Run from the repository root:  python bench/memory.py [--events 50000] [--passes 3]

The mirror is filled directly through the store (no provider, no sync: what is measured is
the serving side alone), with events of about 1.8 kB each, so 50,000 events make a ~90 MB
multiget answer. The bridge's WSGI application is called in this process, and each answer is
consumed chunk by chunk as a server writing to a socket would (never joined), so the figures
are what serving costs. With --http the requests go through waitress as the
server runs it (bridge.serve), from a client process of its own asking for gzip. Per pass it
prints the RSS before, the peak RSS during the pass
(`VmHWM` after resetting it through /proc/self/clear_refs) and the multiget's RSS delta (its
peak minus the RSS before it). A flat series of peaks across passes means nothing grows.
A benchmark, not a test: it never fails on a figure. Must not change the code it measures.
"""

from __future__ import annotations

import argparse
import base64
import gc
import io
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR.parent) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR.parent))

from dav_client import PROPFIND_BODY, multiget_body  # noqa: E402

from bridge import api  # noqa: E402
from bridge.model import CollectionKind  # noqa: E402
from bridge.serve import HttpServer  # noqa: E402
from bridge.settings import Settings  # noqa: E402
from bridge.store.sqlite import ItemDraft  # noqa: E402
from radicale_plugins.app import make_wsgi  # noqa: E402

_FILLER = "Agenda: " + "review the quarterly figures, " * 40


def _event(i: int) -> str:
    day = 1 + i % 28
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davbridge bench//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:bench-{i:06d}@example.org\r\nDTSTAMP:20260101T000000Z\r\n"
        f"DTSTART:202607{day:02d}T090000Z\r\nDTEND:202607{day:02d}T100000Z\r\n"
        f"SUMMARY:Meeting {i} <&> planning\r\nDESCRIPTION:{_FILLER}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def _kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def rss_mib() -> float:
    return _kib("VmRSS") / 1024


def reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def peak_mib() -> float:
    return _kib("VmHWM") / 1024


def seed(bridge: api.Bridge, events: int) -> tuple[str, str, list[str]]:
    """A user with one calendar of `events` events: (user, password, collection path)."""
    user = bridge.ensure_user("bench")
    password = bridge.new_app_password(user, "bench")
    conn = bridge.store.create_connection(user.id, "graph", "bench@example.org", "{}", None)
    coll = bridge.store.upsert_collection(
        user.id, conn.id, CollectionKind.CALENDAR, "Bulk", "Bulk", None, False, None
    )
    batch: list[ItemDraft] = []
    for i in range(events):
        start = 1_782_896_400 + (i % 28) * 86_400
        batch.append(
            ItemDraft(
                f"bench-{i:06d}@example.org", f"r{i}", "1", _event(i), "VEVENT", start, start + 3600
            )
        )
        if len(batch) == 5000 or i == events - 1:
            bridge.store.apply_pull(coll.id, batch, (), None, i < 5000, time.time())
            batch = []
    hrefs = [r.href for r in bridge.store.items(coll.id)]
    return password, f"/bench/{coll.name}/", hrefs


def call(app: Any, method: str, path: str, body: str, depth: str, auth: str) -> tuple[str, int]:
    """One request; the answer is consumed chunk by chunk and only counted."""
    data = body.encode("utf-8")
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(data),
        "wsgi.errors": sys.stderr,
        "CONTENT_LENGTH": str(len(data)),
        "CONTENT_TYPE": "application/xml; charset=utf-8",
        "HTTP_DEPTH": depth,
        "HTTP_AUTHORIZATION": f"Basic {auth}",
        "REMOTE_ADDR": "127.0.0.1",
    }
    seen: list[str] = []
    answer: Iterable[bytes] = app(environ, lambda status, headers, *_: seen.append(status))
    size = 0
    try:
        for chunk in answer:
            size += len(chunk)
    finally:
        close = getattr(answer, "close", None)
        if close is not None:
            close()
    del answer
    return seen[0], size


_CLIENT = """
import json, sys, requests
job = json.load(sys.stdin)
r = requests.request(job["method"], job["url"], data=job["body"].encode(), stream=True,
    headers={"Depth": job["depth"], "Authorization": "Basic " + job["auth"],
             "Content-Type": "application/xml; charset=utf-8", "Accept-Encoding": "gzip"})
size = sum(len(c) for c in r.iter_content(65536))
print(json.dumps([f"{r.status_code} {r.reason}", size]))
"""


def call_http(
    url: str, method: str, path: str, body: str, depth: str, auth: str
) -> tuple[str, int]:
    """One request from a client process of its own (reads the answer as it arrives)."""
    job = {
        "method": method,
        "url": url.rstrip("/") + path,
        "body": body,
        "depth": depth,
        "auth": auth,
    }
    done = subprocess.run(
        [sys.executable, "-c", _CLIENT],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        check=True,
    )
    status, size = json.loads(done.stdout)
    return str(status), int(size)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--events", type=int, default=50_000)
    p.add_argument("--passes", type=int, default=3)
    p.add_argument(
        "--http",
        action="store_true",
        help="through waitress on 127.0.0.1 (gzip asked), the client in its own process",
    )
    args = p.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="davbridge-memory-"))
    settings = Settings().replace("store", data_dir=str(workdir)).replace("sync", background=False)
    bridge = api.Bridge(settings)
    api.install(bridge)
    try:
        began = time.perf_counter()
        password, path, names = seed(bridge, args.events)
        print(f"seeded {len(names)} events in {time.perf_counter() - began:.0f} s")
        app = make_wsgi(settings.server.max_content_length * 4)
        server = HttpServer(bridge, "127.0.0.1", 0).start() if args.http else None

        def request(method: str, body: str, depth: str) -> tuple[str, int]:
            if server is not None:
                return call_http(server.url, method, path, body, depth, auth)
            return call(app, method, path, body, depth, auth)

        auth = base64.b64encode(f"bench:{password}".encode()).decode()
        multiget = multiget_body([path + n for n in names])
        del names
        gc.collect()
        print(f"rss before the passes: {rss_mib():.0f} MiB")
        for n in range(1, args.passes + 1):
            gc.collect()
            before = rss_mib()
            reset_peak()
            status, size = request("PROPFIND", PROPFIND_BODY, "1")
            propfind_peak = peak_mib()
            gc.collect()
            before_multiget = rss_mib()
            reset_peak()
            status2, size2 = request("REPORT", multiget, "1")
            multiget_peak = peak_mib()
            gc.collect()
            print(
                f"pass {n}: rss before {before:.0f} MiB, peak {max(propfind_peak, multiget_peak):.0f}"
                f" MiB (propfind {status.split()[0]} {size / 1e6:.1f} MB, peak {propfind_peak:.0f}"
                f" MiB; multiget {status2.split()[0]} {size2 / 1e6:.1f} MB, peak"
                f" {multiget_peak:.0f} MiB), rss after {rss_mib():.0f} MiB"
            )
            print(f"multiget-rss-delta pass {n} {multiget_peak - before_multiget:.0f} MiB")
        if server is not None:
            server.stop()
    finally:
        api.install(None)
        bridge.close()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
