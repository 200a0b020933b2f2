"""pytest plugin for vdirsyncer's storage suite: its `radicale` server fixture runs the
project's Radicale Docker image on 127.0.0.1:8001 (tests/storage/conftest.py,
`dockerised_server`); here stock Radicale (no authentication, as in that image) is started
on that port instead, and stopped after the session. Nothing else of the suite is touched.
Self-contained: it is copied beside the suite's sources and imported from there."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

PORT = "8001"


@contextlib.contextmanager
def stock_radicale(name: str, container_port: str, exposed_port: str) -> Iterator[str]:
    assert name == "radicale" and exposed_port == PORT, (name, exposed_port)
    url = f"http://127.0.0.1:{PORT}/"
    with tempfile.TemporaryDirectory() as folder:
        server = subprocess.Popen(
            [sys.executable, "-m", "radicale", "--server-hosts", f"127.0.0.1:{PORT}"]
            + ["--auth-type", "none", "--storage-filesystem-folder", folder],
        )
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(url, timeout=2)
                    break
                except urllib.error.HTTPError:
                    break
                except OSError:
                    time.sleep(0.1)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=30)


def pytest_plugin_registered(plugin: Any) -> None:
    if getattr(plugin, "__name__", "") == "tests.storage.conftest":
        plugin.dockerised_server = stock_radicale
