"""Where the bridge spends a DAV request: cProfile of the benchmark's three operations.

Run from the repository root:  python bench/profile_bridge.py [--events 10000] [--top 40]

Starts the same in-process demo stack as bench/serving.py, then calls the bridge's WSGI
application directly (no socket, no waitress: only the DAV handling and the mirror are
profiled) once untimed and once under cProfile for each operation. Prints the top
functions by cumulative time and writes the full listing to bench/results/profile-<op>.txt.
A tool for finding hot spots, not a measurement to compare: profiling slows Python down.
Must not change the code it profiles.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import io
import pstats
import shutil
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR.parent) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR.parent))

from bridge_side import BridgeUnderTest  # noqa: E402
from dav_client import PROPFIND_BODY, multiget_body, sync_body  # noqa: E402

from radicale_plugins.app import make_wsgi  # noqa: E402

RESULTS_DIR = BENCH_DIR / "results"

WsgiCall = Callable[[str, str, str], tuple[str, bytes]]


def wsgi_caller(app: Any, path: str, username: str, password: str) -> WsgiCall:
    """A function making one DAV request to `app` in this thread: (status, body)."""
    credentials = base64.b64encode(f"{username}:{password}".encode()).decode()

    def call(method: str, body: str, depth: str) -> tuple[str, bytes]:
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
            "HTTP_AUTHORIZATION": f"Basic {credentials}",
            "REMOTE_ADDR": "127.0.0.1",
        }
        statuses: list[str] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: object = None
        ) -> None:
            statuses.append(status)

        answer = b"".join(app(environ, start_response))
        return statuses[0], answer

    return call


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--events", type=int, default=10_000)
    p.add_argument("--top", type=int, default=40, help="functions printed per operation")
    args = p.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="davbridge-profile-"))
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    try:
        with BridgeUnderTest(workdir / "demo", args.events, 3600.0) as under_test:
            under_test.start()
            info = under_test.info
            assert info is not None
            coll = under_test.largest_calendar()
            path = f"/{info.username}/{coll.name}/"
            hrefs = [path + r.href for r in under_test.bridge.store.items(coll.id)]
            call = wsgi_caller(
                make_wsgi(under_test.bridge.settings.server.max_content_length),
                path,
                info.username,
                info.password,
            )
            _, initial = call("REPORT", sync_body(""), "0")
            token = ET.fromstring(initial).findtext("{DAV:}sync-token") or ""
            operations = {
                "propfind": ("PROPFIND", PROPFIND_BODY, "1"),
                "multiget": ("REPORT", multiget_body(hrefs), "1"),
                "sync": ("REPORT", sync_body(token), "0"),
            }
            under_test.settle()
            for name, (method, body, depth) in operations.items():
                began = time.perf_counter()
                status, answer = call(method, body, depth)
                plain = time.perf_counter() - began
                profile = cProfile.Profile()
                profile.enable()
                call(method, body, depth)
                profile.disable()
                full = io.StringIO()
                pstats.Stats(profile, stream=full).sort_stats("cumulative").print_stats()
                (RESULTS_DIR / f"profile-{name}.txt").write_text(full.getvalue())
                top = io.StringIO()
                pstats.Stats(profile, stream=top).sort_stats("cumulative").print_stats(args.top)
                print(
                    f"== {name}: {status}, {len(answer)} bytes, {plain * 1000:.0f} ms unprofiled "
                    f"(direct WSGI call, {len(hrefs)} items)"
                )
                print(top.getvalue())
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"full listings in {RESULTS_DIR}/profile-*.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
