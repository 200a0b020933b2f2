"""caldav-server-tester against stock Radicale (issue 11): the baseline for the bridge's
tester grades, measured the same way — the same runner (tests/peer/run_caldav_server_tester.py,
its one guard included), one user — against the pinned Radicale of the peer environment
(`.peer-venv`, tests/peer/requirements.txt) with no authentication and an empty folder.

Starts and stops that server itself; changes nothing else.
"""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

from tests.peer.upstream import python


@contextlib.contextmanager
def stock_radicale(port: int) -> Iterator[str]:
    url = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryDirectory() as folder:
        server = subprocess.Popen(
            [str(python()), "-m", "radicale", "--server-hosts", f"127.0.0.1:{port}"]
            + ["--auth-type", "none", "--storage-filesystem-folder", folder],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(150):
                try:
                    urllib.request.urlopen(url, timeout=2).close()
                    break
                except urllib.error.HTTPError:
                    break
                except OSError:
                    time.sleep(0.2)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=30)


def report_against_stock_radicale(
    port: int, run: Callable[[Any], dict[str, Any]]
) -> dict[str, Any]:
    """The tester's JSON report on stock Radicale; `run` is the bridge's own run
    (tests/e2e/test_peer_tester.report_of_tester), given what it reads of a demo's info."""
    with stock_radicale(port) as url:
        return run(SimpleNamespace(dav_url=url, username="stock", password="any"))
