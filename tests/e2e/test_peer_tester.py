"""caldav-server-tester (the python-caldav project's server probe) run against each
provider's calendars (issue 11, point 6). New calendars land at the organisation's default
service, so the same bridge is probed three times with the default switched. Every feature the
checked-in expectation (tests/peer/caldav_server_tester_expected.json) grades "full" must still
be "full", nothing may turn broken or ungraceful that is not expected so, and at least 80
features are fully supported. `scripts/peer-suites --update-expected` rewrites the file."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bridge.api import Bridge, Policy
from bridge.entry.demo import Demo, DemoInfo
from bridge.organisation.administration import OPERATOR
from tests.peer.scoring import counts, grades

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = ROOT / "tests" / "peer" / "caldav_server_tester_expected.json"
SERVICES = ("microsoft365", "google", "exchange")


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Bridge, DemoInfo]]:
    # no background loop: the tester changes nothing at the provider behind the bridge
    demo = Demo(tmp_path_factory.mktemp("peer"), port=0, refresh_interval_s=60.0, background=False)
    info = demo.start()
    assert demo.bridge is not None
    yield demo.bridge, info
    demo.stop()


def run_tester(info: DemoInfo) -> dict[str, str]:
    """One caldav-server-tester run; its JSON report graded feature by feature."""
    return grades(report_of_tester(info))


def report_of_tester(info: DemoInfo) -> dict[str, Any]:
    """One caldav-server-tester run's JSON report (its `features` are python-caldav's
    compatibility hints for the server)."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.peer.run_caldav_server_tester",
            "--caldav-url",
            info.dav_url,
            "--caldav-username",
            info.username,
            "--caldav-password",
            info.password,
            "--format",
            "json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    report: dict[str, Any] = json.loads(done.stdout)
    return report


@pytest.mark.timeout(900)
@pytest.mark.parametrize("service", SERVICES)
def test_caldav_server_tester_finds_the_expected_features(
    running: tuple[Bridge, DemoInfo], service: str
) -> None:
    bridge, info = running
    bridge.admin.set_org_policy(OPERATOR, replace(Policy(), default_service=service))
    try:
        found = run_tester(info)
    finally:
        bridge.admin.set_org_policy(OPERATOR, Policy())
    expected: dict[str, str] = json.loads(EXPECTED.read_text())[service]
    dropped = {
        f: (g, found.get(f)) for f, g in expected.items() if g == "full" and found.get(f) != "full"
    }
    assert not dropped, f"features no longer fully supported on {service}: {dropped}"
    worse = {
        f: g for f, g in found.items() if g in ("broken", "ungraceful") and expected.get(f) != g
    }
    assert not worse, f"new broken/ungraceful features on {service}: {worse}"
    assert counts(found)["full"] >= 80, counts(found)
