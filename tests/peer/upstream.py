"""The public peer suites as their projects ship them (issue 11, point 6): python-caldav's
functional tests and vdirsyncer's storage tests come in their PyPI source distributions
(`tests/`), and run in a virtual environment of their own (`.peer-venv`, made on first use
with tests/peer/requirements.txt), so their test plugins (pytest-asyncio, …) never load in
davbridge's own suite.

Downloads with pip (the ordinary client) into `.peer-cache/`; changes no test file of either
suite — only what each suite reads as configuration is written (python-caldav's
`tests/caldav_test_servers.yaml`, a vdirsyncer server mixin under `tests/storage/servers/`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".peer-venv"
CACHE = ROOT / ".peer-cache"
REQUIREMENTS = Path(__file__).with_name("requirements.txt")


def python() -> Path:
    """The peer suites' interpreter, the environment made (or brought up to date) first."""
    exe = VENV / "bin" / "python"
    stamp = VENV / ".requirements"
    wanted = REQUIREMENTS.read_text()
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    if not stamp.exists() or stamp.read_text() != wanted:
        subprocess.run(
            [str(exe), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)], check=True
        )
        stamp.write_text(wanted)
    return exe


def pinned(name: str) -> str:
    """The version requirements.txt pins for `name`."""
    for line in REQUIREMENTS.read_text().splitlines():
        if line.split("==")[0].strip().lower() == name:
            return line.split("==")[1].strip()
    raise KeyError(name)


def source(name: str) -> Path:
    """The unpacked source distribution of the pinned `name` (its tests are in it)."""
    version = pinned(name)
    root = CACHE / f"{name}-{version}"
    if not (root / "tests").is_dir():
        CACHE.mkdir(exist_ok=True)
        subprocess.run(
            [str(python()), "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:"]
            + ["-d", str(CACHE), f"{name}=={version}"],
            check=True,
        )
        with tarfile.open(CACHE / f"{name}-{version}.tar.gz") as tar:
            tar.extractall(CACHE, filter="data")
    return root


@dataclass(frozen=True)
class Tally:
    passed: int
    failed: int
    errors: int
    skipped: int
    failures: tuple[str, ...]  # test ids that failed or errored

    def cells(self) -> str:
        return f"{self.passed} / {self.failed} / {self.errors} / {self.skipped}"


def run_pytest(cwd: Path, args: list[str], env: dict[str, str], report: Path) -> Tally:
    """One pytest run of an upstream suite; its JUnit report tallied (its output is kept
    beside the report, `<report>.log`)."""
    report.parent.mkdir(parents=True, exist_ok=True)
    with report.with_suffix(".log").open("w") as log:
        subprocess.run(
            [str(python()), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfE"]
            + ["-o", "asyncio_default_fixture_loop_scope=function", "-o", "addopts="]
            + [f"--junitxml={report}", *args],
            cwd=cwd,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
            timeout=1800,
        )
    return tally(report)


def tally(report: Path) -> Tally:
    passed = failed = errors = skipped = 0
    failures: list[str] = []
    for case in ET.parse(report).getroot().iter("testcase"):
        outcome = {child.tag for child in case}
        name = f"{case.get('classname')}::{case.get('name')}"
        if "failure" in outcome:
            failed += 1
            failures.append(name)
        elif "error" in outcome:
            errors += 1
            failures.append(name)
        elif "skipped" in outcome:
            skipped += 1
        else:
            passed += 1
    return Tally(passed, failed, errors, skipped, tuple(failures))
