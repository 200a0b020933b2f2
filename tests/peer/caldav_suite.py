"""python-caldav's functional suite (`tests/test_caldav.py` of the pinned sdist) against a
server (issue 11, point 6).

The suite's own compatibility mechanism is a server's feature set
(caldav.compatibility_hints): the bridge is described by what caldav-server-tester measured on
it in the same run (`features`), nothing else, so no hint is written by hand. Stock Radicale,
the baseline, runs as the suite's embedded `radicale` server with the suite's own profile.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.peer.upstream import Tally, run_pytest, source

OFF = {"PYTHON_CALDAV_TEST_DOCKER": "0"}


def _run(config: dict[str, Any], env: dict[str, str], report: Path) -> Tally:
    src = source("caldav")
    # YAML is a superset of JSON; the suite's loader reads this path first
    (src / "tests" / "caldav_test_servers.yaml").write_text(json.dumps(config, indent=1))
    return run_pytest(src, ["tests/test_caldav.py"], {**OFF, **env}, report)


def against_bridge(
    dav_url: str, username: str, password: str, features: dict[str, Any], report: Path
) -> Tally:
    server = {
        "type": "external",
        "enabled": True,
        "url": dav_url,
        "username": username,
        "password": password,
        "features": features,
    }
    return _run(
        {"test-servers": {"davbridge": server}}, {"PYTHON_CALDAV_TEST_EMBEDDED": "0"}, report
    )


def against_stock_radicale(port: int, report: Path) -> Tally:
    server = {"type": "embedded", "enabled": True, "host": "127.0.0.1", "port": port}
    return _run(
        {"test-servers": {"radicale": server}}, {"PYTHON_CALDAV_TEST_EXTERNAL": "0"}, report
    )
