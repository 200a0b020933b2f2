"""The server process sets glibc's malloc up before its worker threads start (a fixed mmap
threshold, the trim threshold that goes with it and two arenas: the cause of its RSS
ratcheting up under load, bridge/entry/allocator.py), and an operator's own MALLOC_* setting
wins for that setting."""

from __future__ import annotations

import platform
import subprocess
import sys

PROBE = "from bridge.entry.allocator import tune; print(','.join(tune()))"


def applied(**env: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()
    return out.split(",") if out else []


def test_every_setting_is_applied_on_glibc() -> None:
    assert platform.libc_ver()[0] == "glibc"  # the image and this machine: Debian
    assert applied() == ["MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_ARENA_MAX"]


def test_an_explicit_setting_is_left_to_glibc() -> None:
    assert applied(MALLOC_ARENA_MAX="4") == ["MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"]
    assert applied(MALLOC_MMAP_THRESHOLD_="65536") == [
        "MALLOC_TRIM_THRESHOLD_",
        "MALLOC_ARENA_MAX",
    ]
    assert applied(MALLOC_TRIM_THRESHOLD_="131072") == [
        "MALLOC_MMAP_THRESHOLD_",
        "MALLOC_ARENA_MAX",
    ]
