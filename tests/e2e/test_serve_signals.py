"""`davbridge serve` stops on SIGTERM whichever of its threads the kernel hands the signal to
(issue 17, rolling restarts). Python runs signal handlers in the main thread only; a process-
directed SIGTERM may be delivered to any thread, and a main thread blocked in an untimed wait
was then never woken: the process kept serving and a rolling restart hung (seen at the end of
the rolling-restart runs). Here the signal is sent to one chosen thread that is not the main
one (tgkill), which is what the kernel may do on its own."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bridge.entry.demo_workers import davbridge_command, free_port
from tests.e2e.conftest import wait_for

TGKILL = {"x86_64": 234, "aarch64": 131}  # syscall numbers (Linux asm/unistd.h)


def tgkill(pid: int, tid: int, sig: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.syscall(TGKILL[os.uname().machine], pid, tid, sig) != 0:
        raise OSError(ctypes.get_errno(), "tgkill")


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    port = free_port("127.0.0.1")
    config = tmp_path / "davbridge.toml"
    config.write_text(f'[server]\nport = {port}\n[store]\ndata_dir = "{tmp_path / "data"}"\n')
    env = {**os.environ, "DAVBRIDGE_PORTAL_PORT": "0", "DAVBRIDGE_PORTAL_HOST": "127.0.0.1"}
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [*davbridge_command(), "serve", "--config", str(config)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )

    def waiting() -> bool:
        """Started, and its main thread waiting for the stop: the last line it prints before
        that wait is the portal's address (on stdout, unlike the JSON log lines)."""
        return b"\nweb portal on http" in (tmp_path / "serve.log").read_bytes()

    try:
        wait_for(waiting, timeout=60)
        assert requests.get(f"http://127.0.0.1:{port}/health", timeout=30).ok
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        log.close()


def test_a_sigterm_delivered_to_another_thread_stops_the_server(
    serving: subprocess.Popen[bytes],
) -> None:
    threads = sorted(int(t) for t in os.listdir(f"/proc/{serving.pid}/task"))
    other = next(t for t in threads if t != serving.pid)  # not the main thread
    tgkill(serving.pid, other, signal.SIGTERM)
    assert serving.wait(timeout=60) == 0
