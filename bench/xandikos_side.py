"""Xandikos (PyPI `xandikos`) for the serving benchmark: the same .ics files in its own store.

Creates a calendar collection with `xandikos create-collection` (a git working tree with a
`.xandikos` file, Xandikos' TreeGitStore), writes the items as one .ics file each, commits them
with the git command line (one commit instead of one per PUT), then runs `xandikos serve` as a
subprocess on 127.0.0.1 without authentication and stops it again.
Must not import the bridge: the baseline has to stay stock.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import requests
from stock_radicale import IcsFile, free_port, proc_status_kib

COLLECTION = "user/calendars/bench"


def _xandikos() -> str:
    found = Path(sys.executable).with_name("xandikos")
    if found.exists():
        return str(found)
    on_path = shutil.which("xandikos")
    if on_path is None:
        raise RuntimeError("xandikos is not installed: pip install xandikos (or '.[bench]')")
    return on_path


def write_collection(root: Path, files: Iterable[IcsFile], display_name: str) -> int:
    """A Xandikos calendar holding `files`, committed; returns the file count."""
    (root / COLLECTION).parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [_xandikos(), "create-collection", "-d", str(root), "--type", "calendar"]
        + ["--name", COLLECTION, "--displayname", display_name],
        check=True,
        capture_output=True,
    )
    folder = root / COLLECTION
    count = 0
    for item in files:
        with open(folder / item.href, "w", encoding="utf-8", newline="") as fh:
            fh.write(item.text)
        count += 1
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@localhost",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@localhost",
    }
    subprocess.run(["git", "add", "-A"], cwd=folder, check=True, env=env, capture_output=True)
    subprocess.run(
        ["git", "commit", "-q", "-m", "bench items"],
        cwd=folder,
        check=True,
        env=env,
        capture_output=True,
    )
    return count


class Xandikos:
    """A `xandikos serve` subprocess on `root`; use as a context manager."""

    def __init__(self, root: Path, host: str = "127.0.0.1") -> None:
        self.root = root
        self.host = host
        self.port = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._log = root.parent / "xandikos.log"

    @property
    def collection_url(self) -> str:
        return f"http://{self.host}:{self.port}/{COLLECTION}/"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def start(self, timeout_s: float = 60.0) -> Xandikos:
        self.port = free_port(self.host)
        with open(self._log, "wb") as log:
            self._proc = subprocess.Popen(
                [_xandikos(), "serve", "-d", str(self.root), "-l", self.host]
                + ["-p", str(self.port), "--state-dir", str(self.root.parent / "xstate")],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(
                    f"xandikos exited with {self._proc.returncode}: "
                    f"{self._log.read_text(errors='replace')[-2000:]}"
                )
            try:
                requests.request("OPTIONS", self.collection_url, timeout=2)
                return self
            except requests.ConnectionError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"xandikos did not listen within {timeout_s:.0f}s")

    def peak_rss_kib(self) -> int | None:
        return proc_status_kib(self.pid, "VmHWM") if self.pid else None

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def __enter__(self) -> Xandikos:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
