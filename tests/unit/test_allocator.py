"""The server process caps glibc's malloc arenas before its worker threads start (the cause of
its RSS ratcheting up under load: bridge/allocator.py), and an operator's MALLOC_ARENA_MAX wins."""

from __future__ import annotations

import platform
import subprocess
import sys

PROBE = (
    "import os, sys; from bridge.allocator import limit_arenas; "
    "sys.exit(0 if limit_arenas() else 3)"
)


def probe(env_arenas: str | None) -> int:
    env = {"PATH": "/usr/bin:/bin"}
    if env_arenas is not None:
        env["MALLOC_ARENA_MAX"] = env_arenas
    return subprocess.run([sys.executable, "-c", PROBE], env=env, timeout=60).returncode


def test_arenas_are_capped_on_glibc() -> None:
    assert platform.libc_ver()[0] == "glibc"  # the image and this machine: Debian
    assert probe(None) == 0


def test_an_explicit_setting_is_left_to_glibc() -> None:
    assert probe("4") == 3
